import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import type { DecodedFrame, PixelCodec } from './registry.ts';

/**
 * RLE Lossless (1.2.840.10008.1.2.5), PS3.5 Annex G. A frame is a 64-byte RLE Header
 * (G.5: the number of segments, then 15 little-endian UL offsets from the start of the
 * header, unused ones 0) followed by up to 15 RLE Segments (G.4). Each segment is one
 * Byte Segment (G.2): one byte of every pixel's sample, the most significant byte of the
 * first sample first, then its next byte, ..., then the next sample. Each segment is
 * PackBits-like (G.3): a header byte n in 0..127 copies the next n+1 bytes, -1..-127
 * repeats the next byte -n+1 times, -128 does nothing; segments have even lengths.
 */

const HEADER_LENGTH = 64;
const MAX_SEGMENTS = 15;

function geometry(d: PixelDescription): { bytesPerSample: number; segments: number; pixels: number } {
  if (d.bitsAllocated % 8 !== 0) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `RLE Lossless needs Bits Allocated to be a multiple of 8, not ${d.bitsAllocated}`,
    );
  }
  const bytesPerSample = d.bitsAllocated / 8;
  const segments = bytesPerSample * d.samplesPerPixel;
  if (segments > MAX_SEGMENTS) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `RLE Lossless holds at most ${MAX_SEGMENTS} byte segments; ${d.samplesPerPixel} samples of ${d.bitsAllocated} bits need ${segments} (PS3.5 §G.5)`,
    );
  }
  return { bytesPerSample, segments, pixels: d.rows * d.columns };
}

function u32(bytes: Uint8Array, at: number): number {
  return (bytes[at]! | (bytes[at + 1]! << 8) | (bytes[at + 2]! << 16) | (bytes[at + 3]! << 24)) >>> 0;
}

/**
 * Decodes the segment in `src[start, end)` into `count` bytes of `out`, `stride` apart from
 * `base` (PS3.5 §G.3.2). Runs that overshoot `count` are cut; returns the bytes produced.
 */
export function decodeRleSegment(
  src: Uint8Array,
  start: number,
  end: number,
  out: Uint8Array,
  base: number,
  stride: number,
  count: number,
): number {
  let o = 0;
  let i = start;
  while (o < count && i < end) {
    const n = src[i++]!;
    if (n < 128) {
      // Literal run of n + 1 bytes.
      const available = Math.min(n + 1, end - i);
      const c = Math.min(available, count - o);
      if (stride === 1) {
        out.set(src.subarray(i, i + c), base + o);
      } else {
        for (let k = 0, at = base + o * stride; k < c; k++, at += stride) out[at] = src[i + k]!;
      }
      o += c;
      i += available;
    } else if (n > 128) {
      // Replicate run: -n + 1 copies, i.e. 257 - n as an unsigned byte.
      if (i >= end) break;
      const value = src[i++]!;
      const c = Math.min(257 - n, count - o);
      if (stride === 1) {
        out.fill(value, base + o, base + o + c);
      } else {
        for (let k = 0, at = base + o * stride; k < c; k++, at += stride) out[at] = value;
      }
      o += c;
    }
    // n === 128 (-128): no operation.
  }
  return o;
}

/**
 * Decodes one RLE frame to native layout: little-endian samples, colour-by-plane (every
 * RLE segment holds one sample's bytes, PS3.5 §G.2, whatever Planar Configuration says;
 * DCMTK and pydicom read it so).
 */
export function decodeRleFrame(frame: Uint8Array, d: PixelDescription): Uint8Array {
  const { bytesPerSample, segments, pixels } = geometry(d);
  if (frame.length < HEADER_LENGTH) {
    throw new DicomError('ERR_MALFORMED', `RLE frame of ${frame.length} bytes is shorter than its header`);
  }
  const count = u32(frame, 0);
  if (count !== segments) {
    throw new DicomError(
      'ERR_MALFORMED',
      `RLE header declares ${count} segments; ${d.samplesPerPixel} sample(s) of ${d.bitsAllocated} bits need ${segments} (PS3.5 §G.2)`,
    );
  }
  const offsets: number[] = [];
  for (let s = 0; s < count; s++) {
    const offset = u32(frame, 4 + 4 * s);
    const previous = s === 0 ? HEADER_LENGTH : offsets[s - 1]!;
    if (offset < previous || offset > frame.length) {
      throw new DicomError(
        'ERR_MALFORMED',
        `RLE segment ${s + 1} offset ${offset} is outside the frame (${previous}..${frame.length})`,
      );
    }
    offsets.push(offset);
  }
  const out = new Uint8Array(pixels * segments);
  const plane = pixels * bytesPerSample;
  for (let s = 0; s < count; s++) {
    const sample = Math.floor(s / bytesPerSample);
    // Segment 0 of a sample is its most significant byte: the last byte in little endian.
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    const end = s + 1 < count ? offsets[s + 1]! : frame.length;
    const produced = decodeRleSegment(
      frame,
      offsets[s]!,
      end,
      out,
      sample * plane + byte,
      bytesPerSample,
      pixels,
    );
    if (produced < pixels) {
      throw new DicomError(
        'ERR_MALFORMED',
        `RLE segment ${s + 1} decodes to ${produced} of ${pixels} bytes (PS3.5 §G.3.2)`,
      );
    }
  }
  return out;
}

