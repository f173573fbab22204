import { readBulkData } from '../object/file.node.ts';
import type { BulkDataSource } from './bulk-source.ts';

/**
 * Reads bulk values from the file named in their reference (`readDicomFile` with
 * `bulkDataThreshold` or `stopAtTag` leaves pixel data there): only the range asked for,
 * so one frame of a large multi-frame object costs one frame of memory.
 */
export const fileBulkSource: BulkDataSource = {
  read(ref, start, length) {
    return readBulkData({ ...ref, offset: ref.offset + start, length });
  },
};
