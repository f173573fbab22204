import type { ProposedContext } from '../../net/association/index.ts';
import type { DataSet } from '../../object/index.ts';
import {
  type Association,
  QueryRetrieveModels,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
} from '../../services/index.ts';
import type { ModalityConfig } from '../config.ts';
import type { QueryLevel } from '../index/types.ts';
import { pacsApplicationEntity } from '../outbound.ts';
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

/** Orthanc's C-FIND and C-MOVE SCU use Patient Root at the patient level, Study Root below. */
function modelOf(level: QueryLevel): 'patient' | 'study' {
  return level === 'PATIENT' ? 'patient' : 'study';
}

export function remoteModalities(ctx: HttpContext) {
  const { config, logger } = ctx.pacs;

  function named(name: string): NamedModality {
    const m = Object.hasOwn(config.modalities, name) ? config.modalities[name] : undefined;
    if (!m) {
      const known = Object.keys(config.modalities);
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
  ): Promise<T> {
    const ae = pacsApplicationEntity(config, logger, timeout ? { timeoutMs: timeout } : {});
    let association: Association;
    try {
      association = await ae.associate({ host: m.host, port: m.port, calledAeTitle: m.aeTitle, contexts });
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
    const totals: MoveTotals = { completed: 0, failed: 0, warning: 0, failedUids: [] };
    await withAssociation(m, contexts, timeout, async (association) => {
      for (const [i, identifier] of identifiers.entries()) {
        // Cancelling sends C-CANCEL (PS3.7 §9.3.2.3): the peer stops, answers Cancel (FE00).
        if (hooks?.signal.aborted) throw hooks.signal.reason;
        const result = await association.move(identifier, target, {
          model,
          ...(hooks && {
            signal: hooks.signal,
            onProgress({ remaining, completed, failed, warning }) {
              const done = completed + failed + warning;
              const total = done + (remaining ?? 0);
              hooks.progress((i + (total > 0 ? done / total : 0)) / identifiers.length);
            },
          }),
        });
        totals.completed += result.completed;
        totals.failed += result.failed;
        totals.warning += result.warning;
        totals.failedUids.push(...result.failedSopInstanceUids);
      }
    });
    logger.log(
      'info',
      `REST: C-MOVE ${level} from ${label(m)} to ${target}: ${totals.completed} completed, ${totals.failed} failed`,
    );
    return totals;
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

  return { named, label, withAssociation, find, move, moveAnswer, targetOf };
}

export type RemoteModalities = ReturnType<typeof remoteModalities>;
