// `dicomkit render` and `dicomkit transcode` (issue 6): a render with the stored window equals
// DCMTK dcm2pnm's within one grey level; lossless transcodes round-trip and DCMTK decodes them.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readDicomFile } from '../../src/object/file.node.ts';
import { runPeerAsync } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { pngPixels } from '../helpers/png.ts';

for (const program of ['dcm2pnm', 'dcmdjpls']) requirePeer(program);
const work = mkdtempSync(join(tmpdir(), 'dicomkit-cli-pixel-'));
after(() => rmSync(work, { recursive: true, force: true }));

function pgmPixels(bytes: Uint8Array): Uint8Array {
  // dcm2pnm +op writes "P5\n# ...\nW H\n255\n" then the pixels: the last width*height bytes.
  const text = Buffer.from(bytes.subarray(0, 200)).toString('latin1');
  const [w, h] = text
    .split('\n')
    .filter((l) => !l.startsWith('#'))[1]!
    .split(/\s+/)
    .map(Number);
  return bytes.subarray(bytes.length - w! * h!);
}

// MR_small has a stored window; CT_small has none, so both tools get the same one (40/400).
for (const [name, ours, theirs] of [
  ['MR_small.dcm', [], ['+Wi', '1']],
  ['CT_small.dcm', ['--window', '40,400'], ['+Ww', '40', '400']],
] as const) {
  test(`dicomkit render ${name} ${ours.join(' ') || '(stored window)'} equals dcm2pnm within 1 grey level`, {
    timeout: 30_000,
  }, async () => {
    const file = join('test/fixtures/pydicom', name);
    const png = join(work, `${name}.png`);
    const r = await runPeerAsync(process.execPath, ['bin/dicomkit.js', 'render', file, ...ours, '-o', png]);
    assert.equal(r.status, 0, r.stderr);
    const pgm = join(work, `${name}.pgm`);
    const d = await runPeerAsync('dcm2pnm', [...theirs, '+op', file, pgm]);
    assert.equal(d.status, 0, d.stderr);
    const mine = pngPixels(new Uint8Array(readFileSync(png)));
    const reference = pgmPixels(new Uint8Array(readFileSync(pgm)));
    assert.equal(mine.data.length, reference.length);
    let worst = 0;
    for (let i = 0; i < reference.length; i++)
      worst = Math.max(worst, Math.abs(mine.data[i]! - reference[i]!));
    assert.ok(worst <= 1, `largest difference ${worst}`);
  });
}

test('dicomkit transcode: JPEG-LS lossless and back is exact; DCMTK decodes ours to the same pixels', {
  timeout: 30_000,
}, async () => {
  const source = 'test/fixtures/pydicom/CT_small.dcm';
  const jls = join(work, 'ct-jls.dcm');
  const back = join(work, 'ct-back.dcm');
  const dcmtk = join(work, 'ct-dcmtk.dcm');
  for (const args of [
    ['transcode', source, jls, '--syntax', 'jpeg-ls-lossless'],
    ['transcode', jls, back, '--syntax', 'explicit-little'],
  ]) {
    const r = await runPeerAsync(process.execPath, ['bin/dicomkit.js', ...args]);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal((await readDicomFile(jls)).transferSyntax.uid, '1.2.840.10008.1.2.4.80');
  const d = await runPeerAsync('dcmdjpls', [jls, dcmtk]);
  assert.equal(d.status, 0, d.stderr);
  const original = (await readDicomFile(source)).dataset.bytes('PixelData')!;
  assert.ok(
    Buffer.from((await readDicomFile(back)).dataset.bytes('PixelData')!).equals(Buffer.from(original)),
  );
  assert.ok(
    Buffer.from((await readDicomFile(dcmtk)).dataset.bytes('PixelData')!).equals(Buffer.from(original)),
  );
  const lossy = join(work, 'ct-j2k.dcm');
  const r = await runPeerAsync(process.execPath, [
    'bin/dicomkit.js',
    'transcode',
    source,
    lossy,
    '--syntax',
    'j2k',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const lossyDs = (await readDicomFile(lossy)).dataset;
  assert.equal(lossyDs.string('LossyImageCompression'), '01');
  assert.notEqual(
    lossyDs.string('SOPInstanceUID'),
    (await readDicomFile(source)).dataset.string('SOPInstanceUID'),
  );
});
