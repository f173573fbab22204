import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { DicomError, type DicomErrorCode } from '../../core/errors.ts';
import type { CodecRequest, CodecResponse } from './codec-worker.node.ts';

/**
 * A small pool of worker threads running the compressed codecs (and PNG encoding), so a
 * decode never stalls the event loop. Workers start on the first request, run one request each at a time,
 * and are unref()'d while idle: an idle pool never keeps the process alive. Buffers go
 * both ways as transfers (the request's bytes are copied once into a buffer of their own,
 * so the caller's views stay usable).
 */

export interface CodecWorkerPoolOptions {
  /** Worker threads at most; default min(2, os.availableParallelism()). */
  size?: number;
}

/** A request without its id (the pool numbers them), for each kind of request. */
type Request = CodecRequest extends infer R ? (R extends CodecRequest ? Omit<R, 'id'> : never) : never;
type Success = Extract<CodecResponse, { ok: true }>;

interface Task {
  id: number;
  request: Request;
  signal: AbortSignal | undefined;
  resolve: (response: Success) => void;
  reject: (error: unknown) => void;
  onAbort?: () => void;
}

interface Slot {
  worker: Worker;
  task: Task | undefined;
}

/** Starts a worker on codec-worker.node; under tsx (a .ts module) the worker registers tsx first. */
function spawnWorker(): Worker {
  const here = import.meta.url;
  if (here.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./codec-worker.node.ts', here).href;
    // Node 20 resolves a worker's entry before --import hooks run, hence this bootstrap.
    const code = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
    return new Worker(code, { eval: true, execArgv: [] });
  }
  return new Worker(new URL('./codec-worker.node.js', here), { execArgv: [] });
}

export class CodecWorkerPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  #nextId = 1;

  constructor(options: CodecWorkerPoolOptions = {}) {
    this.size = Math.max(1, Math.floor(options.size ?? Math.min(2, availableParallelism())));
  }

  /** Worker threads running now (started lazily, so 0 before the first request). */
  get threads(): number {
    return this.#slots.length;
  }

  /**
   * Runs one request on a worker; rejects with the codec's DicomError, or the abort reason.
   * With `handOver`, bytes that fill their buffer are moved to the worker, not copied: the
   * caller must not use them again (a frame of tens of MB copied cost the event loop ~10 ms).
   */
  run(request: Request, signal?: AbortSignal, options: { handOver?: boolean } = {}): Promise<Success> {
    return new Promise<Success>((resolve, reject) => {
      if (signal?.aborted) {
        reject(signal.reason);
        return;
      }
      const { bytes } = request;
      const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
      // Else a copy in a buffer of its own: transferring it leaves the caller's bytes alone.
      const task: Task = {
        id: this.#nextId++,
        request: { ...request, bytes: options.handOver && own ? bytes : new Uint8Array(bytes) },
        signal,
        resolve,
        reject,
      };
      if (signal) {
        task.onAbort = () => this.#abort(task);
        signal.addEventListener('abort', task.onAbort, { once: true });
      }
      this.#queue.push(task);
      this.#pump();
    });
  }

  /** Terminates every worker and rejects queued requests; the pool starts afresh on the next request. */
  async close(): Promise<void> {
    const error = new DicomError('ERR_CANCELLED', 'the codec worker pool was closed');
    for (const task of this.#queue.splice(0)) this.#settle(task, undefined, error);
    const slots = this.#slots.splice(0);
    for (const slot of slots) if (slot.task) this.#settle(slot.task, undefined, error);
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  #pump(): void {
    while (this.#queue.length > 0) {
      let slot = this.#slots.find((s) => s.task === undefined);
      if (!slot) {
        if (this.#slots.length >= this.size) return;
        slot = this.#start();
      }
      const task = this.#queue.shift()!;
      slot.task = task;
      slot.worker.ref();
      const { request } = task;
      const message = { id: task.id, ...request } as CodecRequest;
      try {
        slot.worker.postMessage(message, [request.bytes.buffer as ArrayBuffer]);
      } catch (error) {
        // e.g. encoder options that cannot be cloned
        slot.task = undefined;
        slot.worker.unref();
        this.#settle(task, undefined, error);
      }
    }
  }

  #start(): Slot {
    const slot: Slot = { worker: spawnWorker(), task: undefined };
    const { worker } = slot;
    worker.unref();
    worker.on('message', (response: CodecResponse) => {
      const task = slot.task;
      if (!task || task.id !== response.id) return;
      slot.task = undefined;
      worker.unref();
      if (response.ok) this.#settle(task, response);
      else {
        const code = (response.code ?? 'ERR_MALFORMED') as DicomErrorCode;
        this.#settle(task, undefined, new DicomError(code, response.message));
      }
      this.#pump();
    });
    const lost = (error: unknown) => {
      const index = this.#slots.indexOf(slot);
      if (index < 0) return;
      this.#slots.splice(index, 1);
      if (slot.task) this.#settle(slot.task, undefined, error);
      slot.task = undefined;
      this.#pump();
    };
    worker.on('error', (error) => lost(error));
    worker.on('exit', (code) =>
      lost(new DicomError('ERR_CANCELLED', `a codec worker exited (code ${code})`)),
    );
    this.#slots.push(slot);
    return slot;
  }

  /** An aborted request leaves the queue; a running one ends its worker (WASM cannot be interrupted). */
  #abort(task: Task): void {
    const queued = this.#queue.indexOf(task);
    if (queued >= 0) {
      this.#queue.splice(queued, 1);
      this.#settle(task, undefined, task.signal!.reason);
      return;
    }
    const slot = this.#slots.find((s) => s.task === task);
    if (!slot) return;
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    slot.task = undefined;
    this.#settle(task, undefined, task.signal!.reason);
    void slot.worker.terminate();
    this.#pump();
  }

  #settle(task: Task, response: Success | undefined, error?: unknown): void {
    if (task.onAbort) task.signal?.removeEventListener('abort', task.onAbort);
    if (response) task.resolve(response);
    else task.reject(error);
  }
}
