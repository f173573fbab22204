import { setTimeout as sleep } from 'node:timers/promises';
import { generateUid, type Logger } from '../core/index.ts';
import { Status } from '../net/dimse/index.ts';
import { DataSet } from '../object/index.ts';
import {
  type Association,
  CommitmentFailureReason,
  type CommitmentReport,
  type CommitmentRequest,
  commitmentReportContext,
  type NRequest,
  type NResult,
  parseCommitmentReport,
  parseCommitmentRequest,
  type RequestContext,
  requestStorageCommitment,
  type SopReference,
  StorageCommitment,
  sendCommitmentReport,
  storageCommitmentContext,
} from '../services/index.ts';
import type { PacsAccess } from './access.ts';
import type { ModalityConfig, PacsConfig } from './config.ts';
import type { PacsIndex } from './index/types.ts';
import type { ModalityRegistry } from './modalities.ts';
import { modalityAddress, type PacsTls, pacsApplicationEntity } from './outbound.ts';
import type { FileStorage } from './storage/filesystem.ts';

/** A transaction this PACS asked a modality about, as GET /storage-commitment/{id} shows it. */
export interface CommitmentTransaction {
  remoteAeTitle: string;
  status: 'Pending' | 'Success' | 'Failure';
  report?: CommitmentReport;
}

/** Reports kept for the REST API, oldest dropped first (Orthanc's StorageCommitmentReportsSize). */
const KEPT_TRANSACTIONS = 100;

/**
 * Storage Commitment Push Model (PS3.4 Annex J) in the PACS, both roles.
 *
 * As SCP, a modality asks whether we hold what it sent; we answer the N-ACTION at once, check
 * each instance against the index and the file store, and report on a new association to
 * the modality (its `modalities` entry, found by calling AE title, as Orthanc and dcm4chee do:
 * modalities release right after the N-ACTION-RSP), from the AE title it called; a modality
 * that cannot be reached is tried again (`dicom.commitmentRetries`, `commitmentRetryDelay`),
 * or reached on the association it asked on while that is open. A caller that is not a
 * configured modality (a loopback tool, say) gets the report on its own association if it is
 * still open, the only way to reach it.
 *
 * As SCU (REST), we ask a modality and keep its report, which it sends to our SCP.
 */
export class StorageCommitmentService {
  readonly #config: PacsConfig;
  readonly #index: PacsIndex;
  readonly #storage: FileStorage;
  readonly #access: PacsAccess;
  readonly #modalities: ModalityRegistry;
  readonly #tls: PacsTls | undefined;
  readonly #logger: Logger;
  readonly #transactions = new Map<string, CommitmentTransaction>();
  /** Reports being delivered, so that close() can wait for them. */
  readonly #deliveries = new Set<Promise<void>>();
  /** Ends the waits between delivery attempts at shutdown. */
  readonly #stopping = new AbortController();

  constructor(parts: {
    config: PacsConfig;
    index: PacsIndex;
    storage: FileStorage;
    access: PacsAccess;
    modalities: ModalityRegistry;
    tls: PacsTls | undefined;
    logger: Logger;
  }) {
    this.#config = parts.config;
    this.#index = parts.index;
    this.#storage = parts.storage;
    this.#access = parts.access;
    this.#modalities = parts.modalities;
    this.#tls = parts.tls;
    this.#logger = parts.logger;
  }

