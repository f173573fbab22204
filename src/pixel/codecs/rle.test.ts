import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import { decodeRleFrame, decodeRleSegment, encodeRleFrame, encodeRleRow, rleCodec } from './rle.ts';

function describeImage(overrides: Partial<PixelDescription>): PixelDescription {
  const bitsAllocated = overrides.bitsAllocated ?? 8;
  return {
    rows: 1,
    columns: 1,
    samplesPerPixel: 1,
    bitsAllocated,
    bitsStored: bitsAllocated,
    highBit: bitsAllocated - 1,
    pixelRepresentation: 0,
    planarConfiguration: 0,
    photometricInterpretation: 'MONOCHROME2',
    numberOfFrames: 1,
    isFloat: false,
    pixelDataTag: 0x7fe00010,
    ...overrides,
  };
}

/** Decodes one row's worth of segment bytes with the decoder under test. */
function decodeRow(encoded: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const produced = decodeRleSegment(encoded, 0, encoded.length, out, 0, 1, length);
  assert.equal(produced, length);
  return out;
}

function encodeRow(row: number[]): number[] {
  const out = new Uint8Array(row.length * 2 + 4);
  return [...out.subarray(0, encodeRleRow(new Uint8Array(row), out, 0))];
}

/** A deterministic mix of runs and noise. */
function pattern(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = i % 37 < 20 ? (seed * 7) & 0xff : (x >>> 16) & 0xff;
  }
  return out;
}

describe('RLE segment encoding (PS3.5 §G.3.1)', () => {
  test('replicate and literal runs, hand-checked', () => {
    // 3 identical bytes: replicate run -2 (0xfe).
    assert.deepEqual(encodeRow([5, 5, 5]), [0xfe, 5]);
    // A single byte: literal of 1 (header 0).
    assert.deepEqual(encodeRow([9]), [0, 9]);
    // Literal, then a run of 4.
    assert.deepEqual(encodeRow([1, 2, 3, 7, 7, 7, 7]), [2, 1, 2, 3, 0xfd, 7]);
    // A pair at the start is a replicate run; a pair inside a literal joins it.
    assert.deepEqual(encodeRow([4, 4, 1]), [0xff, 4, 0, 1]);
    assert.deepEqual(encodeRow([1, 4, 4, 2]), [3, 1, 4, 4, 2]);
  });

  test('runs longer than 128 are split; -128 (0x80) is never written', () => {
    for (const length of [127, 128, 129, 130, 256, 257, 300]) {
      const row = new Array<number>(length).fill(0xab);
      const encoded = encodeRow(row);
      assert.ok(!encoded.some((b, i) => i % 2 === 0 && b === 0x80), `no -128 header for ${length}`);
      assert.deepEqual([...decodeRow(new Uint8Array(encoded), length)], row);
    }
    assert.deepEqual(encodeRow(new Array<number>(128).fill(1)), [0x81, 1]);
    assert.deepEqual(encodeRow(new Array<number>(129).fill(1)), [0x81, 1, 0, 1]);
    assert.deepEqual(encodeRow(new Array<number>(130).fill(1)), [0x81, 1, 0xff, 1]);
  });

  test('literals longer than 128 are split', () => {
    for (const length of [128, 129, 255, 256, 257]) {
      const row = Array.from({ length }, (_, i) => i & 0xff);
      const encoded = encodeRow(row);
      assert.equal(encoded[0], 127);
      assert.deepEqual([...decodeRow(new Uint8Array(encoded), length)], row);
    }
  });

  test('decoder: -128 is a no-op, runs past the end are cut', () => {
    const encoded = new Uint8Array([0x80, 0xfe, 3, 0x80, 1, 8, 9]);
    assert.deepEqual([...decodeRow(encoded, 5)], [3, 3, 3, 8, 9]);
    const out = new Uint8Array(2);
    assert.equal(decodeRleSegment(new Uint8Array([0x81, 7]), 0, 2, out, 0, 1, 2), 2);
    assert.deepEqual([...out], [7, 7]);
    // Too little data: reports what it produced.
    assert.equal(decodeRleSegment(new Uint8Array([0xfe, 1]), 0, 2, new Uint8Array(10), 0, 1, 10), 3);
  });
});

