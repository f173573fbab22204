import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { inflateSync, crc32 as nodeCrc32 } from 'node:zlib';
import { crc32, encodePng, type PngImage } from './png.ts';

interface Chunk {
  type: string;
  data: Uint8Array;
}

/** Splits a PNG into chunks, checking the signature and every CRC (PNG §5.3). */
function chunks(png: Uint8Array): Chunk[] {
  assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  const out: Chunk[] = [];
  for (let at = 8; at < png.length; ) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    const data = png.subarray(at + 8, at + 8 + length);
    assert.equal(
      view.getUint32(at + 8 + length),
      nodeCrc32(png.subarray(at + 4, at + 8 + length)),
      `CRC of ${type}`,
    );
    out.push({ type, data });
    at += 12 + length;
  }
  return out;
}

/** Decodes IDAT and undoes the row filters (PNG §9.2) to the raw sample bytes. */
function decode(png: Uint8Array): {
  width: number;
  height: number;
  depth: number;
  colorType: number;
  raw: Uint8Array;
} {
  const list = chunks(png);
  assert.equal(list[0]!.type, 'IHDR');
  assert.equal(list[list.length - 1]!.type, 'IEND');
  const ihdr = new DataView(list[0]!.data.buffer, list[0]!.data.byteOffset, 13);
  const width = ihdr.getUint32(0);
  const height = ihdr.getUint32(4);
  const depth = list[0]!.data[8]!;
  const colorType = list[0]!.data[9]!;
  assert.deepEqual([...list[0]!.data.subarray(10)], [0, 0, 0]);
  const idat = Buffer.concat(list.filter((c) => c.type === 'IDAT').map((c) => c.data));
  const filtered = new Uint8Array(inflateSync(idat));
  const channels = { 0: 1, 4: 2, 2: 3, 6: 4 }[colorType]!;
  const bpp = (channels * depth) / 8;
  const stride = width * bpp;
  assert.equal(filtered.length, (stride + 1) * height);
  const raw = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    const type = filtered[y * (stride + 1)]!;
    for (let i = 0; i < stride; i++) {
      const x = filtered[y * (stride + 1) + 1 + i]!;
      const a = i >= bpp ? raw[y * stride + i - bpp]! : 0;
      const b = y > 0 ? raw[(y - 1) * stride + i]! : 0;
      const c = i >= bpp && y > 0 ? raw[(y - 1) * stride + i - bpp]! : 0;
      const p = a + b - c;
      const paeth =
        Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c)
          ? a
          : Math.abs(p - b) <= Math.abs(p - c)
            ? b
            : c;
      const predictor = [0, a, b, (a + b) >>> 1, paeth][type]!;
      raw[y * stride + i] = (x + predictor) & 0xff;
    }
  }
  return { width, height, depth, colorType, raw };
}

function gradient(width: number, height: number, channels: number): Uint8Array {
  const data = new Uint8Array(width * height * channels);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7 + ((i / width) | 0) * 3) & 0xff;
  return data;
}

describe('PNG encoder', () => {
  test('CRC-32 matches zlib', () => {
    const bytes = new TextEncoder().encode('IEND');
    assert.equal(crc32(bytes), 0xae426082);
    const random = gradient(97, 3, 1);
    assert.equal(crc32(random), nodeCrc32(random));
  });

  for (const channels of [1, 3] as const) {
    for (const filter of ['adaptive', 'none'] as const) {
      test(`8-bit ${channels === 1 ? 'grey' : 'RGB'}, ${filter} filters, decodes back`, () => {
        const image: PngImage = { width: 33, height: 17, channels, data: gradient(33, 17, channels) };
        const png = encodePng(image, { filter });
        const decoded = decode(png);
        assert.deepEqual(
          {
            width: decoded.width,
            height: decoded.height,
            depth: decoded.depth,
            colorType: decoded.colorType,
          },
          { width: 33, height: 17, depth: 8, colorType: channels === 1 ? 0 : 2 },
        );
        assert.deepEqual(decoded.raw, image.data);
      });
    }
  }

  test('16-bit grey is written big endian', () => {
    const data = new Uint16Array([0x0102, 0xfffe, 0x8000, 0x0001]);
    const decoded = decode(encodePng({ width: 2, height: 2, channels: 1, data }));
    assert.equal(decoded.depth, 16);
    assert.deepEqual([...decoded.raw], [1, 2, 0xff, 0xfe, 0x80, 0, 0, 1]);
  });

  test('bad sizes are refused', () => {
    assert.throws(() => encodePng({ width: 0, height: 1, channels: 1, data: new Uint8Array(0) }), {
      code: 'ERR_INVALID_VALUE',
    });
    assert.throws(() => encodePng({ width: 2, height: 2, channels: 3, data: new Uint8Array(3) }), {
      code: 'ERR_INVALID_VALUE',
    });
  });
});
