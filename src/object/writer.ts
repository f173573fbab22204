import { DicomError } from '../core/errors.ts';
import {
  ITEM,
  ITEM_DELIMITATION,
  PIXEL_DATA,
  SEQUENCE_DELIMITATION,
  type Tag,
  UNDEFINED_LENGTH,
} from '../core/tag.ts';
import { type VR, vrInfo } from '../core/vr.ts';
import type { TransferSyntax } from '../encoding/transfer-syntax.ts';
import { swapped } from './byte-swap.ts';
import type { DataSet } from './dataset.ts';
import type { BulkDataRef, Element } from './element.ts';

/** How sequences and items are delimited on output. */
export type SequenceLengthMode = 'keep' | 'undefined' | 'defined';

export interface EncodeOptions {
  /** 'keep' (default) writes each sequence and item as it was read or created. */
  sequenceLength?: SequenceLengthMode;
  /**
   * Write (gggg,0000) group lengths: 'keep' (default) recomputes those present, 'remove' drops
   * them, 'create' writes one for every group of every data set and item (DCMTK's +g).
   */
  groupLength?: 'keep' | 'remove' | 'create';
  /**
   * Data Set Trailing Padding (FFFC,FFFC), at every level: 'keep' (default) writes what is
   * there, 'remove' drops it (DCMTK's -p), and lengths create it anew (DCMTK's +p; see Padding).
   */
  padding?: 'keep' | 'remove' | Padding;
  /**
   * Writes the VRs added to the standard after 1993 (UN, UT, UC, UR, OD, OF, OL, OV, SV, UV) as
   * OB in explicit VR, for peers that predate them (DCMTK's -u, "disable support for new VRs,
   * convert to OB"). Their headers have the same layout, so only the two VR bytes change; the
   * values stay as they are.
   */
  newVRsAsOB?: boolean;
}

/**
 * DCMTK's +p: a Data Set Trailing Padding element of zeros makes the file a multiple of
 * `dataSet` bytes long (from its first byte: `before` counts the preamble and file meta) and
 * each item's content a multiple of `item` bytes. 0 pads nothing at that level; lengths are even.
 * The padding is its own group, written without a group length (as DCMTK writes it).
 */
export interface Padding {
  dataSet: number;
  item: number;
  /** Bytes of the output before the data set: 132 + the file meta's length (0 for a bare data set). */
  before?: number;
}

/** (FFFC,FFFC) Data Set Trailing Padding, OB (PS3.5 §7.1, PS3.10 §7.2). */
export const DATA_SET_TRAILING_PADDING = 0xfffcfffc;

/** DCMTK's "new" VRs: those DcmVR::getValidEVR() turns into OB when their generation is disabled. */
const POST_1993_VRS: ReadonlySet<VR> = new Set<VR>([
  'UN',
  'UT',
  'UC',
  'UR',
  'OD',
  'OF',
  'OL',
  'OV',
  'SV',
  'UV',
]);

/** A part of the output: bytes, or a bulk value still at its source (with a byte swap unit). */
export type EncodedPart = Uint8Array | { ref: BulkDataRef; swapUnit: number };

interface Target {
  explicitVR: boolean;
  littleEndian: boolean;
}

/**
 * Encodes data sets in a transfer syntax (PS3.5 §7). Lengths of defined-length sequences
 * and items are computed first, once per item; values are copied as they are when the byte
 * order matches and swapped when it does not.
 */
export class DataSetEncoder {
  readonly #options: Required<Omit<EncodeOptions, 'padding'>>;
  /** Padding created (+p); undefined when kept or removed. */
  readonly #padding: Padding | undefined;
  /** Whether existing (FFFC,FFFC) elements are left out. */
  readonly #dropPadding: boolean;
  readonly #lengths = new Map<DataSet, number>();
  readonly #parts: EncodedPart[] = [];
  /** Small writes are batched into one buffer before they become a part. */
  #scratch = new Uint8Array(16 * 1024);
  #used = 0;

