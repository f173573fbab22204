import { DicomError } from '../core/errors.ts';
import type { Tag } from '../core/tag.ts';
import type { DataSet } from '../object/dataset.ts';

/**
 * A lookup table (PS3.3 §C.11.1.1.1): input values from `firstMapped` map to `data`;
 * inputs below map to the first entry, above to the last.
 */
export interface Lut {
  firstMapped: number;
  /** Bits of each output entry (LUT Descriptor value 3), 8 or 16 in practice. */
  bits: number;
  data: Uint16Array;
  /** LUT Explanation or Modality LUT Type, when given. */
  explanation?: string;
}

export function lookupTable(firstMapped: number, bits: number, data: Uint16Array, explanation?: string): Lut {
  return explanation === undefined ? { firstMapped, bits, data } : { firstMapped, bits, data, explanation };
}

/** The output of a LUT for input `x`. */
export function lookup(lut: Lut, x: number): number {
  const k = Math.round(x) - lut.firstMapped;
  const last = lut.data.length - 1;
  return lut.data[k <= 0 ? 0 : Math.min(k, last)]!;
}

export interface LutDescriptor {
  /** Value 1: number of entries; 0 means 65536 (2^16). */
  entries: number;
  /** Value 2: first input value mapped; US or SS, read signed when `signedInput`. */
  firstMapped: number;
  /** Value 3: bits per entry. */
  bits: number;
}

/**
 * Reads a LUT Descriptor (PS3.3 §C.11.1.1.1, §C.7.6.3.1.5). Its VR is US or SS; a first
 * value above 32767 read as US is negative when the input is signed, and a number of
 * entries of 0 (or read negative as SS) counts from 65536.
 */
export function readLutDescriptor(ds: DataSet, tag: Tag, signedInput: boolean): LutDescriptor | undefined {
  const values = ds.numbers(tag);
  if (!values || values.length < 3) return undefined;
  let [entries, first, bits] = values as [number, number, number];
  if (entries <= 0) entries += 65536;
  if (signedInput && first >= 0x8000) first -= 0x10000;
  else if (!signedInput && first < 0) first += 0x10000;
  return { entries, firstMapped: first, bits };
}

/**
 * The entries of LUT Data (0028,3006) or Palette Color LUT Data given as little-endian
 * bytes: 16-bit words, or single bytes when the data holds one byte per entry (8-bit
 * entries packed two to a word, PS3.3 §C.7.6.3.1.6). 8-bit entries stored one per word in
 * the high byte are moved down.
 */
export function readLutData(bytes: Uint8Array, entries: number, bits: number): Uint16Array {
  const out = new Uint16Array(entries);
  if (bytes.length >= 2 * entries) {
    let high = 0;
    let low = 0;
    for (let i = 0; i < entries; i++) {
      const v = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
      out[i] = v;
      high |= v >>> 8;
      low |= v & 0xff;
    }
    if (bits <= 8 && high !== 0) {
      for (let i = 0; i < entries; i++) out[i] = low === 0 ? out[i]! >>> 8 : out[i]! & 0xff;
    }
    return out;
  }
  if (bytes.length >= entries && bits <= 8) {
    out.set(bytes.subarray(0, entries));
    return out;
  }
  throw new DicomError('ERR_INVALID_VALUE', `LUT Data holds ${bytes.length} bytes for ${entries} entries`);
}

/** Reads a LUT from an item of a Modality LUT, VOI LUT or Presentation LUT Sequence. */
export function readLutItem(item: DataSet, signedInput: boolean): Lut | undefined {
  const descriptor = readLutDescriptor(item, 0x00283002, signedInput);
  const bytes = item.bytes(0x00283006);
  if (!descriptor || !bytes) return undefined;
  const data = readLutData(bytes, descriptor.entries, descriptor.bits);
  const explanation = item.string(0x00283003) ?? item.string(0x00283004);
  return lookupTable(descriptor.firstMapped, descriptor.bits, data, explanation);
}

/** The Modality LUT stage (PS3.3 §C.11.1): a rescale or a LUT; identity when neither is given. */
export type ModalityTransform =
  | { kind: 'rescale'; slope: number; intercept: number; type?: string }
  | { kind: 'lut'; lut: Lut };

/** Applies a modality transform to one stored value. */
export function applyModality(transform: ModalityTransform, x: number): number {
  return transform.kind === 'rescale' ? x * transform.slope + transform.intercept : lookup(transform.lut, x);
}

/** VOI LUT Function (0028,1056), PS3.3 §C.11.2.1.3. */
export type VoiLutFunction = 'LINEAR' | 'LINEAR_EXACT' | 'SIGMOID';

/** A window (PS3.3 §C.11.2.1.2): center and width in modality output units. */
export interface Window {
  center: number;
  width: number;
  /** Default LINEAR. */
  function?: VoiLutFunction;
  explanation?: string;
}

/**
 * The VOI window function (PS3.3 §C.11.2.1.2.1 and §C.11.2.1.3) from x to [yMin, yMax],
 * unrounded:
 * - LINEAR: x <= c - 0.5 - (w-1)/2 -> yMin; x > c - 0.5 + (w-1)/2 -> yMax; else
 *   ((x - (c - 0.5)) / (w-1) + 0.5) * (yMax - yMin) + yMin. Width must be >= 1.
 * - LINEAR_EXACT: x <= c - w/2 -> yMin; x > c + w/2 -> yMax; else
 *   ((x - c) / w + 0.5) * (yMax - yMin) + yMin. Width must be > 0.
 * - SIGMOID (Equation C.11-1): (yMax - yMin) / (1 + exp(-4 (x - c) / w)) + yMin.
 */
