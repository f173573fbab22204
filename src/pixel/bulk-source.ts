import { DicomError } from '../core/errors.ts';
import type { BulkDataRef } from '../object/element.ts';

/**
 * Where the bytes of values left in their source (`Element.bulk`, fragments read as
 * references) come from: a file in Node (`fileBulkSource` in bulk-source.node.ts), an HTTP
 * range request or a Blob in a browser. `read` returns `length` bytes starting `start`
 * bytes into the referenced value, as stored (the caller swaps big endian data).
 */
export interface BulkDataSource {
  read(ref: BulkDataRef, start: number, length: number): Promise<Uint8Array>;
}

/** The source used when none is given: values must be in memory. */
export const NO_BULK_SOURCE: BulkDataSource = {
  read(ref: BulkDataRef): Promise<Uint8Array> {
    return Promise.reject(
      new DicomError(
        'ERR_IO',
        `pixel data is not in memory (${ref.length} bytes at offset ${ref.offset}${ref.source ? ` of ${ref.source}` : ''}); ` +
          'pass a bulkSource (fileBulkSource in Node)',
      ),
    );
  },
};

/** Reads a range of a bulk value, checking the range against the reference and the result. */
export async function readRange(
  source: BulkDataSource,
  ref: BulkDataRef,
  start: number,
  length: number,
): Promise<Uint8Array> {
  if (start < 0 || length < 0 || start + length > ref.length) {
    throw new DicomError(
      'ERR_UNEXPECTED_END',
      `bytes ${start}..${start + length} asked of a ${ref.length}-byte value at offset ${ref.offset}`,
    );
  }
  const bytes = await source.read(ref, start, length);
  if (bytes.length !== length) {
    throw new DicomError(
      'ERR_UNEXPECTED_END',
      `bulk data source returned ${bytes.length} of ${length} bytes at offset ${ref.offset + start}`,
    );
  }
  return bytes;
}
