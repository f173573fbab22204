import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DicomParseError } from '../core/errors.ts';
import { deflateCodec, deflateRaw, fflateCodec, gunzipSync, inflateRaw } from './deflate.ts';

/** Text with repeats and noise, so that deflate has something to do at every level. */
function sample(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  let seed = 12345;
  for (let i = 0; i < length; i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = i % 7 === 0 ? seed >>> 24 : 0x41 + (i % 23);
  }
  return bytes;
}

describe('deflate codec', () => {
  test('Node uses its built-in zlib, and returns plain Uint8Arrays (no Buffer, whose slice shares memory)', async () => {
    const { inflateRawSync } = await import('node:zlib');
    const data = sample(10_000);
    const packed = deflateRaw(data);
    assert.equal(Object.getPrototypeOf(packed), Uint8Array.prototype);
    assert.deepEqual(new Uint8Array(inflateRawSync(packed)), data);
    const unpacked = inflateRaw(packed, 0);
    assert.equal(Object.getPrototypeOf(unpacked), Uint8Array.prototype);
    assert.deepEqual(unpacked, data);
  });

  test("fflate (browsers) and node:zlib read each other's output in every format", async () => {
    const fflate = await fflateCodec();
    const data = sample(50_000);
    for (const [writer, reader] of [
      [deflateCodec, fflate],
      [fflate, deflateCodec],
    ] as const) {
      for (const level of [0, 1, 6, 9]) {
        assert.deepEqual(reader.inflateRaw(writer.deflateRaw(data, level)), data, `raw, level ${level}`);
      }
    }
    const { gzipSync, inflateSync } = await import('node:zlib');
    const gzipped = new Uint8Array(gzipSync(data));
    assert.deepEqual(fflate.gunzip(gzipped), data);
    assert.deepEqual(gunzipSync(gzipped), data);
    assert.deepEqual(new Uint8Array(inflateSync(fflate.deflateZlib(data, 6))), data);
    assert.deepEqual(new Uint8Array(inflateSync(deflateCodec.deflateZlib(data, 6))), data);
  });

  test('a stream that does not inflate is a DicomParseError at the given offset, with either codec', async () => {
    const truncated = deflateRaw(sample(10_000)).subarray(0, 100);
    for (const bytes of [truncated, new Uint8Array([0xff, 0xff, 0xff, 0xff])]) {
      assert.throws(
        () => inflateRaw(bytes, 132),
        (error: unknown) =>
          error instanceof DicomParseError && error.code === 'ERR_MALFORMED' && error.offset === 132,
      );
      const fflate = await fflateCodec();
      assert.throws(() => fflate.inflateRaw(bytes));
    }
  });

  test('a data set deflated in zlib format (DCMTK +bz) inflates too; garbage still fails typed', async () => {
    const { deflateSync } = await import('node:zlib');
    const data = sample(5000);
    assert.deepEqual(inflateRaw(new Uint8Array(deflateSync(data)), 0), data);
    assert.throws(() => inflateRaw(new Uint8Array([0x78, 0x9c, 1, 2, 3, 4]), 10), DicomParseError);
  });
});
