import { DicomError } from '../../core/errors.ts';
import { planarToInterleaved } from '../color.ts';
import type { PixelDescription } from '../description.ts';
import { type PixelArray, unpackSamples } from '../native.ts';

/**
 * Sample conversions between native pixel data (PS3.5 §8.1.1: little endian, Bits
 * Allocated per sample, Bits Stored below High Bit, either planar configuration) and the
 * buffers codecs take and give: colour-by-pixel, one or two bytes per sample, the value
 * in the low bits.
 */

export type CodecSamples = Uint8Array | Uint16Array | Int16Array;

/**
 * The samples of one native frame, colour-by-pixel, for an encoder: a Uint8Array when Bits
 * Stored <= 8, else 16-bit. `signed` keeps two's complement values of more than 8 bits
 * (Int16Array, for JPEG 2000); otherwise samples are the Bits Stored bit patterns, unsigned
 * (JPEG and JPEG-LS code signed pixels so, PS3.5 §8.2.1 and §A.4.3).
 */
export function encoderSamples(pixels: Uint8Array, d: PixelDescription, signed: boolean): CodecSamples {
  if (d.isFloat || d.bitsAllocated === 1 || d.bitsAllocated > 16 || d.bitsStored > 16) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `cannot compress ${d.isFloat ? 'float ' : ''}samples of ${d.bitsAllocated} bits allocated, ${d.bitsStored} stored`,
    );
  }
  const count = d.rows * d.columns * d.samplesPerPixel;
  let values: PixelArray = unpackSamples(pixels, d, count);
  if (d.samplesPerPixel > 1 && d.planarConfiguration === 1) {
    values = planarToInterleaved(values, d.samplesPerPixel);
  }
  const keepSign = signed && d.pixelRepresentation === 1 && d.bitsStored > 8;
  const out: CodecSamples =
    d.bitsStored <= 8 ? new Uint8Array(count) : keepSign ? new Int16Array(count) : new Uint16Array(count);
  if (keepSign) {
    out.set(values as Int16Array); // already sign-extended from Bits Stored
  } else {
    const mask = 2 ** d.bitsStored - 1;
    for (let i = 0; i < count; i++) out[i] = values[i]! & mask;
  }
  return out;
}

/** Little-endian bytes of codec samples (copied only on big-endian hosts). */
export function samplesBytes(samples: CodecSamples): Uint8Array {
  const bytes = new Uint8Array(samples.buffer, samples.byteOffset, samples.byteLength);
  if (samples.BYTES_PER_ELEMENT === 1 || LITTLE_ENDIAN_HOST) return bytes;
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += 2) {
    out[i] = bytes[i + 1]!;
    out[i + 1] = bytes[i]!;
  }
  return out;
}

/**
 * Refuses a codestream whose image is not the frame the data set describes. Called with the
 * codestream's own header before decoding, it also keeps a damaged or hostile header (a
 * width of 3.7 billion, a 2-billion-pixel tile) from reaching the WASM decoders, which
 * would spend seconds and gigabytes on it before failing.
 */
export function checkCodestreamGeometry(
  codec: string,
  d: PixelDescription,
  rows: number,
  columns: number,
  components: number,
): void {
  if (rows !== d.rows || columns !== d.columns || components !== d.samplesPerPixel) {
    throw new DicomError(
      'ERR_MALFORMED',
      `${codec}: the codestream holds ${columns}x${rows} with ${components} component(s); the data set says ${d.columns}x${d.rows} with ${d.samplesPerPixel}`,
    );
  }
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Decoded codec output (little endian, `bytesPerSample` each, value in the low bits) as
 * native frame bytes: Bits Allocated per sample, the value moved up to High Bit when
 * High Bit is not Bits Stored - 1. The buffer is reused when nothing changes.
 */
export function nativeFromDecoded(
  decoded: Uint8Array,
  bytesPerSample: number,
  d: PixelDescription,
): Uint8Array {
  const count = d.rows * d.columns * d.samplesPerPixel;
  if (decoded.length < count * bytesPerSample) {
    throw new DicomError(
      'ERR_MALFORMED',
      `the codec returned ${decoded.length} bytes; ${d.rows}x${d.columns}x${d.samplesPerPixel} samples of ${bytesPerSample} byte(s) need ${count * bytesPerSample}`,
    );
  }
  const size = d.bitsAllocated / 8;
  const shift = d.highBit + 1 - d.bitsStored;
  if (size === bytesPerSample && shift === 0) return decoded.subarray(0, count * size);
  if (!Number.isInteger(size) || size > 4) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `cannot decode to ${d.bitsAllocated} bits allocated`,
    );
  }
  const out = new Uint8Array(count * size);
  for (let i = 0, src = 0, dst = 0; i < count; i++, src += bytesPerSample, dst += size) {
    let v = bytesPerSample === 1 ? decoded[src]! : decoded[src]! | (decoded[src + 1]! << 8);
    v *= 2 ** shift;
    for (let b = 0; b < size; b++) out[dst + b] = Math.floor(v / 2 ** (8 * b)) & 0xff;
  }
  return out;
}
