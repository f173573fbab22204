import {
  closeSync,
  fchmodSync,
  fdatasync,
  fdatasyncSync,
  fstatSync,
  fsync,
  openSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  unlinkSync,
  writev,
  writevSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DataStream } from '../net/dimse/index.ts';
import { openAsync } from '../object/fd-io.node.ts';
import type { ChunkUse } from '../object/index.ts';

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const writevAsync = promisify(writev);

/**
 * The first bytes of a file are written with synchronous calls. A write into the page cache
 * takes microseconds, where each thread-pool round trip of the async API costs a tenth of a
 * millisecond or more on a busy event loop: on 520 KB instances the async path cost more than
 * the network. Past this size a file is large enough that the kernel may throttle its writer
 * (dirty page limits), and a blocked event loop would stall every association: async then.
 */
const SYNC_BYTES = 8 * 1024 * 1024;
/** Chunks are gathered into writes of about this size. */
const BATCH_BYTES = 256 * 1024;

/**
 * A file written as `<final>.<unique>.part` while data arrives, then made visible under its
 * final name by a rename, so that a crash or a refused instance never leaves a half-written
 * file where readers look. With `durable`, the data is flushed (fdatasync) before the rename
 * and the directory entry (fsync of the directory) after it: a Success answered once
 * `commit()` resolves survives a power cut.
 *
 * A marked file (`create(path, mode)`) saves the second flush. It is created with no
 * permission bits at all and given its final `mode` only once every byte is written, in the
 * same fsync as its data: on the device, "has permission bits" then means "complete". The
 * fsync also carries the spare's own name (made earlier: a journal commit includes all that
 * came before it on ext4 and XFS, and btrfs logs a new file's name with it). The rename is
 * left to the next journal commit; after a power cut that lost it, the complete file is still
 * under its temporary name, where start-up recovery finds it (`isMarkedComplete`). That is
 * one journal commit per stored instance instead of two: durable ingest of ~5 KB instances
 * into the PACS went from ~710 to ~890 a second on one association.
 *
 * One window is left: another thread's commit may carry the mode before this fsync has
 * written the data (delayed allocation), and a power cut then leaves a marked file that ends
 * early. It was never acknowledged; recovery reads each marked file to its end and removes
 * one that is cut short.
 */
export class PartFile {
  readonly temporary: string;
  readonly #fd: number;
  /** The mode that marks a marked file complete; undefined for a plain one. */
  readonly #completeMode: number | undefined;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  /** Chunks of `#pending` whose owner wants to hear once they are written. */
  #pendingWritten: { chunk: Uint8Array; written: (chunk: Uint8Array) => void }[] = [];
  #written = 0;
  #closed = false;
  /** The file's inode (device and number): what `uncommit()` recognizes it by. */
  #identity: { dev: bigint; ino: bigint };
  /** Where `commit()` put the file. */
  #committedTo: string | undefined;
  /** Called once the file is committed (directory synced, when durable) or discarded (SpareFiles refills then). */
  onSettled: (() => void) | undefined;

  private constructor(temporary: string, fd: number, completeMode: number | undefined) {
    this.temporary = temporary;
    this.#fd = fd;
    this.#completeMode = completeMode;
    const { dev, ino } = fstatSync(fd, { bigint: true });
    this.#identity = { dev, ino };
  }

  /**
   * Creates the temporary file; with `completeMode`, a marked file (see the class). The open is
   * the one call kept off the event loop: creating a file waits for the file system's journal
   * when it is committing, for milliseconds at times. Opened for reading too: a commit whose
   * temporary name vanished copies the data back out.
   */
  static async create(temporary: string, completeMode?: number): Promise<PartFile> {
    const fd = await openAsync(temporary, 'w+', completeMode === undefined ? 0o666 : 0);
    return new PartFile(temporary, fd, completeMode);
  }

  /** Bytes handed to `write()` so far. */
  get size(): number {
    return this.#written + this.#pendingBytes;
  }

  /**
   * Queues bytes; returns a promise only when it wrote past the synchronous budget.
   * `written` is called with the chunk once it is in the file (not if writing fails): the
   * caller may then reuse its memory (see DataStream.release).
   */
  write(chunk: Uint8Array, written?: (chunk: Uint8Array) => void): Promise<void> | undefined {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    if (written) this.#pendingWritten.push({ chunk, written });
    return this.#pendingBytes >= BATCH_BYTES ? this.#flush() : undefined;
  }

