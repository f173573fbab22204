// A compressed frame whose own header claims another image than the data set's is refused
// from that header, before a decoder runs: OpenJPEG given a damaged SIZ (a tile 2 billion
// pixels wide, found by test/robustness.test.ts) spent 2-6 s and gigabytes of WASM memory
// before failing, and every codec allocates what its header says.

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DicomError } from '../../core/errors.ts';
import { readDicom } from '../../object/part10.ts';
import { getFrame } from '../frames.ts';
import { COMPRESSED_CODECS } from './compressed.ts';
import { codestreamOffset } from './j2k-codestream.ts';
import { readJpegFrameHeader } from './jpeg.ts';
import { CodecRegistry } from './registry.ts';

const FIXTURES = 'test/fixtures/pydicom';

const codecs = new CodecRegistry();
for (const [uid, codec] of Object.entries(COMPRESSED_CODECS)) codecs.register(uid, codec);

/** The file's bytes and the offset of its first frame's codestream (after the offset table). */
function firstFragment(name: string): { bytes: Uint8Array; start: number } {
  const bytes = new Uint8Array(readFileSync(`${FIXTURES}/${name}`));
  const fragment = readDicom(bytes)
    .dataset.element(0x7fe00010)
    ?.fragments?.find((f, i) => i > 0 && f instanceof Uint8Array);
  assert.ok(fragment instanceof Uint8Array, `${name} has a first fragment`);
  return { bytes, start: fragment.byteOffset - bytes.byteOffset };
}

/** The offset of the first marker segment `marker` (0xFFxx) after SOI, in a JPEG codestream. */
function jpegMarker(bytes: Uint8Array, start: number, marker: number): number {
  let at = start + 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] === 0xff && bytes[at + 1] === marker) return at;
    at += 2 + ((bytes[at + 2]! << 8) | bytes[at + 3]!);
  }
  throw new Error(`no marker FF${marker.toString(16)}`);
}

async function refusedQuickly(damaged: Uint8Array, claimed: RegExp): Promise<void> {
  const started = performance.now();
  await assert.rejects(
    getFrame(readDicom(damaged), 0, { codecs }),
    (error: unknown) =>
      error instanceof DicomError && error.code === 'ERR_MALFORMED' && claimed.test(error.message),
  );
  const took = performance.now() - started;
  assert.ok(took < 1000, `refused after ${took.toFixed(0)} ms`);
}

describe('a codestream header that claims another image is refused before decoding', () => {
  test('JPEG 2000: a SIZ with a 2-billion-pixel-wide image and tile (OpenJPEG)', async () => {
    const { bytes, start } = firstFragment('JPEG2000.dcm');
    const siz = start + codestreamOffset(bytes.subarray(start)) + 4; // SOC, then the SIZ marker
    const view = new DataView(bytes.buffer, bytes.byteOffset);
    assert.equal(view.getUint16(siz - 2), 0xff51);
    view.setUint32(siz + 4, 0x7a000100); // Xsiz
    view.setUint32(siz + 20, 0x7a000100); // XTsiz
    await refusedQuickly(bytes, /codestream holds 2046820608x\d+ with 1 component\(s\)/);
  });

  test('JPEG baseline: a frame header (SOF0) of 65535 x 65535 pixels (libjpeg-turbo)', async () => {
    const { bytes, start } = firstFragment('SC_rgb_jpeg_dcmtk.dcm');
    const sof = jpegMarker(bytes, start, 0xc0);
    bytes.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    assert.deepEqual(readJpegFrameHeader(bytes.subarray(start))?.rows, 65535);
    await refusedQuickly(bytes, /codestream holds 65535x65535 with 3 component\(s\)/);
  });

  test('JPEG-LS: a frame header (SOF55) of 65535 x 65535 pixels (CharLS)', async () => {
    const { bytes, start } = firstFragment('MR_small_jpeg_ls_lossless.dcm');
    const sof = jpegMarker(bytes, start, 0xf7);
    bytes.set([0xff, 0xff, 0xff, 0xff], sof + 5);
    assert.deepEqual(readJpegFrameHeader(bytes.subarray(start)), {
      process: 55,
      precision: 16,
      rows: 65535,
      columns: 65535,
      components: 1,
    });
    await refusedQuickly(bytes, /codestream holds 65535x65535 with 1 component\(s\)/);
  });
});
