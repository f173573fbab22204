import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../object/dataset.ts';
import {
  applyPalette,
  expand422,
  expandSegmentedLut,
  interleavedToPlanar,
  planarToInterleaved,
  readPalette,
  rgbToYbr,
  ybrToRgb,
} from './color.ts';

function words(values: number[]): Uint8Array {
  return new Uint8Array(new Uint16Array(values).buffer);
}

describe('colour (PS3.3 §C.7.6.3.1)', () => {
  test('planar configuration 1 <-> 0', () => {
    const planar = new Uint16Array([1, 2, 3, 10, 20, 30, 100, 200, 300]);
    const interleaved = planarToInterleaved(planar, 3);
    assert.ok(interleaved instanceof Uint16Array);
    assert.deepEqual([...interleaved], [1, 10, 100, 2, 20, 200, 3, 30, 300]);
    assert.deepEqual([...interleavedToPlanar(interleaved, 3)], [...planar]);
    const grey = new Uint8Array([1, 2]);
    assert.equal(planarToInterleaved(grey, 1), grey);
  });

  test("YBR_FULL to RGB, hand-computed (R = Y + 1.402 Cr', G = Y - 0.344136 Cb' - 0.714136 Cr', B = Y + 1.772 Cb')", () => {
    const ybr = new Uint8Array([76, 85, 255, 128, 128, 128, 150, 44, 21]);
    assert.deepEqual([...ybrToRgb(ybr, 8)], [254, 0, 0, 128, 128, 128, 0, 255, 1]);
    const ybr16 = new Uint16Array([32768, 32768, 65535]);
    assert.deepEqual([...ybrToRgb(ybr16, 16)], [65535, 9368, 32768]);
    // YBR_PARTIAL: black (16, 128, 128) and white (235, 128, 128).
    assert.deepEqual(
      [...ybrToRgb(new Uint8Array([16, 128, 128, 235, 128, 128]), 8, true)],
      [0, 0, 0, 255, 255, 255],
    );
  });

  test('RGB -> YBR_FULL -> RGB is within one level', () => {
    const rgb = new Uint8Array([255, 0, 0, 0, 255, 0, 0, 0, 255, 12, 200, 99, 255, 255, 255]);
    const back = ybrToRgb(rgbToYbr(rgb.slice(), 8), 8);
    for (let i = 0; i < rgb.length; i++) assert.ok(Math.abs(back[i]! - rgb[i]!) <= 1, `sample ${i}`);
  });

  test('YBR 4:2:2 (Y1 Y2 Cb Cr) expands to one Y Cb Cr per pixel', () => {
    const packed = new Uint8Array([10, 20, 100, 200, 30, 40, 101, 201]);
    assert.deepEqual([...expand422(packed, 4)], [10, 100, 200, 20, 100, 200, 30, 101, 201, 40, 101, 201]);
    assert.deepEqual(
      [...expand422(new Uint8Array([10, 20, 100, 200, 30, 0, 101, 201]), 3)].slice(6),
      [30, 101, 201],
    );
  });

  test('palette expansion: first mapped value, clamping below and above, 16-bit entries', () => {
    const ds = new DataSet();
    ds.set('PixelRepresentation', 0);
    ds.set(0x00281101, [4, 10, 16], 'US');
    ds.set(0x00281102, [4, 10, 16], 'US');
    ds.set(0x00281103, [4, 10, 16], 'US');
    ds.set(0x00281201, words([0, 100, 200, 65535]), 'OW');
    ds.set(0x00281202, words([1, 2, 3, 4]), 'OW');
    ds.set(0x00281203, words([9, 9, 9, 9]), 'OW');
    const palette = readPalette(ds);
    assert.equal(palette.bits, 16);
    const rgb = applyPalette(new Uint8Array([5, 10, 11, 13, 20]), palette);
    assert.ok(rgb instanceof Uint16Array);
    assert.deepEqual([...rgb], [0, 1, 9, 0, 1, 9, 100, 2, 9, 65535, 4, 9, 65535, 4, 9]);
  });

  test('8-bit palettes: packed two entries per word, or one per word', () => {
    const ds = new DataSet();
    for (const tag of [0x00281101, 0x00281102, 0x00281103]) ds.set(tag, [4, 0, 8], 'US');
    ds.set(0x00281201, new Uint8Array([10, 20, 30, 40]), 'OW');
    ds.set(0x00281202, words([10, 20, 30, 40]), 'OW');
    ds.set(0x00281203, words([10 << 8, 20 << 8, 30 << 8, 40 << 8]), 'OW');
    const palette = readPalette(ds);
    assert.equal(palette.bits, 8);
    assert.deepEqual([...applyPalette(new Uint8Array([0, 3]), palette)], [10, 10, 10, 40, 40, 40]);
  });

  test('segmented palette: discrete, linear and indirect segments (PS3.3 §C.7.9.2)', () => {
    const segmented = new Uint16Array([0, 2, 10, 20, 1, 4, 60, 2, 1, 0, 0]);
    assert.deepEqual([...expandSegmentedLut(segmented, 8)], [10, 20, 30, 40, 50, 60, 10, 20]);
    const ds = new DataSet();
    for (const tag of [0x00281101, 0x00281102, 0x00281103]) ds.set(tag, [8, 0, 16], 'US');
    for (const tag of [0x00281221, 0x00281222, 0x00281223]) ds.set(tag, words([...segmented]), 'OW');
    assert.deepEqual([...applyPalette(new Uint8Array([2, 7]), readPalette(ds))], [30, 30, 30, 20, 20, 20]);
    assert.throws(() => expandSegmentedLut(new Uint16Array([7, 1, 0]), 2), { code: 'ERR_MALFORMED' });
  });

  test('a PALETTE COLOR data set without its tables fails with ERR_INVALID_VALUE', () => {
    assert.throws(() => readPalette(new DataSet()), { code: 'ERR_INVALID_VALUE' });
  });
});
