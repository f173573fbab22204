import { DicomError } from '../core/errors.ts';
import { deflateCodec } from '../object/deflate.ts';

/** Pixels for `encodePng`: rows top to bottom, channels interleaved. */
export interface PngImage {
  width: number;
  height: number;
  /** 1 grey, 2 grey + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4;
  /** 8-bit samples in a Uint8Array, 16-bit ones in a Uint16Array. */
  data: Uint8Array | Uint16Array;
}

export interface PngOptions {
  /** zlib level; default 6. */
  level?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
  /**
   * Row filters (PNG §9): 'adaptive' (default) picks per row the filter with the smallest
   * sum of absolute differences, the heuristic PNG §12.8 recommends; 'none' writes type 0.
   */
  filter?: 'adaptive' | 'none';
}

const SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const COLOR_TYPE = { 1: 0, 2: 4, 3: 2, 4: 6 } as const;

let crcTable: Uint32Array | undefined;

/** CRC-32 of PNG chunks (PNG Annex D: polynomial 0xEDB88320, reflected, inverted). */
export function crc32(bytes: Uint8Array, crc = 0): number {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = ~crc >>> 0;
  for (let i = 0; i < bytes.length; i++) c = crcTable[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Filters one row (PNG §9.2) with filter `type` into `out` (without the type byte). */
function filterRow(type: number, row: Uint8Array, prior: Uint8Array, bpp: number, out: Uint8Array): void {
  for (let i = 0; i < row.length; i++) {
    const x = row[i]!;
    const a = i >= bpp ? row[i - bpp]! : 0;
    const b = prior[i]!;
    const c = i >= bpp ? prior[i - bpp]! : 0;
    const predictor =
      type === 1 ? a : type === 2 ? b : type === 3 ? (a + b) >>> 1 : type === 4 ? paeth(a, b, c) : 0;
    out[i] = (x - predictor) & 0xff;
  }
}

/** Encodes 8-bit or 16-bit grey, grey + alpha, RGB or RGBA pixels as a PNG file (ISO/IEC 15948). */
export function encodePng(image: PngImage, options: PngOptions = {}): Uint8Array {
  const { width, height, channels, data } = image;
  const bitDepth = data instanceof Uint16Array ? 16 : 8;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new DicomError('ERR_INVALID_VALUE', `PNG size ${width}x${height} is not valid`);
  }
  if (!(channels in COLOR_TYPE))
    throw new DicomError('ERR_INVALID_VALUE', `PNG cannot hold ${channels} channels`);
  if (data.length < width * height * channels) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${data.length} samples for a ${width}x${height}x${channels} PNG`,
    );
  }
  const bpp = (channels * bitDepth) / 8;
  const stride = width * bpp;
  // Samples as PNG bytes: 16-bit samples in network byte order (PNG §7.1).
  const raw = new Uint8Array(stride * height);
  if (bitDepth === 8) raw.set(data.subarray(0, raw.length));
  else
    for (let i = 0; i < raw.length / 2; i++) {
      raw[2 * i] = data[i]! >>> 8;
      raw[2 * i + 1] = data[i]! & 0xff;
    }
  const filtered = new Uint8Array((stride + 1) * height);
  const zero = new Uint8Array(stride);
  const candidate = new Uint8Array(stride);
  const best = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const row = raw.subarray(y * stride, (y + 1) * stride);
    const prior = y > 0 ? raw.subarray((y - 1) * stride, y * stride) : zero;
    const at = y * (stride + 1);
    if (options.filter === 'none') {
      filtered[at] = 0;
      filtered.set(row, at + 1);
      continue;
    }
    let bestType = 0;
    let bestScore = Number.POSITIVE_INFINITY;
    for (let type = 0; type <= 4; type++) {
      filterRow(type, row, prior, bpp, candidate);
      let score = 0;
      for (let i = 0; i < stride; i++) score += candidate[i]! < 128 ? candidate[i]! : 256 - candidate[i]!;
      if (score < bestScore) {
        bestScore = score;
        bestType = type;
        best.set(candidate);
      }
    }
    filtered[at] = bestType;
    filtered.set(best, at + 1);
  }
  const ihdr = new Uint8Array(13);
  const view = new DataView(ihdr.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  ihdr[8] = bitDepth;
  ihdr[9] = COLOR_TYPE[channels];
  // Compression 0 (deflate), filter method 0, no interlace (PNG §11.2.2).
  const parts = [
    SIGNATURE,
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateCodec.deflateZlib(filtered, options.level ?? 6)),
    chunk('IEND', new Uint8Array(0)),
  ];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}
