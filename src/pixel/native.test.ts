import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alignBits, keepStoredBits, packBits, unpackBits, unpackSamples } from './native.ts';

const format = (
  bitsAllocated: number,
  bitsStored: number,
  pixelRepresentation: 0 | 1,
  highBit = bitsStored - 1,
) => ({
  bitsAllocated,
  bitsStored,
  highBit,
  pixelRepresentation,
  isFloat: false,
});

describe('native samples (PS3.5 §8.1.1)', () => {
  test('bit-packed: first pixel in the least significant bit; frames may start mid-byte', () => {
    // 0b1010_0110, 0b0000_0011 -> bits LSB first: 0 1 1 0 0 1 0 1 | 1 1 0 0 ...
    const bytes = new Uint8Array([0xa6, 0x03]);
    assert.deepEqual([...unpackBits(bytes, 0, 10)], [0, 1, 1, 0, 0, 1, 0, 1, 1, 1]);
    // A 3x1 frame starting at bit 3 (the second frame of 3-pixel frames).
    assert.deepEqual([...unpackBits(bytes, 3, 3)], [0, 0, 1]);
    assert.deepEqual([...unpackBits(bytes, 6, 4)], [0, 1, 1, 1]);
    assert.throws(() => unpackBits(bytes, 9, 8), { code: 'ERR_UNEXPECTED_END' });
    const values = [1, 0, 1, 1, 0, 0, 0, 1, 1];
    assert.deepEqual([...unpackBits(packBits(values), 0, 9)], values);
    // packBits at an offset keeps the neighbouring bits.
    const out = new Uint8Array([0xff, 0xff]);
    packBits([0, 0], out, 7);
    assert.deepEqual([...out], [0x7f, 0xfe]);
    assert.deepEqual([...alignBits(bytes, 3, 6)], [0b110100]);
  });

  test('signed samples are sign-extended from Bits Stored', () => {
    // 12-bit signed in 16 bits: 0x0FFF is -1, 0x0800 is -2048, 0x07FF is 2047.
    const bytes = new Uint8Array([0xff, 0x0f, 0x00, 0x08, 0xff, 0x07, 0x00, 0xf0]);
    const samples = unpackSamples(bytes, format(16, 12, 1), 4);
    assert.ok(samples instanceof Int16Array);
    assert.deepEqual([...samples], [-1, -2048, 2047, 0]);
    // 8-bit signed with 6 bits stored.
    assert.deepEqual(
      [...unpackSamples(new Uint8Array([0x3f, 0x20, 0x1f]), format(8, 6, 1), 3)],
      [-1, -32, 31],
    );
    // 32-bit signed with 24 stored.
    const b32 = new Uint8Array([0xff, 0xff, 0xff, 0x00, 0x01, 0x00, 0x80, 0x00]);
    assert.deepEqual([...unpackSamples(b32, format(32, 24, 1), 2)], [-1, -8388607]);
  });

  test('unsigned samples are masked to Bits Stored below High Bit', () => {
    // Overlay bits above bit 11 are dropped.
    const bytes = new Uint8Array([0xff, 0xff, 0x34, 0x12]);
    const samples = unpackSamples(bytes, format(16, 12, 0), 2);
    assert.ok(samples instanceof Uint16Array);
    assert.deepEqual([...samples], [0x0fff, 0x0234]);
    // High bit 15 with 12 bits stored: the value sits in bits 4..15.
    assert.deepEqual([...unpackSamples(new Uint8Array([0x30, 0x12]), format(16, 12, 0, 15), 1)], [0x123]);
    const u32 = new Uint32Array([0xffffffff]);
    keepStoredBits(u32, format(32, 32, 0));
    assert.equal(u32[0], 0xffffffff);
  });

  test('array types follow the format; short data fails', () => {
    assert.ok(
      unpackSamples(new Uint8Array(4), { ...format(32, 32, 0), isFloat: true }, 1) instanceof Float32Array,
    );
    const f64 = new Float64Array([1.5, -2.25]);
    const doubles = unpackSamples(new Uint8Array(f64.buffer), { ...format(64, 64, 0), isFloat: true }, 2);
    assert.deepEqual([...doubles], [1.5, -2.25]);
    assert.ok(unpackSamples(new Uint8Array(4), format(32, 32, 1), 1) instanceof Int32Array);
    assert.ok(unpackSamples(new Uint8Array(1), format(8, 8, 1), 1) instanceof Int8Array);
    assert.throws(() => unpackSamples(new Uint8Array(3), format(16, 16, 0), 2), {
      code: 'ERR_UNEXPECTED_END',
    });
    assert.throws(() => unpackSamples(new Uint8Array(8), format(64, 64, 0), 1), {
      code: 'ERR_INVALID_VALUE',
    });
  });
});
