/**
 * Pixel data against the references. Every RLE Lossless file of the pydicom corpus decodes
 * to the pixels DCMTK's `dcmdrle` writes out (read back as native data) and to pydicom's
 * `pixel_array`. Native files decode to pydicom's `pixel_array`. Our RLE encoder's output,
 * written as Part 10, decodes with `dcmdrle` (and pydicom) to the original pixels, and
 * DCMTK's `dcmcrle` output decodes with ours to the original pixels.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readDicomFile } from '../../src/object/file.node.ts';
import { type DicomFile, readDicom } from '../../src/object/part10.ts';
import { writeDicom } from '../../src/object/part10-writer.ts';
import { fileBulkSource } from '../../src/pixel/bulk-source.node.ts';
import { RLE_LOSSLESS } from '../../src/pixel/codecs/registry.ts';
import { type Frame, frames, getFrame } from '../../src/pixel/frames.ts';
import { compressPixelData } from '../../src/pixel/transcode.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';

const CORPUS = 'test/fixtures/pydicom';
const PYTHON = '/usr/bin/python3';

/** Native files whose pixels pydicom reads: 1-bit, 8/16/32-bit, signed, big endian, RGB, YBR 4:2:2, deflated. */
const NATIVE_FILES = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_implicit.dcm',
  'MR_small_bigendian.dcm',
  'MR_small_expb.dcm',
  'rtdose.dcm',
  'rtdose_1frame.dcm',
  'liver_1frame.dcm',
  'liver_expb_1frame.dcm',
  'SC_rgb_small_odd.dcm',
  'SC_ybr_full_422_uncompressed.dcm',
  'image_dfl.dcm',
];

/** Native files our RLE encoder is checked on: 8-bit RGB, 16-bit signed and unsigned, 32-bit multi-frame, big endian. */
const ENCODE_FILES = [
  'CT_small.dcm',
  'MR_small.dcm',
  'MR_small_bigendian.dcm',
  'SC_rgb_small_odd.dcm',
  'rtdose.dcm',
];

/** Writes each file's `pixel_array` bytes (C order: frame, row, column, sample) to `<out>/<index>.raw`. */
const PYDICOM_DUMP = `
import sys, pydicom
out = sys.argv[1]
for i, path in enumerate(sys.argv[2:]):
    ds = pydicom.dcmread(path)
    arr = ds.pixel_array
    open(f"{out}/{i}.raw", "wb").write(arr.astype(arr.dtype.newbyteorder("<")).tobytes())
`;

let work: string;
before(() => {
  requirePeer('dcmdrle');
  requirePeer('dcmcrle');
  requirePeer(PYTHON, 'apt-get install python3-pydicom');
  const check = runPeer(PYTHON, ['-c', 'import pydicom, numpy']);
  assert.equal(
    check.status,
    0,
    `pydicom with numpy is needed (apt-get install python3-pydicom): ${check.stderr}`,
  );
  work = mkdtempSync(join(tmpdir(), 'dicomkit-pixel-'));
});
// `work` is unset when a peer is missing: that failure is the one to read.
after(() => work && rmSync(work, { recursive: true, force: true }));

function read(path: string): DicomFile {
  return readDicom(readFileSync(path));
}

/** Every frame of a file, decoded, its samples' bytes joined in order (little endian). */
async function allPixels(file: DicomFile): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const frame of frames(file)) {
    parts.push(Buffer.from(frame.pixels.buffer, frame.pixels.byteOffset, frame.pixels.byteLength));
  }
  return Buffer.concat(parts);
}

/** Runs pydicom over files and returns each file's pixel_array bytes. */
function pydicomPixels(paths: string[]): Buffer[] {
  const out = mkdtempSync(join(work, 'py-'));
  const result = runPeer(PYTHON, ['-c', PYDICOM_DUMP, out, ...paths], { timeoutMs: 60_000 });
  assert.equal(result.status, 0, result.stderr);
  return paths.map((_, i) => readFileSync(join(out, `${i}.raw`)));
}

function dcmtk(program: string, input: string, output: string): DicomFile {
  const result = runPeer(program, [input, output]);
  assert.equal(result.status, 0, `${program} ${input}: ${result.stderr}`);
  return read(output);
}

const rleFiles = readdirSync(CORPUS)
  .filter((name) => /rle/i.test(name) && name.endsWith('.dcm'))
  .sort();

describe('RLE Lossless decoding against DCMTK and pydicom', () => {
  test('the corpus has RLE files, all in RLE Lossless', () => {
    assert.ok(rleFiles.length >= 9, `found ${rleFiles.join(', ')}`);
    for (const name of rleFiles)
      assert.equal(read(join(CORPUS, name)).transferSyntax.uid, RLE_LOSSLESS, name);
  });

  for (const name of rleFiles) {
    test(`${name}: same pixels as dcmdrle`, async () => {
      const ours = read(join(CORPUS, name));
      const reference = dcmtk('dcmdrle', join(CORPUS, name), join(work, `${name}.dcmdrle.dcm`));
      assert.equal(reference.transferSyntax.encapsulated, false);
      const expected: Frame[] = [];
      for await (const frame of frames(reference)) expected.push(frame);
      let index = 0;
      for await (const frame of frames(ours)) {
        const want = expected[index++]!;
        assert.equal(frame.pixels.constructor, want.pixels.constructor, `frame ${frame.index} type`);
        assert.deepEqual(frame.pixels, want.pixels, `frame ${frame.index}`);
      }
      assert.equal(index, expected.length);
    });
  }

  test('same pixels as pydicom', async () => {
    const expected = pydicomPixels(rleFiles.map((name) => join(CORPUS, name)));
    for (const [i, name] of rleFiles.entries()) {
      assert.ok((await allPixels(read(join(CORPUS, name)))).equals(expected[i]!), name);
    }
  });
});

