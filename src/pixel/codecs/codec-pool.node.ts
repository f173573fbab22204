import type { CodecWorkerPool } from './worker-pool.node.ts';

/**
 * The process's shared codec worker pool, kept apart from node-codecs.node.ts so that a command
 * can close the pool at exit without loading the codecs (and node:worker_threads) when it
 * never decoded anything.
 */
let shared: CodecWorkerPool | undefined;

/** The shared pool, made by `create` on first use. */
export function sharedCodecPool(create: () => CodecWorkerPool): CodecWorkerPool {
  shared ??= create();
  return shared;
}

/** Ends the shared pool's worker threads and rejects requests still queued. */
export async function closeCodecWorkers(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