  constructor(options: EncodeOptions = {}) {
    this.#options = {
      sequenceLength: options.sequenceLength ?? 'keep',
      groupLength: options.groupLength ?? 'keep',
      newVRsAsOB: options.newVRsAsOB ?? false,
    };
    const padding = options.padding ?? 'keep';
    this.#padding = typeof padding === 'object' ? padding : undefined;
    this.#dropPadding = padding !== 'keep';
    for (const length of this.#padding ? [this.#padding.dataSet, this.#padding.item] : []) {
      if (!Number.isInteger(length) || length < 0 || length % 2 !== 0) {
        throw new DicomError('ERR_INVALID_VALUE', `padding lengths are even numbers of bytes, not ${length}`);
      }
    }
  }

  /** Encodes a top-level data set; returns the parts in order. */
  encode(dataset: DataSet, ts: Pick<TransferSyntax, 'explicitVR' | 'littleEndian'>): EncodedPart[] {
    const t = { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian };
    this.#writeDataSet(dataset, t);
    if (this.#padding?.dataSet) {
      const before = this.#padding.before ?? 0;
      this.#writePadding(
        this.#paddingLength(before + this.#contentLength(dataset, t), this.#padding.dataSet, t),
        t,
      );
    }
    this.#flush();
    return this.#parts.splice(0);
  }

  #flush(): void {
    if (this.#used > 0) {
      this.#parts.push(this.#scratch.slice(0, this.#used));
      this.#used = 0;
    }
  }

  #reserve(n: number): number {
    if (this.#used + n > this.#scratch.length) {
      this.#flush();
      if (n > this.#scratch.length) this.#scratch = new Uint8Array(n);
    }
    const at = this.#used;
    this.#used += n;
    return at;
  }

  #bytes(bytes: Uint8Array): void {
    if (bytes.length > 4096) {
      this.#flush();
      this.#parts.push(bytes);
      return;
    }
    const at = this.#reserve(bytes.length);
    this.#scratch.set(bytes, at);
  }

  #u16(value: number, little: boolean): void {
    const at = this.#reserve(2);
    const s = this.#scratch;
    if (little) {
      s[at] = value & 0xff;
      s[at + 1] = (value >>> 8) & 0xff;
    } else {
      s[at] = (value >>> 8) & 0xff;
      s[at + 1] = value & 0xff;
    }
  }

  #u32(value: number, little: boolean): void {
    const at = this.#reserve(4);
    const s = this.#scratch;
    if (little) {
      s[at] = value & 0xff;
      s[at + 1] = (value >>> 8) & 0xff;
      s[at + 2] = (value >>> 16) & 0xff;
      s[at + 3] = (value >>> 24) & 0xff;
    } else {
      s[at] = (value >>> 24) & 0xff;
      s[at + 1] = (value >>> 16) & 0xff;
      s[at + 2] = (value >>> 8) & 0xff;
      s[at + 3] = value & 0xff;
    }
  }

  #tag(tag: Tag, little: boolean): void {
    this.#u16(tag >>> 16, little);
    this.#u16(tag & 0xffff, little);
  }

  /** Header: tag, VR (explicit), length; 8 or 12 bytes (PS3.5 §7.1.2, §7.1.3). */
  #header(tag: Tag, vr: VR, length: number, t: Target): void {
    this.#tag(tag, t.littleEndian);
    if (!t.explicitVR) {
      this.#u32(length, t.littleEndian);
      return;
    }
    // The post-1993 VRs all have the long form of OB's header (PS3.5 Table 7.1-1).
    const written = this.#options.newVRsAsOB && POST_1993_VRS.has(vr) ? 'OB' : vr;
    const at = this.#reserve(2);
    this.#scratch[at] = written.charCodeAt(0);
    this.#scratch[at + 1] = written.charCodeAt(1);
    if (vrInfo(vr).longLength) {
      this.#u16(0, t.littleEndian);
      this.#u32(length, t.littleEndian);
    } else {
      if (length > 0xffff) {
        throw new DicomError(
          'ERR_VALUE_TOO_LARGE',
          `value of ${length} bytes does not fit the 16-bit length of ${vr} in explicit VR`,
        );
      }
      this.#u16(length, t.littleEndian);
    }
  }

  #undefinedSequence(element: Element): boolean {
    const mode = this.#options.sequenceLength;
    return mode === 'keep' ? element.undefinedLength : mode === 'undefined';
  }

  #undefinedItem(item: DataSet): boolean {
    const mode = this.#options.sequenceLength;
    return mode === 'keep' ? item.undefinedLength : mode === 'undefined';
  }

  /** Elements inside UN sequences are implicit VR little endian whatever the syntax (PS3.5 §6.2.2). */
  #inner(element: Element, t: Target): Target {
    return element.vr === 'UN' ? { explicitVR: false, littleEndian: true } : t;
  }

  /** The group lengths to write in a data set: of the groups that have one ('keep'), or of all. */
  #groupLengths(dataset: DataSet, t: Target): Map<number, number> | undefined {
    const mode = this.#options.groupLength;
    if (mode === 'remove') return undefined;
    let groups: Map<number, number> | undefined;
    for (const element of dataset.elements()) {
      if (this.#skipped(element)) continue;
      // 'create': every group with an element besides its length; 'keep': those with a length.
      if (mode === 'create' ? (element.tag & 0xffff) !== 0 : (element.tag & 0xffff) === 0) {
        groups ??= new Map();
        groups.set(element.tag >>> 16, 0);
      }
    }
    if (!groups) return undefined;
    for (const element of dataset.elements()) {
      const group = element.tag >>> 16;
      if ((element.tag & 0xffff) !== 0 && groups.has(group) && !this.#skipped(element)) {
        groups.set(group, groups.get(group)! + this.#elementLength(element, t));
      }
    }
    return groups;
  }

  #writeDataSet(dataset: DataSet, t: Target): void {
    const groups = this.#groupLengths(dataset, t);
    const create = this.#options.groupLength === 'create';
    let lastGroup = -1;
    for (const element of dataset.elements()) {
      if (this.#skipped(element)) continue;
      const group = element.tag >>> 16;
      if ((element.tag & 0xffff) === 0) {
        // Created ones are written where their group starts, below.
        if (create) continue;
        const length = groups?.get(group);
        if (length === undefined) continue;
        this.#header(element.tag, 'UL', 4, t);
        this.#u32(length, t.littleEndian);
        continue;
      }
      if (create && group !== lastGroup) {
        this.#header(group << 16, 'UL', 4, t);
        this.#u32(groups!.get(group)!, t.littleEndian);
        lastGroup = group;
      }
      this.#writeElement(element, t, element.tag === PIXEL_DATA ? (dataset.number(0x00280100) ?? 16) : 16);
    }
  }

  #writeElement(element: Element, t: Target, bitsAllocated: number): void {
    const vr = element.vr;
    if (element.items) {
      const inner = this.#inner(element, t);
      const undefinedLength = this.#undefinedSequence(element) || element.vr === 'UN';
      const length = undefinedLength ? UNDEFINED_LENGTH : this.#sequenceContentLength(element, inner);
      this.#header(element.tag, vr, length, t);
      for (const item of element.items) {
        const itemUndefined = this.#undefinedItem(item);
        this.#tag(ITEM, inner.littleEndian);
        this.#u32(itemUndefined ? UNDEFINED_LENGTH : this.#itemLength(item, inner), inner.littleEndian);
        this.#writeDataSet(item, inner);
        if (this.#padding?.item) this.#writePadding(this.#itemPadding(item, inner), inner);
        if (itemUndefined) {
          this.#tag(ITEM_DELIMITATION, inner.littleEndian);
          this.#u32(0, inner.littleEndian);
        }
      }
      if (undefinedLength) {
        this.#tag(SEQUENCE_DELIMITATION, inner.littleEndian);
        this.#u32(0, inner.littleEndian);
      }
      return;
    }
    if (element.fragments) {
      this.#header(element.tag, vr === 'OW' ? 'OW' : 'OB', UNDEFINED_LENGTH, t);
      for (const fragment of element.fragments) {
        const length = fragment instanceof Uint8Array ? fragment.length : fragment.length;
        this.#tag(ITEM, t.littleEndian);
        this.#u32(length + (length & 1), t.littleEndian);
        this.#value(fragment, 1, length);
      }
      this.#tag(SEQUENCE_DELIMITATION, t.littleEndian);
      this.#u32(0, t.littleEndian);
      return;
    }
    const info = vrInfo(vr);
    const raw: Uint8Array | BulkDataRef = element.bytes ?? element.bulk ?? new Uint8Array(0);
    if (
      vr === 'OW' &&
      element.implicitVR &&
      element.tag === PIXEL_DATA &&
      t.explicitVR &&
      bitsAllocated <= 8
    ) {
      // Pixel Data read in implicit VR is OW (PS3.5 §A.1); 8-bit pixels are OB in explicit
      // VR (PS3.5 §A.2), as DCMTK writes them, and must not be byte-swapped.
      this.#header(element.tag, 'OB', raw.length + (raw.length & 1), t);
      this.#value(raw, 1, raw.length);
      return;
    }
    const rawLength = raw.length;
    const padded = rawLength + (rawLength & 1);
    this.#header(element.tag, vr, padded, t);
    // Written as OB (-u), a value is little endian whatever the syntax, as OB's are (DCMTK too).
    const little = (this.#options.newVRsAsOB && POST_1993_VRS.has(vr)) || t.littleEndian;
    const swapUnit = element.littleEndian === little ? 1 : vr === 'AT' ? 2 : info.unitSize;
    this.#value(raw, swapUnit, rawLength, info.padByte);
  }

  #value(raw: Uint8Array | BulkDataRef, swapUnit: number, length: number, padByte = 0): void {
    if (raw instanceof Uint8Array) {
      this.#bytes(swapUnit > 1 ? swapped(raw, swapUnit) : raw);
    } else {
      this.#flush();
      this.#parts.push({ ref: raw, swapUnit });
    }
    if (length & 1) {
      const at = this.#reserve(1);
      this.#scratch[at] = padByte;
    }
  }

  /** Encoded length of an element, header included. */
  #elementLength(element: Element, t: Target): number {
    const vr = element.vr;
    const header = t.explicitVR ? (vrInfo(vr).longLength ? 12 : 8) : 8;
    if (element.items) {
      const inner = this.#inner(element, t);
      const undefinedLength = this.#undefinedSequence(element) || element.vr === 'UN';
      return header + this.#sequenceContentLength(element, inner) + (undefinedLength ? 8 : 0);
    }
    if (element.fragments) {
      let total = header + 8;
      for (const fragment of element.fragments) total += 8 + fragment.length + (fragment.length & 1);
      return total;
    }
    const length = element.bytes?.length ?? element.bulk?.length ?? 0;
    return header + length + (length & 1);
  }

  /** Length of a sequence's items with their headers (and delimiters where undefined). */
  #sequenceContentLength(element: Element, inner: Target): number {
    let total = 0;
    for (const item of element.items!) {
      const itemUndefined = this.#undefinedItem(item);
      total += 8 + this.#itemLength(item, inner) + (itemUndefined ? 8 : 0);
    }
    return total;
  }

  /** An item's length: its elements, and the padding made for it (+p). */
  #itemLength(item: DataSet, t: Target): number {
    return this.#contentLength(item, t) + (this.#padding?.item ? this.#itemPadding(item, t) : 0);
  }

  /** Bytes of the padding element an item gets (+p), header included; 0 for none. */
  #itemPadding(item: DataSet, t: Target): number {
    return this.#paddingLength(this.#contentLength(item, t), this.#padding!.item, t);
  }

  /**
   * The padding element that makes `length` a multiple of `multiple`, header included, as
   * DCMTK sizes it (DcmItem::computeGroupLengthAndPadding): none when `length` is one already,
   * and a whole `multiple` more when the gap is smaller than the element's header.
   */
  #paddingLength(length: number, multiple: number, t: Target): number {
    let padding = multiple - (length % multiple);
    if (padding === multiple) return 0;
    const header = t.explicitVR ? 12 : 8;
    while (padding < header) padding += multiple;
    return padding;
  }

  #writePadding(bytes: number, t: Target): void {
    if (bytes === 0) return;
    const header = t.explicitVR ? 12 : 8;
    this.#header(DATA_SET_TRAILING_PADDING, 'OB', bytes - header, t);
    this.#bytes(new Uint8Array(bytes - header));
  }

  #skipped(element: Element): boolean {
    return this.#dropPadding && element.tag === DATA_SET_TRAILING_PADDING;
  }

  /** Length of a data set's or item's elements as written (created group lengths included). */
  #contentLength(item: DataSet, t: Target): number {
    const cached = this.#lengths.get(item);
    if (cached !== undefined) return cached;
    let total = 0;
    const groups = this.#groupLengths(item, t);
    const create = this.#options.groupLength === 'create';
    for (const element of item.elements()) {
      if (this.#skipped(element)) continue;
      if ((element.tag & 0xffff) === 0) {
        if (!create && groups?.has(element.tag >>> 16)) total += 12;
        continue;
      }
      total += this.#elementLength(element, t);
    }
    // (gggg,0000) UL, 4: 12 bytes in either VR form.
    if (create) total += 12 * (groups?.size ?? 0);
    this.#lengths.set(item, total);
    return total;
  }
}

/** Joins parts held in memory; fails on bulk references (use the file writer for those). */
export function concatParts(parts: readonly EncodedPart[]): Uint8Array {
  let total = 0;
  for (const part of parts) {
    if (!(part instanceof Uint8Array)) {
      throw new DicomError(
        'ERR_IO',
        'data set holds bulk data not loaded in memory; write it with writeDicomFile',
      );
    }
    total += part.length;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const part of parts as Uint8Array[]) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
