import { randomUUID } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '../../core/index.ts';
import { type HttpContext, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound, toHttpError } from './errors.ts';

/**
 * Orthanc's jobs, for the calls it runs as jobs (C-STORE to a modality, C-MOVE, the retrieves
 * of /queries): with `"Asynchronous": true` in the body the call answers `{ "ID", "Path" }` at
 * once and the work goes on in the background; GET /jobs/{id} shows its state, progress and,
 * once done, what the synchronous call would have answered (its `Content`). A long C-MOVE
 * then needs no HTTP request held open for its whole length. Jobs live in memory: a restart
 * forgets them (Orthanc keeps its in the database).
 */

/** What a job's work is given: the signal that cancels it, and where to report progress. */
export interface JobHooks {
  signal: AbortSignal;
  /** Fraction done, 0 to 1. */
  progress(fraction: number): void;
}

type JobState = 'Pending' | 'Running' | 'Success' | 'Failure';

interface Job {
  id: string;
  type: string;
  state: JobState;
  progress: number;
  created: Date;
  started: Date | undefined;
  completed: Date | undefined;
  /** Orthanc's "public content": the operation's parameters, then its answer. */
  content: Record<string, unknown>;
  /** The parameters alone, and the work: what a resubmission runs again. */
  parameters: Record<string, unknown>;
  work: (hooks: JobHooks) => Promise<Record<string, unknown>>;
  error: { code: number; description: string; details: string } | undefined;
  controller: AbortController;
  timestamp: Date;
}

/** Finished jobs kept, oldest dropped first; running ones are always kept. */
const KEPT_JOBS = 100;

/** Orthanc's ErrorCode numbers and descriptions for the failures a job here can end with. */
const CANCELED = { code: 37, description: 'This job was canceled' };
function orthancError(error: HttpError): { code: number; description: string } {
  if (error.code === 'ERR_TIMEOUT') return { code: 16, description: 'Timeout' };
  if (error.status === 400) return { code: 8, description: 'Bad request' };
  if (error.status === 404) return { code: 17, description: 'Unknown resource' };
  if (error.status === 502) return { code: 9, description: 'Error in the network protocol' };
  return { code: -1, description: 'Internal error' };
}

/** Orthanc's timestamps: ISO 8601 basic format (boost's to_iso_string), in UTC here. */
function isoBasic(date: Date): string {
  return date.toISOString().replace(/[-:]/g, '').replace('Z', '');
}

export class JobRegistry {
  readonly #jobs = new Map<string, Job>();
  readonly #logger: Logger;
  /** Jobs ended since start, kept or not (the metrics count them all). */
  #succeeded = 0;
  #failed = 0;

  constructor(logger: Logger) {
    this.#logger = logger;
  }

  /**
   * Starts `work` as a job of `type`; answers its ID. `content` describes it until it ends;
   * then its answer (or, failing, the error's fields) is added.
   */
  submit(
    type: string,
    content: Record<string, unknown>,
    work: (hooks: JobHooks) => Promise<Record<string, unknown>>,
  ): string {
    const id = randomUUID();
    const now = new Date();
    const job: Job = {
      id,
      type,
      state: 'Pending',
      progress: 0,
      created: now,
      started: undefined,
      completed: undefined,
      content,
      parameters: content,
      work,
      error: undefined,
      controller: new AbortController(),
      timestamp: now,
    };
    this.#jobs.set(id, job);
    this.#trim();
    setImmediate(() => void this.#run(job));
    return id;
  }

  async #run(job: Job): Promise<void> {
    const { work } = job;
    if (job.controller.signal.aborted)
      return this.#end(job, undefined, CANCELED, 'canceled before it started');
    job.state = 'Running';
    job.started = new Date();
    job.timestamp = job.started;
    try {
      const answer = await work({
        signal: job.controller.signal,
        progress: (fraction) => {
          job.progress = Math.max(job.progress, Math.min(99, Math.round(fraction * 100)));
          job.timestamp = new Date();
        },
      });
      if (job.controller.signal.aborted) this.#end(job, answer, CANCELED, 'canceled');
      else this.#end(job, answer, undefined, '');
    } catch (error) {
      const e = toHttpError(error);
      const failure = job.controller.signal.aborted ? CANCELED : orthancError(e);
      this.#end(job, e.details, failure, e.message);
    }
  }

