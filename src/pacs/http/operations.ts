import type { DicomJsonObject } from '../../json/index.ts';
import { dataSetToJson, jsonToDataSet } from '../../json/index.ts';
import type { ProposedContext } from '../../net/association/index.ts';
import type { DataSet } from '../../object/index.ts';
import {
  type Association,
  MAX_PRESENTATION_CONTEXTS,
  type SopReference,
  storeProposals,
} from '../../services/index.ts';
import type { InstanceLocation, QueryLevel } from '../index/types.ts';
import type { HttpContext } from './context.ts';
import { badGateway, badRequest, HttpError, notFound } from './errors.ts';
import type { JobHooks } from './jobs.ts';
import { shortTags } from './keywords.ts';
import { findResource } from './levels.ts';
import { type NamedModality, remoteModalities, retrievePosition } from './remote.ts';

/**
 * The SCU calls the REST API runs as jobs (C-STORE to a modality, C-MOVE, C-GET), each as a
 * JSON description: what a job keeps, so that it can run again when resubmitted or after a
 * restart (Orthanc keeps its jobs' descriptions in its database the same way).
 */
export type Operation = StoreOperation | MoveOperation | GetOperation;

interface Peer {
  /** The modality's name (its configuration is looked up when the operation runs). */
  modality: string;
  /** `LocalAet`: the AE title to call it with, when not ours. */
  localAeTitle?: string;
  /** Milliseconds, for connecting, negotiating and each response. */
  timeout?: number;
}

export interface StoreOperation extends Peer {
  kind: 'store';
  /** IDs of any level (resolved to instances when it runs). */
  resources: string[];
  storageCommitment: boolean;
}

export interface MoveOperation extends Peer {
  kind: 'move';
  level: QueryLevel;
  identifiers: DicomJsonObject[];
  target: string;
}

export interface GetOperation extends Peer {
  kind: 'get';
  level: QueryLevel;
  identifiers: DicomJsonObject[];
}

/** Orthanc's job types. */
export const JOB_TYPES: Record<Operation['kind'], string> = {
  store: 'DicomModalityStore',
  move: 'DicomMoveScu',
  get: 'DicomGetScu',
};

/** The modality an operation calls, and how: its name, `LocalAet`, `Timeout`. */
export function peerOf(m: NamedModality, timeout: number | undefined): Peer {
  return {
    modality: m.name,
    ...(m.localAeTitle ? { localAeTitle: m.localAeTitle } : {}),
    ...(timeout ? { timeout } : {}),
  };
}

/** The identifiers of a retrieve, as an operation keeps them. */
export function identifiersJson(identifiers: readonly DataSet[]): DicomJsonObject[] {
  return identifiers.map((identifier) => dataSetToJson(identifier));
}

/** A failed instance of a store job, as its answer lists it. */
interface FailedInstance {
  ID: string;
  message: string;
  code: string;
}

/**
 * How far a store job has got: its instances are sent in SOP Instance UID order, so the last
 * one handled marks the place (an instance added or deleted meanwhile does not shift it).
 */
interface StorePosition {
  after: string;
  sent: number;
  failed: FailedInstance[];
}

function storePosition(value: unknown): StorePosition | undefined {
  const p = value as Partial<StorePosition> | undefined;
  return typeof p?.after === 'string' && typeof p.sent === 'number' && Array.isArray(p.failed)
    ? (p as StorePosition)
    : undefined;
}

/** Proposals for sending these instances: each SOP class uncompressed, plus each stored syntax as it is. */
function proposalsFor(files: readonly InstanceLocation[]): ProposedContext[] {
  const { uncompressed, stored } = storeProposals(files);
  if (uncompressed.length > MAX_PRESENTATION_CONTEXTS) {
    throw badRequest(
      `the resources hold ${uncompressed.length} SOP classes; one association proposes at most ${MAX_PRESENTATION_CONTEXTS}`,
    );
  }
  return [...uncompressed, ...stored].slice(0, MAX_PRESENTATION_CONTEXTS);
}

