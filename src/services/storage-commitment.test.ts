import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DimseStatusError, Status } from '../net/dimse/index.ts';
import { type DataSet, readDataSet } from '../object/index.ts';
import { ApplicationEntity } from './application-entity.ts';
import { type Association, encodeDataSet } from './association.ts';
import {
  CommitmentFailureReason,
  type CommitmentReport,
  commitmentReportContext,
  commitmentReportDataSet,
  commitmentRequestDataSet,
  parseCommitmentReport,
  parseCommitmentRequest,
  requestStorageCommitment,
  StorageCommitment,
  sendCommitmentReport,
  storageCommitmentContext,
} from './storage-commitment.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT = '1.2.840.10008.1.2';

/** Through the wire format and back, as a peer would see it. */
function roundTrip(dataset: DataSet): DataSet {
  return readDataSet(encodeDataSet(dataset, IMPLICIT), IMPLICIT);
}

function statusOf(run: () => unknown): number | undefined {
  try {
    run();
  } catch (error) {
    if (error instanceof DimseStatusError) return error.status;
    throw error;
  }
  return undefined;
}

describe('Storage Commitment data sets (PS3.4 Annex J)', () => {
  test('a request survives encoding and is read back', () => {
    const request = {
      transactionUid: '2.25.100',
      references: [
        { sopClassUid: CT, sopInstanceUid: '2.25.1' },
        { sopClassUid: MR, sopInstanceUid: '2.25.2' },
      ],
    };
    assert.deepEqual(parseCommitmentRequest(roundTrip(commitmentRequestDataSet(request))), request);
  });

  test('a bad request names the status the SCP answers with', () => {
    const without = (keyword: 'TransactionUID' | 'ReferencedSOPSequence'): DataSet => {
      const ds = commitmentRequestDataSet({
        transactionUid: '2.25.100',
        references: [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }],
      });
      ds.delete(keyword);
      return ds;
    };
    assert.equal(
      statusOf(() => parseCommitmentRequest(undefined)),
      Status.MissingAttribute,
    );
    assert.equal(
      statusOf(() => parseCommitmentRequest(without('TransactionUID'))),
      Status.MissingAttribute,
    );
    assert.equal(
      statusOf(() => parseCommitmentRequest(without('ReferencedSOPSequence'))),
      Status.MissingAttribute,
    );
    const empty = commitmentRequestDataSet({ transactionUid: '2.25.100', references: [] });
    assert.equal(
      statusOf(() => parseCommitmentRequest(empty)),
      Status.MissingAttributeValue,
    );
    const noInstance = commitmentRequestDataSet({
      transactionUid: '2.25.100',
      references: [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }],
    });
    noInstance.sequence('ReferencedSOPSequence')![0]!.delete('ReferencedSOPInstanceUID');
    assert.equal(
      statusOf(() => parseCommitmentRequest(noInstance)),
      Status.MissingAttribute,
    );
    const notUid = commitmentRequestDataSet({
      transactionUid: 'not a uid',
      references: [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }],
    });
    assert.equal(
      statusOf(() => parseCommitmentRequest(notUid)),
      Status.InvalidArgumentValue,
    );
  });

  test('a report: event 1 when all is committed, event 2 with the failures and their reasons', () => {
    const success: CommitmentReport = {
      transactionUid: '2.25.100',
      retrieveAeTitle: 'ARCHIVE',
      committed: [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }],
      failed: [],
    };
    const one = commitmentReportDataSet(success);
    assert.equal(one.eventTypeId, StorageCommitment.successEventTypeId);
    assert.equal(one.dataset.has('FailedSOPSequence'), false);
    assert.deepEqual(parseCommitmentReport(roundTrip(one.dataset)), success);

    const mixed: CommitmentReport = {
      transactionUid: '2.25.101',
      committed: [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }],
      failed: [
        { sopClassUid: CT, sopInstanceUid: '2.25.9', reason: CommitmentFailureReason.NoSuchObjectInstance },
        { sopClassUid: MR, sopInstanceUid: '2.25.1', reason: CommitmentFailureReason.ClassInstanceConflict },
      ],
    };
    const two = commitmentReportDataSet(mixed);
    assert.equal(two.eventTypeId, StorageCommitment.failuresEventTypeId);
    assert.deepEqual(parseCommitmentReport(roundTrip(two.dataset)), mixed);

    // Nothing committed: no empty Referenced SOP Sequence is sent.
    const none = commitmentReportDataSet({ ...mixed, committed: [] });
    assert.equal(none.dataset.has('ReferencedSOPSequence'), false);
  });
});

/** An SCP that commits what it "holds" and reports on the association it is asked on, or on a new one. */
async function commitmentScp(
  holds: Set<string>,
  reportTo?: { port: number; aeTitle: string },
): Promise<{ port: number; close(): Promise<void>; reports: Promise<unknown>[] }> {
  const reports: Promise<unknown>[] = [];
  const ae = new ApplicationEntity({ aeTitle: 'ARCHIVE', timeouts: { acse: 5000, dimse: 5000 } });
  const report = async (association: Association, request: ReturnType<typeof parseCommitmentRequest>) => {
    const outcome: CommitmentReport = {
      transactionUid: request.transactionUid,
      retrieveAeTitle: 'ARCHIVE',
      committed: request.references.filter((r) => holds.has(r.sopInstanceUid)),
      failed: request.references
        .filter((r) => !holds.has(r.sopInstanceUid))
        .map((r) => ({ ...r, reason: CommitmentFailureReason.NoSuchObjectInstance })),
    };
    if (!reportTo) return sendCommitmentReport(association, outcome);
    const back = await ae.associate({
      host: '127.0.0.1',
      port: reportTo.port,
      calledAeTitle: reportTo.aeTitle,
      contexts: [commitmentReportContext()],
    });
    try {
      return await sendCommitmentReport(back, outcome);
    } finally {
      await back.release();
    }
  };
  const server = await ae.listen({
    port: 0,
    handlers: {
      nAction: (req, ctx) => {
        const request = parseCommitmentRequest(req.dataset);
        // After the N-ACTION-RSP, which the SCP sends as this handler returns.
        setImmediate(() => reports.push(report(ctx.association, request)));
        return {};
      },
    },
  });
  return { port: server.port, close: () => server.close({ abort: true }), reports };
}

