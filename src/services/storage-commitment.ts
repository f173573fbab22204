/**
 * Storage Commitment Push Model (PS3.4 Annex J): the SCU asks, with an N-ACTION-RQ naming a
 * Transaction UID and the instances it sent, whether the SCP takes responsibility for them;
 * the SCP answers the N-ACTION at once and reports later with an N-EVENT-REPORT-RQ (on the
 * same association, or on one it opens to the SCU, PS3.4 §J.3.3). These are the data sets of
 * both messages, and the helpers an SCU and an SCP need around them.
 */
import { isValidUid } from '../core/index.ts';
import type { ProposedContext, SupportedContext } from '../net/association/index.ts';
import { DimseStatusError, Status } from '../net/dimse/index.ts';
import { DataSet } from '../object/index.ts';
import type { Association, NResponse } from './association.ts';
import { UNCOMPRESSED_TRANSFER_SYNTAXES } from './contexts.ts';

export const StorageCommitment = {
  /** Storage Commitment Push Model SOP Class. */
  sopClassUid: '1.2.840.10008.1.20.1',
  /** Its well-known SOP instance, which every request and report names (PS3.4 §J.3.2). */
  sopInstanceUid: '1.2.840.10008.1.20.1.1',
  /** N-ACTION Action Type ID "Request Storage Commitment" (PS3.4 Table J.3-1). */
  requestActionTypeId: 1,
  /** N-EVENT-REPORT Event Type IDs (PS3.4 Table J.3-2). */
  successEventTypeId: 1,
  failuresEventTypeId: 2,
} as const;

/** Failure Reason (0008,1197) values of a report's Failed SOP Sequence (PS3.4 §J.3.3.1.1). */
export const CommitmentFailureReason = {
  ProcessingFailure: 0x0110,
  NoSuchObjectInstance: 0x0112,
  ClassInstanceConflict: 0x0119,
  ReferencedSopClassNotSupported: 0x0122,
  DuplicateTransactionUid: 0x0131,
  ResourceLimitation: 0x0213,
} as const;

export interface SopReference {
  sopClassUid: string;
  sopInstanceUid: string;
}

export interface CommitmentRequest {
  transactionUid: string;
  references: SopReference[];
}

export interface CommitmentFailure extends SopReference {
  /** One of CommitmentFailureReason. */
  reason: number;
}

export interface CommitmentReport {
  transactionUid: string;
  /** Where the committed instances can be retrieved from (the SCP's AE title), if it said. */
  retrieveAeTitle?: string;
  committed: SopReference[];
  failed: CommitmentFailure[];
}

/**
 * Proposal for requesting commitment: the requestor plays the SCU, so a report sent back on
 * the same association comes from the acceptor, the SCP.
 */
export function storageCommitmentContext(): ProposedContext {
  return {
    abstractSyntax: StorageCommitment.sopClassUid,
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
  };
}

/**
 * Proposal for an SCP opening an association to deliver a report: it plays the SCP of the
 * SOP class as requestor, so it proposes that role and not the SCU's (PS3.4 §J.3.3,
 * PS3.7 §D.3.3.4).
 */
export function commitmentReportContext(): ProposedContext {
  return {
    abstractSyntax: StorageCommitment.sopClassUid,
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
    scuRole: false,
    scpRole: true,
  };
}

/**
 * What an acceptor supports for Storage Commitment: requestors asking for commitment (the
 * default SCU role) and, with `reports`, requestors delivering reports (the SCP role).
 */
export function storageCommitmentSupport(options: { reports?: boolean } = {}): SupportedContext {
  return {
    abstractSyntax: StorageCommitment.sopClassUid,
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
    scuRole: true,
    scpRole: options.reports === true,
  };
}

function referenceItem(reference: SopReference): DataSet {
  const item = new DataSet();
  item.set('ReferencedSOPClassUID', reference.sopClassUid);
  item.set('ReferencedSOPInstanceUID', reference.sopInstanceUid);
  return item;
}

/** The N-ACTION-RQ's Action Information (PS3.4 Table J.3-1). */
export function commitmentRequestDataSet(request: CommitmentRequest): DataSet {
  const dataset = new DataSet();
  dataset.set('TransactionUID', request.transactionUid);
  dataset.set('ReferencedSOPSequence', request.references.map(referenceItem));
  return dataset;
}

function invalid(status: number, comment: string): DimseStatusError {
  return new DimseStatusError('N-ACTION', status, comment);
}

function uidIn(
  item: DataSet,
  keyword: 'TransactionUID' | 'ReferencedSOPClassUID' | 'ReferencedSOPInstanceUID',
  where: string,
  status: number,
): string {
  const value = item.string(keyword)?.trim();
  if (!value) throw invalid(status, `${where}${keyword} missing`);
  if (!isValidUid(value)) throw invalid(Status.InvalidArgumentValue, `${where}${keyword} is not a UID`);
  return value;
}

