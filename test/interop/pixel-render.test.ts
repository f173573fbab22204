/**
 * Rendering against DCMTK's dcm2pnm: the same window (stored, given or min-max), VOI LUT
 * Function and Presentation LUT shape give 8-bit images within one grey level per pixel
 * (we round, DCMTK truncates), and the same levels exactly when we truncate too.
 * The PNG we encode from our rendering holds the same pixels (checked with zlib).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inflateSync } from 'node:zlib';
import { readDicom } from '../../src/object/part10.ts';
import { encodePng } from '../../src/pixel/png.ts';
import { type RenderedImage, type RenderOptions, renderFrame } from '../../src/pixel/render.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';
import { type Pnm, parsePnm } from '../helpers/png.ts';

const CORPUS = 'test/fixtures/pydicom';

let work: string;
before(() => {
  requirePeer('dcm2pnm');
  work = mkdtempSync(join(tmpdir(), 'dicomkit-render-'));
});
after(() => rmSync(work, { recursive: true, force: true }));

let counter = 0;
function dcm2pnm(file: string, args: string[]): Pnm {
  const out = join(work, `${counter++}.pnm`);
  const result = runPeer('dcm2pnm', [...args, '+op', join(CORPUS, file), out]);
  assert.equal(result.status, 0, result.stderr);
  return parsePnm(readFileSync(out));
}

async function render(file: string, options: RenderOptions = {}): Promise<RenderedImage> {
  return renderFrame(readDicom(readFileSync(join(CORPUS, file))), 0, options);
}

function assertClose(ours: RenderedImage, theirs: Pnm, tolerance: number): void {
  assert.deepEqual(
    { width: ours.width, height: ours.height, channels: ours.channels },
    { width: theirs.width, height: theirs.height, channels: theirs.channels },
  );
  let worst = 0;
  let at = -1;
  for (let i = 0; i < ours.data.length; i++) {
    const diff = Math.abs(ours.data[i]! - theirs.data[i]!);
    if (diff > worst) {
      worst = diff;
      at = i;
    }
  }
  assert.ok(
    worst <= tolerance,
    `sample ${at}: ours ${ours.data[at]}, dcm2pnm ${theirs.data[at]} (tolerance ${tolerance})`,
  );
}

/** Reads back the samples of a PNG written with filter type 0 (each row: 0, then the row). */
function pngSamples(png: Uint8Array, stride: number, height: number): Uint8Array {
  let at = 8;
  const idat: Uint8Array[] = [];
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
  while (at < png.length) {
    const length = view.getUint32(at);
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8));
    if (type === 'IDAT') idat.push(png.subarray(at + 8, at + 8 + length));
    at += 12 + length;
  }
  const filtered = inflateSync(Buffer.concat(idat));
  const out = new Uint8Array(stride * height);
  for (let y = 0; y < height; y++) {
    assert.equal(filtered[y * (stride + 1)], 0);
    out.set(filtered.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1)), y * stride);
  }
  return out;
}

describe('grayscale rendering against dcm2pnm', () => {
  test('MR_small.dcm, its stored window (600/1600)', async () => {
    const ours = await render('MR_small.dcm');
    assert.deepEqual(ours.window, { center: 600, width: 1600 });
    const theirs = dcm2pnm('MR_small.dcm', ['+Wi', '1']);
    assertClose(ours, theirs, 1);
    assertClose(await render('MR_small.dcm', { rounding: 'truncate' }), theirs, 0);
  });

  test('MR_small.dcm, SIGMOID with the stored window', async () => {
    const window = { center: 600, width: 1600, function: 'SIGMOID' } as const;
    const theirs = dcm2pnm('MR_small.dcm', ['+Wi', '1', '+Wfs']);
    assertClose(await render('MR_small.dcm', { window }), theirs, 1);
    assertClose(await render('MR_small.dcm', { window, rounding: 'truncate' }), theirs, 0);
  });

  test('MR_small.dcm, min-max window, inverse Presentation LUT shape', async () => {
    assertClose(await render('MR_small.dcm', { voi: 'min-max' }), dcm2pnm('MR_small.dcm', ['+Wm']), 1);
    assertClose(
      await render('MR_small.dcm', { invert: true }),
      dcm2pnm('MR_small.dcm', ['+Wi', '1', '+Piv']),
      1,
    );
  });

  test('CT_small.dcm (rescale -1024), window 40/400 given and min-max', async () => {
    const window = { center: 40, width: 400 };
    const theirs = dcm2pnm('CT_small.dcm', ['+Ww', '40', '400']);
    assertClose(await render('CT_small.dcm', { window }), theirs, 1);
    assertClose(await render('CT_small.dcm', { window, rounding: 'truncate' }), theirs, 0);
    const minMax = dcm2pnm('CT_small.dcm', ['+Wm']);
    assertClose(await render('CT_small.dcm'), minMax, 1);
    assertClose(await render('CT_small.dcm', { rounding: 'truncate' }), minMax, 0);
  });

  test('our PNG holds the rendered pixels', async () => {
    const image = await render('CT_small.dcm', { window: { center: 40, width: 400 } });
    const png = encodePng(image, { filter: 'none' });
    assert.deepEqual(pngSamples(png, image.width, image.height), image.data);
  });
});

describe('colour rendering against dcm2pnm', () => {
  test('SC_rgb_small_odd.dcm (8-bit RGB) is exact', async () => {
    assertClose(await render('SC_rgb_small_odd.dcm'), dcm2pnm('SC_rgb_small_odd.dcm', []), 0);
  });

  test('SC_ybr_full_422_uncompressed.dcm converts to RGB', async () => {
    assertClose(
      await render('SC_ybr_full_422_uncompressed.dcm'),
      dcm2pnm('SC_ybr_full_422_uncompressed.dcm', []),
      1,
    );
  });

  test('SC_rgb_rle_16bit.dcm scales 16-bit RGB to 8 bits', async () => {
    assertClose(await render('SC_rgb_rle_16bit.dcm'), dcm2pnm('SC_rgb_rle_16bit.dcm', []), 1);
  });
});
