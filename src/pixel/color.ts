import { DicomError } from '../core/errors.ts';
import type { DataSet } from '../object/dataset.ts';
import { type Lut, lookupTable, readLutData, readLutDescriptor } from './lut.ts';
import type { PixelArray } from './native.ts';

type Constructor<T extends PixelArray> = { new (length: number): T };

function like<T extends PixelArray>(pixels: T, length: number): T {
  return new (pixels.constructor as Constructor<T>)(length);
}

/**
 * Colour-by-plane (Planar Configuration 1: R1 R2 ... G1 G2 ... B1 B2 ...) to
 * colour-by-pixel (0: R1 G1 B1 R2 G2 B2 ...), PS3.3 §C.7.6.3.1.3.
 */
export function planarToInterleaved<T extends PixelArray>(pixels: T, samplesPerPixel: number): T {
  if (samplesPerPixel === 1) return pixels;
  const count = Math.floor(pixels.length / samplesPerPixel);
  const out = like(pixels, count * samplesPerPixel);
  for (let s = 0; s < samplesPerPixel; s++) {
    const plane = s * count;
    for (let p = 0, at = s; p < count; p++, at += samplesPerPixel) out[at] = pixels[plane + p]!;
  }
  return out;
}

/** Colour-by-pixel to colour-by-plane; the inverse of `planarToInterleaved`. */
export function interleavedToPlanar<T extends PixelArray>(pixels: T, samplesPerPixel: number): T {
  if (samplesPerPixel === 1) return pixels;
  const count = Math.floor(pixels.length / samplesPerPixel);
  const out = like(pixels, count * samplesPerPixel);
  for (let s = 0; s < samplesPerPixel; s++) {
    const plane = s * count;
    for (let p = 0, at = s; p < count; p++, at += samplesPerPixel) out[plane + p] = pixels[at]!;
  }
  return out;
}

/**
 * Expands horizontally subsampled YBR (YBR_FULL_422, YBR_PARTIAL_422 stored natively as
 * Y1 Y2 Cb Cr for each pair of pixels, PS3.3 §C.7.6.3.1.2) to one Y Cb Cr per pixel.
 */
export function expand422<T extends PixelArray>(pixels: T, pixelCount: number): T {
  const out = like(pixels, pixelCount * 3);
  const pairs = pixelCount >>> 1;
  for (let k = 0; k < pairs; k++) {
    const i = 4 * k;
    const o = 6 * k;
    const cb = pixels[i + 2]!;
    const cr = pixels[i + 3]!;
    out[o] = pixels[i]!;
    out[o + 1] = cb;
    out[o + 2] = cr;
    out[o + 3] = pixels[i + 1]!;
    out[o + 4] = cb;
    out[o + 5] = cr;
  }
  if (pixelCount & 1) {
    // An odd last pixel: Y1 Cb Cr with no Y2.
    const i = 4 * pairs;
    const o = 6 * pairs;
    out[o] = pixels[i]!;
    out[o + 1] = pixels[i + 2] ?? 0;
    out[o + 2] = pixels[i + 3] ?? 0;
  }
  return out;
}

/**
 * YBR_FULL to RGB in place (PS3.3 §C.7.6.3.1.2, the inverse of the ITU-R BT.601 matrix
 * given there), for samples of `bits` bits (offset 2^(bits-1) for the chroma):
 * R = Y + 1.402 Cr', G = Y - 0.344136 Cb' - 0.714136 Cr', B = Y + 1.772 Cb', rounded and
 * clamped. With `partial`, YBR_PARTIAL (Y in 16..235, chroma 16..240 for 8 bits) is
 * expanded first: Y' = (Y - 16) * 255/219, C' = (C - 128) * 255/224.
 */
export function ybrToRgb<T extends PixelArray>(pixels: T, bits: number, partial = false): T {
  const max = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  const scale = 2 ** (bits - 8);
  const yOffset = partial ? 16 * scale : 0;
  const yGain = partial ? 255 / 219 : 1;
  const cGain = partial ? 255 / 224 : 1;
  const clamp = (v: number) => (v <= 0 ? 0 : v >= max ? max : Math.round(v));
  for (let i = 0; i + 2 < pixels.length; i += 3) {
    const y = (pixels[i]! - yOffset) * yGain;
    const cb = (pixels[i + 1]! - half) * cGain;
    const cr = (pixels[i + 2]! - half) * cGain;
    pixels[i] = clamp(y + 1.402 * cr);
    pixels[i + 1] = clamp(y - 0.344136 * cb - 0.714136 * cr);
    pixels[i + 2] = clamp(y + 1.772 * cb);
  }
  return pixels;
}

/** RGB to YBR_FULL in place (PS3.3 §C.7.6.3.1.2), for tests and encoders. */
export function rgbToYbr<T extends PixelArray>(pixels: T, bits: number): T {
  const max = 2 ** bits - 1;
  const half = 2 ** (bits - 1);
  const clamp = (v: number) => (v <= 0 ? 0 : v >= max ? max : Math.round(v));
  for (let i = 0; i + 2 < pixels.length; i += 3) {
    const r = pixels[i]!;
    const g = pixels[i + 1]!;
    const b = pixels[i + 2]!;
    pixels[i] = clamp(0.299 * r + 0.587 * g + 0.114 * b);
    pixels[i + 1] = clamp(-0.1687 * r - 0.3313 * g + 0.5 * b + half);
    pixels[i + 2] = clamp(0.5 * r - 0.4187 * g - 0.0813 * b + half);
  }
  return pixels;
}

