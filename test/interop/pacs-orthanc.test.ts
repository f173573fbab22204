// Orthanc (Debian's package) as a peer of the PACS (issue 5 acceptance): Orthanc C-MOVEs a
// study from dicomkit into itself, and dicomkit C-MOVEs a study from Orthanc into itself.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../../src/core/index.ts';
import { readDicomFile } from '../../src/object/file.node.ts';
import { resolveConfig } from '../../src/pacs/config.ts';
import { type Pacs, startPacs } from '../../src/pacs/server.ts';
import { ApplicationEntity, storageContexts } from '../../src/services/index.ts';
import { type BackgroundPeer, freePort, startPeer } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

requirePeer('Orthanc', 'apt-get install orthanc (bash .ci/run does)');

const work = mkdtempSync(join(tmpdir(), 'dicomkit-orthanc-'));
after(() => rmSync(work, { recursive: true, force: true }));
const quiet = SILENT_LOGGER;
const CT = 'test/fixtures/pydicom/CT_small.dcm';
const MR = 'test/fixtures/pydicom/MR_small.dcm';

describe('dicomkit pacs and Orthanc', () => {
  let pacs: Pacs;
  let orthanc: BackgroundPeer;
  let http = '';
  let orthancDicomPort = 0;

  async function rest(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${http}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : body instanceof Uint8Array
          ? { body, headers: { 'content-type': 'application/dicom' } }
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    assert.ok(response.ok, `Orthanc ${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  before(async () => {
    orthancDicomPort = await freePort();
    const httpPort = await freePort();
    http = `http://127.0.0.1:${httpPort}`;
    pacs = await startPacs(
      resolveConfig({
        dicom: { host: '127.0.0.1', port: 0 },
        http: { port: 0 },
        storage: { path: join(work, 'dicomkit') },
        modalities: { orthanc: { aeTitle: 'ORTHANC', host: '127.0.0.1', port: orthancDicomPort } },
      }),
      { logger: quiet },
    );
    const storage = join(work, 'orthanc-db');
    mkdirSync(storage);
    const config = join(work, 'orthanc.json');
    writeFileSync(
      config,
      JSON.stringify({
        Name: 'dicomkit-test',
        StorageDirectory: storage,
        IndexDirectory: storage,
        HttpPort: httpPort,
        DicomPort: orthancDicomPort,
        DicomAet: 'ORTHANC',
        RemoteAccessAllowed: false,
        AuthenticationEnabled: false,
        DicomCheckCalledAet: false,
        DicomModalities: { dicomkit: ['DICOMKIT', '127.0.0.1', pacs.dicom.port] },
        Plugins: [],
      }),
    );
    orthanc = await startPeer('Orthanc', [config], httpPort, { env: { TCP_NODELAY: '1' } });
  });
  after(async () => {
    await orthanc?.stop();
    await pacs?.close({ abort: true });
  });

  test('Orthanc C-MOVEs a study from dicomkit into itself', { timeout: 60_000 }, async () => {
    const assoc = await new ApplicationEntity({ aeTitle: 'LOADER' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: storageContexts(['1.2.840.10008.5.1.4.1.1.2']),
    });
    await assoc.store(CT);
    await assoc.release();
    const study = (await readDicomFile(CT)).dataset.string('StudyInstanceUID')!.trim();
    await rest('POST', '/modalities/dicomkit/move', {
      Level: 'Study',
      Resources: [{ StudyInstanceUID: study }],
      TargetAet: 'ORTHANC',
    });
    const found = (await rest('POST', '/tools/find', {
      Level: 'Study',
      Query: { StudyInstanceUID: study },
    })) as string[];
    assert.equal(found.length, 1, 'the study is in Orthanc');
    const instances = (await rest('GET', `/studies/${found[0]}/instances`)) as { ID: string }[];
    assert.equal(instances.length, 1);
    const file = new Uint8Array(
      await (await fetch(`${http}/instances/${instances[0]!.ID}/file`)).arrayBuffer(),
    );
    writeFileSync(join(work, 'from-orthanc.dcm'), file);
    const got = await readDicomFile(join(work, 'from-orthanc.dcm'));
    assert.equal(
      got.dataset.string('SOPInstanceUID'),
      (await readDicomFile(CT)).dataset.string('SOPInstanceUID'),
    );
  });

  test('dicomkit C-MOVEs a study from Orthanc into itself', { timeout: 60_000 }, async () => {
    await rest('POST', '/instances', new Uint8Array(readFileSync(MR)));
    const study = (await readDicomFile(MR)).dataset.string('StudyInstanceUID')!.trim();
    const uid = (await readDicomFile(MR)).dataset.string('SOPInstanceUID')!.trim();
    assert.ok(!pacs.index.has(uid));
    // Told through its REST API, dicomkit C-MOVEs the study from Orthanc into itself.
    const response = await fetch(`http://127.0.0.1:${pacs.httpPort}/modalities/orthanc/move`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ Level: 'Study', Resources: [{ StudyInstanceUID: study }] }),
      signal: AbortSignal.timeout(20_000),
    });
    assert.equal(response.status, 200, await response.clone().text());
    assert.deepEqual(await response.json(), { Completed: 1, Failed: 0 });
    assert.ok(pacs.index.has(uid), 'the instance moved from Orthanc is in our index');
  });
});
