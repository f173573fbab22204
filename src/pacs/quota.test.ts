// storage.maxStorageMB: a full store refuses (Out of Resources, 0xA700; HTTP 507) or recycles
// the studies that received nothing for longest, never the one being stored; what it holds
// stays under the limit either way, on disk and in the index. dicom.maxDataSetMB: one
// instance over it is refused the same way.

import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DataSet, writeDicom } from '../object/index.ts';
import type { Association } from '../services/index.ts';
import type { Pacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-quota-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** An instance of ~20 kB: 20,000 bytes of pixels and a small header. */
function instance(study: number, n: number): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', `2.25.8800.${study}.1.${n}`);
  ds.set('PatientID', `Q${study}`);
  ds.set('StudyInstanceUID', `2.25.8800.${study}`);
  ds.set('SeriesInstanceUID', `2.25.8800.${study}.1`);
  ds.set('Rows', 100);
  ds.set('Columns', 200);
  ds.set('BitsAllocated', 8);
  ds.set('BitsStored', 8);
  ds.set('HighBit', 7);
  ds.set('PixelRepresentation', 0);
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('PixelData', new Uint8Array(20_000).fill(n), 'OB');
  return ds;
}

/** A PACS with these limits (in its own folder) and a storage SCU associated with it. */
async function startLimited(
  name: string,
  limits: { storage?: Record<string, unknown>; dicom?: Record<string, unknown> },
): Promise<{ pacs: Pacs; scu: Association }> {
  const pacs = await startLoopbackPacs(join(work, name), { ...limits, http: { port: 0 } });
  return { pacs, scu: await associateWithPacs(pacs, [SC]) };
}

/** Room for four of these instances, not five. */
const startFull = (name: string, whenFull: 'reject' | 'recycle') =>
  startLimited(name, { storage: { maxStorageMB: 0.1, whenFull } });

const stored = (pacs: Pacs) => pacs.index.statistics();

/** Fills a store of startFull: studies 1 and 2 (patients Q1, Q2), two instances each. */
async function fill(scu: Association): Promise<void> {
  for (const study of [1, 2]) {
    for (const n of [1, 2]) assert.equal((await scu.store(instance(study, n))).status, 0);
  }
}

