import type { Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';

/**
 * What the parser reports, in stream order. Callbacks rather than token objects: a full
 * parse builds one Element per element and no garbage besides (see bench/parse.ts).
 * `offset` is the absolute byte offset of the element's first header byte in the stream the
 * parser was fed (for deflated data sets: in the inflated stream).
 */
export interface ParseHandler {
  /**
   * An element with a value. `value` is a view on the bytes fed to the parser (no copy), in
   * the stream's byte order; it is undefined when the value was passed over as a byte range
   * (bulk data): then `valueOffset`/`length` locate it in the stream.
   */
  element(
    tag: Tag,
    vr: VR,
    value: Uint8Array | undefined,
    offset: number,
    valueOffset: number,
    length: number,
  ): void;
  /** A sequence; `length` is the encoded length or UNDEFINED_LENGTH. */
  sequenceStart(tag: Tag, vr: VR, length: number, offset: number): void;
  itemStart(length: number, offset: number): void;
  itemEnd(): void;
  sequenceEnd(): void;
  /** Encapsulated pixel data (PS3.5 §A.4): fragments follow, the first is the offset table. */
  encapsulatedStart(tag: Tag, vr: VR, offset: number): void;
  fragment(value: Uint8Array | undefined, offset: number, valueOffset: number, length: number): void;
  encapsulatedEnd(): void;
  /** Bytes of the bulk value being passed over, only when `streamBulkData` is set. */
  bulkChunk?(chunk: Uint8Array): void;
}
