import { type FileHandle, open, rm } from 'node:fs/promises';
import type { BulkDataRef } from '../object/element.ts';
import type { FrameSink } from './transcode.ts';

/**
 * A `FrameSink` backed by a file: transcoded frames are written one after the other and the
 * result refers to them, so a multi-gigabyte object is transcoded one frame at a time and
 * written by streaming (`writeDicomFile` reads the references back in chunks). The file must
 * outlive the write; `remove()` then deletes it.
 */
export class FileFrameSink implements FrameSink {
  readonly path: string;
  readonly #handle: FileHandle;
  #size = 0;

  private constructor(path: string, handle: FileHandle) {
    this.path = path;
    this.#handle = handle;
  }

  /** Creates the file (it must not exist). */
  static async create(path: string): Promise<FileFrameSink> {
    return new FileFrameSink(path, await open(path, 'wx'));
  }

  /** Bytes appended so far. */
  get size(): number {
    return this.#size;
  }

  async append(bytes: Uint8Array): Promise<BulkDataRef> {
    const offset = this.#size;
    for (let done = 0; done < bytes.length; ) {
      const { bytesWritten } = await this.#handle.write(bytes, done, bytes.length - done, offset + done);
      done += bytesWritten;
    }
    this.#size += bytes.length;
    return { source: this.path, offset, length: bytes.length, littleEndian: true };
  }

  /** Closes and deletes the file: once what refers to it has been written. */
  async remove(): Promise<void> {
    await this.#handle.close().catch(() => {});
    await rm(this.path, { force: true });
  }
}