describe('storage.maxStorageMB', () => {
  test('reject: the store that would pass the limit gets 0xA700 and leaves nothing; HTTP uploads get 507', {
    timeout: 20_000,
  }, async () => {
    const { pacs, scu } = await startFull('reject', 'reject');
    try {
      const statuses: number[] = [];
      for (let n = 1; n <= 5; n++) {
        statuses.push((await scu.store(instance(n, n)).catch((e: { status: number }) => e)).status);
      }
      assert.deepEqual(statuses, [0, 0, 0, 0, 0xa700]);
      assert.equal(pacs.index.has('2.25.8800.5.1.5'), false);
      assert.equal(existsSync(pacs.storage.absolute(pacs.storage.relativePath('2.25.8800.5.1.5'))), false);
      const { instances, bytes } = stored(pacs);
      assert.equal(instances, 4);
      assert.ok(bytes <= 100_000 && bytes > 80_000, `${bytes} bytes`);
      const upload = await fetch(`${pacs.http!.url}/instances`, {
        method: 'POST',
        body: writeDicom(instance(6, 6), { transferSyntax: '1.2.840.10008.1.2.1' }),
        headers: { 'content-type': 'application/dicom' },
      });
      assert.equal(upload.status, 507);
      assert.equal(((await upload.json()) as { code: string }).code, 'ERR_STORAGE_FULL');
      // A deletion makes room again.
      assert.equal((await fetch(`${pacs.http!.url}/studies/2.25.8800.1`, { method: 'DELETE' })).status, 200);
      assert.equal((await scu.store(instance(5, 5))).status, 0);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });

  test('recycle: the least recently received studies go, never the one being stored', {
    timeout: 20_000,
  }, async () => {
    const { pacs, scu } = await startFull('recycle', 'recycle');
    try {
      await fill(scu);
      assert.equal((await scu.store(instance(3, 1))).status, 0);
      // A fifth instance (study 3): study 1, received first and nothing since, went to make room.
      const studies = () => pacs.index.leastRecentStudies(10);
      assert.deepEqual(studies(), ['2.25.8800.2', '2.25.8800.3']);
      assert.equal(existsSync(pacs.storage.absolute(pacs.storage.relativePath('2.25.8800.1.1.1'))), false);
      // Study 2 gets another instance, so study 3 is the oldest when study 4 arrives.
      assert.equal((await scu.store(instance(2, 3))).status, 0);
      assert.equal((await scu.store(instance(4, 1))).status, 0);
      assert.deepEqual(studies(), ['2.25.8800.2', '2.25.8800.4']);
      // One study larger than the limit: it recycles the others, then is refused itself.
      const statuses: number[] = [];
      for (let n = 1; n <= 5; n++) {
        statuses.push((await scu.store(instance(9, n)).catch((e: { status: number }) => e)).status);
      }
      assert.deepEqual(statuses, [0, 0, 0, 0, 0xa700]);
      assert.deepEqual(studies(), ['2.25.8800.9']);
      const { bytes } = stored(pacs);
      assert.ok(bytes <= 100_000, `${bytes} bytes`);
      const deleted = pacs.index
        .changeLog(0, 1000)
        .entries.filter((e) => e.type === 'Deleted' && e.level === 'STUDY')
        .map((e) => e.resource);
      assert.deepEqual(deleted, ['2.25.8800.1', '2.25.8800.3', '2.25.8800.2', '2.25.8800.4']);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });

  test('recycle: a protected patient (PUT /patients/{id}/protected) keeps its studies; protected alone, a full store refuses', {
    timeout: 20_000,
  }, async () => {
    const { pacs, scu } = await startFull('protected', 'recycle');
    const rest = async (method: string, path: string, body?: string) => {
      const response = await fetch(`${pacs.http!.url}${path}`, {
        method,
        ...(body === undefined ? {} : { body, headers: { 'content-type': 'text/plain' } }),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: response.status, text: await response.text() };
    };
    const studies = () => pacs.index.leastRecentStudies(10);
    const store = async (study: number, n: number) =>
      (await scu.store(instance(study, n)).catch((e: { status: number }) => e)).status;
    try {
      await fill(scu);
      assert.deepEqual(await rest('GET', '/patients/Q1/protected'), { status: 200, text: '0' });
      assert.equal((await rest('PUT', '/patients/Q1/protected', '1')).status, 200);
      assert.deepEqual(await rest('GET', '/patients/Q1/protected'), { status: 200, text: '1' });
      assert.equal(JSON.parse((await rest('GET', '/patients/Q1')).text).IsProtected, true);
      assert.equal(JSON.parse((await rest('GET', '/patients/Q2')).text).IsProtected, false);
      // Study 1 is the oldest, but its patient is protected: study 2 makes room.
      assert.equal(await store(3, 1), 0);
      assert.equal(await store(3, 2), 0);
      assert.deepEqual(studies(), ['2.25.8800.3']);
      assert.equal(pacs.index.has('2.25.8800.1.1.1'), true);
      // Every study left is protected: the store is refused, nothing is deleted.
      assert.equal((await rest('PUT', '/patients/Q3/protected', '1')).status, 200);
      assert.equal(await store(4, 1), 0xa700);
      assert.equal(stored(pacs).instances, 4);
      // Protection ended: study 1, the oldest, goes.
      assert.equal((await rest('PUT', '/patients/Q1/protected', '0')).status, 200);
      assert.equal(await store(4, 1), 0);
      assert.equal(pacs.index.has('2.25.8800.1.1.1'), false);
      assert.equal(pacs.index.has('2.25.8800.3.1.1'), true);
      // Refusals: an unknown patient, a body that is not 1 or 0.
      assert.equal((await rest('PUT', '/patients/NOBODY/protected', '1')).status, 404);
      assert.equal((await rest('GET', '/patients/NOBODY/protected')).status, 404);
      assert.equal((await rest('PUT', '/patients/Q3/protected', 'yes')).status, 400);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });

  test('dicom.maxDataSetMB: a larger instance gets 0xA700 (HTTP 413) and leaves nothing; smaller ones are stored', {
    timeout: 20_000,
  }, async () => {
    const { pacs, scu } = await startLimited('max-data-set', { dicom: { maxDataSetMB: 0.01 } });
    try {
      const small = instance(7, 1);
      small.set('PixelData', new Uint8Array(5_000), 'OB');
      const large = instance(7, 2);
      const status = async (ds: DataSet) => (await scu.store(ds).catch((e: { status: number }) => e)).status;
      assert.deepEqual([await status(large), await status(small)], [0xa700, 0]);
      assert.equal(pacs.index.has('2.25.8800.7.1.2'), false);
      // The same limit for uploads over HTTP: 413 Payload Too Large.
      const upload = await fetch(`${pacs.http!.url}/instances`, {
        method: 'POST',
        body: writeDicom(large, { transferSyntax: '1.2.840.10008.1.2.1' }),
        headers: { 'content-type': 'application/dicom' },
      });
      assert.equal(upload.status, 413);
      assert.equal(((await upload.json()) as { code: string }).code, 'ERR_VALUE_TOO_LARGE');
      assert.equal(pacs.index.has('2.25.8800.7.1.2'), false);
      assert.equal(pacs.index.has('2.25.8800.7.1.1'), true);
      assert.deepEqual(
        pacs.storage.scan().leftovers.filter((p) => statSync(pacs.storage.absolute(p)).size > 0),
        [],
      );
    } finally {
      await scu.release();
      await pacs.close();
    }
  });
});
