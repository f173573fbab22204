import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../core/errors.ts';
import { decodeBase64, encodeBase64 } from './base64.ts';

function bytesOf(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed;
  for (let i = 0; i < length; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

describe('base64', () => {
  it('matches RFC 4648 §10 test vectors', () => {
    const vectors: [string, string][] = [
      ['', ''],
      ['f', 'Zg=='],
      ['fo', 'Zm8='],
      ['foo', 'Zm9v'],
      ['foob', 'Zm9vYg=='],
      ['fooba', 'Zm9vYmE='],
      ['foobar', 'Zm9vYmFy'],
    ];
    for (const [plain, encoded] of vectors) {
      const bytes = new TextEncoder().encode(plain);
      assert.equal(encodeBase64(bytes), encoded);
      assert.deepEqual(decodeBase64(encoded), bytes);
    }
  });

  it('agrees with Buffer on every length up to 300 and all byte values', () => {
    for (let n = 0; n <= 300; n++) {
      const bytes = bytesOf(n, n + 1);
      const encoded = encodeBase64(bytes);
      assert.equal(encoded, Buffer.from(bytes).toString('base64'));
      assert.deepEqual(decodeBase64(encoded), bytes);
    }
  });

  it('accepts missing padding and whitespace (line-wrapped producers)', () => {
    assert.deepEqual(decodeBase64('Zm9vYg'), new TextEncoder().encode('foob'));
    assert.deepEqual(decodeBase64('Zm9v\r\nYmFy\n'), new TextEncoder().encode('foobar'));
    assert.deepEqual(decodeBase64(' Zm9vYg = = '), new TextEncoder().encode('foob'));
  });

  it('rejects characters outside the alphabet and impossible lengths with ERR_JSON', () => {
    for (const bad of ['Zm9v!', 'Zm9vY', 'Zg=a', 'Zm9=v', 'Zm9vÿÿÿÿ', 'Zm9vŁŁŁŁ', 'Z===']) {
      assert.throws(
        () => decodeBase64(bad),
        (e: unknown) => e instanceof DicomError && e.code === 'ERR_JSON',
        bad,
      );
    }
  });

  it('handles megabytes quickly (no per-byte string building)', () => {
    const bytes = bytesOf(4 * 1024 * 1024, 7);
    const start = performance.now();
    const text = encodeBase64(bytes);
    const back = decodeBase64(text);
    const elapsed = performance.now() - start;
    assert.equal(text.length, Math.ceil(bytes.length / 3) * 4);
    assert.deepEqual(back, bytes);
    // Typically 20-40 ms for both directions; the bound only catches a quadratic regression.
    assert.ok(elapsed < 1000, `4 MB took ${elapsed.toFixed(0)} ms`);
  });
});
