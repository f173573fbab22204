import {
  closeSync,
  fdatasync,
  fsync,
  open,
  openSync,
  renameSync,
  unlinkSync,
  writev,
  writevSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const writevAsync = promisify(writev);
const openAsync = promisify(open);

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
 */
export class PartFile {
  readonly temporary: string;
  readonly #fd: number;
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #written = 0;
  #closed = false;

  private constructor(temporary: string, fd: number) {
    this.temporary = temporary;
    this.#fd = fd;
  }

  /**
   * Creates the temporary file. The open is the one call kept off the event loop: creating a
   * file waits for the file system's journal when it is committing, for milliseconds at times.
   */
  static async create(temporary: string): Promise<PartFile> {
    return new PartFile(temporary, await openAsync(temporary, 'w'));
  }

  /** Bytes handed to `write()` so far. */
  get size(): number {
    return this.#written + this.#pendingBytes;
  }

  /** Queues bytes; returns a promise only when it wrote past the synchronous budget. */
  write(chunk: Uint8Array): Promise<void> | undefined {
    this.#pending.push(chunk);
    this.#pendingBytes += chunk.length;
    return this.#pendingBytes >= BATCH_BYTES ? this.#flush() : undefined;
  }

  #flush(): Promise<void> | undefined {
    if (this.#pendingBytes === 0) return undefined;
    const chunks = this.#pending;
    const bytes = this.#pendingBytes;
    this.#pending = [];
    this.#pendingBytes = 0;
    const start = this.#written;
    this.#written += bytes;
    if (start + bytes <= SYNC_BYTES) {
      writeAllSync(this.#fd, chunks, bytes);
      return undefined;
    }
    return writeAll(this.#fd, chunks, bytes);
  }

  /** Writes what is queued and, when `durable`, flushes the data to the device. */
  async finish(durable: boolean): Promise<void> {
    await this.#flush();
    if (durable) await fdatasyncAsync(this.#fd);
  }

  /**
   * Renames the finished file to `path` (replacing a file there) and, when `durable`, syncs
   * the directory so that the new name itself is on the device (POSIX leaves it in memory).
   */
  async commit(path: string, durable: boolean): Promise<void> {
    this.#close();
    renameSync(this.temporary, path);
    if (durable) await syncDirectory(dirname(path));
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
  }

  #close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeSync(this.#fd);
  }
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
