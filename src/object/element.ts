import type { Tag } from '../core/tag.ts';
import type { VR } from '../core/vr.ts';
import type { DataSet } from './dataset.ts';

/**
 * A value left where it was read (a byte range of the source), not loaded into memory:
 * pixel data of a header-only read, or any value over the bulk data threshold.
 */
export interface BulkDataRef {
  readonly offset: number;
  readonly length: number;
  /** Where the bytes live: a file path for file reads; undefined for a stream. */
  readonly source?: string;
  /** Byte order of the bytes at the source. */
  readonly littleEndian: boolean;
}

/** One fragment of encapsulated pixel data (PS3.5 §A.4), in memory or as a byte range. */
export type Fragment = Uint8Array | BulkDataRef;

export function isBulkDataRef(value: unknown): value is BulkDataRef {
  return typeof value === 'object' && value !== null && !(value instanceof Uint8Array) && 'offset' in value;
}

/**
 * One data element. Values stay as the bytes they were read from (a view, no copy) until
 * the data set decodes them; `littleEndian` says how to read binary values.
 */
export class Element {
  readonly tag: Tag;
  vr: VR;
  /** The encoded value, padding included, in `littleEndian` order; undefined for SQ, bulk or encapsulated. */
  bytes: Uint8Array | undefined;
  littleEndian: boolean;
  /** Items of a sequence (SQ, or UN of undefined length read as a sequence). */
  items: DataSet[] | undefined;
  /** Encapsulated pixel data: the Basic Offset Table first, then the fragments. */
  fragments: Fragment[] | undefined;
  bulk: BulkDataRef | undefined;
  /** Encode with undefined length (sequences and encapsulated pixel data). */
  undefinedLength: boolean;
  /** The length field as read, for sequences of defined length (dumps show it). */
  readLength: number | undefined;
  /** The VR was not in the stream (implicit VR): it came from the dictionary. */
  implicitVR: boolean;
  /** Decoded value, cached on first access by the data set. */
  cache: unknown;

  constructor(tag: Tag, vr: VR, bytes: Uint8Array | undefined, littleEndian = true) {
    this.tag = tag;
    this.vr = vr;
    this.bytes = bytes;
    this.littleEndian = littleEndian;
    this.items = undefined;
    this.fragments = undefined;
    this.bulk = undefined;
    this.undefinedLength = false;
    this.cache = undefined;
    this.readLength = undefined;
    this.implicitVR = false;
  }

  /** Length of the value as read or as it will be written, without sequences' contents. */
  get length(): number {
    return this.bytes?.length ?? this.bulk?.length ?? 0;
  }

  get isSequence(): boolean {
    return this.items !== undefined;
  }

  get isEncapsulated(): boolean {
    return this.fragments !== undefined;
  }
}
