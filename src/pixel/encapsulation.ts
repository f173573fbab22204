import { DicomError } from '../core/errors.ts';
import type { DataSet } from '../object/dataset.ts';
import { Element, type Fragment } from '../object/element.ts';
import { concatParts } from '../object/writer.ts';
import { type BulkDataSource, NO_BULK_SOURCE, readRange } from './bulk-source.ts';
import { type CodecRegistry, defaultCodecs, frameStartTest } from './codecs/registry.ts';
import { EXTENDED_OFFSET_TABLE, EXTENDED_OFFSET_TABLE_LENGTHS, PIXEL_DATA } from './description.ts';

/**
 * Where one frame of encapsulated pixel data lies: fragments `first` to `first + count - 1`
 * (indices into `Element.fragments`, where 0 is the Basic Offset Table), and its exact
 * length when the Extended Offset Table gives one.
 */
export interface FrameSpan {
  first: number;
  count: number;
  length?: number;
}

/** How the frame boundaries were found, for diagnostics. */
export type FrameIndexMethod =
  | 'extended-offset-table'
  | 'basic-offset-table'
  | 'one-fragment-per-frame'
  | 'single-frame'
  | 'frame-start-markers';

export interface FrameIndex {
  spans: FrameSpan[];
  method: FrameIndexMethod;
}

export interface FrameIndexOptions {
  transferSyntaxUid?: string;
  codecs?: CodecRegistry;
  bulkSource?: BulkDataSource;
}

function fragmentLength(fragment: Fragment): number {
  return fragment.length;
}

async function fragmentBytes(fragment: Fragment, source: BulkDataSource, length = fragment.length) {
  if (fragment instanceof Uint8Array) return fragment.subarray(0, length);
  return readRange(source, fragment, 0, length);
}

function readU32Table(bytes: Uint8Array): number[] {
  const values: number[] = [];
  for (let i = 0; i + 4 <= bytes.length; i += 4) {
    values.push((bytes[i]! | (bytes[i + 1]! << 8) | (bytes[i + 2]! << 16) | (bytes[i + 3]! << 24)) >>> 0);
  }
  return values;
}

function readU64Table(bytes: Uint8Array): number[] | undefined {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values: number[] = [];
  for (let i = 0; i + 8 <= bytes.length; i += 8) {
    const value = view.getBigUint64(i, true);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
    values.push(Number(value));
  }
  return values;
}

/**
 * Offsets of each fragment's Item tag, measured from the first fragment after the Basic
 * Offset Table (the origin of both offset tables, PS3.5 §A.4): fragment k >= 1.
 */
function itemPositions(fragments: readonly Fragment[]): Map<number, number> {
  const positions = new Map<number, number>();
  let at = 0;
  for (let k = 1; k < fragments.length; k++) {
    positions.set(at, k);
    const length = fragmentLength(fragments[k]!);
    at += 8 + length + (length & 1);
  }
  return positions;
}

/** Spans from a table of frame offsets, or undefined if an offset is not an item boundary. */
function spansFromOffsets(
  offsets: readonly number[],
  fragments: readonly Fragment[],
  lengths?: readonly number[],
): FrameSpan[] | undefined {
  const positions = itemPositions(fragments);
  const firsts: number[] = [];
  for (const offset of offsets) {
    const k = positions.get(offset);
    if (k === undefined || (firsts.length > 0 && k <= firsts[firsts.length - 1]!)) return undefined;
    firsts.push(k);
  }
  return firsts.map((first, i) => {
    const next = i + 1 < firsts.length ? firsts[i + 1]! : fragments.length;
    const span: FrameSpan = { first, count: next - first };
    if (lengths) span.length = lengths[i]!;
    return span;
  });
}

interface CachedIndex {
  frames: number;
  uid: string | undefined;
  codecs: CodecRegistry;
  fragments: readonly Fragment[];
  count: number;
  offsetTable: Fragment | undefined;
  index: FrameIndex;
}

/** Frame indexes by element, reused while the fragments, frame count, syntax and codecs stay the same. */
const cache = new WeakMap<Element, CachedIndex>();

/**
 * Finds the fragments of each frame of encapsulated pixel data (PS3.5 §A.4), in this order:
 * 1. the Extended Offset Table (7FE0,0001) with its lengths (7FE0,0002), when it has one
 *    entry per frame on item boundaries (each frame is then one fragment);
 * 2. the Basic Offset Table (the first item), when it has one entry per frame on item
 *    boundaries;
 * 3. with no usable table: one fragment per frame when there are as many fragments as
 *    frames; all fragments when there is one frame; else a new frame at each fragment that
 *    starts with the codestream's start marker (the codec's `isFrameStart`, else SOI for
 *    JPEG and JPEG-LS, SOC+SIZ or a JP2 signature for JPEG 2000), which must find exactly
 *    Number of Frames frames. Unusable tables are ignored, as DCMTK and pydicom do.
 */