describe('Storage Commitment over the network', () => {
  const request = {
    transactionUid: '2.25.200',
    references: [
      { sopClassUid: CT, sopInstanceUid: '2.25.1' },
      { sopClassUid: CT, sopInstanceUid: '2.25.2' },
    ],
  };

  test('the report comes back on the same association', { timeout: 15_000 }, async () => {
    const scp = await commitmentScp(new Set(['2.25.1']));
    try {
      let resolveReport!: (r: CommitmentReport & { eventTypeId: number }) => void;
      const received = new Promise<CommitmentReport & { eventTypeId: number }>((r) => {
        resolveReport = r;
      });
      const scu = new ApplicationEntity({ aeTitle: 'MODALITY', timeouts: { acse: 5000, dimse: 5000 } });
      const association = await scu.associate({
        host: '127.0.0.1',
        port: scp.port,
        contexts: [storageCommitmentContext()],
        handlers: {
          nEventReport: (req) => {
            resolveReport({ ...parseCommitmentReport(req.dataset), eventTypeId: req.eventTypeId });
            return {};
          },
        },
      });
      assert.equal((await requestStorageCommitment(association, request)).status, Status.Success);
      const report = await Promise.race([
        received,
        association.closed().then(() => {
          throw new Error('the association ended before the report came');
        }),
      ]);
      await association.release();
      assert.equal(report.eventTypeId, StorageCommitment.failuresEventTypeId);
      assert.equal(report.transactionUid, '2.25.200');
      assert.deepEqual(report.committed, [{ sopClassUid: CT, sopInstanceUid: '2.25.1' }]);
      assert.deepEqual(report.failed, [
        { sopClassUid: CT, sopInstanceUid: '2.25.2', reason: CommitmentFailureReason.NoSuchObjectInstance },
      ]);
      const [sent] = await Promise.all(scp.reports);
      assert.equal((sent as { status: number }).status, Status.Success);
    } finally {
      await scp.close();
    }
  });

  test('the report comes on an association the SCP opens, proposing the SCP role', {
    timeout: 15_000,
  }, async () => {
    const reports: Array<CommitmentReport & { eventTypeId: number; roles: string }> = [];
    const modality = new ApplicationEntity({ aeTitle: 'MODALITY', timeouts: { acse: 5000, dimse: 5000 } });
    const listener = await modality.listen({
      port: 0,
      handlers: {
        nEventReport: (req, ctx) => {
          const context = ctx.association.contexts.find((c) => c.id === ctx.contextId)!;
          reports.push({
            ...parseCommitmentReport(req.dataset),
            eventTypeId: req.eventTypeId,
            roles: `scu=${context.scuRole} scp=${context.scpRole}`,
          });
          return {};
        },
      },
    });
    const scp = await commitmentScp(new Set(['2.25.1', '2.25.2']), {
      port: listener.port,
      aeTitle: 'MODALITY',
    });
    try {
      const association = await modality.associate({
        host: '127.0.0.1',
        port: scp.port,
        contexts: [storageCommitmentContext()],
      });
      await requestStorageCommitment(association, request);
      await association.release();
      await Promise.all(scp.reports);
      assert.equal(reports.length, 1);
      assert.equal(reports[0]!.eventTypeId, StorageCommitment.successEventTypeId);
      assert.equal(reports[0]!.retrieveAeTitle, 'ARCHIVE');
      assert.deepEqual(reports[0]!.committed, request.references);
      assert.deepEqual(reports[0]!.failed, []);
      // The requestor (the archive) plays the SCP of the SOP class on this association.
      assert.equal(reports[0]!.roles, 'scu=false scp=true');
    } finally {
      await scp.close();
      await listener.close({ abort: true });
    }
  });

  test('a requestor without the SCP role cannot send a report; one sent anyway is still served', {
    timeout: 15_000,
  }, async () => {
    let served: () => void = () => {};
    const reached = new Promise<void>((resolve) => {
      served = resolve;
    });
    const listener = await new ApplicationEntity({ aeTitle: 'MODALITY' }).listen({
      port: 0,
      handlers: {
        nEventReport: () => {
          served();
          return {};
        },
      },
    });
    try {
      const association = await new ApplicationEntity({ aeTitle: 'ARCHIVE' }).associate({
        host: '127.0.0.1',
        port: listener.port,
        contexts: [storageCommitmentContext()],
      });
      await assert.rejects(
        sendCommitmentReport(association, { transactionUid: '2.25.1', committed: [], failed: [] }),
        (e: unknown) => (e as { code?: string }).code === 'ERR_NO_PRESENTATION_CONTEXT',
      );
      // As a peer that skips role negotiation sends it: the acceptor serves it rather than
      // abort and lose the report.
      await association.sendMessage(association.contexts[0]!.id, {
        CommandField: 0x0100,
        MessageID: association.nextMessageId(),
        AffectedSOPClassUID: StorageCommitment.sopClassUid,
        AffectedSOPInstanceUID: StorageCommitment.sopInstanceUid,
        EventTypeID: StorageCommitment.successEventTypeId,
      });
      await reached;
      assert.ok(association.isEstablished);
      await association.release();
    } finally {
      await listener.close({ abort: true });
    }
  });
});
