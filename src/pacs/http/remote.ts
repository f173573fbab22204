import { UID } from '../../dictionary/index.ts';
import type { ProposedContext } from '../../net/association/index.ts';
import { DataSet } from '../../object/index.ts';
import {
  type Association,
  getStorageContexts,
  MAX_PRESENTATION_CONTEXTS,
  QueryRetrieveModels,
  type RetrieveOptions,
  type RetrieveResult,
  type StoreRequest,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from '../../services/index.ts';
import { isAeTitle, type ModalityConfig } from '../config.ts';
import type { QueryLevel } from '../index/types.ts';
import { ingest } from '../ingest.ts';
import { modalityAddress, pacsApplicationEntity } from '../outbound.ts';
import type { HttpContext } from './context.ts';
import { badGateway, badRequest, HttpError, notFound } from './errors.ts';
import type { JobHooks } from './jobs.ts';

/**
 * The REST API as an SCU of the configured modalities: the associations that /modalities/...
 * and /queries/... open, each released after one operation. A peer that refuses, fails or
 * cannot be reached is a 502 naming it.
 */

export interface NamedModality extends ModalityConfig {
  name: string;
  /** The AE title to call it with, when a request's `LocalAet` asks for another than ours. */
  localAeTitle?: string;
}

/** What the C-MOVEs of one REST call did, summed over their identifiers. */
export interface MoveTotals {
  completed: number;
  failed: number;
  warning: number;
  failedUids: string[];
}

/** Orthanc's optional `Timeout` (seconds) for the network operations, in milliseconds. */
export function timeoutOf(body: unknown): number | undefined {
  if (typeof body !== 'object' || body === null || !('Timeout' in body)) return undefined;
  const value = (body as { Timeout: unknown }).Timeout;
  if (typeof value !== 'number' || !(value > 0)) throw badRequest('Timeout must be a number of seconds > 0');
  return value * 1000;
}

/**
 * The syntaxes offered for each storage class of a C-GET: uncompressed, deflated, RLE, the
 * JPEG, JPEG-LS, JPEG 2000 and HTJ2K ones in use. Not every syntax known: DCMTK before 3.6.9
 * (Debian's, under Orthanc) drops the connection when a presentation context offers more
 * than 50 (DICOM_MAXTRANSFERSYNTAXES).
 */
const GET_TRANSFER_SYNTAXES: readonly string[] = [
  ...UNCOMPRESSED_TRANSFER_SYNTAXES,
  '1.2.840.10008.1.2.1.99',
  '1.2.840.10008.1.2.5',
  '1.2.840.10008.1.2.4.50',
  '1.2.840.10008.1.2.4.51',
  '1.2.840.10008.1.2.4.57',
  '1.2.840.10008.1.2.4.70',
  '1.2.840.10008.1.2.4.80',
  '1.2.840.10008.1.2.4.81',
  '1.2.840.10008.1.2.4.90',
  '1.2.840.10008.1.2.4.91',
  '1.2.840.10008.1.2.4.201',
  '1.2.840.10008.1.2.4.202',
  '1.2.840.10008.1.2.4.203',
];

/** Storage classes offered for C-GET when the modality's C-FIND does not name them. */
const COMMON_STORAGE_CLASSES: string[] = [
  UID.CTImageStorage,
  UID.EnhancedCTImageStorage,
  UID.MRImageStorage,
  UID.EnhancedMRImageStorage,
  UID.ComputedRadiographyImageStorage,
  UID.DigitalXRayImageStorageForPresentation,
  UID.DigitalXRayImageStorageForProcessing,
  UID.DigitalMammographyXRayImageStorageForPresentation,
  UID.DigitalMammographyXRayImageStorageForProcessing,
  UID.BreastTomosynthesisImageStorage,
  UID.UltrasoundImageStorage,
  UID.UltrasoundMultiFrameImageStorage,
  UID.SecondaryCaptureImageStorage,
  UID.MultiFrameGrayscaleByteSecondaryCaptureImageStorage,
  UID.MultiFrameGrayscaleWordSecondaryCaptureImageStorage,
  UID.MultiFrameTrueColorSecondaryCaptureImageStorage,
  UID.NuclearMedicineImageStorage,
  UID.PositronEmissionTomographyImageStorage,
  UID.XRayAngiographicImageStorage,
  UID.XRayRadiofluoroscopicImageStorage,
  UID.RTImageStorage,
  UID.RTDoseStorage,
  UID.RTStructureSetStorage,
  UID.RTPlanStorage,
  UID.BasicTextSRStorage,
  UID.EnhancedSRStorage,
  UID.ComprehensiveSRStorage,
  UID.KeyObjectSelectionDocumentStorage,
  UID.GrayscaleSoftcopyPresentationStateStorage,
  UID.EncapsulatedPDFStorage,
  UID.VLPhotographicImageStorage,
];

/** Orthanc's C-FIND and C-MOVE SCU use Patient Root at the patient level, Study Root below. */
function modelOf(level: QueryLevel): 'patient' | 'study' {
  return level === 'PATIENT' ? 'patient' : 'study';
}

/**
 * How far a C-MOVE or C-GET job has got: the identifiers whose retrieve has ended, and the
 * counts so far. A retrieve cut short runs again whole: its sub-operations are the peer's.
 */
export interface RetrievePosition {
  done: number;
  totals: MoveTotals;
}

/** The position a job resumes from, if it is one. */
export function retrievePosition(value: unknown): RetrievePosition | undefined {
  const p = value as Partial<RetrievePosition> | undefined;
  return typeof p?.done === 'number' && typeof p.totals?.completed === 'number'
    ? (p as RetrievePosition)
    : undefined;
}

/**
 * Runs one C-MOVE or C-GET per identifier on an association, summing the sub-operation counts.
 * A job's signal cancels (C-CANCEL, PS3.7 §9.3.2.3: the peer stops and answers Cancel, FE00),
 * and its progress follows the counts of the pending responses. A job resumed starts after
 * the identifiers done before, and checkpoints after each one.
 */
async function retrieveEach(
  identifiers: readonly DataSet[],
  hooks: JobHooks | undefined,
  run: (identifier: DataSet, options: RetrieveOptions) => Promise<RetrieveResult>,
): Promise<MoveTotals> {
  const resumed = retrievePosition(hooks?.resumeFrom);
  const totals: MoveTotals = resumed
    ? { ...resumed.totals, failedUids: [...resumed.totals.failedUids] }
    : { completed: 0, failed: 0, warning: 0, failedUids: [] };
  for (const [i, identifier] of identifiers.entries()) {
    if (resumed && i < resumed.done) continue;
    if (hooks?.signal.aborted) throw hooks.signal.reason;
    const result = await run(
      identifier,
      hooks
        ? {
            signal: hooks.signal,
            onProgress({ remaining, completed, failed, warning }) {
              const done = completed + failed + warning;
              const total = done + (remaining ?? 0);
              hooks.progress((i + (total > 0 ? done / total : 0)) / identifiers.length);
            },
          }
        : {},
    );
    totals.completed += result.completed;
    totals.failed += result.failed;
    totals.warning += result.warning;
    totals.failedUids.push(...result.failedSopInstanceUids);
    hooks?.checkpoint({ done: i + 1, totals: { ...totals } } satisfies RetrievePosition);
  }
  return totals;
}

export function remoteModalities(ctx: HttpContext) {
  const { config, logger, modalities } = ctx.pacs;

  function named(name: string): NamedModality {
    const m = modalities.get(name);
    if (!m) {
      const known = modalities.names();
      throw notFound(`no modality ${name} (configured: ${known.length > 0 ? known.join(', ') : 'none'})`);
    }
    return { name, ...m };
  }

  function label(m: NamedModality): string {
    return `modality ${m.name} (${m.aeTitle} at ${m.host}:${m.port})`;
  }

  /** Opens an association, runs `run`, releases; any failure is a 502 naming the modality. */
  async function withAssociation<T>(
    m: NamedModality,
    contexts: readonly ProposedContext[],
    timeout: number | undefined,
    run: (association: Association) => Promise<T>,
    signal?: AbortSignal,
  ): Promise<T> {
    const ae = pacsApplicationEntity(config, logger, {
      ...(timeout ? { timeoutMs: timeout } : {}),
      ...(m.localAeTitle ? { aeTitle: m.localAeTitle } : {}),
    });
    let association: Association;
    try {
      association = await ae.associate({
        ...modalityAddress(m, ctx.pacs.tls),
        contexts,
        ...(signal ? { signal } : {}),
      });
    } catch (error) {
      throw badGateway(label(m), error);
    }
    let result: T;
    try {
      result = await run(association);
    } catch (error) {
      await association.abort().catch(() => {});
      throw badGateway(label(m), error);
    }
    await association.release().catch(() => association.abort().catch(() => {}));
    return result;
  }

  /** C-FIND: the matches, at most `limit` (a C-CANCEL then stops the rest). */
  async function find(
    m: NamedModality,
    level: QueryLevel,
    identifier: DataSet,
    options: { limit?: number; timeout?: number },
  ): Promise<DataSet[]> {
    const model = modelOf(level);
    const contexts = [
      { abstractSyntax: QueryRetrieveModels[model].find, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
    ];
    const matches = await withAssociation(m, contexts, options.timeout, async (association) => {
      const found: DataSet[] = [];
      for await (const match of association.find(identifier, { model })) {
        found.push(match);
        // Leaving the loop sends C-CANCEL (PS3.7 §9.1.2.1.3).
        if (options.limit && found.length >= options.limit) break;
      }
      return found;
    });
    logger.log('info', `REST: C-FIND ${level} at ${label(m)}: ${matches.length} match(es)`);
    return matches;
  }

  /**
   * C-MOVE of each identifier to `target`, one association for all. Sub-operations that
   * failed make a 502 that still carries the counts.
   */
  async function move(
    m: NamedModality,
    level: QueryLevel,
    identifiers: readonly DataSet[],
    target: string,
    timeout: number | undefined,
    hooks?: JobHooks,
  ): Promise<MoveTotals> {
    const model = modelOf(level);
    const contexts = [
      { abstractSyntax: QueryRetrieveModels[model].move, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
    ];
    const totals = await withAssociation(
      m,
      contexts,
      timeout,
      (association) =>
        retrieveEach(identifiers, hooks, (identifier, options) =>
          association.move(identifier, target, { model, ...options }),
        ),
      hooks?.signal,
    );
    logger.log(
      'info',
      `REST: C-MOVE ${level} from ${label(m)} to ${target}: ${totals.completed} completed, ${totals.failed} failed`,
    );
    return totals;
  }

  /**
   * C-GET of each identifier into this PACS (PS3.4 §C.4.3): the instances come back as C-STORE
   * sub-operations on the same association, stored as C-STOREs from the modality are. The
   * association offers the Storage SCP role for `sopClasses` (found by a C-FIND first), each in
   * the uncompressed and the common compressed syntaxes, so that the modality can send what it
   * holds without re-encoding.
   */
  async function get(
    m: NamedModality,
    level: QueryLevel,
    identifiers: readonly DataSet[],
    sopClasses: readonly string[],
    timeout: number | undefined,
    hooks?: JobHooks,
  ): Promise<MoveTotals> {
    const model = modelOf(level);
    const contexts = [
      { abstractSyntax: QueryRetrieveModels[model].get, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
      ...getStorageContexts(sopClasses.slice(0, MAX_PRESENTATION_CONTEXTS - 1), GET_TRANSFER_SYNTAXES),
    ];
    const store = (request: StoreRequest) => ingest(request, m.aeTitle, ctx.pacs.ingestOptions);
    const totals = await withAssociation(
      m,
      contexts,
      timeout,
      (association) =>
        retrieveEach(identifiers, hooks, (identifier, options) =>
          association.get(identifier, { model, store, ...options }),
        ),
      hooks?.signal,
    );
    logger.log(
      'info',
      `REST: C-GET ${level} from ${label(m)}: ${totals.completed} completed, ${totals.failed} failed`,
    );
    return totals;
  }

  /**
   * The SOP classes of what `identifiers` name at the modality: a C-FIND at the IMAGE level
   * (Study Root) asking for SOP Class UID. A modality that does not answer it gets the common
   * storage classes offered instead.
   */
  async function sopClassesOf(
    m: NamedModality,
    level: QueryLevel,
    identifiers: readonly DataSet[],
    timeout: number | undefined,
  ): Promise<string[]> {
    const found = new Set<string>();
    try {
      for (const identifier of identifiers) {
        const query = new DataSet();
        for (const element of identifier.elements()) {
          if (element.tag !== 0x00080052) query.add(element);
        }
        query.set('QueryRetrieveLevel', 'IMAGE');
        query.set('SOPClassUID', undefined);
        if (level === 'PATIENT' && !query.has('StudyInstanceUID')) query.set('StudyInstanceUID', undefined);
        for (const match of await find(m, 'IMAGE', query, { timeout })) {
          const uid = match.string('SOPClassUID')?.trim();
          if (uid) found.add(uid);
        }
      }
    } catch (error) {
      logger.log(
        'warn',
        `REST: C-GET from ${label(m)}: no SOP classes from C-FIND (${(error as Error).message}); offering the common ones`,
      );
    }
    return found.size > 0 ? [...found] : COMMON_STORAGE_CLASSES;
  }

  /** The fields Orthanc's job for an SCU call against `m` shows, and its synchronous answer. */
  function jobFields(m: NamedModality): { Description: string; LocalAet: string; RemoteAet: string } {
    return { Description: 'REST API', LocalAet: m.localAeTitle ?? config.aeTitle, RemoteAet: m.aeTitle };
  }

  /**
   * The modality called as the body's `LocalAet` says (Orthanc's option of its SCU calls: a
   * peer that knows this PACS under another AE title), or as this PACS.
   */
  function callingAs(m: NamedModality, body: unknown): NamedModality {
    const value =
      typeof body === 'object' && body !== null ? (body as { LocalAet?: unknown }).LocalAet : undefined;
    if (value === undefined || value === '') return m;
    if (!isAeTitle(value)) {
      throw badRequest(
        `LocalAet must be an AE title (1-16 printable ASCII characters, no backslash), not ${JSON.stringify(value)}`,
      );
    }
    return { ...m, localAeTitle: value.trim() };
  }

  /** The answer of a C-MOVE call: the counts, or a 502 with them when sub-operations failed. */
  function moveAnswer(
    m: NamedModality,
    totals: MoveTotals,
    fields: Record<string, unknown> = {},
  ): Record<string, unknown> {
    const answer: Record<string, unknown> = { ...fields, Completed: totals.completed, Failed: totals.failed };
    if (totals.warning > 0) answer.Warning = totals.warning;
    if (totals.failedUids.length > 0) answer.FailedSopInstanceUids = totals.failedUids;
    if (totals.failed > 0) {
      throw new HttpError(
        502,
        'ERR_DIMSE_STATUS',
        `${label(m)}: ${totals.failed} sub-operation(s) failed`,
        answer,
      );
    }
    return answer;
  }

  /** A C-MOVE destination from a request body: an AE title, this PACS's by default. */
  function targetOf(value: unknown): string {
    const target = value ?? config.aeTitle;
    if (typeof target !== 'string' || target.trim() === '' || target.trim().length > 16) {
      throw badRequest('TargetAet must be an AE title');
    }
    return target.trim();
  }

  return {
    named,
    callingAs,
    label,
    withAssociation,
    find,
    move,
    get,
    sopClassesOf,
    jobFields,
    moveAnswer,
    targetOf,
  };
}

export type RemoteModalities = ReturnType<typeof remoteModalities>;