export async function indexFrames(
  ds: DataSet,
  element: Element,
  numberOfFrames: number,
  options: FrameIndexOptions = {},
): Promise<FrameIndex> {
  const fragments = element.fragments;
  if (!fragments) throw new DicomError('ERR_INVALID_VALUE', 'pixel data is not encapsulated');
  const codecs = options.codecs ?? defaultCodecs;
  const uid = options.transferSyntaxUid;
  const cached = cache.get(element);
  if (
    cached &&
    cached.frames === numberOfFrames &&
    cached.uid === uid &&
    cached.codecs === codecs &&
    cached.fragments === fragments &&
    cached.count === fragments.length &&
    cached.offsetTable === fragments[0]
  ) {
    return cached.index;
  }
  const index = await computeIndex(ds, fragments, numberOfFrames, options);
  cache.set(element, {
    frames: numberOfFrames,
    uid,
    codecs,
    fragments,
    count: fragments.length,
    offsetTable: fragments[0],
    index,
  });
  return index;
}

async function computeIndex(
  ds: DataSet,
  fragments: readonly Fragment[],
  frames: number,
  options: FrameIndexOptions,
): Promise<FrameIndex> {
  const source = options.bulkSource ?? NO_BULK_SOURCE;
  const count = fragments.length - 1;
  if (count < 1) throw new DicomError('ERR_MALFORMED', 'encapsulated pixel data has no fragments');

  const eotBytes = ds.bytes(EXTENDED_OFFSET_TABLE);
  const eotLengthBytes = ds.bytes(EXTENDED_OFFSET_TABLE_LENGTHS);
  if (eotBytes && eotLengthBytes && eotBytes.length > 0) {
    const offsets = readU64Table(eotBytes);
    const lengths = readU64Table(eotLengthBytes);
    if (offsets && lengths && offsets.length === frames && lengths.length === frames) {
      const spans = spansFromOffsets(offsets, fragments, lengths);
      if (spans?.every((s) => s.count === 1 && s.length! <= fragmentLength(fragments[s.first]!))) {
        return { spans, method: 'extended-offset-table' };
      }
    }
  }

  const botFragment = fragments[0]!;
  if (botFragment.length >= 4) {
    const offsets = readU32Table(await fragmentBytes(botFragment, source));
    if (offsets.length === frames) {
      const spans = spansFromOffsets(offsets, fragments);
      if (spans) return { spans, method: 'basic-offset-table' };
    }
  }

  if (count === frames) {
    const spans = Array.from({ length: frames }, (_, i) => ({ first: i + 1, count: 1 }));
    return { spans, method: 'one-fragment-per-frame' };
  }
  if (frames === 1) return { spans: [{ first: 1, count }], method: 'single-frame' };
  if (count < frames) {
    throw new DicomError(
      'ERR_MALFORMED',
      `${count} fragments cannot hold ${frames} frames (no usable offset table, PS3.5 §A.4)`,
    );
  }
  const test = options.transferSyntaxUid
    ? frameStartTest(options.transferSyntaxUid, options.codecs ?? defaultCodecs)
    : undefined;
  if (!test) {
    throw new DicomError(
      'ERR_MALFORMED',
      `cannot tell which of ${count} fragments belong to which of ${frames} frames: no offset table and no frame start marker known for the transfer syntax`,
    );
  }
  const firsts: number[] = [];
  for (let k = 1; k <= count; k++) {
    const fragment = fragments[k]!;
    if (k === 1 || test(await fragmentBytes(fragment, source, Math.min(12, fragment.length)))) firsts.push(k);
  }
  if (firsts.length !== frames) {
    throw new DicomError(
      'ERR_MALFORMED',
      `found ${firsts.length} frame start markers in ${count} fragments, expected ${frames} frames`,
    );
  }
  const spans = firsts.map((first, i) => ({ first, count: (firsts[i + 1] ?? count + 1) - first }));
  return { spans, method: 'frame-start-markers' };
}

/** The bytes of one frame: its fragments joined (a view, not a copy, for one fragment in memory). */
export async function frameSpanBytes(
  fragments: readonly Fragment[],
  span: FrameSpan,
  source: BulkDataSource = NO_BULK_SOURCE,
): Promise<Uint8Array> {
  if (span.count === 1) return fragmentBytes(fragments[span.first]!, source, span.length);
  const parts: Uint8Array[] = [];
  for (let k = span.first; k < span.first + span.count; k++)
    parts.push(await fragmentBytes(fragments[k]!, source));
  return concatParts(parts);
}

