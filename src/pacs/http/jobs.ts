import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import type { FastifyRequest } from 'fastify';
import type { Logger } from '../../core/index.ts';
import { type HttpContext, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound, toHttpError } from './errors.ts';
import { JOB_TYPES, type Operation } from './operations.ts';

/**
 * Orthanc's jobs, for the calls it runs as jobs (C-STORE to a modality, C-MOVE, C-GET, the
 * retrieves of /queries): with `"Asynchronous": true` in the body the call answers `{ "ID",
 * "Path" }` at once and the work goes on in the background; GET /jobs/{id} shows its state,
 * progress and, once done, what the synchronous call would have answered (its `Content`). A
 * long C-MOVE then needs no HTTP request held open for its whole length.
 *
 * Each job is kept with its operation (operations.ts, JSON) and how far it has got in
 * `<storage>/jobs.json`, as Orthanc keeps its in its database: after a restart the ended ones
 * are still listed, and those that had not ended go on from where they were (the instance
 * after the last one sent, the C-MOVE after the last one done), as do paused jobs resumed.
 */

/** What a job's work is given: the signal that cancels it, and where to report progress. */
export interface JobHooks {
  signal: AbortSignal;
  /** Fraction done, 0 to 1. */
  progress(fraction: number): void;
  /**
   * Where an earlier run of this job got to, as it passed it to `checkpoint` (a job paused and
   * resumed, or cut short by a restart); undefined on a first run.
   */
  resumeFrom?: unknown;
  /** Records how far the job has got (JSON): kept with the job, it is where the job resumes. */
  checkpoint(position: unknown): void;
}

/** Orthanc's job states ("Retry" is not used: a failed job is resubmitted by hand). */
type JobState = 'Pending' | 'Running' | 'Paused' | 'Success' | 'Failure';

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
  /** The parameters alone, and the operation: what a resubmission runs again. */
  parameters: Record<string, unknown>;
  operation: Operation;
  /** The operation's last checkpoint: where the job resumes. */
  position: unknown;
  error: { code: number; description: string; details: string } | undefined;
  controller: AbortController;
  timestamp: Date;
}

/** Finished jobs kept, oldest dropped first; running ones are always kept. */
const KEPT_JOBS = 100;
/**
 * Checkpoints are written at most this often (ms). A crash loses at most this much of a job's
 * position: the instances sent since go again, which a storage SCP takes as duplicates.
 */
const CHECKPOINT_SAVE_DELAY = 1000;

/** Orthanc's ErrorCode numbers and descriptions for the failures a job here can end with. */
const CANCELED = { code: 37, description: 'This job was canceled' };
/** The abort reason of a run stopped by a pause (not a failure: the job is left paused). */
const PAUSED_CODE = 'ERR_PAUSED';
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

/** A job as jobs.json keeps it. */
interface SavedJob extends Omit<Job, 'controller' | 'created' | 'started' | 'completed' | 'timestamp'> {
  created: string;
  started: string | null;
  completed: string | null;
  timestamp: string;
}

/** How jobs run their operations (operations.ts), given once the REST API is assembled. */
export interface JobRunner {
  describe(op: Operation): Record<string, unknown>;
  run(op: Operation, hooks: JobHooks): Promise<Record<string, unknown>>;
}

export class JobRegistry {
  readonly #jobs = new Map<string, Job>();
  readonly #logger: Logger;
  readonly #file: string | undefined;
  #runner: JobRunner | undefined;
  /** Set at shutdown: jobs cut short stay as they were in the file, to run again at start. */
  #closing = false;
  /** Jobs ended since start, kept or not (the metrics count them all). */
  #succeeded = 0;
  #failed = 0;
  /** A save waiting to write the checkpoints recorded since the last one. */
  #saveTimer: NodeJS.Timeout | undefined;

  /** `file`: where jobs are kept across restarts (none: in memory only). */
  constructor(logger: Logger, file?: string) {
    this.#logger = logger;
    this.#file = file;
  }

