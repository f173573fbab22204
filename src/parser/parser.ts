import { DicomParseError } from '../core/errors.ts';
import {
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  type Tag,
  UNDEFINED_LENGTH,
} from '../core/tag.ts';
import { type VR, vrFromCode, vrInfo } from '../core/vr.ts';
import { lookupPrivate, lookupTag } from '../dictionary/index.ts';
import type { ParseHandler } from './handler.ts';

export interface ParserOptions {
  explicitVR: boolean;
  littleEndian: boolean;
  /** Stop before the first top-level element whose tag is >= this one (e.g. PixelData). */
  stopAtTag?: Tag;
  /** Stop once the top-level element with this tag, and all it contains, has been read. */
  stopAfterTag?: Tag;
  /** Stop before the first top-level element of another group (reading the file meta group). */
  onlyGroup?: number;
  /**
   * Values longer than this many bytes are not buffered: the handler gets their byte range
   * and the parser passes over them. Default: no limit (every value is handed as a view).
   */
  bulkDataThreshold?: number;
  /** Hand the bytes of bulk values to `handler.bulkChunk` as they pass. Default false. */
  streamBulkData?: boolean;
  /** Absolute offset of the first byte fed, for offsets in events and errors. Default 0. */
  startOffset?: number;
  /**
   * Largest value the parser will buffer before failing with ERR_VALUE_TOO_LARGE (a hostile
   * length must not make it allocate without bound). Default 2 GiB - 1.
   */
  maxValueLength?: number;
}

enum FrameKind {
  DataSet = 0,
  Sequence = 1,
  Item = 2,
  PixelSequence = 3,
}

interface Frame {
  kind: FrameKind;
  /** Absolute offset where a defined-length container ends; -1 for undefined length. */
  end: number;
  explicitVR: boolean;
  littleEndian: boolean;
  /** Private creators of this data set or item: (group << 8 | block) -> creator. */
  creators: Map<number, string> | undefined;
  /** (0028,0103) of this data set, resolving `US or SS` in implicit VR; -1 when unseen. */
  pixelRepresentation: number;
}

const MIN_CAPACITY = 64 * 1024;

/**
 * An incremental DICOM data set parser (PS3.5 §7): feed it chunks with `write()`, call
 * `end()` at the end of the stream. It keeps only the bytes of the element it is inside,
 * hands values on as views of the chunks it was given, and can pass over bulk values
 * without buffering them, so a 2 GB object parses in bounded memory.
 */
export class DicomParser {
  readonly #handler: ParseHandler;
  readonly #stopAtTag: number;
  readonly #stopAfterTag: number;
  /** The top-level element `stopAfterTag` has begun: stop before the next one. */
  #stopAfterSeen = false;
  readonly #onlyGroup: number;
  readonly #bulkThreshold: number;
  readonly #streamBulk: boolean;
  readonly #maxValueLength: number;
  readonly #frames: Frame[];

  #buf: Uint8Array = new Uint8Array(0);
  /** Valid bytes in #buf (it may have spare capacity when we own it). */
  #len = 0;
  #pos = 0;
  /** Absolute stream offset of #buf[0]. */
  #base: number;
  /** True when #buf is our own allocation that we may append to. */
  #owned = false;
  /** Bytes still to pass over for the current bulk value. */
  #skip = 0;
  /** The element waiting for more bytes: its value needs this many bytes from #pos. */
  #need = 0;
  #stopped = false;
  #ended = false;
  /** Buffered part [start, end) of the bulk value just passed, for streaming; end 0 = none. */
  #bulkStart = 0;
  #bulkEnd = 0;

