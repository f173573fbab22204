// Orthanc (Debian's package) as a peer of the PACS (issue 5 acceptance): Orthanc C-MOVEs a
// study from dicomkit into itself, and dicomkit C-MOVEs a study from Orthanc into itself.
// Storage Commitment (PS3.4 Annex J) both ways: each asks the other through its REST API and
// reads the report the other sent back on an association of its own. Orthanc's query/retrieve
// REST sequence (/modalities/{id}/query, /queries/{id}/answers/{n}/retrieve) both ways, and a
// C-GET by dicomkit (/modalities/{id}/get) from Orthanc's SCP.

import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../../src/core/index.ts';
import { readDicomFile } from '../../src/object/file.node.ts';
import type { DataSet } from '../../src/object/index.ts';
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

  /** A call to dicomkit's REST API that must succeed: its JSON answer, if any. */
  async function ours(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${pacs.httpPort}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    assert.equal(response.status, 200, `dicomkit ${method} ${path}: ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /**
   * The MR instance in Orthanc and not in dicomkit (deleted there if an earlier test brought
   * it): what a retrieve from Orthanc must bring.
   */
  async function mrInOrthancOnly(): Promise<{ dataset: DataSet; study: string; uid: string }> {
    await rest('POST', '/instances', new Uint8Array(readFileSync(MR)));
    const dataset = (await readDicomFile(MR)).dataset;
    const study = dataset.string('StudyInstanceUID')!.trim();
    const uid = dataset.string('SOPInstanceUID')!.trim();
    if (pacs.index.has(uid)) await ours('DELETE', `/studies/${study}`);
    assert.ok(!pacs.index.has(uid));
    return { dataset, study, uid };
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

  /** C-STOREs a CT file into dicomkit as a modality would. */
  async function storeIntoDicomkit(file: string): Promise<void> {
    const assoc = await new ApplicationEntity({ aeTitle: 'LOADER' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: storageContexts(['1.2.840.10008.5.1.4.1.1.2']),
    });
    await assoc.store(file);
    await assoc.release();
  }

  /** Polls a GET /storage-commitment/{id} until its report has come. */
  async function commitmentReport(read: () => Promise<unknown>): Promise<Record<string, unknown>> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const transaction = (await read()) as Record<string, unknown>;
      if (transaction.Status !== 'Pending') return transaction;
      assert.ok(Date.now() < deadline, 'no storage commitment report within 20 s');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  test('Orthanc C-MOVEs a study from dicomkit into itself', { timeout: 60_000 }, async () => {
    await storeIntoDicomkit(CT);
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
    const { study, uid } = await mrInOrthancOnly();
    // Told through its REST API, dicomkit C-MOVEs the study from Orthanc into itself.
    const moved = await ours('POST', '/modalities/orthanc/move', {
      Level: 'Study',
      Resources: [{ StudyInstanceUID: study }],
    });
    assert.deepEqual(moved, {
      Description: 'REST API',
      LocalAet: 'DICOMKIT',
      RemoteAet: 'ORTHANC',
      TargetAet: 'DICOMKIT',
      // As Orthanc's move job: the identifiers sent, in its short form.
      Query: [{ '0008,0052': 'STUDY', '0020,000d': study }],
      Completed: 1,
      Failed: 0,
    });
    assert.ok(pacs.index.has(uid), 'the instance moved from Orthanc is in our index');
  });

  test('query, then retrieve an answer, through /queries: each against the other', {
    timeout: 60_000,
  }, async () => {
    // Orthanc queries dicomkit's SCP at the series level and retrieves the answer into itself.
    await storeIntoDicomkit(CT);
    const ct = (await readDicomFile(CT)).dataset;
    const ctStudy = ct.string('StudyInstanceUID')!.trim();
    const ctSeries = ct.string('SeriesInstanceUID')!.trim();
    for (const id of (await rest('POST', '/tools/find', {
      Level: 'Study',
      Query: { StudyInstanceUID: ctStudy },
    })) as string[]) {
      await rest('DELETE', `/studies/${id}`);
    }
    const theirs = (await rest('POST', '/modalities/dicomkit/query', {
      Level: 'Series',
      Query: { StudyInstanceUID: ctStudy, Modality: '' },
    })) as { ID: string };
    const answers = (await rest('GET', `/queries/${theirs.ID}/answers?expand&simplify`)) as Record<
      string,
      string
    >[];
    assert.deepEqual(
      answers.map((a) => [a.SeriesInstanceUID, a.Modality]),
      [[ctSeries, 'CT']],
    );
    await rest('POST', `/queries/${theirs.ID}/answers/0/retrieve`, { TargetAet: 'ORTHANC' });
    const back = (await rest('POST', '/tools/find', {
      Level: 'Series',
      Query: { SeriesInstanceUID: ctSeries },
    })) as string[];
    assert.equal(back.length, 1, 'Orthanc retrieved the series from dicomkit');

    // dicomkit queries Orthanc's SCP for the MR study, then its series, and retrieves the series.
    const { dataset: mr, study: mrStudy, uid: mrUid } = await mrInOrthancOnly();
    const studyQuery = (await ours('POST', '/modalities/orthanc/query', {
      Level: 'Study',
      Query: { PatientID: mr.string('PatientID')!.trim(), StudyDate: '' },
    })) as { ID: string };
    const studies = (await ours('GET', `/queries/${studyQuery.ID}/answers?expand&simplify`)) as Record<
      string,
      string
    >[];
    assert.deepEqual(
      studies.map((s) => s.StudyInstanceUID),
      [mrStudy],
    );
    const seriesQuery = (await ours('POST', `/queries/${studyQuery.ID}/answers/0/query-series`, {
      Query: { Modality: '' },
    })) as { ID: string };
    const series = (await ours('GET', `/queries/${seriesQuery.ID}/answers?expand&simplify`)) as Record<
      string,
      string
    >[];
    assert.deepEqual(
      series.map((s) => [s.SeriesInstanceUID, s.Modality]),
      [[mr.string('SeriesInstanceUID')!.trim(), 'MR']],
    );
    const retrieved = (await ours('POST', `/queries/${seriesQuery.ID}/answers/0/retrieve`)) as Record<
      string,
      unknown
    >;
    assert.equal(retrieved.Completed, 1, JSON.stringify(retrieved));
    assert.ok(pacs.index.has(mrUid), 'the series retrieved from Orthanc is in our index');
  });

  test('dicomkit C-GETs a study from Orthanc into itself (/modalities/orthanc/get)', {
    timeout: 60_000,
  }, async () => {
    const { study, uid } = await mrInOrthancOnly();
    const got = (await ours('POST', '/modalities/orthanc/get', {
      Level: 'Study',
      Resources: [study],
    })) as Record<string, unknown>;
    assert.equal(got.Completed, 1, JSON.stringify(got));
    assert.equal(got.Failed, 0);
    assert.ok(pacs.index.has(uid), 'the instance Orthanc sent back on the association is in our index');
  });

  test('Orthanc asks dicomkit for storage commitment and reads its report', { timeout: 60_000 }, async () => {
    await storeIntoDicomkit(CT);
    const ct = (await readDicomFile(CT)).dataset;
    const held = {
      SOPClassUID: ct.string('SOPClassUID')!.trim(),
      SOPInstanceUID: ct.string('SOPInstanceUID')!.trim(),
    };
    const missing = { SOPClassUID: held.SOPClassUID, SOPInstanceUID: '2.25.1234567890' };
    const conflict = { SOPClassUID: '1.2.840.10008.5.1.4.1.1.4', SOPInstanceUID: held.SOPInstanceUID };

    const asked = (await rest('POST', '/modalities/dicomkit/storage-commitment', {
      DicomInstances: [held, missing, conflict],
    })) as { ID: string };
    const report = await commitmentReport(() => rest('GET', `/storage-commitment/${asked.ID}`));
    assert.equal(report.Status, 'Failure');
    assert.equal(report.RemoteAET, 'DICOMKIT');
    assert.deepEqual(report.Success, [held]);
    const failures = (report.Failures as Record<string, unknown>[]).map((f) => [
      f.SOPInstanceUID,
      f.SOPClassUID,
      f.FailureReason,
    ]);
    assert.deepEqual(failures, [
      [missing.SOPInstanceUID, missing.SOPClassUID, 0x0112],
      [conflict.SOPInstanceUID, conflict.SOPClassUID, 0x0119],
    ]);

    const all = (await rest('POST', '/modalities/dicomkit/storage-commitment', {
      DicomInstances: [held],
    })) as {
      ID: string;
    };
    const success = await commitmentReport(() => rest('GET', `/storage-commitment/${all.ID}`));
    assert.equal(success.Status, 'Success');
    assert.deepEqual(success.Success, [held]);
    assert.deepEqual(success.Failures, []);
  });

  test('dicomkit asks Orthanc for storage commitment and reads its report', { timeout: 60_000 }, async () => {
    await rest('POST', '/instances', new Uint8Array(readFileSync(MR)));
    const mr = (await readDicomFile(MR)).dataset;
    const held = {
      SOPClassUID: mr.string('SOPClassUID')!.trim(),
      SOPInstanceUID: mr.string('SOPInstanceUID')!.trim(),
    };
    const missing = { SOPClassUID: held.SOPClassUID, SOPInstanceUID: '2.25.9876543210' };
    const asked = (await ours('POST', '/modalities/orthanc/storage-commitment', {
      DicomInstances: [held, [missing.SOPClassUID, missing.SOPInstanceUID]],
    })) as { ID: string; Path: string };
    assert.equal(asked.Path, `/storage-commitment/${asked.ID}`);
    const report = await commitmentReport(() => ours('GET', asked.Path));
    assert.equal(report.Status, 'Failure');
    assert.equal(report.RemoteAET, 'ORTHANC');
    assert.deepEqual(report.Success, [held]);
    assert.deepEqual(
      (report.Failures as Record<string, unknown>[]).map((f) => [f.SOPInstanceUID, f.FailureReason]),
      [[missing.SOPInstanceUID, 0x0112]],
    );

    // Orthanc's store option: push, then ask for commitment of what was sent.
    const ct = (await readDicomFile(CT)).dataset;
    const pushed = (await ours('POST', '/modalities/orthanc/store', {
      Resources: [ct.string('SOPInstanceUID')!.trim()],
      StorageCommitment: true,
    })) as { InstancesCount: number; StorageCommitmentTransactionUID: string };
    assert.equal(pushed.InstancesCount, 1);
    const committed = await commitmentReport(() =>
      ours('GET', `/storage-commitment/${pushed.StorageCommitmentTransactionUID}`),
    );
    assert.equal(committed.Status, 'Success');
    assert.deepEqual(committed.Success, [
      { SOPClassUID: ct.string('SOPClassUID')!.trim(), SOPInstanceUID: ct.string('SOPInstanceUID')!.trim() },
    ]);
  });
});
