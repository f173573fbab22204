// PNG reading for tests: our encoder's 8-bit grey PNGs back to pixels, independently of
// src/pixel/png.ts.
import assert from 'node:assert/strict';
import { inflateSync } from 'node:zlib';

/** The 8-bit grey pixels of a PNG (filter type 0 or 1..4 undone), as our encoder writes it. */
export function pngPixels(bytes: Uint8Array): { width: number; height: number; data: Uint8Array } {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  let at = 8;
  let width = 0;
  let height = 0;
  const idat: Uint8Array[] = [];
  while (at < bytes.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    const body = bytes.subarray(at + 8, at + 8 + length);
    if (type === 'IHDR') {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      assert.equal(body[8], 8, '8-bit');
      assert.equal(body[9], 0, 'grey');
    }
    if (type === 'IDAT') idat.push(body);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (width + 1)]!;
    for (let x = 0; x < width; x++) {
      const value = raw[y * (width + 1) + 1 + x]!;
      const left = x > 0 ? data[y * width + x - 1]! : 0;
      const up = y > 0 ? data[(y - 1) * width + x]! : 0;
      const upLeft = x > 0 && y > 0 ? data[(y - 1) * width + x - 1]! : 0;
      // PNG filters 0-4 (ISO 15948 §9.2).
      const predictor = filter === 4 ? paethOf(left, up, upLeft) : [0, left, up, (left + up) >> 1][filter]!;
      data[y * width + x] = (value + predictor) & 0xff;
    }
  }
  return { width, height, data };
}

function paethOf(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}