export function windowFunction(window: Window, yMin = 0, yMax = 255): (x: number) => number {
  const { center: c, width: w } = window;
  const range = yMax - yMin;
  switch (window.function ?? 'LINEAR') {
    case 'LINEAR_EXACT': {
      if (!(w > 0)) throw new DicomError('ERR_INVALID_VALUE', `LINEAR_EXACT window width ${w} is not > 0`);
      const low = c - w / 2;
      const high = c + w / 2;
      return (x) => (x <= low ? yMin : x > high ? yMax : ((x - c) / w + 0.5) * range + yMin);
    }
    case 'SIGMOID':
      if (!(w > 0)) throw new DicomError('ERR_INVALID_VALUE', `SIGMOID window width ${w} is not > 0`);
      return (x) => range / (1 + Math.exp((-4 * (x - c)) / w)) + yMin;
    default: {
      if (!(w >= 1)) throw new DicomError('ERR_INVALID_VALUE', `LINEAR window width ${w} is not >= 1`);
      const low = c - 0.5 - (w - 1) / 2;
      const high = c - 0.5 + (w - 1) / 2;
      // Width 1 is a threshold at c - 0.5.
      if (w === 1) return (x) => (x <= low ? yMin : yMax);
      return (x) => (x <= low ? yMin : x > high ? yMax : ((x - (c - 0.5)) / (w - 1) + 0.5) * range + yMin);
    }
  }
}

function parseFunction(value: string | undefined): VoiLutFunction | undefined {
  const v = value?.trim().toUpperCase();
  return v === 'LINEAR' || v === 'LINEAR_EXACT' || v === 'SIGMOID' ? v : undefined;
}

/**
 * The attribute sets that apply to frame `index`: its Per-frame Functional Groups item,
 * then the Shared Functional Groups item (PS3.3 §C.7.6.16), then the data set itself.
 * `macro` is the functional group sequence to look in, e.g. Frame VOI LUT Sequence.
 */
function frameScopes(ds: DataSet, index: number, macro: Tag): DataSet[] {
  const scopes: DataSet[] = [];
  const perFrame = ds.sequence(0x52009230)?.[index]?.sequence(macro)?.[0];
  if (perFrame) scopes.push(perFrame);
  const shared = ds.sequence(0x52009229)?.[0]?.sequence(macro)?.[0];
  if (shared) scopes.push(shared);
  scopes.push(ds);
  return scopes;
}

/**
 * The Modality LUT stage of frame `index` (PS3.3 §C.11.1): the Modality LUT Sequence
 * (0028,3000), else Rescale Slope/Intercept, from the Pixel Value Transformation
 * functional group (0028,9145) for enhanced objects; identity (slope 1, intercept 0) if none.
 */
export function modalityTransform(ds: DataSet, index = 0): ModalityTransform {
  const signed = ds.number('PixelRepresentation') === 1;
  const item = ds.sequence(0x00283000)?.[0];
  if (item) {
    const lut = readLutItem(item, signed);
    if (lut) return { kind: 'lut', lut };
  }
  for (const scope of frameScopes(ds, index, 0x00289145)) {
    const slope = scope.number('RescaleSlope');
    const intercept = scope.number('RescaleIntercept');
    if (slope !== undefined || intercept !== undefined) {
      const type = scope.string('RescaleType');
      return {
        kind: 'rescale',
        slope: slope !== undefined && Number.isFinite(slope) && slope !== 0 ? slope : 1,
        intercept: intercept !== undefined && Number.isFinite(intercept) ? intercept : 0,
        ...(type ? { type } : {}),
      };
    }
  }
  return { kind: 'rescale', slope: 1, intercept: 0 };
}

/**
 * The windows stored for frame `index` (PS3.3 §C.11.2.1.2): Window Center and Width are
 * multi-valued pairs, with their VOI LUT Function and explanations; from the Frame VOI
 * LUT functional group (0028,9132) for enhanced objects.
 */
export function storedWindows(ds: DataSet, index = 0): Window[] {
  for (const scope of frameScopes(ds, index, 0x00289132)) {
    const centers = scope.numbers('WindowCenter');
    const widths = scope.numbers('WindowWidth');
    if (!centers || !widths || centers.length === 0 || widths.length === 0) continue;
    const fn = parseFunction(scope.string('VOILUTFunction'));
    const explanations = scope.strings('WindowCenterWidthExplanation') ?? [];
    const windows: Window[] = [];
    for (let i = 0; i < Math.min(centers.length, widths.length); i++) {
      const center = centers[i]!;
      const width = widths[i]!;
      if (!Number.isFinite(center) || !Number.isFinite(width)) continue;
      windows.push({
        center,
        width,
        ...(fn ? { function: fn } : {}),
        ...(explanations[i] ? { explanation: explanations[i] } : {}),
      });
    }
    if (windows.length > 0) return windows;
  }
  return [];
}

/** The VOI LUT Sequence (0028,3010) tables (PS3.3 §C.11.2.1.1); input is the modality output. */
export function storedVoiLuts(ds: DataSet, signedInput: boolean): Lut[] {
  const luts: Lut[] = [];
  for (const item of ds.sequence(0x00283010) ?? []) {
    const lut = readLutItem(item, signedInput);
    if (lut) luts.push(lut);
  }
  return luts;
}

/** Presentation LUT Shape (2050,0020): IDENTITY or INVERSE (PS3.3 §C.11.6), undefined if absent. */
export function presentationLutShape(ds: DataSet): 'IDENTITY' | 'INVERSE' | undefined {
  const shape = ds.string(0x20500020)?.trim().toUpperCase();
  return shape === 'IDENTITY' || shape === 'INVERSE' ? shape : undefined;
}