/** Runs operations, and describes them with Orthanc's job fields. */
export function operations(ctx: HttpContext) {
  const { index, storage, logger, commitment } = ctx.pacs;
  const remote = remoteModalities(ctx);

  function peer(op: Operation): NamedModality {
    const m = remote.named(op.modality);
    return op.localAeTitle ? { ...m, localAeTitle: op.localAeTitle } : m;
  }

  /** The instances of a store, by SOP Instance UID; an ID that names nothing is a 404. */
  function filesOf(resources: readonly string[]): Map<string, InstanceLocation> {
    const files = new Map<string, InstanceLocation>();
    for (const id of resources) {
      const found = findResource(index, id);
      if (!found) throw notFound(`no patient, study, series or instance ${id}`);
      for (const file of found.files) files.set(file.sopInstanceUid, file);
    }
    return files;
  }

  /** Orthanc's fields of the job ("public content"), before its answer is added. */
  function describe(op: Operation): Record<string, unknown> {
    const fields = remote.jobFields(peer(op));
    if (op.kind === 'store') return { ...fields, ParentResources: op.resources };
    const query = { Query: op.identifiers.map((json) => shortTags(jsonToDataSet(json))) };
    return op.kind === 'move' ? { ...fields, TargetAet: op.target, ...query } : { ...fields, ...query };
  }

  async function store(op: StoreOperation, hooks: JobHooks): Promise<Record<string, unknown>> {
    const m = peer(op);
    const { signal, progress } = hooks;
    const files = filesOf(op.resources);
    // Resumed (after a pause or a restart): what was sent or failed is counted, not sent again.
    const resumed = storePosition(hooks.resumeFrom);
    const outcome = { sent: resumed?.sent ?? 0, failed: [...(resumed?.failed ?? [])] };
    const pending = [...files.values()]
      .filter((f) => resumed === undefined || f.sopInstanceUid > resumed.after)
      .sort((a, b) => (a.sopInstanceUid < b.sopInstanceUid ? -1 : 1));
    const byPath = new Map(pending.map((f) => [storage.absolute(f.path), f.sopInstanceUid]));
    const send = async (association: Association) => {
      // Cancelled (or the PACS stopping) just as the association was accepted.
      if (signal.aborted) throw signal.reason;
      // A cancelled job aborts the association: a peer slow to answer is not waited for.
      const stop = () => void association.abort().catch(() => {});
      signal.addEventListener('abort', stop, { once: true });
      try {
        for await (const result of association.storeMany(byPath.keys())) {
          if (signal.aborted) throw signal.reason;
          const uid = byPath.get(result.source as string)!;
          if (result.error) {
            const code = (result.error as { code?: string }).code ?? 'ERR_NETWORK';
            outcome.failed.push({ ID: uid, message: result.error.message, code });
          } else {
            outcome.sent++;
          }
          // `failed` is shared, not copied (a job of 100,000 failing instances): it only grows,
          // each time followed at once by a checkpoint, so a saved position is always whole.
          hooks.checkpoint({ after: uid, ...outcome } satisfies StorePosition);
          progress((outcome.sent + outcome.failed.length) / files.size);
        }
        if (signal.aborted) throw signal.reason;
      } finally {
        signal.removeEventListener('abort', stop);
      }
    };
    if (pending.length > 0) await remote.withAssociation(m, proposalsFor(pending), op.timeout, send, signal);
    logger.log(
      'info',
      `REST: C-STORE to ${remote.label(m)}: ${outcome.sent} sent, ${outcome.failed.length} failed`,
    );
    const answer: Record<string, unknown> = {
      ...describe(op),
      InstancesCount: outcome.sent,
      FailedInstancesCount: outcome.failed.length,
    };
    if (op.storageCommitment && outcome.failed.length === 0) {
      // Orthanc's store job option: ask the modality to commit what was just sent.
      const references: SopReference[] = [...files.values()].map((f) => ({
        sopClassUid: f.sopClassUid,
        sopInstanceUid: f.sopInstanceUid,
      }));
      answer.StorageCommitmentTransactionUID = await requestCommitment(m, references, op.timeout);
    }
    if (outcome.failed.length > 0) {
      const first = outcome.failed[0]!;
      throw new HttpError(
        502,
        first.code,
        `${remote.label(m)}: ${outcome.failed.length} of ${files.size} instance(s) failed (${first.ID}: ${first.message})`,
        { ...answer, FailedInstances: outcome.failed.map((f) => ({ ID: f.ID, Error: f.message })) },
      );
    }
    return answer;
  }

  async function retrieve(
    op: MoveOperation | GetOperation,
    hooks: JobHooks,
  ): Promise<Record<string, unknown>> {
    const m = peer(op);
    const fields = describe(op);
    if (op.identifiers.length === 0) return { ...fields, Completed: 0, Failed: 0 };
    // Resumed with every retrieve done (stopped just before it ended): nothing to call.
    const resumed = retrievePosition(hooks.resumeFrom);
    if (resumed && resumed.done >= op.identifiers.length) return remote.moveAnswer(m, resumed.totals, fields);
    const identifiers = op.identifiers.map((json) => jsonToDataSet(json));
    if (op.kind === 'move') {
      const totals = await remote.move(m, op.level, identifiers, op.target, op.timeout, hooks);
      return remote.moveAnswer(m, totals, fields);
    }
    const sopClasses = await remote.sopClassesOf(m, op.level, identifiers, op.timeout);
    return remote.moveAnswer(
      m,
      await remote.get(m, op.level, identifiers, sopClasses, op.timeout, hooks),
      fields,
    );
  }

  async function requestCommitment(
    m: NamedModality,
    references: SopReference[],
    timeout: number | undefined,
  ): Promise<string> {
    try {
      return await commitment.request(m, references, timeout);
    } catch (error) {
      throw badGateway(remote.label(m), error);
    }
  }

  function run(op: Operation, hooks: JobHooks): Promise<Record<string, unknown>> {
    return op.kind === 'store' ? store(op, hooks) : retrieve(op, hooks);
  }

  return { describe, run, filesOf, requestCommitment };
}