  #end(
    job: Job,
    answer: Record<string, unknown> | undefined,
    failure: { code: number; description: string } | undefined,
    details: string,
  ): void {
    job.content = { ...job.content, ...answer };
    job.state = failure ? 'Failure' : 'Success';
    if (!failure) job.progress = 100;
    job.error = failure ? { ...failure, details } : undefined;
    job.completed = new Date();
    job.timestamp = job.completed;
    if (failure) this.#failed++;
    else this.#succeeded++;
    this.#logger.log(
      failure ? 'warn' : 'info',
      `REST: job ${job.id} (${job.type}) ${failure ? `failed: ${failure.description}${details ? `: ${details}` : ''}` : 'succeeded'}`,
    );
    this.#trim();
  }

  #trim(): void {
    const finished = [...this.#jobs.values()].filter((j) => j.completed);
    for (const job of finished.slice(0, Math.max(0, finished.length - KEPT_JOBS))) this.#jobs.delete(job.id);
  }

  #job(id: string): Job {
    const job = this.#jobs.get(id);
    if (!job) throw notFound(`no job ${id} (the last ${KEPT_JOBS} finished are kept)`);
    return job;
  }

  ids(): string[] {
    return [...this.#jobs.keys()];
  }

  /** Jobs waiting and running now, and those ended since start. */
  statistics(): { pending: number; running: number; succeeded: number; failed: number } {
    let pending = 0;
    let running = 0;
    for (const job of this.#jobs.values()) {
      if (job.state === 'Pending') pending++;
      else if (job.state === 'Running') running++;
    }
    return { pending, running, succeeded: this.#succeeded, failed: this.#failed };
  }

  /** A job as Orthanc's GET /jobs/{id} shows it. */
  describe(id: string): Record<string, unknown> {
    const job = this.#job(id);
    const runtime = job.started ? (job.completed ?? new Date()).getTime() - job.started.getTime() : 0;
    const answer: Record<string, unknown> = {
      ID: job.id,
      Type: job.type,
      State: job.state,
      Progress: job.progress,
      Priority: 0,
      CreationTime: isoBasic(job.created),
      Timestamp: isoBasic(job.timestamp),
      EffectiveRuntime: Math.max(0, runtime) / 1000,
      ErrorCode: job.error?.code ?? 0,
      ErrorDescription: job.error?.description ?? 'Success',
      ErrorDetails: job.error?.details ?? '',
      Content: job.content,
    };
    if (job.completed) answer.CompletionTime = isoBasic(job.completed);
    return answer;
  }

  /** Cancels a job not finished yet (its association sends C-CANCEL or aborts). */
  cancel(id: string): void {
    const job = this.#job(id);
    if (job.completed) throw badRequest(`job ${id} has ended already (${job.state})`);
    job.controller.abort(new HttpError(400, 'ERR_CANCELLED', 'the job was canceled'));
  }

  /**
   * Runs a failed (or canceled) job again from the start, under the same ID, as Orthanc's
   * /jobs/{id}/resubmit: a C-MOVE that failed while a peer was down, say.
   */
  resubmit(id: string): void {
    const job = this.#job(id);
    if (job.state !== 'Failure')
      throw badRequest(`job ${id} has not failed (${job.state}): only a failed job is resubmitted`);
    const now = new Date();
    Object.assign(job, {
      state: 'Pending',
      progress: 0,
      started: undefined,
      completed: undefined,
      content: job.parameters,
      error: undefined,
      controller: new AbortController(),
      timestamp: now,
    } satisfies Partial<Job>);
    this.#logger.log('info', `REST: job ${id} (${job.type}) resubmitted`);
    setImmediate(() => void this.#run(job));
  }

  /** Forgets a job that has ended (Orthanc's DELETE /jobs/{id}). */
  delete(id: string): void {
    const job = this.#job(id);
    if (!job.completed) throw badRequest(`job ${id} is ${job.state.toLowerCase()}: cancel it first`);
    this.#jobs.delete(id);
  }

  /** Cancels every job still running (the PACS is stopping). */
  close(): void {
    for (const job of this.#jobs.values()) if (!job.completed) job.controller.abort();
  }
}

/**
 * Runs a call's work at once, or as a job when the body asks `"Asynchronous": true` (or
 * `"Synchronous": false`), as Orthanc's job-running calls do.
 */
export async function runMaybeAsJob(
  ctx: HttpContext,
  body: unknown,
  type: string,
  content: Record<string, unknown>,
  work: (hooks: JobHooks) => Promise<Record<string, unknown>>,
): Promise<Record<string, unknown>> {
  const { Asynchronous, Synchronous } = (typeof body === 'object' && body !== null ? body : {}) as {
    Asynchronous?: unknown;
    Synchronous?: unknown;
  };
  for (const [key, value] of [
    ['Asynchronous', Asynchronous],
    ['Synchronous', Synchronous],
  ] as const) {
    if (value !== undefined && typeof value !== 'boolean') throw badRequest(`${key} must be true or false`);
  }
  if (Asynchronous === true || Synchronous === false) {
    const id = ctx.jobs.submit(type, content, work);
    return { ID: id, Path: `/jobs/${id}` };
  }
  return work({ signal: new AbortController().signal, progress: () => {} });
}

export function jobRoutes(ctx: HttpContext): Route[] {
  const id = (request: FastifyRequest) => params(request).id!;
  return [
    {
      method: 'GET',
      url: '/jobs',
      async handler(request) {
        const ids = ctx.jobs.ids();
        if (queryParam(request, 'expand') === undefined) return ids;
        return ids.map((i) => ctx.jobs.describe(i));
      },
    },
    {
      method: 'GET',
      url: '/jobs/:id',
      async handler(request) {
        return ctx.jobs.describe(id(request));
      },
    },
    {
      method: 'POST',
      url: '/jobs/:id/cancel',
      async handler(request) {
        ctx.jobs.cancel(id(request));
        return {};
      },
    },
    {
      method: 'POST',
      url: '/jobs/:id/resubmit',
      async handler(request) {
        ctx.jobs.resubmit(id(request));
        return {};
      },
    },
    {
      method: 'DELETE',
      url: '/jobs/:id',
      async handler(request) {
        ctx.jobs.delete(id(request));
        return {};
      },
    },
  ];
}
