// Storage Commitment in the PACS (PS3.4 Annex J): which instances it commits, where its report
// goes (a configured modality: a new association; anyone else: the association it was asked
// on), and the status of a request it cannot take. Orthanc as the peer: test/interop/pacs-orthanc.test.ts.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { associateWithPacs } from '../../test/helpers/pacs.ts';
import { SILENT_LOGGER } from '../core/index.ts';
import { DimseStatusError, Status } from '../net/dimse/index.ts';
import { DataSet } from '../object/index.ts';
import {
  ApplicationEntity,
  type CommitmentReport,
  commitmentRequestDataSet,
  type DicomServer,
  parseCommitmentReport,
  requestStorageCommitment,
  StorageCommitment,
  storageCommitmentContext,
} from '../services/index.ts';
import { resolveConfig } from './config.ts';
import { type Pacs, startPacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-commitment-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(uid: string): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', uid);
  ds.set('PatientID', 'COMMIT');
  ds.set('StudyInstanceUID', '2.25.500');
  ds.set('SeriesInstanceUID', '2.25.501');
  return ds;
}

interface ReceivedReport extends CommitmentReport {
  eventTypeId: number;
  callingAeTitle: string;
  roles: string;
}

/** A port nothing listens on now (the late modality's, started during its test). */
async function unusedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('dicomkit pacs: Storage Commitment SCP', () => {
  let pacs: Pacs;
  let modality: DicomServer;
  let latePort = 0;
  const reports: ReceivedReport[] = [];
  let reportArrived: () => void = () => {};

  before(async () => {
    // The modality's own SCP, where the PACS sends reports (its entry under "modalities").
    modality = await new ApplicationEntity({ aeTitle: 'MODALITY' }).listen({
      port: 0,
      handlers: {
        nEventReport: (request, ctx) => {
          const context = ctx.association.contexts.find((c) => c.id === ctx.contextId)!;
          reports.push({
            ...parseCommitmentReport(request.dataset),
            eventTypeId: request.eventTypeId,
            callingAeTitle: ctx.association.remoteAeTitle,
            roles: `scu=${context.scuRole} scp=${context.scpRole}`,
          });
          reportArrived();
          return {};
        },
      },
    });
    latePort = await unusedPort();
    pacs = await startPacs(
      resolveConfig({
        dicom: { host: '127.0.0.1', port: 0, commitmentRetries: 3, commitmentRetryDelay: 0.3 },
        http: { enabled: false },
        storage: { path: join(work, 'store') },
        modalities: {
          scanner: { aeTitle: 'MODALITY', host: '127.0.0.1', port: modality.port },
          late: { aeTitle: 'LATE', host: '127.0.0.1', port: latePort },
        },
      }),
      { logger: SILENT_LOGGER },
    );
    const loader = await associateWithPacs(pacs, [SC]);
    for (const uid of ['2.25.510', '2.25.511', '2.25.512']) await loader.store(instance(uid));
    await loader.release();
  });
  after(async () => {
    await pacs?.close();
    await modality?.close({ abort: true });
  });

  function nextReport(): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no report within 10 s')), 10_000);
      reportArrived = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  test('a configured modality gets its report on a new association, from the AE title it called', {
    timeout: 20_000,
  }, async () => {
    // A file gone from the store commits nothing, whatever the index says.
    const gone = pacs.index.locate('study', 'IMAGE', instance('2.25.512'))[0]!;
    rmSync(pacs.storage.absolute(gone.path));
    const arrived = nextReport();
    const association = await new ApplicationEntity({ aeTitle: 'MODALITY' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'ARCHIVE1',
      contexts: [storageCommitmentContext()],
    });
    const response = await requestStorageCommitment(association, {
      transactionUid: '2.25.520',
      references: [
        { sopClassUid: SC, sopInstanceUid: '2.25.510' },
        { sopClassUid: CT, sopInstanceUid: '2.25.511' },
        { sopClassUid: SC, sopInstanceUid: '2.25.512' },
        { sopClassUid: SC, sopInstanceUid: '2.25.519' },
      ],
    });
    // Orthanc insists on these in the N-ACTION-RSP.
    assert.equal(response.command.AffectedSOPClassUID, StorageCommitment.sopClassUid);
    assert.equal(response.command.AffectedSOPInstanceUID, StorageCommitment.sopInstanceUid);
    // Released at once, as modalities do: the report must come on another association.
    await association.release();
    await arrived;
    const report = reports.at(-1)!;
    assert.equal(report.callingAeTitle, 'ARCHIVE1');
    assert.equal(report.roles, 'scu=false scp=true');
    assert.equal(report.eventTypeId, StorageCommitment.failuresEventTypeId);
    assert.equal(report.transactionUid, '2.25.520');
    assert.equal(report.retrieveAeTitle, 'DICOMKIT');
    assert.deepEqual(report.committed, [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }]);
    assert.deepEqual(
      report.failed.map((f) => [f.sopInstanceUid, f.reason]),
      [
        ['2.25.511', 0x0119],
        ['2.25.512', 0x0110],
        ['2.25.519', 0x0112],
      ],
    );
  });

  test('a modality not listening when the report is ready gets it on a later attempt', {
    timeout: 20_000,
  }, async () => {
    const association = await new ApplicationEntity({ aeTitle: 'LATE' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: [storageCommitmentContext()],
    });
    await requestStorageCommitment(association, {
      transactionUid: '2.25.550',
      references: [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }],
    });
    await association.release();
    // The first attempt finds nothing on the port; the modality comes up a little later.
    await new Promise((resolve) => setTimeout(resolve, 400));
    let received: (report: CommitmentReport) => void = () => {};
    const report = new Promise<CommitmentReport>((resolve) => {
      received = resolve;
    });
    const late = await new ApplicationEntity({ aeTitle: 'LATE' }).listen({
      port: latePort,
      handlers: {
        nEventReport: (request) => {
          received(parseCommitmentReport(request.dataset));
          return {};
        },
      },
    });
    try {
      const got = await report;
      assert.equal(got.transactionUid, '2.25.550');
      assert.deepEqual(got.committed, [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }]);
    } finally {
      await late.close({ abort: true });
    }
  });

  test('a caller that is not a configured modality gets the report on its own association', {
    timeout: 20_000,
  }, async () => {
    let received: (report: CommitmentReport & { eventTypeId: number }) => void = () => {};
    const report = new Promise<CommitmentReport & { eventTypeId: number }>((resolve) => {
      received = resolve;
    });
    const association = await new ApplicationEntity({ aeTitle: 'WORKSTATION' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: [storageCommitmentContext()],
      handlers: {
        nEventReport: (request) => {
          received({ ...parseCommitmentReport(request.dataset), eventTypeId: request.eventTypeId });
          return {};
        },
      },
    });
    await requestStorageCommitment(association, {
      transactionUid: '2.25.530',
      references: [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }],
    });
    const got = await Promise.race([
      report,
      association.closed().then(() => {
        throw new Error('the association ended before the report came');
      }),
    ]);
    await association.release();
    assert.equal(got.eventTypeId, StorageCommitment.successEventTypeId);
    assert.deepEqual(got.committed, [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }]);
    assert.deepEqual(got.failed, []);
  });

  test('a request the PACS cannot take is answered with its status', { timeout: 20_000 }, async () => {
    const association = await new ApplicationEntity({ aeTitle: 'WORKSTATION' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      contexts: [storageCommitmentContext()],
    });
    const good = commitmentRequestDataSet({
      transactionUid: '2.25.540',
      references: [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }],
    });
    const noTransaction = commitmentRequestDataSet({
      transactionUid: '2.25.541',
      references: [{ sopClassUid: SC, sopInstanceUid: '2.25.510' }],
    });
    noTransaction.delete('TransactionUID');
    const cases: Array<[string, string, number, DataSet, number]> = [
      ['another SOP instance', '2.25.1', 1, good, Status.NoSuchSOPInstance],
      ['another action', StorageCommitment.sopInstanceUid, 2, good, Status.NoSuchActionType],
      ['no Transaction UID', StorageCommitment.sopInstanceUid, 1, noTransaction, Status.MissingAttribute],
    ];
    for (const [what, sopInstance, action, dataset, status] of cases) {
      await assert.rejects(
        association.nAction(StorageCommitment.sopClassUid, sopInstance, action, dataset),
        (e: unknown) => e instanceof DimseStatusError && e.status === status,
        what,
      );
    }
    await association.release();
  });
});
