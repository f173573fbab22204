import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { readJpegFrameHeader, withColourSpace } from './jpeg.ts';
import { decodeJpeg } from './jpeg-decoder.ts';
import { encodeJpegLossless, optimalHuffmanTable } from './jpeg-lossless-encoder.ts';

function image(width: number, height: number, components: number, precision: number): Uint16Array {
  const samples = new Uint16Array(width * height * components);
  const max = 2 ** precision - 1;
  let seed = 7;
  for (let i = 0; i < samples.length; i++) {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    const smooth = Math.round((Math.sin(i / 37) + 1) * (max / 2));
    samples[i] = Math.max(0, Math.min(max, smooth + (seed % 5) - 2));
  }
  // Full-scale jumps exercise the largest difference categories (16 at P = 16).
  samples[0] = max;
  samples[components] = 0;
  samples[2 * components] = max;
  return samples;
}

describe('JPEG Lossless SV1 encoder and decoder (ITU T.81 Annex H)', () => {
  for (const precision of [2, 8, 12, 15, 16]) {
    for (const components of [1, 3]) {
      test(`P=${precision}, ${components} component(s), odd size: decodes to the input`, () => {
        const samples = image(37, 23, components, precision);
        const encoded = encodeJpegLossless({ width: 37, height: 23, components, precision, samples });
        const header = readJpegFrameHeader(encoded);
        assert.deepEqual(header, { process: 3, precision, rows: 23, columns: 37, components });
        const decoded = decodeJpeg(encoded);
        assert.equal(decoded.lossless, true);
        assert.deepEqual(Array.from(decoded.samples), Array.from(samples));
      });
    }
  }

  test('no 0xFF byte in the entropy-coded data goes unstuffed', () => {
    const samples = image(64, 64, 1, 16);
    const encoded = encodeJpegLossless({ width: 64, height: 64, components: 1, precision: 16, samples });
    const sos = encoded.findIndex((b, i) => b === 0xff && encoded[i + 1] === 0xda);
    for (let i = sos + 2 + ((encoded[sos + 2]! << 8) | encoded[sos + 3]!); i < encoded.length - 2; i++) {
      if (encoded[i] === 0xff) assert.equal(encoded[i + 1], 0, `unstuffed 0xFF at ${i}`);
    }
    assert.deepEqual(Array.from(encoded.subarray(-2)), [0xff, 0xd9]);
  });

  test('Huffman code lengths form a prefix code of at most 16 bits without the all-ones code', () => {
    const counts = [1, 1000000, 3, 7, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
    const { bits, values } = optimalHuffmanTable(counts);
    assert.equal(values.length, 17);
    assert.equal(
      bits.reduce((n, b) => n + b, 0),
      17,
    );
    // Kraft sum strictly below 1: the reserved code keeps all-ones free.
    const kraft = Array.from(bits).reduce((sum, b, i) => sum + b * 2 ** -(i + 1), 0);
    assert.ok(kraft < 1, `Kraft sum ${kraft}`);
  });

  test('rejects precisions outside 2-16', () => {
    assert.throws(
      () => encodeJpegLossless({ width: 1, height: 1, components: 1, precision: 17, samples: [0] }),
      {
        code: 'ERR_INVALID_VALUE',
      },
    );
  });
});

describe('JPEG colour-space markers', () => {
  test('withColourSpace renames components in the frame and scan headers and the Adobe flag', () => {
    const jpeg = encodeJpegLossless({
      width: 2,
      height: 2,
      components: 3,
      precision: 8,
      samples: new Uint8Array(12),
    });
    const rgb = withColourSpace(jpeg, true);
    const sof = rgb.findIndex((b, i) => b === 0xff && rgb[i + 1] === 0xc3);
    assert.deepEqual([rgb[sof + 10], rgb[sof + 13], rgb[sof + 16]], [82, 71, 66]);
    const sos = rgb.findIndex((b, i) => b === 0xff && rgb[i + 1] === 0xda);
    assert.deepEqual([rgb[sos + 5], rgb[sos + 7], rgb[sos + 9]], [82, 71, 66]);
    assert.equal(jpeg[sof + 10], 1, 'the input is left alone');
    assert.deepEqual(Array.from(decodeJpeg(rgb).samples), Array.from(new Uint8Array(12)));
  });
});
