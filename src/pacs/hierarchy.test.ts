// An instance whose series the PACS holds under another study, or whose study under another
// patient, is refused with 0xC000 and its reason, before its file takes its name: taking it
// would move or rename what is stored. Found by sending an inconsistent set (a series UID
// reused across studies): the index answered "UNIQUE constraint failed", or, where no UID
// collided, renamed the stored study.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DataSet } from '../object/index.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-hierarchy-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(patient: string, study: string, series: string, sop: string): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', sop);
  ds.set('PatientID', patient);
  ds.set('StudyInstanceUID', study);
  ds.set('SeriesInstanceUID', series);
  return ds;
}

describe('dicomkit pacs: instances that contradict the stored hierarchy', () => {
  test('refused with 0xC000 and the reason; nothing stored is moved, renamed or replaced', {
    timeout: 20_000,
  }, async () => {
    const pacs = await startLoopbackPacs(join(work, 'store'));
    const scu = await associateWithPacs(pacs, [SC]);
    try {
      const store = async (ds: DataSet) =>
        scu.store(ds).then(
          (r) => ({ status: r.status, comment: '' }),
          (e: { status: number; errorComment?: string }) => ({
            status: e.status,
            comment: e.errorComment ?? '',
          }),
        );
      assert.equal((await store(instance('P1', '2.25.61', '2.25.61.1', '2.25.61.1.1'))).status, 0);
      // The series under a new study (no UID collides: the stored study used to be renamed).
      assert.deepEqual(await store(instance('P1', '2.25.62', '2.25.61.1', '2.25.62.1.1')), {
        status: 0xc000,
        comment: 'series 2.25.61.1 is in study 2.25.61, not 2.25.62',
      });
      // The study under another Patient ID (the stored patient's ID used to be overwritten).
      const other = await store(instance('P2', '2.25.61', '2.25.61.2', '2.25.61.2.1'));
      assert.equal(other.status, 0xc000);
      assert.match(other.comment, /^study 2\.25\.61 belongs to another patient/);
      assert.equal(pacs.index.has('2.25.62.1.1'), false);
      assert.equal(pacs.index.has('2.25.61.2.1'), false);
      const studies = [...pacs.index.find({ model: 'study', level: 'STUDY', identifier: studyQuery() })].map(
        (d) => [d.string('StudyInstanceUID'), d.string('PatientID')],
      );
      assert.deepEqual(studies, [['2.25.61', 'P1']]);
      // Only the first instance's file (and empty spares) in the store.
      const files = readdirSync(join(work, 'store'), { recursive: true }).filter((n) =>
        String(n).endsWith('.dcm'),
      );
      assert.equal(files.length, 1);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });

  test('a contradiction indexed after the check (by another association) is refused the same; its file does not stay', {
    timeout: 20_000,
  }, async () => {
    const store = join(work, 'race');
    const pacs = await startLoopbackPacs(store);
    const scu = await associateWithPacs(pacs, [SC]);
    const dcmFiles = () => readdirSync(store, { recursive: true }).filter((n) => String(n).endsWith('.dcm'));
    try {
      assert.equal((await scu.store(instance('P1', '2.25.71', '2.25.71.1', '2.25.71.1.1'))).status, 0);
      // The check before the rename sees nothing (as when another association's row was not
      // yet committed); the index's own check, in the commit, refuses the row.
      const check = pacs.index.conflict.bind(pacs.index);
      let checks = 0;
      pacs.index.conflict = (header) => (checks++ === 0 ? undefined : check(header));
      const refused = await scu.store(instance('P1', '2.25.72', '2.25.71.1', '2.25.72.1.1')).then(
        () => assert.fail('stored'),
        (e: { status: number; errorComment?: string }) => e,
      );
      assert.equal(checks, 2, 'checked before the rename and in the commit');
      assert.equal(refused.status, 0xc000);
      assert.equal(refused.errorComment, 'series 2.25.71.1 is in study 2.25.71, not 2.25.72');
      assert.equal(pacs.index.has('2.25.72.1.1'), false);
      assert.equal(dcmFiles().length, 1, 'the refused file was removed from where it was put');
      // The association goes on.
      assert.equal((await scu.store(instance('P1', '2.25.71', '2.25.71.1', '2.25.71.1.2'))).status, 0);
      assert.equal(dcmFiles().length, 2);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });

  test('a file that cannot take its name gets no index row', { timeout: 20_000 }, async () => {
    const store = join(work, 'no-rename');
    const pacs = await startLoopbackPacs(store);
    const scu = await associateWithPacs(pacs, [SC]);
    try {
      // A directory where the file would go: the rename fails (EISDIR).
      const { path } = await pacs.storage.prepare('2.25.81.1.1');
      mkdirSync(path);
      const failed = await scu.store(instance('P1', '2.25.81', '2.25.81.1', '2.25.81.1.1')).then(
        () => assert.fail('stored'),
        (e: { status: number }) => e.status,
      );
      assert.equal(failed, 0x0110, 'Processing failure');
      assert.equal(pacs.index.has('2.25.81.1.1'), false, 'no row names a file that is not there');
      assert.equal((await scu.store(instance('P1', '2.25.81', '2.25.81.1', '2.25.81.1.2'))).status, 0);
      assert.equal(pacs.index.has('2.25.81.1.2'), true);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });
});

function studyQuery(): DataSet {
  const q = new DataSet();
  q.set('QueryRetrieveLevel', 'STUDY');
  q.set('StudyInstanceUID', '');
  q.set('PatientID', '');
  return q;
}
