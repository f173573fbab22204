import { DicomError } from '../core/errors.ts';
import type { PixelDescription } from './description.ts';

/** One value per sample; the array type follows Bits Allocated, Pixel Representation and float-ness. */
export type PixelArray =
  | Uint8Array
  | Int8Array
  | Uint16Array
  | Int16Array
  | Uint32Array
  | Int32Array
  | Float32Array
  | Float64Array;

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

type SampleFormat = Pick<
  PixelDescription,
  'bitsAllocated' | 'bitsStored' | 'highBit' | 'pixelRepresentation' | 'isFloat'
>;

/** An empty array of the type `getFrame` returns for samples of this format. */
export function pixelArrayFor(format: SampleFormat, length: number): PixelArray {
  const signed = format.pixelRepresentation === 1;
  switch (format.bitsAllocated) {
    case 1:
      return new Uint8Array(length);
    case 8:
      return signed ? new Int8Array(length) : new Uint8Array(length);
    case 16:
      return signed ? new Int16Array(length) : new Uint16Array(length);
    case 32:
      if (format.isFloat) return new Float32Array(length);
      return signed ? new Int32Array(length) : new Uint32Array(length);
    case 64:
      if (format.isFloat) return new Float64Array(length);
      break;
  }
  throw new DicomError(
    'ERR_INVALID_VALUE',
    `cannot read ${format.isFloat ? 'float ' : ''}samples of ${format.bitsAllocated} bits allocated`,
  );
}

/**
 * Unpacks bit-packed samples (Bits Allocated 1, PS3.5 §8.1.1 and Annex D): the first
 * sample is the least significant bit of the first byte; `bitOffset` is where the first
 * sample of the frame sits in `bytes[0]` (frames follow each other bit by bit).
 */
export function unpackBits(bytes: Uint8Array, bitOffset: number, count: number): Uint8Array {
  const out = new Uint8Array(count);
  if ((bitOffset + count + 7) >>> 3 > bytes.length) {
    throw new DicomError('ERR_UNEXPECTED_END', `bit-packed frame needs ${count} bits, has fewer`);
  }
  for (let i = 0, bit = bitOffset; i < count; i++, bit++) out[i] = (bytes[bit >>> 3]! >>> (bit & 7)) & 1;
  return out;
}

/** Packs 0/1 values, first in the least significant bit (PS3.5 §8.1.1); the inverse of `unpackBits`. */
export function packBits(
  values: ArrayLike<number>,
  out = new Uint8Array((values.length + 7) >>> 3),
  bitOffset = 0,
) {
  for (let i = 0, bit = bitOffset; i < values.length; i++, bit++) {
    if (values[i]) out[bit >>> 3]! |= 1 << (bit & 7);
    else out[bit >>> 3]! &= ~(1 << (bit & 7));
  }
  return out;
}

/**
 * Reads `count` little-endian samples from `bytes` into the array type of the format, then
 * keeps the Bits Stored bits below High Bit (PS3.5 §8.1.1, PS3.3 §C.7.6.3.1): unsigned
 * samples are masked (high bits may hold overlays), signed ones sign-extended from Bits
 * Stored, so a 12-bit signed sample 0x0FFF reads as -1.
 */
export function unpackSamples(
  bytes: Uint8Array,
  format: SampleFormat,
  count: number,
  bitOffset = 0,
): PixelArray {
  if (format.bitsAllocated === 1) return unpackBits(bytes, bitOffset, count);
  const size = format.bitsAllocated / 8;
  const length = count * size;
  if (bytes.length < length) {
    throw new DicomError('ERR_UNEXPECTED_END', `frame holds ${bytes.length} of ${length} bytes`);
  }
  const out = pixelArrayFor(format, count);
  if (LITTLE_ENDIAN_HOST) {
    new Uint8Array(out.buffer).set(bytes.subarray(0, length));
  } else {
    const view = new DataView(bytes.buffer, bytes.byteOffset, length);
    const signed = format.pixelRepresentation === 1;
    for (let i = 0; i < count; i++) {
      const at = i * size;
      out[i] =
        size === 1
          ? signed
            ? view.getInt8(at)
            : view.getUint8(at)
          : size === 2
            ? signed
              ? view.getInt16(at, true)
              : view.getUint16(at, true)
            : size === 4
              ? format.isFloat
                ? view.getFloat32(at, true)
                : signed
                  ? view.getInt32(at, true)
                  : view.getUint32(at, true)
              : view.getFloat64(at, true);
    }
  }
  if (!format.isFloat) keepStoredBits(out as Exclude<PixelArray, Float32Array | Float64Array>, format);
  return out;
}

/** Masks or sign-extends integer samples in place to their Bits Stored bits below High Bit. */
export function keepStoredBits(
  samples: Uint8Array | Int8Array | Uint16Array | Int16Array | Uint32Array | Int32Array,
  format: SampleFormat,
): void {
  const { bitsAllocated, bitsStored, highBit } = format;
  const shift = highBit + 1 - bitsStored;
  if (bitsStored >= bitsAllocated && shift === 0) return;
  const n = samples.length;
  if (format.pixelRepresentation === 1) {
    const left = 32 - bitsStored;
    for (let i = 0; i < n; i++) samples[i] = ((samples[i]! >>> shift) << left) >> left;
  } else {
    const mask = bitsStored >= 32 ? 0xffffffff : 2 ** bitsStored - 1;
    for (let i = 0; i < n; i++) samples[i] = ((samples[i]! >>> shift) & mask) >>> 0;
  }
}

/** Copies `bitCount` bits starting at `bitOffset` of `bytes` to a byte-aligned array. */
export function alignBits(bytes: Uint8Array, bitOffset: number, bitCount: number): Uint8Array {
  if (bitOffset === 0) return bytes.slice(0, (bitCount + 7) >>> 3);
  return packBits(unpackBits(bytes, bitOffset, bitCount));
}
