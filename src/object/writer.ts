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
}

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
  readonly #options: Required<EncodeOptions>;
  readonly #lengths = new Map<DataSet, number>();
  readonly #parts: EncodedPart[] = [];
  /** Small writes are batched into one buffer before they become a part. */
  #scratch = new Uint8Array(16 * 1024);
  #used = 0;

  constructor(options: EncodeOptions = {}) {
    this.#options = {
      sequenceLength: options.sequenceLength ?? 'keep',
      groupLength: options.groupLength ?? 'keep',
    };
  }

  /** Encodes a top-level data set; returns the parts in order. */
  encode(dataset: DataSet, ts: Pick<TransferSyntax, 'explicitVR' | 'littleEndian'>): EncodedPart[] {
    this.#writeDataSet(dataset, { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian });
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
    const at = this.#reserve(2);
    this.#scratch[at] = vr.charCodeAt(0);
    this.#scratch[at + 1] = vr.charCodeAt(1);
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
      // 'create': every group with an element besides its length; 'keep': those with a length.
      if (mode === 'create' ? (element.tag & 0xffff) !== 0 : (element.tag & 0xffff) === 0) {
        groups ??= new Map();
        groups.set(element.tag >>> 16, 0);
      }
    }
    if (!groups) return undefined;
    for (const element of dataset.elements()) {
      const group = element.tag >>> 16;
      if ((element.tag & 0xffff) !== 0 && groups.has(group)) {
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
    const swapUnit = element.littleEndian === t.littleEndian ? 1 : vr === 'AT' ? 2 : info.unitSize;
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

  #itemLength(item: DataSet, t: Target): number {
    const cached = this.#lengths.get(item);
    if (cached !== undefined) return cached;
    let total = 0;
    const groups = this.#groupLengths(item, t);
    const create = this.#options.groupLength === 'create';
    for (const element of item.elements()) {
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