describe('RLE frames (PS3.5 Annex G)', () => {
  const cases: Array<[number, number, 0 | 1]> = [
    [8, 1, 0],
    [8, 3, 0],
    [8, 3, 1],
    [16, 1, 0],
    [16, 3, 0],
    [16, 3, 1],
    [32, 1, 0],
    [32, 3, 0],
  ];
  for (const [bits, samples, planar] of cases) {
    test(`${bits}-bit, ${samples} sample(s), planar ${planar}: round trip, odd sizes`, () => {
      for (const [rows, columns] of [
        [1, 1],
        [3, 5],
        [7, 129],
        [2, 300],
      ] as const) {
        const d = describeImage({
          rows,
          columns,
          bitsAllocated: bits,
          samplesPerPixel: samples,
          planarConfiguration: planar,
        });
        const native = pattern((rows * columns * samples * bits) / 8, rows * 31 + columns);
        const encoded = encodeRleFrame(native, d);
        assert.equal(encoded.length % 2, 0, 'frame of even length');
        const view = new DataView(encoded.buffer);
        const segments = (samples * bits) / 8;
        assert.equal(view.getUint32(0, true), segments);
        assert.equal(view.getUint32(4, true), 64);
        for (let s = segments + 1; s < 16; s++) assert.equal(view.getUint32(4 * s, true), 0);
        for (let s = 1; s <= segments; s++) assert.equal(view.getUint32(4 * s, true) % 2, 0, 'segments even');
        const decoded = decodeRleFrame(encoded, d);
        // The decoder returns colour-by-plane: compare plane by plane.
        const size = bits / 8;
        const count = rows * columns;
        for (let p = 0; p < count; p++) {
          for (let s = 0; s < samples; s++) {
            const from = planar ? (s * count + p) * size : (p * samples + s) * size;
            const to = (s * count + p) * size;
            assert.deepEqual(decoded.subarray(to, to + size), native.subarray(from, from + size));
          }
        }
      }
    });
  }

  test('segment order: most significant byte first', () => {
    const d = describeImage({ rows: 1, columns: 2, bitsAllocated: 16 });
    const encoded = encodeRleFrame(new Uint8Array([0x34, 0x12, 0x78, 0x56]), d);
    // Segment 1 holds the high bytes 0x12 0x56, segment 2 the low bytes 0x34 0x78.
    assert.deepEqual([...encoded.subarray(64, 67)], [1, 0x12, 0x56]);
    assert.deepEqual([...encoded.subarray(68, 71)], [1, 0x34, 0x78]);
  });

  test('rows never share a run (PS3.5 §G.3.1)', () => {
    const d = describeImage({ rows: 2, columns: 3 });
    const encoded = encodeRleFrame(new Uint8Array(6).fill(9), d);
    assert.deepEqual([...encoded.subarray(64)], [0xfe, 9, 0xfe, 9]);
  });

  test('malformed frames fail with ERR_MALFORMED', () => {
    const d = describeImage({ rows: 2, columns: 2, bitsAllocated: 16 });
    const good = encodeRleFrame(new Uint8Array(8), d);
    assert.throws(() => decodeRleFrame(good.subarray(0, 40), d), { code: 'ERR_MALFORMED' });
    const wrongCount = good.slice();
    wrongCount[0] = 3;
    assert.throws(() => decodeRleFrame(wrongCount, d), { code: 'ERR_MALFORMED' });
    const badOffset = good.slice();
    new DataView(badOffset.buffer).setUint32(8, 10_000, true);
    assert.throws(() => decodeRleFrame(badOffset, d), { code: 'ERR_MALFORMED' });
    assert.throws(() => decodeRleFrame(good.subarray(0, good.length - 2), d), { code: 'ERR_MALFORMED' });
    assert.throws(() => encodeRleFrame(new Uint8Array(8), describeImage({ bitsAllocated: 1 })), DicomError);
    assert.throws(
      () => encodeRleFrame(new Uint8Array(32), describeImage({ bitsAllocated: 64, samplesPerPixel: 2 })),
      DicomError,
    );
  });

  test('the codec decodes colour-by-plane and says so', async () => {
    const d = describeImage({ rows: 1, columns: 2, samplesPerPixel: 3, photometricInterpretation: 'RGB' });
    const encoded = await rleCodec.encode!(new Uint8Array([1, 2, 3, 4, 5, 6]), d);
    const decoded = await rleCodec.decode(encoded, d);
    assert.equal(decoded.planarConfiguration, 1);
    assert.deepEqual([...decoded.bytes], [1, 4, 2, 5, 3, 6]);
    await assert.rejects(rleCodec.decode(encoded.subarray(0, 10), d), { code: 'ERR_MALFORMED' });
  });
});