export interface EncapsulateOptions {
  /**
   * 'basic' (default) fills the Basic Offset Table; 'extended' leaves it empty and returns
   * the Extended Offset Table and its lengths; 'none' leaves every table out. 'basic'
   * falls back to 'extended' when offsets pass 2^32 - 1 (PS3.5 §A.4).
   */
  offsetTable?: 'basic' | 'extended' | 'none';
  /** Split frames into fragments of at most this many bytes (even); default: one fragment per frame. */
  maxFragmentLength?: number;
}

export interface Encapsulated {
  /**
   * The Basic Offset Table item, then the fragments: the value of `Element.fragments`.
   * Frames given as references (held in a file, see `FrameSink`) stay references.
   */
  fragments: Fragment[];
  /** Extended Offset Table (7FE0,0001) and Lengths (7FE0,0002) values, little endian OV. */
  extendedOffsetTable?: Uint8Array;
  extendedOffsetTableLengths?: Uint8Array;
}

/**
 * Encapsulates encoded frames (PS3.5 §A.4): an offset table item, then each frame as one
 * or more fragments. Fragments of odd length are padded by the writer, and the offsets
 * count that padding. A frame may be a reference to bytes in a file (a `FrameSink`'s).
 */
export function encapsulate(frames: readonly Fragment[], options: EncapsulateOptions = {}): Encapsulated {
  const max = options.maxFragmentLength;
  if (max !== undefined && (max < 2 || max % 2 !== 0))
    throw new DicomError('ERR_INVALID_VALUE', `fragment length ${max} must be even and >= 2`);
  const fragments: Fragment[] = [new Uint8Array(0)];
  const offsets: number[] = [];
  const lengths: number[] = [];
  let at = 0;
  for (const frame of frames) {
    offsets.push(at);
    lengths.push(frame.length);
    if (frame.length === 0) {
      fragments.push(frame);
      at += 8;
      continue;
    }
    const step = max ?? frame.length;
    for (let start = 0; start < frame.length; start += step) {
      const end = Math.min(frame.length, start + step);
      const part =
        frame instanceof Uint8Array
          ? frame.subarray(start, end)
          : { ...frame, offset: frame.offset + start, length: end - start };
      fragments.push(part);
      at += 8 + part.length + (part.length & 1);
    }
  }
  let table = options.offsetTable ?? 'basic';
  if (table === 'basic' && at > 0xffffffff) table = 'extended';
  if (table === 'basic') {
    const bot = new Uint8Array(4 * offsets.length);
    const view = new DataView(bot.buffer);
    for (let i = 0; i < offsets.length; i++) view.setUint32(4 * i, offsets[i]!, true);
    fragments[0] = bot;
    return { fragments };
  }
  if (table === 'extended') {
    if (max !== undefined && frames.some((f) => f.length > max)) {
      throw new DicomError('ERR_INVALID_VALUE', 'the Extended Offset Table needs one fragment per frame');
    }
    const eot = new Uint8Array(8 * offsets.length);
    const eotLengths = new Uint8Array(8 * offsets.length);
    const v1 = new DataView(eot.buffer);
    const v2 = new DataView(eotLengths.buffer);
    for (let i = 0; i < offsets.length; i++) {
      v1.setBigUint64(8 * i, BigInt(offsets[i]!), true);
      v2.setBigUint64(8 * i, BigInt(lengths[i]!), true);
    }
    return { fragments, extendedOffsetTable: eot, extendedOffsetTableLengths: eotLengths };
  }
  return { fragments };
}

/**
 * Sets encapsulated Pixel Data (7FE0,0010, OB of undefined length) on `ds`, with the
 * Extended Offset Table elements when given (and removes stale ones when not).
 */
export function setEncapsulatedPixelData(ds: DataSet, encapsulated: Encapsulated): Element {
  for (const tag of [0x7fe00008, 0x7fe00009, EXTENDED_OFFSET_TABLE, EXTENDED_OFFSET_TABLE_LENGTHS])
    ds.delete(tag);
  if (encapsulated.extendedOffsetTable && encapsulated.extendedOffsetTableLengths) {
    ds.set(EXTENDED_OFFSET_TABLE, encapsulated.extendedOffsetTable, 'OV');
    ds.set(EXTENDED_OFFSET_TABLE_LENGTHS, encapsulated.extendedOffsetTableLengths, 'OV');
  }
  ds.delete(PIXEL_DATA);
  const element = new Element(PIXEL_DATA, 'OB', undefined, true);
  element.fragments = [...encapsulated.fragments];
  element.undefinedLength = true;
  ds.add(element);
  return element;
}
