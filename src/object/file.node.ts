import { type FileHandle, open } from 'node:fs/promises';
import { DicomError, DicomParseError } from '../core/errors.ts';
import { DataSetBuilder } from './builder.ts';
import { swapped } from './byte-swap.ts';
import { DataSet } from './dataset.ts';
import type { BulkDataRef } from './element.ts';
import {
  chooseTransferSyntax,
  type DicomFile,
  dataSetParser,
  isGzip,
  metaStartFor,
  type ReadOptions,
  readDicom,
  readMeta,
} from './part10.ts';
import { encodeDicom, type WriteOptions } from './part10-writer.ts';

const CHUNK = 256 * 1024;
/** Files up to this size are read in one piece when no partial read is asked for. */
const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;
/** Above WHOLE_FILE_LIMIT, values longer than this stay on disk as references. */
const LARGE_FILE_BULK_THRESHOLD = 1024 * 1024;

async function readAt(handle: FileHandle, position: number, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await handle.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buffer : buffer.subarray(0, filled);
}

/**
 * Reads a DICOM file from disk. With `stopAtTag` or `bulkDataThreshold` (and for files over
 * 256 MB) it reads in chunks from the file handle and seeks past bulk values, so reading the
 * header of a multi-gigabyte file holds only the header in memory.
 */
export async function readDicomFile(path: string, options: ReadOptions = {}): Promise<DicomFile> {
  let handle: FileHandle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    throw new DicomError('ERR_IO', `cannot open ${path}: ${(error as Error).message}`, { cause: error });
  }
  try {
    const size = (await handle.stat()).size;
    const partial =
      options.stopAtTag !== undefined ||
      options.stopAfterTag !== undefined ||
      options.bulkDataThreshold !== undefined;
    if (!partial && size <= WHOLE_FILE_LIMIT) {
      const bytes = await readAt(handle, 0, size);
      return readDicom(bytes, { ...options, source: path });
    }
    return await readInChunks(handle, path, size, {
      ...options,
      bulkDataThreshold: options.bulkDataThreshold ?? LARGE_FILE_BULK_THRESHOLD,
    });
  } finally {
    await handle.close();
  }
}

async function readInChunks(
  handle: FileHandle,
  path: string,
  size: number,
  options: ReadOptions,
): Promise<DicomFile> {
  let head = await readAt(handle, 0, Math.min(size, CHUNK));
  if (isGzip(head)) return readDicom(await readAt(handle, 0, size), { ...options, source: path });
  const metaStart = metaStartFor(head, options);
  let meta = new DataSet();
  let dataSetOffset = 0;
  const warnings: string[] = [];
  if (metaStart >= 0) {
    // The meta group is small; grow the head until it holds the whole group.
    for (;;) {
      try {
        const read = readMeta(head, metaStart);
        meta = read.meta;
        dataSetOffset = read.end;
        break;
      } catch (error) {
        if (!(error instanceof DicomParseError) || error.code !== 'ERR_UNEXPECTED_END' || head.length >= size)
          throw error;
        head = await readAt(handle, 0, Math.min(size, head.length * 4));
      }
    }
  }
  const ts = chooseTransferSyntax(meta, head, dataSetOffset, metaStart >= 0, options, warnings);
  if (ts.deflated) {
    // A deflate stream cannot be sought in: read it whole.
    const bytes = await readAt(handle, 0, size);
    return readDicom(bytes, { ...options, source: path });
  }
  const file: DicomFile = {
    meta,
    dataset: new DataSet(),
    transferSyntax: ts,
    hasMeta: metaStart >= 0,
    dataSetOffset,
    warnings,
    ...(metaStart > 4 ? { preamble: head.slice(0, 128) } : {}),
  };
  const builder = new DataSetBuilder(file.dataset, path);
  const parser = dataSetParser(builder, ts, dataSetOffset, options);
  try {
    // Copy what we use of the head: views on it would otherwise keep all of it alive.
    parser.write(head.slice(dataSetOffset));
    let position = head.length;
    while (!parser.stopped && position < size) {
      const skip = parser.pendingSkip;
      if (skip > 0) {
        const n = Math.min(skip, size - position);
        parser.skipped(n);
        position += n;
        continue;
      }
      const chunk = await readAt(handle, position, Math.min(CHUNK, size - position));
      if (chunk.length === 0) break;
      parser.write(chunk);
      position += chunk.length;
    }
    if (!parser.stopped) parser.end();
    warnings.push(...parser.warnings);
  } catch (error) {
    if (error instanceof DicomParseError) error.partial = file;
    throw error;
  }
  if (parser.stopped) file.stoppedAt = parser.offset;
  return file;
}

/** Reads the bytes of a bulk data reference, in little endian when `unit` > 1 asks for swapping. */
export async function readBulkData(ref: BulkDataRef): Promise<Uint8Array> {
  if (!ref.source) throw new DicomError('ERR_IO', 'bulk data reference has no source file');
  const handle = await open(ref.source, 'r');
  try {
    return await readAt(handle, ref.offset, ref.length);
  } finally {
    await handle.close();
  }
}

/**
 * Writes a file; bulk values still on disk are streamed from their source in chunks.
 * Writes to `path.part` and renames, so a reader never sees half a file.
 */
export async function writeDicomFile(
  path: string,
  input: DicomFile | DataSet,
  options: WriteOptions = {},
): Promise<void> {
  const parts = encodeDicom(input, options);
  const temporary = `${path}.part`;
  const out = await open(temporary, 'w');
  try {
    for (const part of parts) {
      if (part instanceof Uint8Array) {
        await out.write(part);
        continue;
      }
      const source = await open(part.ref.source ?? '', 'r').catch((error: unknown) => {
        throw new DicomError('ERR_IO', `bulk data source missing: ${part.ref.source}`, { cause: error });
      });
      try {
        for (let done = 0; done < part.ref.length; ) {
          const n = Math.min(4 * 1024 * 1024, part.ref.length - done);
          const chunk = await readAt(source, part.ref.offset + done, n);
          if (chunk.length < n)
            throw new DicomError('ERR_IO', `bulk data source ${part.ref.source} is shorter than expected`);
          await out.write(part.swapUnit > 1 ? swapped(chunk, part.swapUnit) : chunk);
          done += n;
        }
      } finally {
        await source.close();
      }
    }
    await out.sync();
  } finally {
    await out.close();
  }
  const { rename } = await import('node:fs/promises');
  await rename(temporary, path);
}
