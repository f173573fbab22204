// PNG reading for tests: our encoder's 8-bit grey and RGB PNGs back to pixels, independently of
// src/pixel/png.ts.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';

/** The 8-bit pixels of a grey or RGB PNG (filter types 0..4 undone), as our encoder writes them. */
export function pngPixels(bytes: Uint8Array): {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
} {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 8;
  let width = 0;
  let height = 0;
  let channels: 1 | 3 = 1;
  const idat: Uint8Array[] = [];
  while (at < bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      assert.equal(body[8], 8, '8-bit');
      assert.ok(body[9] === 0 || body[9] === 2, 'grey or RGB');
      channels = body[9] === 2 ? 3 : 1;
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const data = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)]!;
    for (let x = 0; x < stride; x++) {
      const value = raw[y * (stride + 1) + 1 + x]!;
      // The byte of the previous pixel (same channel), above, and above-left (ISO 15948 §9.2).
      const left = x >= channels ? data[y * stride + x - channels]! : 0;
      const up = y > 0 ? data[(y - 1) * stride + x]! : 0;
      const upLeft = x >= channels && y > 0 ? data[(y - 1) * stride + x - channels]! : 0;
      const predictor = filter === 4 ? paethOf(left, up, upLeft) : [0, left, up, (left + up) >> 1][filter]!;
      data[y * stride + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, channels, data };
}

function paethOf(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

export interface Pnm {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
}

/** Parses a binary PGM (P5) or PPM (P6) with maxval 255, as dcm2pnm +op writes. */
export function parsePnm(bytes: Uint8Array): Pnm {
  let at = 0;
  const token = (): string => {
    for (;;) {
      while (/\s/.test(String.fromCharCode(bytes[at]!))) at++;
      if (bytes[at] !== 0x23) break;
      while (bytes[at] !== 0x0a) at++;
    }
    let text = '';
    while (!/\s/.test(String.fromCharCode(bytes[at]!))) text += String.fromCharCode(bytes[at++]!);
    return text;
  };
  const magic = token();
  assert.ok(magic === 'P5' || magic === 'P6', `not a binary PNM: ${magic}`);
  const width = Number(token());
  const height = Number(token());
  assert.equal(Number(token()), 255);
  at++; // the single whitespace after maxval
  const channels = magic === 'P5' ? 1 : 3;
  return { width, height, channels, data: bytes.subarray(at, at + width * height * channels) };
}
