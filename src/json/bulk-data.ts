import type { BulkDataRef, Element } from '../object/element.ts';

/**
 * BulkDataURIs read from JSON that were not resolved to bytes. The element keeps a
 * placeholder BulkDataRef (no source, length 0) so that encoding it to bytes fails loudly
 * (ERR_IO: not loaded) instead of writing an empty value; the URI is kept here, keyed by
 * that placeholder, so that it survives DataSet.clone() and dataSetToJson() can give it back.
 */
const uris = new WeakMap<BulkDataRef, string>();

export function bulkDataPlaceholder(uri: string): BulkDataRef {
  const ref: BulkDataRef = Object.freeze({ offset: 0, length: 0, littleEndian: true });
  uris.set(ref, uri);
  return ref;
}

/** The BulkDataURI an element was read with from JSON and not resolved, if any. */
export function bulkDataUriOf(element: Element): string | undefined {
  return element.bulk === undefined ? undefined : uris.get(element.bulk);
}