  /**
   * Writes a received data set as it arrives, each chunk read by `reader` on its way (the
   * head parsed, the rest checked), and gives each chunk back to the stream for reuse once
   * it is in the file and the reader is done with it (see DataStream.release). Returns what
   * to call after the reader's `finish()`: the last chunk may still be read by it.
   */
  async writeStream(data: DataStream, reader?: { write(chunk: Uint8Array): ChunkUse }): Promise<() => void> {
    const written = (chunk: Uint8Array): void => data.release(chunk);
    // The chunk whose end the reader may read with its next write.
    let readerHolds: Uint8Array | undefined;
    for await (const chunk of data) {
      const use = reader ? reader.write(chunk) : 'unused';
      if (readerHolds) data.release(readerHolds);
      readerHolds = undefined;
      if (use === 'next') {
        data.hold(chunk);
        readerHolds = chunk;
      }
      // A chunk the reader keeps views on (the head's values) is never given back.
      await this.write(chunk, use === 'kept' ? undefined : written);
    }
    return () => {
      if (readerHolds) data.release(readerHolds);
      readerHolds = undefined;
    };
  }

  #flush(): Promise<void> | undefined {
    if (this.#pendingBytes === 0) return undefined;
    const chunks = this.#pending;
    const bytes = this.#pendingBytes;
    const done = this.#pendingWritten;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#pendingWritten = [];
    const start = this.#written;
    this.#written += bytes;
    if (start + bytes <= SYNC_BYTES) {
      writeAllSync(this.#fd, chunks, bytes);
      notifyWritten(done);
      return undefined;
    }
    return writeAll(this.#fd, chunks, bytes).then(() => notifyWritten(done));
  }

  /**
   * Writes what is queued, so that the file can be read back by its name before it is kept. A
   * marked file becomes readable by its owner: still not complete (see `isMarkedComplete`).
   */
  async writeQueued(): Promise<void> {
    await this.#flush();
    if (this.#completeMode !== undefined) fchmodSync(this.#fd, READABLE_UNFINISHED);
  }

  /**
   * Writes what is queued, marks a marked file complete and, when `durable`, flushes it to the
   * device: data only (fdatasync) for a plain file; data and mode together (fsync) for a
   * marked one.
   */
  async finish(durable: boolean): Promise<void> {
    await this.#flush();
    if (this.#completeMode === undefined) {
      if (durable) await fdatasyncAsync(this.#fd);
      return;
    }
    fchmodSync(this.#fd, this.#completeMode);
    if (durable) await fsyncAsync(this.#fd);
  }

  /**
   * Renames the finished file to `path` (replacing a file there) and, when `durable`, syncs
   * the directory so that the new name itself is on the device (POSIX leaves it in memory).
   */
  async commit(path: string, durable: boolean): Promise<void> {
    // A marked file needs no directory flush: until the rename reaches the device, recovery
    // finds the complete file under its temporary name. A copy has no such name to fall back on.
    let syncNeeded = durable && this.#completeMode === undefined;
    try {
      renameSync(this.temporary, path);
      this.#committedTo = path;
    } catch (error) {
      // ENOENT: a spare made before someone emptied its directory; EXDEV: the target is on
      // another file system (a store directory linked to another disk). Either way the data
      // is still in the open file: copy it over.
      const code = (error as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EXDEV') throw error;
      this.#copyTo(path, durable);
      syncNeeded = durable;
    } finally {
      this.#close();
    }
    try {
      if (syncNeeded) await syncDirectory(dirname(path));
    } finally {
      this.#settled();
    }
  }

  #settled(): void {
    const onSettled = this.onSettled;
    this.onSettled = undefined;
    onSettled?.();
  }

  #copyTo(path: string, durable: boolean): void {
    const copy = `${path}.${process.pid}.copy.part`;
    const out = openSync(copy, 'w', this.#completeMode ?? 0o666);
    try {
      const buffer = new Uint8Array(1 << 20);
      for (let position = 0; ; ) {
        const n = readSync(this.#fd, buffer, 0, buffer.length, position);
        if (n === 0) break;
        writeAllSync(out, [buffer.subarray(0, n)], n);
        position += n;
      }
      if (durable) fdatasyncSync(out);
      const { dev, ino } = fstatSync(out, { bigint: true });
      closeSync(out);
      renameSync(copy, path);
      this.#identity = { dev, ino };
      this.#committedTo = path;
    } catch (error) {
      try {
        closeSync(out);
      } catch {
        // closed already
      }
      rmSync(copy, { force: true });
      throw error;
    }
    try {
      unlinkSync(this.temporary);
    } catch {
      // ENOENT: it was the missing name that sent us here
    }
  }

  /** Where `commit()` put the file, from the moment it did (the rename is synchronous). */
  get committedTo(): string | undefined {
    return this.#committedTo;
  }

  /**
   * Takes back a `commit()` whose file cannot be kept after all (its index row was refused):
   * removes the file from where it was put, if what is there is still this file and not one
   * that another writer has put there since. Returns whether it removed it; never throws.
   * What the rename replaced is not brought back.
   */
  uncommit(): boolean {
    const path = this.#committedTo;
    if (path === undefined) return false;
    try {
      const there = statSync(path, { bigint: true });
      if (there.dev !== this.#identity.dev || there.ino !== this.#identity.ino) return false;
      unlinkSync(path);
      this.#committedTo = undefined;
      return true;
    } catch {
      return false;
    }
  }

  /** Closes and removes the temporary file; never throws. */
  discard(): void {
    try {
      this.#close();
    } catch {
      // already closed or the descriptor is gone: the unlink below is what matters
    }
    try {
      unlinkSync(this.temporary);
    } catch {
      // nothing to remove
    }
    this.#settled();
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
}

/**
 * Temporary files created ahead of need in one directory. Creating a file is the slowest step
 * of storing a small instance (0.03-0.25 ms on ext4: the journal, and the inode allocator
 * searching past recently freed inodes), and it sat on the critical path: the peer waits for
 * our response before it sends the next instance. A spare is opened on the thread pool while
 * the peer prepares the next instance, so a store only writes, closes and renames. Spares are
 * hidden `.part` files: what a crash leaves behind is cleaned up like any other unfinished file.
 */
export class SpareFiles {
  readonly directory: string;
  readonly #depth: number;
  /** When set, spares are marked files (PartFile) named `*${MARKED_SUFFIX}`. */
  readonly #completeMode: number | undefined;
  #ready: Promise<PartFile>[] = [];
  #closed = false;

  constructor(directory: string, depth = 2, options: { completeMode?: number } = {}) {
    this.directory = directory;
    this.#depth = depth;
    this.#completeMode = options.completeMode;
  }

  /** True when spares are marked files: a durable commit then makes one flush, not two. */
  get marked(): boolean {
    return this.#completeMode !== undefined;
  }

  /** An open temporary file in the directory; the pool refills itself in the background. */
  async take(): Promise<PartFile> {
    if (this.#closed) return this.#create();
    const spare = this.#ready.shift();
    if (!spare) {
      this.#refill();
      return this.#create();
    }
    try {
      const file = await spare;
      unusedSpares.delete(file);
      // The next spare is made once this file is committed (renamed and, when durable, its
      // directory synced), in an immediate, i.e. after the caller's response went out. Made
      // earlier, its inode allocation holds a journal handle that the rename and the flushes
      // (fdatasync, directory fsync) wait for: durable SC ingest into the PACS, A/B over six
      // interleaved pairs, ~520 -> ~600 instances/s.
      file.onSettled = () => setImmediate(() => this.#refill());
      return file;
    } catch {
      // The spare failed when it was made (its directory was missing then): try once more.
      return this.#create();
    }
  }

  /** Removes the spares not taken; later takes create their file on demand. */
  close(): void {
    this.#closed = true;
    for (const spare of this.#ready.splice(0)) {
      spare.then(
        (file) => {
          unusedSpares.delete(file);
          file.discard();
        },
        () => {},
      );
    }
  }

  #refill(): void {
    while (this.#ready.length < this.#depth && !this.#closed) {
      const spare = this.#create();
      spare.then(
        (file) => keepUnused(file),
        () => {},
      );
      this.#ready.push(spare);
    }
  }

  #create(): Promise<PartFile> {
    const name = `.${process.pid}.${(spareCounter++).toString(36)}`;
    if (this.#completeMode === undefined) return PartFile.create(join(this.directory, `${name}.part`));
    return PartFile.create(join(this.directory, `${name}${MARKED_SUFFIX}`), this.#completeMode);
  }
}

/** The name ending of marked spares; still a `.part` file to whatever cleans those up. */
export const MARKED_SUFFIX = '.marked.part';
/** The modes of a marked file not yet complete: as created, and while it is read back. */
const READABLE_UNFINISHED = 0o400;
const UNFINISHED_MODES = new Set([0, READABLE_UNFINISHED]);

/**
 * The mode that marks files complete in `directory`, or undefined when its file system does
 * not keep permission bits as set (FAT, some network mounts): files there stay plain. It is
 * the mode a new file gets under the process's umask, so stored files look as they did before.
 */
export function completeModeIn(directory: string): number | undefined {
  const probe = join(directory, `.${process.pid}.probe.part`);
  let fd: number | undefined;
  try {
    rmSync(probe, { force: true });
    fd = openSync(probe, 'w', 0o666);
    const mode = fstatSync(fd).mode & 0o777;
    // A umask that leaves only these modes cannot tell complete from unfinished.
    if (UNFINISHED_MODES.has(mode)) return undefined;
    fchmodSync(fd, 0);
    if ((fstatSync(fd).mode & 0o777) !== 0) return undefined;
    fchmodSync(fd, mode);
    return (fstatSync(fd).mode & 0o777) === mode ? mode : undefined;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
    rmSync(probe, { force: true });
  }
}

/**
 * A marked file that was complete when the process stopped: written in full and flushed, and
 * maybe acknowledged, but the rename to its final name not done or lost in a power cut.
 * Unmarked and unfinished files are not.
 */
export function isMarkedComplete(path: string): boolean {
  if (!path.endsWith(MARKED_SUFFIX)) return false;
  try {
    return !UNFINISHED_MODES.has(statSync(path).mode & 0o777);
  } catch {
    return false;
  }
}

let spareCounter = 0;

/** Spares made and not taken: removed when the process exits, so a clean exit leaves none. */
const unusedSpares = new Set<PartFile>();
let exitHooked = false;

function keepUnused(file: PartFile): void {
  if (!exitHooked) {
    exitHooked = true;
    process.once('exit', () => {
      for (const spare of unusedSpares) spare.discard();
    });
  }
  unusedSpares.add(file);
}

/** Directories written to recently, each with its spares (StoreRequest.writeFile). */
const sparesByDirectory = new Map<string, SpareFiles>();
const SPARE_DIRECTORIES = 16;

/** The spare files of a directory; the least recently used directory beyond 16 loses its own. */
export function sparesIn(directory: string): SpareFiles {
  let spares = sparesByDirectory.get(directory);
  if (spares) {
    sparesByDirectory.delete(directory);
  } else {
    spares = new SpareFiles(directory);
    if (sparesByDirectory.size >= SPARE_DIRECTORIES) {
      const [oldest, evicted] = sparesByDirectory.entries().next().value!;
      sparesByDirectory.delete(oldest);
      evicted.close();
    }
  }
  sparesByDirectory.set(directory, spares);
  return spares;
}

/** Removes every spare of `sparesIn` (a server that stops receiving calls it). */
export function closeSpareFiles(): void {
  for (const spares of sparesByDirectory.values()) spares.close();
  sparesByDirectory.clear();
}

/** fsync of a directory: makes the names created in it durable. */
export async function syncDirectory(path: string): Promise<void> {
  const fd = openSync(path, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
  }
}

function notifyWritten(done: readonly { chunk: Uint8Array; written: (chunk: Uint8Array) => void }[]): void {
  for (const { chunk, written } of done) written(chunk);
}

/** writev may write less than asked (signals, full disks on some file systems): go on. */
function writeAllSync(fd: number, chunks: Uint8Array[], bytes: number): void {
  let done = writevSync(fd, chunks);
  while (done < bytes) {
    const rest = remaining(chunks, done);
    done += writevSync(fd, rest);
  }
}

async function writeAll(fd: number, chunks: Uint8Array[], bytes: number): Promise<void> {
  let done = (await writevAsync(fd, chunks)).bytesWritten;
  while (done < bytes) done += (await writevAsync(fd, remaining(chunks, done))).bytesWritten;
}

function remaining(chunks: Uint8Array[], skip: number): Uint8Array[] {
  const rest: Uint8Array[] = [];
  for (const chunk of chunks) {
    if (skip >= chunk.length) {
      skip -= chunk.length;
      continue;
    }
    rest.push(skip > 0 ? chunk.subarray(skip) : chunk);
    skip = 0;
  }
  return rest;
}
