// The worker thread of BackgroundCheckpoints (checkpoints.ts): checkpoints the index's WAL
// after commits, off the writer's thread, on a connection that does nothing else.
// Plain JavaScript, so that it starts as it is from src/, dist/ and the CLI bundle alike:
// under tsx a TypeScript worker would first load tsx (~170 ms and ~200 ms of CPU a start,
// against ~40 ms for this). workerData: CheckpointWorkerData (checkpoints.ts).
import { createRequire } from 'node:module';
import { workerData } from 'node:worker_threads';

const {
  path,
  driverPackage,
  state: buffer,
  slots,
  busyTimeoutMs,
  delayMs,
  restartFrames,
  journalSizeLimit,
} = workerData;
// The better-sqlite3 the index chose for this Node (sqlite-driver.ts says why there are two).
const Database = createRequire(import.meta.url)(driverPackage);
const state = new Int32Array(buffer);

// The loop runs after this module has finished evaluating, never inside its evaluation: Node 20
// aborts the whole process (FATAL ERROR: v8::ToLocalChecked Empty MaybeLocal, from
// asyncRunEntryPointWithESMLoader) when a worker is terminated while its ES module entry is
// still evaluating, and the process's exit terminates this worker whenever it runs.
setImmediate(run);

function run() {
  try {
    const db = new Database(path, { fileMustExist: true });
    try {
      checkpointAfterCommits(db);
    } finally {
      db.close();
    }
  } finally {
    Atomics.store(state, slots.Stopped, 1);
    Atomics.notify(state, slots.Stopped);
  }
}

function checkpointAfterCommits(db) {
  db.pragma(`busy_timeout = ${busyTimeoutMs}`);
  db.pragma(`journal_size_limit = ${journalSizeLimit}`);
  // Checkpointing reads WAL frames and writes pages; it needs no page cache of its own.
  db.pragma('cache_size = -1024');
  let seen = 0;
  while (Atomics.load(state, slots.Stop) === 0) {
    // Until the writer has committed since the last checkpoint (at once if it has).
    Atomics.wait(state, slots.Commits, seen);
    if (Atomics.load(state, slots.Stop) !== 0) return;
    // The commits of the next moments join this checkpoint; a stop cuts the wait short.
    Atomics.wait(state, slots.Stop, 0, delayMs);
    if (Atomics.load(state, slots.Stop) !== 0) return;
    seen = Atomics.load(state, slots.Commits);
    const [passive] = db.pragma('wal_checkpoint(PASSIVE)');
    Atomics.add(state, slots.Checkpoints, 1);
    if (passive && passive.log >= restartFrames) {
      db.pragma('wal_checkpoint(RESTART)');
      Atomics.add(state, slots.Restarts, 1);
    }
  }
}
