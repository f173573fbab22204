// Orthanc's small /tools routes: the time, new UIDs, the log level while running, C-ECHO of
// an unregistered peer, bulk deletion, Prometheus metrics and shutdown through REST.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { freePort } from '../../test/helpers/net-peers.ts';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { createLogger, isValidUid } from '../core/index.ts';
import { DataSet } from '../object/index.ts';
import type { Pacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-tools-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(patient: string, study: number, series: number, n: number): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', `2.25.6161.${study}.${series}.${n}`);
  ds.set('PatientID', patient);
  ds.set('StudyInstanceUID', `2.25.6161.${study}`);
  ds.set('SeriesInstanceUID', `2.25.6161.${study}.${series}`);
  return ds;
}

/** The value of a metric in Prometheus's text format. */
function metric(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  assert.ok(line, `${name} in\n${text}`);
  return Number(line.slice(name.length + 1));
}

describe('dicomkit pacs: /tools', () => {
  let pacs: Pacs;
  const lines: string[] = [];
  before(async () => {
    pacs = await startLoopbackPacs(
      join(work, 'pacs'),
      { http: { port: 0 } },
      { logger: createLogger('info', (line) => lines.push(line)) },
    );
  });
  after(() => pacs?.close());
  const rest = (path: string, init: RequestInit = {}) => fetch(`${pacs.http!.url}${path}`, init);
  const text = async (path: string, init?: RequestInit) => (await rest(path, init)).text();

  test('GET /tools lists the tools; now and now-local are YYYYMMDDTHHMMSS', async () => {
    const tools = (await (await rest('/tools')).json()) as string[];
    for (const tool of [
      'now',
      'generate-uid',
      'log-level',
      'metrics-prometheus',
      'bulk-delete',
      'dicom-echo',
    ])
      assert.ok(tools.includes(tool), tool);
    const now = await text('/tools/now');
    assert.match(now, /^\d{8}T\d{6}$/);
    const parsed = Date.UTC(
      Number(now.slice(0, 4)),
      Number(now.slice(4, 6)) - 1,
      Number(now.slice(6, 8)),
      Number(now.slice(9, 11)),
      Number(now.slice(11, 13)),
      Number(now.slice(13, 15)),
    );
    assert.ok(Math.abs(parsed - Date.now()) < 5000, now);
    const local = await text('/tools/now-local');
    const d = new Date();
    assert.equal(local.slice(0, 4), String(d.getFullYear()));
    assert.match(local, /^\d{8}T\d{6}$/);
  });

  test('generate-uid answers a new valid UID per call; the level is required', async () => {
    const a = await text('/tools/generate-uid?level=study');
    const b = await text('/tools/generate-uid?level=instance');
    assert.ok(isValidUid(a) && isValidUid(b), `${a} ${b}`);
    assert.notEqual(a, b);
    assert.equal((await rest('/tools/generate-uid')).status, 400);
    assert.equal((await rest('/tools/generate-uid?level=frame')).status, 400);
  });

  test('log-level: Orthanc\'s "verbose" turns on the PDU dumps at once; "default" turns them off', {
    timeout: 10_000,
  }, async () => {
    assert.equal(await text('/tools/log-level'), 'info');
    const echo = async () => {
      const association = await associateWithPacs(pacs, [
        { abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
      ]);
      assert.equal(await association.echo(), 0);
      await association.release();
    };
    lines.length = 0;
    await echo();
    assert.equal(lines.filter((l) => l.startsWith('D: ')).length, 0);
    // At info, one line per association and per operation, the echo included.
    for (const expected of [/association request from MODALITY/, /C-ECHO from MODALITY/, /release/])
      assert.ok(
        lines.some((l) => expected.test(l)),
        `${expected} in\n${lines.join('\n')}`,
      );
    assert.equal((await rest('/tools/log-level', { method: 'PUT', body: 'verbose' })).status, 200);
    assert.equal(await text('/tools/log-level'), 'debug');
    await echo();
    assert.ok(
      lines.some((l) => /^D: .*A-ASSOCIATE-RQ/.test(l)),
      lines.join('\n'),
    );
    assert.equal((await rest('/tools/log-level', { method: 'PUT', body: 'default' })).status, 200);
    assert.equal(await text('/tools/log-level'), 'info');
    const bad = await rest('/tools/log-level', { method: 'PUT', body: 'loud' });
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /must be one of default, verbose, trace/);
  });

  test('dicom-echo: a peer given in the body, not registered; a closed port is a 502', {
    timeout: 10_000,
  }, async () => {
    const ok = await rest('/tools/dicom-echo', {
      method: 'POST',
      body: JSON.stringify({ AET: 'DICOMKIT', Host: '127.0.0.1', Port: pacs.dicom.port, Timeout: 5 }),
    });
    assert.equal(ok.status, 200, await ok.text());
    const closed = await rest('/tools/dicom-echo', {
      method: 'POST',
      body: JSON.stringify({ AET: 'NOBODY', Host: '127.0.0.1', Port: await freePort() }),
    });
    assert.equal(closed.status, 502);
    assert.match(((await closed.json()) as { error: string }).error, /NOBODY at 127\.0\.0\.1/);
    const bad = await rest('/tools/dicom-echo', {
      method: 'POST',
      body: JSON.stringify({ AET: 'X', Host: 'h' }),
    });
    assert.equal(bad.status, 400);
    assert.deepEqual(await rest('/modalities').then((r) => r.json()), []);
  });

  test('bulk-delete takes IDs of any level, skips and lists unknown ones; metrics count what is left', {
    timeout: 20_000,
  }, async () => {
    const scu = await associateWithPacs(pacs, [SC]);
    try {
      for (const [patient, study] of [
        ['BULK1', 1],
        ['BULK2', 2],
        ['BULK3', 3],
        ['KEEP', 4],
      ] as const) {
        for (const series of [1, 2]) {
          for (const n of [1, 2])
            assert.equal((await scu.store(instance(patient, study, series, n))).status, 0);
        }
      }
      const metrics = await text('/tools/metrics-prometheus');
      assert.equal(metric(metrics, 'orthanc_count_instances'), 16);
      assert.equal(metric(metrics, 'orthanc_count_studies'), 4);
      assert.equal(metric(metrics, 'orthanc_count_patients'), 4);
      assert.equal(metric(metrics, 'dicomkit_associations_active'), 1, 'the SCU still associated');
      assert.ok(metric(metrics, 'orthanc_last_change') > 0);
      assert.ok(metric(metrics, 'dicomkit_disk_size_bytes') > 0);
      assert.match(metrics, /# TYPE orthanc_count_instances gauge/);
    } finally {
      await scu.release();
    }
    const answer = await rest('/tools/bulk-delete', {
      method: 'POST',
      // curl -d, as Orthanc's documentation has it: a form-encoded JSON body.
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: JSON.stringify({
        Resources: ['2.25.6161.1', '2.25.6161.2.1', '2.25.6161.3.2.1', 'BULK3', '2.25.404', '2.25.6161.1'],
      }),
    });
    assert.equal(answer.status, 200);
    // Study 1 (4), series 2.1 (2), then all of BULK3 (the instance 3.2.1 first, then 3 more).
    assert.deepEqual(await answer.json(), { Deleted: 10, Unknown: ['2.25.404'] });
    assert.equal(pacs.index.statistics().instances, 6);
    assert.equal(pacs.index.has('2.25.6161.2.2.1'), true);
    assert.equal(pacs.index.has('2.25.6161.4.1.1'), true);
    const after = await text('/tools/metrics-prometheus');
    assert.equal(metric(after, 'orthanc_count_instances'), 6);
    assert.equal(metric(after, 'dicomkit_associations_active'), 0);
    assert.equal(
      (await rest('/tools/bulk-delete', { method: 'POST', body: JSON.stringify({ Resources: 'x' }) })).status,
      400,
    );
  });

  test("JSON bodies of any content type, as Orthanc reads them (its documentation's curl -d is form-encoded)", async () => {
    const find = (contentType: string | undefined, body: string) =>
      rest('/tools/find', {
        method: 'POST',
        body,
        headers: contentType ? { 'content-type': contentType } : {},
      });
    const query = JSON.stringify({ Level: 'Study', Query: { StudyInstanceUID: '2.25.6161.4' } });
    for (const type of [
      'application/x-www-form-urlencoded',
      'text/plain',
      'application/json',
      'application/octet-stream',
    ]) {
      const response = await find(type, query);
      assert.equal(response.status, 200, type);
      assert.deepEqual(await response.json(), ['2.25.6161.4'], type);
    }
    const bad = await find('application/x-www-form-urlencoded', '{"Level": ');
    assert.equal(bad.status, 400);
    assert.match(((await bad.json()) as { error: string }).error, /^the body is not JSON/);
  });

  test('a logger the PACS cannot change: the log level routes answer 409', { timeout: 10_000 }, async () => {
    const fixed = await startLoopbackPacs(join(work, 'fixed'), { http: { port: 0 } });
    try {
      const response = await fetch(`${fixed.http!.url}/tools/log-level`, { method: 'PUT', body: 'verbose' });
      assert.equal(response.status, 409);
    } finally {
      await fixed.close();
    }
  });

  test('shutdown answers, then closes the PACS: DICOM and HTTP stop listening', {
    timeout: 15_000,
  }, async () => {
    const own = await startLoopbackPacs(join(work, 'shutdown'), { http: { port: 0 } });
    const { port } = own.dicom;
    const response = await fetch(`${own.http!.url}/tools/shutdown`, { method: 'POST' });
    assert.equal(response.status, 200);
    await own.closed;
    const refused = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(false);
      });
      socket.once('error', () => resolve(true));
    });
    assert.ok(refused, 'the DICOM port is closed');
    await assert.rejects(fetch(`${own.http!.url}/system`));
  });
});