  constructor(handler: ParseHandler, options: ParserOptions) {
    this.#handler = handler;
    this.#stopAtTag = options.stopAtTag ?? 0x1_0000_0000;
    this.#stopAfterTag = options.stopAfterTag ?? -1;
    this.#onlyGroup = options.onlyGroup ?? -1;
    this.#bulkThreshold = options.bulkDataThreshold ?? Number.POSITIVE_INFINITY;
    this.#streamBulk = options.streamBulkData ?? false;
    this.#maxValueLength = options.maxValueLength ?? 0x7fff_ffff;
    this.#base = options.startOffset ?? 0;
    this.#frames = [
      {
        kind: FrameKind.DataSet,
        end: -1,
        explicitVR: options.explicitVR,
        littleEndian: options.littleEndian,
        creators: undefined,
        pixelRepresentation: -1,
      },
    ];
  }

  /** True once the parser met `stopAtTag`; further input is ignored. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Absolute offset of the next unparsed byte (after a stop: where the stop tag starts). */
  get offset(): number {
    return this.#base + this.#pos + this.#skip;
  }

  /**
   * The bytes fed and not parsed: after a stop, those from the stop tag on (part of them may
   * come from earlier chunks), for a reader that goes on past the stop with a parser of its own.
   */
  get unparsed(): Uint8Array {
    return this.#buf.subarray(this.#pos, this.#len);
  }

  /** Byte order of the innermost container (UN of undefined length switches to implicit LE). */
  get littleEndian(): boolean {
    return this.#frames[this.#frames.length - 1]!.littleEndian;
  }

  /** Whether the innermost container encodes VRs (false: they come from the dictionary). */
  get explicitVR(): boolean {
    return this.#frames[this.#frames.length - 1]!.explicitVR;
  }

  /** Nesting depth: 0 at the top-level data set. */
  get depth(): number {
    return this.#frames.length - 1;
  }

  /**
   * Bytes of a bulk value the parser is waiting to pass over. A reader that owns the source
   * (a file) may seek past them and call `skipped(n)` instead of feeding them.
   */
  get pendingSkip(): number {
    return this.#skip;
  }

  skipped(count: number): void {
    if (count > this.#skip) throw new RangeError('skipped more than pending');
    this.#skip -= count;
    this.#base += count;
  }

  /** Feed the next chunk. The parser may keep views on it; do not reuse its memory. */
  write(chunk: Uint8Array): void {
    if (this.#stopped || chunk.length === 0) return;
    if (this.#ended) throw new Error('write after end');
    if (this.#skip > 0) chunk = this.#passOver(chunk);
    if (chunk.length === 0) return;
    this.#append(chunk);
    this.#run();
  }

  /**
   * No more input. Fails on an element cut short; closes open containers otherwise: those
   * of undefined length whose delimiters are missing, and items whose length runs past the
   * end while every element in them is whole (DCMTK reads both; a warning records it).
   */
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (this.#stopped) return;
    this.#run();
    if (this.#skip > 0 || this.#pos < this.#len) {
      const offset = this.#base + this.#pos;
      const available = this.#len - this.#pos;
      let what: string;
      if (this.#skip > 0) what = `a value is missing its last ${this.#skip} bytes`;
      else if (available >= 4) {
        const tag = this.#tagAt(this.#pos, this.littleEndian);
        what =
          this.#need > 0
            ? `element ${hexTag(tag)} needs ${this.#need} bytes, ${available} remain`
            : `element ${hexTag(tag)} has an incomplete header`;
      } else what = `${available} bytes left over`;
      throw new DicomParseError('ERR_UNEXPECTED_END', `data set ends early: ${what}`, offset);
    }
    const frames = this.#frames;
    while (frames.length > 1) {
      const frame = frames[frames.length - 1]!;
      if (frame.end >= 0) {
        this.warnings.push(
          `${frame.kind === FrameKind.Item ? 'item' : 'sequence'} length runs ${frame.end - this.offset} bytes past the end of the data`,
        );
      }
      this.#close();
    }
  }

  /** Things read although the standard forbids them; never errors. */
  readonly warnings: string[] = [];

  #passOver(chunk: Uint8Array): Uint8Array {
    const n = Math.min(this.#skip, chunk.length);
    if (this.#streamBulk && this.#handler.bulkChunk) this.#handler.bulkChunk(chunk.subarray(0, n));
    this.#skip -= n;
    this.#base += n;
    return chunk.subarray(n);
  }

  #append(chunk: Uint8Array): void {
    const remaining = this.#len - this.#pos;
    if (remaining === 0) {
      this.#base += this.#len;
      this.#buf = chunk;
      this.#len = chunk.length;
      this.#pos = 0;
      this.#owned = false;
      return;
    }
    if (this.#owned && this.#buf.length - this.#len >= chunk.length) {
      this.#buf.set(chunk, this.#len);
      this.#len += chunk.length;
      return;
    }
    // Grow geometrically, and at once to the size of the value we wait for, so a large
    // value split over many chunks is copied once, not once per chunk.
    const needed = remaining + chunk.length;
    const capacity = Math.max(
      needed,
      this.#need,
      Math.min(remaining * 2, this.#maxValueLength),
      MIN_CAPACITY,
    );
    const next = new Uint8Array(capacity);
    next.set(this.#buf.subarray(this.#pos, this.#len), 0);
    next.set(chunk, remaining);
    this.#base += this.#pos;
    this.#buf = next;
    this.#len = needed;
    this.#pos = 0;
    this.#owned = true;
  }

  #u16(at: number, little: boolean): number {
    const b = this.#buf;
    return little ? b[at]! | (b[at + 1]! << 8) : (b[at]! << 8) | b[at + 1]!;
  }

  #u32(at: number, little: boolean): number {
    const b = this.#buf;
    return little
      ? (b[at]! | (b[at + 1]! << 8) | (b[at + 2]! << 16) | (b[at + 3]! << 24)) >>> 0
      : ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
  }

  #tagAt(at: number, little: boolean): Tag {
    return (this.#u16(at, little) * 0x10000 + this.#u16(at + 2, little)) >>> 0;
  }

  #close(): void {
    const frame = this.#frames.pop()!;
    switch (frame.kind) {
      case FrameKind.Item:
        this.#handler.itemEnd();
        break;
      case FrameKind.Sequence:
        this.#handler.sequenceEnd();
        break;
      case FrameKind.PixelSequence:
        this.#handler.encapsulatedEnd();
        break;
      default:
        break;
    }
  }

  #error(message: string, at: number): never {
    throw new DicomParseError('ERR_MALFORMED', message, this.#base + at);
  }

  #run(): void {
    const frames = this.#frames;
    const handler = this.#handler;
    while (!this.#stopped && this.#skip === 0) {
      const frame = frames[frames.length - 1]!;
      const pos = this.#pos;
      const abs = this.#base + pos;
      if (frame.end >= 0 && abs >= frame.end) {
        if (abs > frame.end) this.#error('element runs past the end of its item or sequence', pos);
        this.#close();
        continue;
      }
      const available = this.#len - pos;
      const little = frame.littleEndian;
      if (frame.kind === FrameKind.Sequence || frame.kind === FrameKind.PixelSequence) {
        if (available < 8) return;
        const tag = this.#tagAt(pos, little);
        const length = this.#u32(pos + 4, little);
        if (tag === SEQUENCE_DELIMITATION) {
          this.#pos = pos + 8;
          this.#close();
          continue;
        }
        if (tag !== ITEM) {
          // A sequence of undefined length whose delimiter is missing before the next
          // element of the enclosing data set: end it there, as DCMTK does.
          if (frame.end < 0 && frame.kind === FrameKind.Sequence && tag >>> 16 !== 0xfffe) {
            this.#close();
            continue;
          }
          this.#error(`expected an item tag, found ${hexTag(tag)}`, pos);
        }
        if (frame.kind === FrameKind.PixelSequence) {
          if (length === UNDEFINED_LENGTH) this.#error('pixel data fragment of undefined length', pos);
          if (!this.#value(length, pos, 8)) return;
          const value =
            this.#skip > 0 || this.#bulkEnd > 0 ? undefined : this.#buf.subarray(pos + 8, pos + 8 + length);
          handler.fragment(value, abs, abs + 8, length);
          this.#flushBulk();
          continue;
        }
        this.#pos = pos + 8;
        frames.push({
          kind: FrameKind.Item,
          end: length === UNDEFINED_LENGTH ? -1 : abs + 8 + length,
          explicitVR: frame.explicitVR,
          littleEndian: little,
          creators: undefined,
          pixelRepresentation: -1,
        });
        handler.itemStart(length, abs);
        continue;
      }

      // In a data set or an item: one data element (PS3.5 §7.1).
      if (available < 8) return;
      const tag = this.#tagAt(pos, little);
      if (tag >= 0xfffe0000) {
        if (tag === ITEM_DELIMITATION && frame.kind === FrameKind.Item) {
          this.#pos = pos + 8;
          this.#close();
          continue;
        }
        if (tag === SEQUENCE_DELIMITATION && frame.kind === FrameKind.Item && frame.end < 0) {
          // An item whose delimiter is missing: the sequence ends here.
          this.#pos = pos + 8;
          this.#close();
          this.#close();
          continue;
        }
        if (
          (tag === ITEM_DELIMITATION || tag === SEQUENCE_DELIMITATION) &&
          this.#u32(pos + 4, little) === 0
        ) {
          // A stray delimiter (seen in files from some writers): DCMTK skips it too.
          this.#pos = pos + 8;
          continue;
        }
      }
      if (
        frame.kind === FrameKind.DataSet &&
        (tag >= this.#stopAtTag ||
          this.#stopAfterSeen ||
          (this.#onlyGroup >= 0 && tag >>> 16 !== this.#onlyGroup))
      ) {
        this.#stopped = true;
        return;
      }
      if (frame.kind === FrameKind.DataSet && tag === this.#stopAfterTag) this.#stopAfterSeen = true;
      let vr: VR | undefined;
      let length: number;
      let headerLength: number;
      if (frame.explicitVR) {
        const code = (this.#buf[pos + 4]! << 8) | this.#buf[pos + 5]!;
        vr = vrFromCode(code);
        if (vr === undefined) {
          // Not a VR: an implicit VR element inside an explicit data set, which some
          // writers produce. DCMTK reads it as implicit; so do we.
          vr = implicitVR(tag, frame);
          length = this.#u32(pos + 4, little);
          headerLength = 8;
        } else if (vrInfo(vr).longLength) {
          if (available < 12) return;
          length = this.#u32(pos + 8, little);
          headerLength = 12;
        } else {
          length = this.#u16(pos + 6, little);
          headerLength = 8;
        }
      } else {
        vr = implicitVR(tag, frame);
        length = this.#u32(pos + 4, little);
        headerLength = 8;
      }

      if (length === UNDEFINED_LENGTH) {
        this.#pos = pos + headerLength;
        if (tag === PIXEL_DATA && frame.kind === FrameKind.DataSet && vr !== 'SQ' && vr !== 'UN') {
          frames.push(this.#frame(FrameKind.PixelSequence, -1, frame.explicitVR, little));
          handler.encapsulatedStart(tag, vr, abs);
          continue;
        }
        // An unknown element of undefined length in implicit VR can only be a sequence.
        if (!frame.explicitVR && vr === 'UN') vr = 'SQ';
        // UN of undefined length holds implicit VR little endian items (PS3.5 §6.2.2);
        // so does any other undefined-length element that is not a sequence in the dictionary.
        const asImplicit = vr !== 'SQ';
        frames.push(
          this.#frame(
            FrameKind.Sequence,
            -1,
            asImplicit ? false : frame.explicitVR,
            asImplicit ? true : little,
          ),
        );
        handler.sequenceStart(tag, vr, length, abs);
        continue;
      }
      if (vr === 'SQ') {
        this.#pos = pos + headerLength;
        frames.push(this.#frame(FrameKind.Sequence, abs + headerLength + length, frame.explicitVR, little));
        handler.sequenceStart(tag, vr, length, abs);
        continue;
      }
      if (!this.#value(length, pos, headerLength)) return;
      if (this.#bulkEnd > 0) {
        handler.element(tag, vr, undefined, abs, abs + headerLength, length);
        this.#flushBulk();
        continue;
      }
      const start = pos + headerLength;
      const value = this.#buf.subarray(start, start + length);
      if ((tag & 0xffff) < 0x100 && (tag & 0x10000) !== 0) this.#noteCreator(tag, value, frame);
      else if (tag === 0x00280103 && length >= 2) frame.pixelRepresentation = this.#u16(start, little);
      handler.element(tag, vr, value, abs, abs + headerLength, length);
    }
  }

  /**
   * Makes the value of `length` bytes after a header of `headerLength` at `pos` available,
   * or starts passing over it when it is bulk data. Returns false when more input is needed.
   */
  #value(length: number, pos: number, headerLength: number): boolean {
    const start = pos + headerLength;
    if (length > this.#bulkThreshold) {
      const inBuffer = Math.min(length, this.#len - start);
      this.#pos = start + inBuffer;
      this.#skip = length - inBuffer;
      this.#bulkStart = start;
      this.#bulkEnd = start + inBuffer;
      return true;
    }
    if (length > this.#maxValueLength) {
      throw new DicomParseError(
        'ERR_VALUE_TOO_LARGE',
        `value of ${length} bytes is larger than the limit of ${this.#maxValueLength}`,
        this.#base + pos,
      );
    }
    if (this.#len - start < length) {
      this.#need = headerLength + length;
      return false;
    }
    this.#need = 0;
    this.#pos = start + length;
    return true;
  }

  /** After a bulk value's event: stream its buffered part, if asked to. */
  #flushBulk(): void {
    if (this.#streamBulk && this.#handler.bulkChunk && this.#bulkEnd > this.#bulkStart) {
      this.#handler.bulkChunk(this.#buf.subarray(this.#bulkStart, this.#bulkEnd));
    }
    this.#bulkStart = 0;
    this.#bulkEnd = 0;
  }

  #frame(kind: FrameKind, end: number, explicitVR: boolean, littleEndian: boolean): Frame {
    return { kind, end, explicitVR, littleEndian, creators: undefined, pixelRepresentation: -1 };
  }

  #noteCreator(tag: Tag, value: Uint8Array, frame: Frame): void {
    const element = tag & 0xffff;
    if (element < 0x10) return;
    let text = '';
    for (let i = 0; i < value.length; i++) text += String.fromCharCode(value[i]!);
    frame.creators ??= new Map();
    frame.creators.set(((tag >>> 16) << 8) | element, text.replace(/[\0 ]+$/, '').trimStart());
  }
}

/** The VR of an element in implicit VR encoding, from the dictionary (PS3.5 §7.1.3). */
function implicitVR(tag: Tag, frame: Frame): VR {
  const group = tag >>> 16;
  if ((group & 1) === 1 && group > 8) {
    const element = tag & 0xffff;
    if (element === 0) return 'UL';
    if (element < 0x100) return element >= 0x10 ? 'LO' : 'UN';
    const creator = frame.creators?.get((group << 8) | (element >>> 8));
    if (creator === undefined) return 'UN';
    const entry = lookupPrivate(creator, tag);
    return entry?.vr === undefined ? 'UN' : resolveAmbiguous(entry.vrs, frame);
  }
  const entry = lookupTag(tag);
  if (entry === undefined || entry.vr === undefined) return 'UN';
  return entry.vrs.length > 1 ? resolveAmbiguous(entry.vrs, frame) : entry.vr;
}

/**
 * `US or SS` follows Pixel Representation; `OB or OW` is OW in implicit VR (PS3.5 §A.1 c);
 * `US or SS or OW` (LUT data) is OW.
 */
function resolveAmbiguous(vrs: readonly VR[], frame: Frame): VR {
  if (vrs.length === 1) return vrs[0]!;
  if (vrs.includes('OW')) return 'OW';
  if (vrs.includes('SS') && vrs.includes('US')) return frame.pixelRepresentation === 1 ? 'SS' : 'US';
  return vrs[0]!;
}

function hexTag(tag: Tag): string {
  const hex = tag.toString(16).toUpperCase().padStart(8, '0');
  return `(${hex.slice(0, 4)},${hex.slice(4)})`;
}