  /** The SCP's N-ACTION handler. */
  async nAction(request: NRequest & { actionTypeId: number }, ctx: RequestContext): Promise<NResult> {
    const { association } = ctx;
    const caller = association.remoteAeTitle;
    if (request.sopClassUid !== StorageCommitment.sopClassUid) {
      return { status: Status.NoSuchSOPClass };
    }
    if (request.sopInstanceUid !== StorageCommitment.sopInstanceUid) {
      return {
        status: Status.NoSuchSOPInstance,
        errorComment: `the request names ${StorageCommitment.sopInstanceUid}`,
      };
    }
    if (request.actionTypeId !== StorageCommitment.requestActionTypeId) {
      return { status: Status.NoSuchActionType };
    }
    if (!(await this.#access.permitted(caller, association.remoteAddress, 'store'))) {
      return { status: Status.NotAuthorized, errorComment: 'store not permitted for this modality' };
    }
    const commitment = parseCommitmentRequest(request.dataset);
    const modality = this.#modalityByAeTitle(caller);
    this.#logger.log(
      'info',
      `storage commitment ${commitment.transactionUid} from ${caller}: ${commitment.references.length} instance(s)`,
    );
    // After the N-ACTION-RSP, which goes out as this handler returns (PS3.4 §J.3.3).
    setImmediate(() => this.#track(this.#report(commitment, association, modality)));
    return {};
  }

  /** The SCP's N-EVENT-REPORT handler: a report for a transaction we asked about as SCU. */
  async nEventReport(request: NRequest & { eventTypeId: number }, ctx: RequestContext): Promise<NResult> {
    if (request.sopClassUid !== StorageCommitment.sopClassUid) return { status: Status.NoSuchSOPClass };
    const { eventTypeId } = request;
    if (
      eventTypeId !== StorageCommitment.successEventTypeId &&
      eventTypeId !== StorageCommitment.failuresEventTypeId
    ) {
      return { status: Status.NoSuchEventType };
    }
    const report = parseCommitmentReport(request.dataset);
    if (!report.transactionUid) {
      return { status: Status.MissingAttribute, errorComment: 'TransactionUID missing' };
    }
    const caller = ctx.association.remoteAeTitle;
    const known = this.#transactions.get(report.transactionUid);
    if (!known) {
      this.#logger.log(
        'warn',
        `storage commitment report from ${caller} for ${report.transactionUid}, which this PACS did not ask for: kept anyway`,
      );
    }
    this.#keep(report.transactionUid, {
      remoteAeTitle: known?.remoteAeTitle ?? caller,
      status:
        report.failed.length > 0 || eventTypeId === StorageCommitment.failuresEventTypeId
          ? 'Failure'
          : 'Success',
      report,
    });
    this.#logger.log(
      'info',
      `storage commitment report ${report.transactionUid} from ${caller}: ${report.committed.length} committed, ${report.failed.length} failed`,
    );
    return {};
  }

  /**
   * SCU: asks a modality to commit these instances; the report comes later to our SCP.
   * Returns the Transaction UID, under which transaction() shows the outcome.
   */
  async request(
    modality: ModalityConfig,
    references: readonly SopReference[],
    timeoutMs?: number,
  ): Promise<string> {
    const transactionUid = generateUid();
    const ae = pacsApplicationEntity(this.#config, this.#logger, timeoutMs ? { timeoutMs } : {});
    // Known before the N-ACTION, so that a report coming very fast finds it.
    this.#keep(transactionUid, { remoteAeTitle: modality.aeTitle, status: 'Pending' });
    let association: Association;
    try {
      association = await ae.associate({
        ...modalityAddress(modality, this.#tls),
        contexts: [storageCommitmentContext()],
        // A modality may report on this association while it is open.
        handlers: { nEventReport: (request, ctx) => this.nEventReport(request, ctx) },
      });
    } catch (error) {
      // Never asked: no report will come for it.
      this.#transactions.delete(transactionUid);
      throw error;
    }
    try {
      await requestStorageCommitment(association, { transactionUid, references: [...references] });
    } catch (error) {
      this.#transactions.delete(transactionUid);
      await association.abort();
      throw error;
    }
    await association.release().catch(() => association.abort());
    this.#logger.log(
      'info',
      `storage commitment ${transactionUid} asked of ${modality.aeTitle}: ${references.length} instance(s)`,
    );
    return transactionUid;
  }

  transaction(transactionUid: string): CommitmentTransaction | undefined {
    return this.#transactions.get(transactionUid);
  }

  /** At shutdown: reports being sent finish, those waiting to be tried again are given up. */
  async settle(): Promise<void> {
    this.#stopping.abort();
    while (this.#deliveries.size > 0) await Promise.allSettled([...this.#deliveries]);
  }

  /** Our side of the commitment: each instance is in the index, of that SOP class, with its file. */
  async check(commitment: CommitmentRequest): Promise<CommitmentReport> {
    const report: CommitmentReport = {
      transactionUid: commitment.transactionUid,
      retrieveAeTitle: this.#config.aeTitle,
      committed: [],
      failed: [],
    };
    for (const reference of commitment.references) {
      const identifier = new DataSet();
      identifier.set('SOPInstanceUID', reference.sopInstanceUid);
      const [stored] = this.#index.locate('study', 'IMAGE', identifier);
      let reason: number | undefined;
      if (!stored) reason = CommitmentFailureReason.NoSuchObjectInstance;
      else if (stored.sopClassUid !== reference.sopClassUid)
        reason = CommitmentFailureReason.ClassInstanceConflict;
      // The file store is the source of truth: a row without its file commits nothing.
      else if ((await this.#storage.size(stored.path)) !== stored.size)
        reason = CommitmentFailureReason.ProcessingFailure;
      if (reason === undefined) report.committed.push(reference);
      else report.failed.push({ ...reference, reason });
    }
    return report;
  }

  async #report(
    commitment: CommitmentRequest,
    requested: Association,
    modality: ModalityConfig | undefined,
  ): Promise<void> {
    const report = await this.check(commitment);
    const outcome = `${report.committed.length} committed, ${report.failed.length} failed`;
    const { commitmentRetries, commitmentRetryDelay } = this.#config.dicom;
    for (let attempt = 0; modality && attempt <= commitmentRetries; attempt++) {
      if (attempt > 0) {
        // The association it asked on is the other way to reach it while it is open.
        if (requested.isEstablished) break;
        try {
          await sleep(commitmentRetryDelay * 1000, undefined, { signal: this.#stopping.signal });
        } catch {
          this.#logger.log(
            'warn',
            `storage commitment ${report.transactionUid}: shutting down, report to ${modality.aeTitle} not delivered`,
          );
          return;
        }
      }
      try {
        await this.#deliver(report, modality, requested.calledAeTitle);
        this.#logger.log(
          'info',
          `storage commitment ${report.transactionUid} reported to ${modality.aeTitle} at ${modality.host}:${modality.port}: ${outcome}`,
        );
        return;
      } catch (error) {
        const left = commitmentRetries - attempt;
        this.#logger.log(
          'warn',
          `storage commitment ${report.transactionUid}: cannot report to ${modality.aeTitle} at ${modality.host}:${modality.port}: ${(error as Error).message}${left > 0 && !requested.isEstablished ? `; trying again in ${commitmentRetryDelay} s (${left} more)` : ''}`,
        );
      }
    }
    if (requested.isEstablished) {
      try {
        await sendCommitmentReport(requested, report);
        this.#logger.log(
          'info',
          `storage commitment ${report.transactionUid} reported to ${requested.remoteAeTitle} on its association: ${outcome}`,
        );
        return;
      } catch (error) {
        this.#logger.log(
          'warn',
          `storage commitment ${report.transactionUid}: report on the association failed: ${(error as Error).message}`,
        );
      }
    }
    this.#logger.log(
      'error',
      `storage commitment ${report.transactionUid}: no report delivered to ${requested.remoteAeTitle}${modality ? '' : ` (its association ended; add it under "modalities" in the config, or with PUT /modalities/{name}, so that reports can be sent to it)`}`,
    );
  }

  /** Opens an association to the modality, as the SCP of the SOP class, and reports. */
  async #deliver(report: CommitmentReport, modality: ModalityConfig, aeTitle: string): Promise<void> {
    // From the AE title the modality called (PS3.4 §J.3.3.1.2, note 2).
    const ae = pacsApplicationEntity(this.#config, this.#logger, {
      aeTitle: aeTitle.trim() || this.#config.aeTitle,
    });
    const association = await ae.associate({
      ...modalityAddress(modality, this.#tls),
      contexts: [commitmentReportContext()],
    });
    try {
      await sendCommitmentReport(association, report);
    } catch (error) {
      await association.abort();
      throw error;
    }
    await association.release().catch(() => association.abort());
  }

  #modalityByAeTitle(aeTitle: string): ModalityConfig | undefined {
    return this.#modalities.byAeTitle(aeTitle);
  }

  #keep(transactionUid: string, transaction: CommitmentTransaction): void {
    this.#transactions.delete(transactionUid);
    this.#transactions.set(transactionUid, transaction);
    while (this.#transactions.size > KEPT_TRANSACTIONS) {
      this.#transactions.delete(this.#transactions.keys().next().value!);
    }
  }

  #track(delivery: Promise<void>): void {
    const tracked = delivery
      .catch((error: unknown) => {
        this.#logger.log('error', `storage commitment report: ${(error as Error).message}`);
      })
      .finally(() => this.#deliveries.delete(tracked));
    this.#deliveries.add(tracked);
  }
}