describe('native decoding against pydicom', () => {
  test(NATIVE_FILES.join(', '), async () => {
    const expected = pydicomPixels(NATIVE_FILES.map((name) => join(CORPUS, name)));
    for (const [i, name] of NATIVE_FILES.entries()) {
      const ours = await allPixels(read(join(CORPUS, name)));
      assert.equal(ours.length, expected[i]!.length, `${name}: length`);
      assert.ok(ours.equals(expected[i]!), `${name}: pixels differ`);
    }
  });
});

describe('32-bit Pixel Data (OW) in Explicit VR Big Endian', () => {
  /**
   * The retired big endian syntax swaps OW in 16-bit words (PS3.5 2016b §7.3). DCMTK and
   * GDCM read rtdose_expb.dcm so; pydicom swaps each 32-bit sample whole and reads other
   * values (those of rtdose.dcm, which the file was made from). We read as DCMTK and GDCM,
   * and write as they do.
   */
  test('rtdose_expb.dcm reads as dcmconv and gdcmconv convert it to little endian', async () => {
    requirePeer('dcmconv');
    requirePeer('gdcmconv', 'apt-get install libgdcm-tools');
    const path = join(CORPUS, 'rtdose_expb.dcm');
    const ours = await allPixels(read(path));
    const dcmconv = join(work, 'rtdose_expb.dcmconv.dcm');
    assert.equal(runPeer('dcmconv', ['+te', path, dcmconv]).status, 0);
    assert.ok(ours.equals(await allPixels(read(dcmconv))), 'dcmconv');
    const gdcm = join(work, 'rtdose_expb.gdcm.dcm');
    const converted = runPeer('gdcmconv', ['--raw', '--explicit', path, gdcm]);
    assert.equal(converted.status, 0, converted.stderr);
    assert.ok(ours.equals(await allPixels(read(gdcm))), 'gdcmconv');
    const [pydicom] = pydicomPixels([path]);
    assert.ok(!ours.equals(pydicom!), 'pydicom now agrees: drop this difference');
  });
});

describe('RLE Lossless encoding, decoded by DCMTK', () => {
  /** The native files to encode: from the corpus, plus RGB 8/16/32-bit multi-frame files dcmdrle made native. */
  const sources: Array<{ name: string; path: () => string }> = [
    ...ENCODE_FILES.map((name) => ({ name, path: () => join(CORPUS, name) })),
    ...['SC_rgb_rle_2frame.dcm', 'SC_rgb_rle_16bit_2frame.dcm', 'SC_rgb_rle_32bit_2frame.dcm'].map(
      (name) => ({
        name: `${name} made native by dcmdrle`,
        path: () => {
          const out = join(work, `native-${name}`);
          dcmtk('dcmdrle', join(CORPUS, name), out);
          return out;
        },
      }),
    ),
  ];
  const encoded: Array<{ name: string; path: string; original: Buffer }> = [];

  for (const source of sources) {
    test(`${source.name}: our RLE decodes with dcmdrle to the original pixels`, async () => {
      const path = source.path();
      const original = read(path);
      const originalPixels = await allPixels(original);
      const rle = await compressPixelData(original, RLE_LOSSLESS);
      const out = join(work, `ours-${encoded.length}.rle.dcm`);
      writeFileSync(out, writeDicom(rle, { transferSyntax: RLE_LOSSLESS }));
      encoded.push({ name: source.name, path: out, original: originalPixels });
      const ours = read(out);
      assert.equal(ours.transferSyntax.uid, RLE_LOSSLESS);
      assert.ok((await allPixels(ours)).equals(originalPixels), 'our decoder on our encoding');
      const decoded = dcmtk('dcmdrle', out, join(work, `ours-${encoded.length}.dcmdrle.dcm`));
      assert.ok((await allPixels(decoded)).equals(originalPixels), 'dcmdrle on our encoding');
      const theirs = dcmtk('dcmcrle', path, join(work, `theirs-${encoded.length}.rle.dcm`));
      assert.equal(theirs.transferSyntax.uid, RLE_LOSSLESS);
      assert.ok((await allPixels(theirs)).equals(originalPixels), 'our decoder on dcmcrle encoding');
    });
  }

  test('pydicom decodes our RLE files to the original pixels', () => {
    assert.equal(encoded.length, sources.length);
    const expected = pydicomPixels(encoded.map((e) => e.path));
    for (const [i, e] of encoded.entries()) assert.ok(expected[i]!.equals(e.original), e.name);
  });
});

describe('pixel data left in the file', () => {
  test('native and RLE frames read through fileBulkSource equal those read in memory', async () => {
    for (const name of ['rtdose.dcm', 'SC_rgb_rle_32bit_2frame.dcm', 'liver_1frame.dcm']) {
      const path = join(CORPUS, name);
      const header = await readDicomFile(path, { bulkDataThreshold: 64 });
      const pixelData = header.dataset.element('PixelData')!;
      assert.ok(pixelData.bulk ?? pixelData.fragments?.some((f) => !(f instanceof Uint8Array)), name);
      await assert.rejects(getFrame(header, 0), { code: 'ERR_IO' });
      const inMemory = read(path);
      let count = 0;
      for await (const frame of frames(header, { bulkSource: fileBulkSource })) {
        assert.deepEqual(
          frame.pixels,
          (await getFrame(inMemory, frame.index)).pixels,
          `${name} frame ${frame.index}`,
        );
        count++;
      }
      assert.ok(count >= 1);
    }
  });
});