/**
 * Encodes one row of a byte segment (PS3.5 §G.3.1): runs of 3 or more identical bytes (and
 * of 2 not preceded by a literal) become Replicate Runs of at most 128, the rest Literal
 * Runs of at most 128; -128 is never written. Returns the new output position.
 */
export function encodeRleRow(row: Uint8Array, out: Uint8Array, at: number): number {
  const n = row.length;
  let literalStart = 0;
  let literalLength = 0;
  const flush = () => {
    if (literalLength === 0) return;
    out[at++] = literalLength - 1;
    out.set(row.subarray(literalStart, literalStart + literalLength), at);
    at += literalLength;
    literalLength = 0;
  };
  let i = 0;
  while (i < n) {
    const value = row[i]!;
    let j = i + 1;
    while (j < n && j - i < 128 && row[j] === value) j++;
    const run = j - i;
    if (run >= 3 || (run === 2 && literalLength === 0)) {
      flush();
      out[at++] = 257 - run;
      out[at++] = value;
      i = j;
      continue;
    }
    // One byte, or a pair inside a literal: merge into the Literal Run.
    for (; i < j; i++) {
      if (literalLength === 0) literalStart = i;
      literalLength++;
      if (literalLength === 128) flush();
    }
  }
  flush();
  return at;
}

/**
 * Encodes one frame given in native layout (little endian, `d.planarConfiguration`) as an
 * RLE frame: header, then one segment per sample byte, each row encoded separately (rows
 * shall not cross, PS3.5 §G.3.1) and each segment padded to an even length.
 */
export function encodeRleFrame(pixels: Uint8Array, d: PixelDescription): Uint8Array {
  const { bytesPerSample, segments, pixels: count } = geometry(d);
  const expected = count * segments;
  if (pixels.length < expected) {
    throw new DicomError('ERR_UNEXPECTED_END', `frame holds ${pixels.length} of ${expected} bytes`);
  }
  const { rows, columns } = d;
  const worstRow = columns + Math.ceil(columns / 128);
  const out = new Uint8Array(HEADER_LENGTH + segments * (rows * worstRow + 1));
  const view = new DataView(out.buffer);
  view.setUint32(0, segments, true);
  const row = new Uint8Array(columns);
  const spp = d.samplesPerPixel;
  const planar = spp > 1 && d.planarConfiguration === 1;
  let at = HEADER_LENGTH;
  for (let s = 0; s < segments; s++) {
    view.setUint32(4 + 4 * s, at, true);
    const sample = Math.floor(s / bytesPerSample);
    const byte = bytesPerSample - 1 - (s % bytesPerSample);
    // Where pixel p's byte is: interleaved samples or one plane per sample.
    const first = planar ? sample * count * bytesPerSample + byte : sample * bytesPerSample + byte;
    const stride = planar ? bytesPerSample : spp * bytesPerSample;
    for (let r = 0; r < rows; r++) {
      let src = first + r * columns * stride;
      for (let c = 0; c < columns; c++, src += stride) row[c] = pixels[src]!;
      at = encodeRleRow(row, out, at);
    }
    if (at & 1) out[at++] = 0;
  }
  return out.slice(0, at);
}

export const rleCodec: PixelCodec = {
  name: 'RLE Lossless',
  lossy: false,
  decode(frame: Uint8Array, description: PixelDescription): Promise<DecodedFrame> {
    try {
      const bytes = decodeRleFrame(frame, description);
      const result: DecodedFrame = { bytes, planarConfiguration: description.samplesPerPixel > 1 ? 1 : 0 };
      // RLE segments carry every sample of every pixel: never the subsampled 422 layout.
      if (description.photometricInterpretation === 'YBR_FULL_422')
        result.photometricInterpretation = 'YBR_FULL';
      return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error);
    }
  },
  encode(pixels: Uint8Array, description: PixelDescription): Promise<Uint8Array> {
    try {
      return Promise.resolve(encodeRleFrame(pixels, description));
    } catch (error) {
      return Promise.reject(error);
    }
  },
};
