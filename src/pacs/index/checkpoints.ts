import { Worker } from 'node:worker_threads';
import { DRIVER_PACKAGE } from './sqlite-driver.ts';

/**
 * WAL checkpoints of the SQLite index on a worker thread of their own.
 *
 * With SQLite's automatic checkpoints, the commit that takes the WAL past 1,000 pages copies
 * them into the database file and syncs it, on the thread that committed: the PACS's event
 * loop, between a store's commit and its response. That cost grows with the index: the UID
 * indexes put each new study's rows on pages of their own all over a large file. Loading 1M
 * instances (bench/pacs-index.ts) slowed from ~14,500 to ~10,000 instances/s (0.68-0.75x of
 * the empty index's rate), and only to 0.84x with synchronous=OFF, which drops those syncs.
 * With the checkpoints on this worker the writer only appends to the WAL: 0.85-0.95x in three
 * runs, the load taking 124-138 s instead of 131-141 s.
 *
 * The writer's connection runs with wal_autocheckpoint = 0 while the worker runs, and counts
 * its commits in shared memory. The worker sleeps until a commit, lets the commits of the next
 * CHECKPOINT_DELAY_MS join it, then checkpoints PASSIVE: it copies what is in the WAL without
 * waiting for anyone (SQLite's WAL lets one checkpointer run beside one writer and readers).
 * Pages written many times within one delay are copied once.
 *
 * The WAL starts over from its beginning only when a writer finds it wholly copied, which a
 * steady stream of commits may never allow; when the WAL holds more than RESTART_FRAMES, the
 * worker checkpoints RESTART: new writers wait (their busy timeout) while the last frames are
 * copied, for a few ms, once per ~64 MiB written. journal_size_limit then shortens the file.
 *
 * If the worker fails, the writer's automatic checkpoints come back (onFailure).
 */

/**
 * Commits that come within this many ms of the first one share its checkpoint. Longer delays
 * measured worse on the 1M load (250 ms: 0.78x, 1 s: 0.77x, larger WALs); on PACS ingest
 * (bench/pacs.ts, against SQLite's own checkpoints in the same run) 100 ms was within the
 * noise, 0.91-0.99x, and 1 s 0.95-1.10x.
 */
export const CHECKPOINT_DELAY_MS = 100;
/** WAL frames (pages) beyond which the worker makes the WAL start over (~64 MiB at 4 KiB). */
export const RESTART_FRAMES = 16_384;
/** The WAL file is cut back to this many bytes when it starts over. */
export const JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024;

/** Slots of the Int32Array the two threads share. */
export const Slot = {
  /** Commits so far (the writer adds one per write transaction). */
  Commits: 0,
  /** Set to 1 to stop the worker. */
  Stop: 1,
  /** Set to 1 by the worker once its connection is closed. */
  Stopped: 2,
  /** Checkpoints run so far, for tests and statistics. */
  Checkpoints: 3,
  /** RESTART checkpoints run so far. */
  Restarts: 4,
} as const;
const SLOTS = 5;

/** What checkpoint-worker.mjs is given. */
export interface CheckpointWorkerData {
  path: string;
  /** The better-sqlite3 package this Node runs (sqlite-driver.ts). */
  driverPackage: string;
  state: SharedArrayBuffer;
  slots: typeof Slot;
  busyTimeoutMs: number;
  delayMs: number;
  restartFrames: number;
  journalSizeLimit: number;
}

export interface BackgroundCheckpointOptions {
  /** How long the worker's RESTART waits for the writer and readers, in ms. */
  busyTimeoutMs: number;
  /** Called once if the worker fails; the writer must then checkpoint itself again. */
  onFailure: (error: Error) => void;
  delayMs?: number;
  restartFrames?: number;
}

export class BackgroundCheckpoints {
  readonly #path: string;
  readonly #options: BackgroundCheckpointOptions;
  readonly #state = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
  #worker: Worker | undefined;
  /** Failed or stopped: no worker is started again. */
  #ended = false;

  constructor(path: string, options: BackgroundCheckpointOptions) {
    this.#path = path;
    this.#options = options;
  }

  /** Whether the worker checkpoints (started, and neither failed nor stopped). */
  get running(): boolean {
    return this.#worker !== undefined && !this.#ended;
  }

  /** Checkpoints and RESTART checkpoints the worker has run. */
  get counts(): { checkpoints: number; restarts: number } {
    return {
      checkpoints: Atomics.load(this.#state, Slot.Checkpoints),
      restarts: Atomics.load(this.#state, Slot.Restarts),
    };
  }

  /**
   * Tells the worker that a write transaction committed, starting it on the first call.
   * Returns false when there is no worker (it failed or was stopped): the writer checkpoints.
   */
  committed(): boolean {
    if (this.#ended) return false;
    if (!this.#worker) this.#start();
    Atomics.add(this.#state, Slot.Commits, 1);
    Atomics.notify(this.#state, Slot.Commits);
    return true;
  }

  /**
   * Stops the worker and waits (blocking, at most `timeoutMs`) until its connection is closed,
   * so that the writer's close can checkpoint the WAL and remove it.
   */
  stop(timeoutMs = 10_000): void {
    const worker = this.#worker;
    const ended = this.#ended;
    this.#ended = true;
    if (!worker) return;
    // A worker that failed (or was stopped before) has no connection to wait for.
    if (ended) {
      void worker.terminate();
      return;
    }
    Atomics.store(this.#state, Slot.Stop, 1);
    Atomics.notify(this.#state, Slot.Commits);
    Atomics.notify(this.#state, Slot.Stop);
    // A worker that stopped ends by itself once its loop returns; only one that did not answer
    // in time is terminated.
    if (Atomics.wait(this.#state, Slot.Stopped, 0, timeoutMs) === 'timed-out') void worker.terminate();
  }

  #start(): void {
    const data: CheckpointWorkerData = {
      path: this.#path,
      driverPackage: DRIVER_PACKAGE,
      state: this.#state.buffer as SharedArrayBuffer,
      slots: Slot,
      busyTimeoutMs: this.#options.busyTimeoutMs,
      delayMs: this.#options.delayMs ?? CHECKPOINT_DELAY_MS,
      restartFrames: this.#options.restartFrames ?? RESTART_FRAMES,
      journalSizeLimit: JOURNAL_SIZE_LIMIT,
    };
    // Beside this module in src/ and dist/, and beside the chunks in the CLI bundle (the build
    // copies it to both). The parent's execArgv are for the main thread (heap sizes, tsx).
    const worker = new Worker(new URL('./checkpoint-worker.mjs', import.meta.url), {
      workerData: data,
      execArgv: [],
    });
    // An index left open never keeps the process alive; SQLite recovers a WAL left behind.
    worker.unref();
    const fail = (error: Error): void => {
      if (this.#ended) return;
      this.#ended = true;
      this.#options.onFailure(error);
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`the index's checkpoint worker exited (code ${code})`)));
    this.#worker = worker;
  }
}