/**
 * Reads an N-ACTION-RQ's Action Information. A request without a Transaction UID or a
 * Referenced SOP Sequence, or with an item lacking its UIDs, throws a DimseStatusError whose
 * status the SCP answers with (0120H Missing Attribute, 0121H Missing Attribute Value, 0115H
 * Invalid Argument Value).
 */
export function parseCommitmentRequest(dataset: DataSet | undefined): CommitmentRequest {
  if (!dataset) throw invalid(Status.MissingAttribute, 'no Action Information');
  if (!dataset.has('TransactionUID')) throw invalid(Status.MissingAttribute, 'TransactionUID missing');
  const transactionUid = uidIn(dataset, 'TransactionUID', '', Status.MissingAttributeValue);
  const items = dataset.sequence('ReferencedSOPSequence');
  if (items === undefined) throw invalid(Status.MissingAttribute, 'ReferencedSOPSequence missing');
  if (items.length === 0) throw invalid(Status.MissingAttributeValue, 'ReferencedSOPSequence empty');
  const references = items.map((item, i) => ({
    sopClassUid: uidIn(item, 'ReferencedSOPClassUID', `item ${i + 1}: `, Status.MissingAttribute),
    sopInstanceUid: uidIn(item, 'ReferencedSOPInstanceUID', `item ${i + 1}: `, Status.MissingAttribute),
  }));
  return { transactionUid, references };
}

/** The N-EVENT-REPORT-RQ's Event Type ID and Event Information (PS3.4 Table J.3-2). */
export function commitmentReportDataSet(report: CommitmentReport): { eventTypeId: number; dataset: DataSet } {
  const dataset = new DataSet();
  dataset.set('TransactionUID', report.transactionUid);
  if (report.retrieveAeTitle) dataset.set('RetrieveAETitle', report.retrieveAeTitle);
  // Referenced SOP Sequence is required when something was committed, the Failed SOP
  // Sequence when something failed (Table J.3-2's conditions); neither is sent empty.
  if (report.committed.length > 0) {
    dataset.set('ReferencedSOPSequence', report.committed.map(referenceItem));
  }
  if (report.failed.length > 0) {
    dataset.set(
      'FailedSOPSequence',
      report.failed.map((failure) => {
        const item = referenceItem(failure);
        item.set('FailureReason', failure.reason);
        return item;
      }),
    );
  }
  return {
    eventTypeId:
      report.failed.length > 0 ? StorageCommitment.failuresEventTypeId : StorageCommitment.successEventTypeId,
    dataset,
  };
}

/** Reads a report (N-EVENT-REPORT-RQ); lenient, as a report from the field may lack optional parts. */
export function parseCommitmentReport(dataset: DataSet | undefined): CommitmentReport {
  const references = (items: DataSet[] | undefined): SopReference[] =>
    (items ?? []).map((item) => ({
      sopClassUid: item.string('ReferencedSOPClassUID')?.trim() ?? '',
      sopInstanceUid: item.string('ReferencedSOPInstanceUID')?.trim() ?? '',
    }));
  const failedItems = dataset?.sequence('FailedSOPSequence') ?? [];
  const retrieveAeTitle = dataset?.string('RetrieveAETitle')?.trim();
  return {
    transactionUid: dataset?.string('TransactionUID')?.trim() ?? '',
    ...(retrieveAeTitle ? { retrieveAeTitle } : {}),
    committed: references(dataset?.sequence('ReferencedSOPSequence')),
    failed: references(failedItems).map((reference, i) => ({
      ...reference,
      reason: failedItems[i]!.number('FailureReason') ?? CommitmentFailureReason.ProcessingFailure,
    })),
  };
}

/** SCU: sends the request (N-ACTION); the report comes later as an N-EVENT-REPORT. */
export function requestStorageCommitment(
  association: Association,
  request: CommitmentRequest,
): Promise<NResponse> {
  return association.nAction(
    StorageCommitment.sopClassUid,
    StorageCommitment.sopInstanceUid,
    StorageCommitment.requestActionTypeId,
    commitmentRequestDataSet(request),
  );
}

/** SCP: sends a report (N-EVENT-REPORT) on an association where it plays the SCP. */
export function sendCommitmentReport(association: Association, report: CommitmentReport): Promise<NResponse> {
  const { eventTypeId, dataset } = commitmentReportDataSet(report);
  return association.nEventReport(
    StorageCommitment.sopClassUid,
    StorageCommitment.sopInstanceUid,
    eventTypeId,
    dataset,
  );
}