  /**
   * Gives the registry its runner, then reads the file: ended jobs are listed again, paused
   * ones stay paused, and those a shutdown or a crash cut short go on from their last
   * checkpoint. A file that cannot be read is logged and set aside; the PACS starts with no
   * jobs rather than not at all.
   */
  start(runner: JobRunner): void {
    this.#runner = runner;
    if (this.#file === undefined || !existsSync(this.#file)) return;
    let saved: SavedJob[];
    try {
      saved = JSON.parse(readFileSync(this.#file, 'utf8')) as SavedJob[];
      if (!Array.isArray(saved)) throw new Error('not a list');
    } catch (error) {
      this.#logger.log(
        'warn',
        `${this.#file} cannot be read (${(error as Error).message}): set aside, no jobs kept`,
      );
      renameSync(this.#file, `${this.#file}.bad`);
      return;
    }
    const resumed: Job[] = [];
    for (const s of saved) {
      const date = (value: string | null) => (value === null ? undefined : new Date(value));
      const job: Job = {
        ...s,
        position: s.position ?? undefined,
        created: new Date(s.created),
        started: date(s.started),
        completed: date(s.completed),
        timestamp: new Date(s.timestamp),
        controller: new AbortController(),
      };
      if (!job.completed && job.state !== 'Paused') {
        Object.assign(job, { state: 'Pending', started: undefined, content: job.parameters });
        resumed.push(job);
      }
      this.#jobs.set(job.id, job);
    }
    for (const job of resumed) {
      this.#logger.log(
        'info',
        `REST: job ${job.id} (${job.type}) goes on after the restart${job.position === undefined ? ' (from the start)' : ''}`,
      );
      setImmediate(() => void this.#run(job));
    }
  }

  #runnerOf(): JobRunner {
    if (!this.#runner) throw new Error('JobRegistry.start() was not called');
    return this.#runner;
  }

  /** Runs an operation at once (a synchronous call): not a job, not kept. */
  runNow(op: Operation): Promise<Record<string, unknown>> {
    return this.#runnerOf().run(op, {
      signal: new AbortController().signal,
      progress: () => {},
      checkpoint: () => {},
    });
  }

  /**
   * Starts an operation as a job; answers its ID. Its description is the job's content until
   * it ends; then its answer (or, failing, the error's fields) is added.
   */
  submit(op: Operation): string {
    const content = this.#runnerOf().describe(op);
    const id = randomUUID();
    const now = new Date();
    const job: Job = {
      id,
      type: JOB_TYPES[op.kind],
      state: 'Pending',
      progress: 0,
      created: now,
      started: undefined,
      completed: undefined,
      content,
      parameters: content,
      operation: op,
      position: undefined,
      error: undefined,
      controller: new AbortController(),
      timestamp: now,
    };
    this.#jobs.set(id, job);
    this.#trim();
    this.#save();
    setImmediate(() => void this.#run(job));
    return id;
  }

  async #run(job: Job): Promise<void> {
    // Paused (or cancelled) while it waited to start.
    if (job.state !== 'Pending') return;
    if (job.controller.signal.aborted)
      return this.#end(job, undefined, CANCELED, 'canceled before it started');
    job.state = 'Running';
    job.started ??= new Date();
    job.timestamp = new Date();
    this.#save();
    const signal = job.controller.signal;
    try {
      const answer = await this.#runnerOf().run(job.operation, {
        signal,
        progress: (fraction) => {
          job.progress = Math.max(job.progress, Math.min(99, Math.round(fraction * 100)));
          job.timestamp = new Date();
        },
        resumeFrom: job.position,
        checkpoint: (position) => {
          // A run stopped by a pause may still report: the position is the stopped run's.
          if (job.controller.signal !== signal) return;
          job.position = position;
          this.#saveSoon();
        },
      });
      if (signal.aborted && this.#pausedBy(job, signal)) return;
      if (signal.aborted) this.#end(job, answer, CANCELED, 'canceled');
      else this.#end(job, answer, undefined, '');
    } catch (error) {
      if (signal.aborted && this.#pausedBy(job, signal)) return;
      const e = toHttpError(error);
      const failure = signal.aborted ? CANCELED : orthancError(e);
      this.#end(job, e.details, failure, e.message);
    }
  }

  /** Whether the run with `signal` was stopped by a pause: the job is then left paused. */
  #pausedBy(job: Job, signal: AbortSignal): boolean {
    if ((signal.reason as HttpError | undefined)?.code !== PAUSED_CODE || this.#closing) return false;
    // Resumed before this run had wound down: the newer run owns the job.
    if (job.controller.signal !== signal) return true;
    this.#logger.log('info', `REST: job ${job.id} (${job.type}) paused`);
    this.#save();
    return true;
  }

  #end(
    job: Job,
    answer: Record<string, unknown> | undefined,
    failure: { code: number; description: string } | undefined,
    details: string,
  ): void {
    // Cut short by the shutdown: left as it was in the file, to run again at the next start.
    if (this.#closing) return;
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
    this.#save();
  }

  /**
   * Writes every job to the file: a temporary beside it, renamed over it. Not flushed: a
   * job list lost to a power cut costs a re-run, not data.
   */
  #save(): void {
    clearTimeout(this.#saveTimer);
    this.#saveTimer = undefined;
    if (this.#file === undefined || this.#closing) return;
    const saved: SavedJob[] = [...this.#jobs.values()].map(({ controller: _, ...job }) => ({
      ...job,
      created: job.created.toISOString(),
      started: job.started?.toISOString() ?? null,
      completed: job.completed?.toISOString() ?? null,
      timestamp: job.timestamp.toISOString(),
    }));
    try {
      writeFileSync(`${this.#file}.part`, JSON.stringify(saved));
      renameSync(`${this.#file}.part`, this.#file);
    } catch (error) {
      this.#logger.log('warn', `jobs cannot be saved to ${this.#file}: ${(error as Error).message}`);
    }
  }

  /** Saves within CHECKPOINT_SAVE_DELAY: a job reports a checkpoint per instance. */
  #saveSoon(): void {
    if (this.#saveTimer !== undefined || this.#file === undefined) return;
    this.#saveTimer = setTimeout(() => this.#save(), CHECKPOINT_SAVE_DELAY);
    this.#saveTimer.unref();
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

  /** Jobs waiting, running and paused now, and those ended since start. */
  statistics(): { pending: number; running: number; paused: number; succeeded: number; failed: number } {
    let pending = 0;
    let running = 0;
    let paused = 0;
    for (const job of this.#jobs.values()) {
      if (job.state === 'Pending') pending++;
      else if (job.state === 'Running') running++;
      else if (job.state === 'Paused') paused++;
    }
    return { pending, running, paused, succeeded: this.#succeeded, failed: this.#failed };
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
    if (job.state === 'Paused') {
      this.#end(job, undefined, CANCELED, 'canceled while paused');
      return;
    }
    job.controller.abort(new HttpError(400, 'ERR_CANCELLED', 'the job was canceled'));
  }

  /**
   * Pauses a job waiting or running (Orthanc's /jobs/{id}/pause): a running one stops as a
   * cancel would (C-CANCEL of its C-MOVE, or its association aborted) but keeps its position;
   * `resume` goes on from there. A paused job stays paused across a restart.
   */
  pause(id: string): void {
    const job = this.#job(id);
    if (job.completed) throw badRequest(`job ${id} has ended already (${job.state})`);
    if (job.state === 'Paused') return;
    const running = job.state === 'Running';
    job.state = 'Paused';
    job.timestamp = new Date();
    if (running) job.controller.abort(new HttpError(400, PAUSED_CODE, 'the job was paused'));
    else {
      this.#logger.log('info', `REST: job ${job.id} (${job.type}) paused`);
      this.#save();
    }
  }

  /** Goes on with a paused job from its last checkpoint (Orthanc's /jobs/{id}/resume). */
  resume(id: string): void {
    const job = this.#job(id);
    if (job.state !== 'Paused') throw badRequest(`job ${id} is not paused (${job.state})`);
    this.#requeue(job, {}, 'resumed');
  }

  /**
   * Runs a failed (or canceled) job again from the start, under the same ID, as Orthanc's
   * /jobs/{id}/resubmit: a C-MOVE that failed while a peer was down, say. Its position is
   * forgotten: what failed before is sent again.
   */
  resubmit(id: string): void {
    const job = this.#job(id);
    if (job.state !== 'Failure')
      throw badRequest(`job ${id} has not failed (${job.state}): only a failed job is resubmitted`);
    this.#requeue(
      job,
      {
        progress: 0,
        started: undefined,
        completed: undefined,
        content: job.parameters,
        position: undefined,
        error: undefined,
      },
      'resubmitted',
    );
  }

  /** Puts a job back to run, with `reset` applied and a new signal (resume, resubmit). */
  #requeue(job: Job, reset: Partial<Job>, done: string): void {
    Object.assign(job, {
      ...reset,
      state: 'Pending',
      controller: new AbortController(),
      timestamp: new Date(),
    } satisfies Partial<Job>);
    this.#logger.log('info', `REST: job ${job.id} (${job.type}) ${done}`);
    this.#save();
    setImmediate(() => void this.#run(job));
  }

  /** Forgets a job that has ended (Orthanc's DELETE /jobs/{id}). */
  delete(id: string): void {
    const job = this.#job(id);
    if (!job.completed) throw badRequest(`job ${id} is ${job.state.toLowerCase()}: cancel it first`);
    this.#jobs.delete(id);
    this.#save();
  }

  /**
   * The PACS is stopping: the file is written as things stand (jobs not ended go on from their
   * checkpoints at the next start), then the jobs running are stopped.
   */
  close(): void {
    this.#save();
    this.#closing = true;
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
  op: Operation,
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
    const id = ctx.jobs.submit(op);
    return { ID: id, Path: `/jobs/${id}` };
  }
  return ctx.jobs.runNow(op);
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
    // Orthanc's actions on a job, each answered with {}.
    ...(['cancel', 'pause', 'resume', 'resubmit'] as const).map(
      (action): Route => ({
        method: 'POST',
        url: `/jobs/:id/${action}`,
        async handler(request) {
          ctx.jobs[action](id(request));
          return {};
        },
      }),
    ),
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