/** The three Palette Color Lookup Tables (PS3.3 §C.7.6.3.1.5, §C.7.9). */
export interface Palette {
  red: Lut;
  green: Lut;
  blue: Lut;
  /** Bits of each entry (8 or 16), the largest of the three. */
  bits: number;
}

const PALETTE = [
  { name: 'Red', descriptor: 0x00281101, data: 0x00281201, segmented: 0x00281221 },
  { name: 'Green', descriptor: 0x00281102, data: 0x00281202, segmented: 0x00281222 },
  { name: 'Blue', descriptor: 0x00281103, data: 0x00281203, segmented: 0x00281223 },
] as const;

/**
 * Reads the palette of a PALETTE COLOR image: descriptors (0028,1101-1103) and data
 * (0028,1201-1203), or the Segmented Palette Color LUT Data (0028,1221-1223, §C.7.9.2).
 */
export function readPalette(ds: DataSet): Palette {
  const signed = ds.number('PixelRepresentation') === 1;
  const luts = PALETTE.map((c) => {
    const descriptor = readLutDescriptor(ds, c.descriptor, signed);
    if (!descriptor) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `PALETTE COLOR image without ${c.name} Palette Color LUT Descriptor`,
      );
    }
    let data: Uint16Array | undefined;
    if (ds.has(c.data))
      data = readLutData(ds.bytes(c.data) ?? new Uint8Array(0), descriptor.entries, descriptor.bits);
    else if (ds.has(c.segmented)) {
      data = expandSegmentedLut(readWords(ds.bytes(c.segmented) ?? new Uint8Array(0)), descriptor.entries);
    }
    if (!data)
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `PALETTE COLOR image without ${c.name} Palette Color LUT Data`,
      );
    return lookupTable(descriptor.firstMapped, descriptor.bits, data);
  });
  const [red, green, blue] = luts as [Lut, Lut, Lut];
  return { red, green, blue, bits: Math.max(red.bits, green.bits, blue.bits) };
}

function readWords(bytes: Uint8Array): Uint16Array {
  const words = new Uint16Array(bytes.length >>> 1);
  for (let i = 0; i < words.length; i++) words[i] = bytes[2 * i]! | (bytes[2 * i + 1]! << 8);
  return words;
}

/**
 * Expands Segmented Palette Color LUT Data (PS3.3 §C.7.9.2): discrete segments (opcode 0,
 * length, values), linear segments (1, length, end value: a ramp from the previous value)
 * and indirect segments (2, count, 32-bit offset: replays `count` segments from that word).
 */
export function expandSegmentedLut(words: Uint16Array, entries: number): Uint16Array {
  const out: number[] = [];
  const run = (start: number, end: number, depth: number): void => {
    let i = start;
    while (i < end && out.length < entries) {
      const opcode = words[i]!;
      const length = words[i + 1] ?? 0;
      if (opcode === 0) {
        for (let k = 0; k < length; k++) out.push(words[i + 2 + k] ?? 0);
        i += 2 + length;
      } else if (opcode === 1) {
        const y0 = out.length > 0 ? out[out.length - 1]! : 0;
        const y1 = words[i + 2] ?? 0;
        for (let k = 1; k <= length; k++) out.push(Math.round(y0 + ((y1 - y0) * k) / length));
        i += 3;
      } else if (opcode === 2) {
        if (depth > 4)
          throw new DicomError('ERR_MALFORMED', 'segmented LUT: indirect segments nest too deep');
        const offset = (words[i + 2] ?? 0) | ((words[i + 3] ?? 0) << 16);
        // Replay `length` segments starting at word `offset`.
        let at = offset;
        for (let k = 0; k < length && at < words.length; k++) {
          const next = segmentEnd(words, at);
          run(at, next, depth + 1);
          at = next;
        }
        i += 4;
      } else {
        throw new DicomError('ERR_MALFORMED', `segmented LUT: unknown segment opcode ${opcode}`);
      }
    }
  };
  run(0, words.length, 0);
  const lut = new Uint16Array(entries);
  for (let k = 0; k < entries; k++) lut[k] = out[Math.min(k, out.length - 1)] ?? 0;
  return lut;
}

function segmentEnd(words: Uint16Array, at: number): number {
  const opcode = words[at];
  const length = words[at + 1] ?? 0;
  return opcode === 0 ? at + 2 + length : opcode === 1 ? at + 3 : at + 4;
}

/** Maps palette indices to interleaved RGB of the palette's bit depth (PS3.3 §C.7.6.3.1.5). */
export function applyPalette(indices: PixelArray, palette: Palette): Uint8Array | Uint16Array {
  const out = palette.bits > 8 ? new Uint16Array(indices.length * 3) : new Uint8Array(indices.length * 3);
  const tables = [palette.red, palette.green, palette.blue];
  for (let c = 0; c < 3; c++) {
    const lut = tables[c]!;
    const { data, firstMapped } = lut;
    const last = data.length - 1;
    for (let i = 0, at = c; i < indices.length; i++, at += 3) {
      const k = indices[i]! - firstMapped;
      out[at] = data[k <= 0 ? 0 : Math.min(k, last)]!;
    }
  }
  return out;
}
