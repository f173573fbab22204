/**
 * The compressed codecs (JPEG, JPEG-LS, JPEG 2000, HTJ2K) against independent decoders,
 * run as Node uses them: on worker threads (registerNodeCodecs).
 *
 * - Every compressed file of the pydicom corpus decodes to the pixels GDCM (`gdcmconv
 *   --raw`) and DCMTK (`dcmdjpeg`, `dcmdjpls`) write out, read back as native data: exactly
 *   for lossless syntaxes, within LOSSY_TOLERANCE for lossy ones (the observed maximum is
 *   reported). Files a reference cannot decode are listed with the reason.
 * - Lossless encoding of synthetic 8/12/16-bit, signed and unsigned, grey and RGB images
 *   decodes exactly with our decoders and, written as Part 10, with DCMTK and GDCM.
 * - Lossy encoding sets the attributes PS3.3 asks for and stays within its tolerance.
 * - The worker pool: concurrent decodes, a responsive event loop, exit without close().
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { findTransferSyntax } from '../../src/encoding/transfer-syntax.ts';
import { DataSet } from '../../src/object/dataset.ts';
import { type DicomFile, readDicom } from '../../src/object/part10.ts';
import { writeDicom } from '../../src/object/part10-writer.ts';
import {
  COMPRESSED_CODECS,
  HTJ2K,
  HTJ2K_LOSSLESS,
  HTJ2K_LOSSLESS_RPCL,
  JPEG_2000,
  JPEG_2000_LOSSLESS,
  JPEG_BASELINE,
  JPEG_LOSSLESS_SV1,
  JPEG_LS_LOSSLESS,
  JPEG_LS_NEAR_LOSSLESS,
} from '../../src/pixel/codecs/compressed.ts';
import { CPRL, mergeComponents } from '../../src/pixel/codecs/j2k-codestream.ts';
import {
  closeCodecWorkers,
  encodePngOnWorker,
  registerNodeCodecs,
  renderPngOnWorker,
} from '../../src/pixel/codecs/node-codecs.node.ts';
import { CodecRegistry, RLE_LOSSLESS } from '../../src/pixel/codecs/registry.ts';
import { rleCodec } from '../../src/pixel/codecs/rle.ts';
import { CodecWorkerPool } from '../../src/pixel/codecs/worker-pool.node.ts';
import { pixelDescription } from '../../src/pixel/description.ts';
import { type Frame, getFrame } from '../../src/pixel/frames.ts';
import type { PixelArray } from '../../src/pixel/native.ts';
import { encodePng } from '../../src/pixel/png.ts';
import { renderDecodedFrame } from '../../src/pixel/render.ts';
import { scaleToFit } from '../../src/pixel/scale.ts';
import { compressPixelData, decompressPixelData } from '../../src/pixel/transcode.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';

const CORPUS = 'test/fixtures/pydicom';
/** Max absolute difference allowed against a reference decoder for lossy syntaxes (IDCT and colour rounding). */
const LOSSY_TOLERANCE = 3;
const LOSSLESS = new Set([JPEG_LOSSLESS_SV1, '1.2.840.10008.1.2.4.57', JPEG_LS_LOSSLESS, JPEG_2000_LOSSLESS]);

/**
 * Corpus files a reference decoder cannot decode, and why. A reference failing on a file
 * not listed here fails the test.
 */
const REFERENCE_FAILURES: Record<string, Record<string, string>> = {
  'JPEG2000-embedded-sequence-delimiter.dcm': {
    gdcmconv:
      'the codestream is corrupt (FFFE,E0DD bytes inside SIZ: "Invalid number of tiles"); ours fails too',
  },
  'SC_rgb_jpeg.dcm': {
    dcmdjpeg: 'the data set is damaged (a non-standard VR in (0008,0008)), DCMTK stops reading it',
  },
};
/** Corpus files in a compressed syntax we cannot decode either, and the error we give. */
const UNDECODABLE: Record<string, string> = {
  'JPEG2000-embedded-sequence-delimiter.dcm': 'ERR_MALFORMED',
};

const codecs = new CodecRegistry();
let work: string;

before(() => {
  requirePeer('gdcmconv', 'apt-get install libgdcm-tools');
  requirePeer('dcmdjpeg', 'apt-get install dcmtk');
  requirePeer('dcmdjpls', 'apt-get install dcmtk');
  requirePeer('dcmdrle', 'apt-get install dcmtk');
  registerNodeCodecs(codecs);
  codecs.register(RLE_LOSSLESS, rleCodec); // ours, in-thread (the WASM ones go to the workers)
  work = mkdtempSync(join(tmpdir(), 'dicomkit-codecs-'));
});
after(async () => {
  await closeCodecWorkers();
  rmSync(work, { recursive: true, force: true });
});

function read(path: string): DicomFile {
  return readDicom(readFileSync(path));
}

/** Every frame of a file, decoded through `codecs`, in RGB when colour. */
async function decodeAll(file: DicomFile): Promise<Frame[]> {
  const count = file.dataset.number('NumberOfFrames') ?? 1;
  const out: Frame[] = [];
  for (let i = 0; i < count; i++) out.push(await getFrame(file, i, { codecs, colorSpace: 'rgb' }));
  return out;
}

function maxDifference(a: PixelArray, b: PixelArray): number {
  assert.equal(a.length, b.length, 'sample count');
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/**
 * GDCM 3.0 knows no HTJ2K transfer syntax, but the OpenJPEG it decodes with (2.5 on Debian
 * 12 and later) reads HTJ2K codestreams: the same file labelled JPEG 2000 Lossless gives
 * an HTJ2K decoder independent of OpenJPH.
 */
const GDCM_AS_J2K = 'gdcmconv as JPEG 2000';

/** Runs a reference decoder; the native file it wrote, or its error text. */
function reference(program: string, input: string, tag: string): DicomFile | string {
  const output = join(work, `${tag}.${program.replaceAll(' ', '-')}.dcm`);
  if (program === GDCM_AS_J2K) {
    const relabelled = join(work, `${tag}.as-j2k.dcm`);
    writeFileSync(relabelled, writeDicom(read(input).dataset, { transferSyntax: JPEG_2000_LOSSLESS }));
    input = relabelled;
    program = 'gdcmconv';
  }
  const args = program === 'gdcmconv' ? ['--raw', input, output] : [input, output];
  const result = runPeer(program, args, { timeoutMs: 60_000 });
  if (result.status !== 0) return result.stderr.trim().split('\n').slice(-1)[0] ?? `exit ${result.status}`;
  const file = read(output);
  assert.equal(file.transferSyntax.encapsulated, false, `${program} wrote native pixel data`);
  return file;
}

const corpus = readdirSync(CORPUS)
  .filter((name) => name.endsWith('.dcm'))
  .sort()
  .flatMap((name) => {
    try {
      const file = read(join(CORPUS, name));
      const uid = file.transferSyntax.uid;
      return COMPRESSED_CODECS[uid] && file.dataset.has('PixelData') ? [{ name, uid }] : [];
    } catch {
      return []; // not readable as a data set at all (a truncated file)
    }
  });

/** How the event loop fared while `work` ran: a 5 ms timer's ticks and its longest gap. */
async function eventLoopDuring<T>(
  work: () => Promise<T>,
): Promise<{ result: T; took: number; ticks: number; longest: number }> {
  let ticks = 0;
  let longest = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    longest = Math.max(longest, now - last);
    last = now;
    ticks++;
  }, 5);
  const started = performance.now();
  try {
    const result = await work();
    return { result, took: performance.now() - started, ticks, longest };
  } finally {
    clearInterval(timer);
  }
}

describe('corpus decoding against GDCM and DCMTK', () => {
  test('the corpus has JPEG, JPEG-LS and JPEG 2000 files', () => {
    const syntaxes = new Set(corpus.map((f) => f.uid));
    for (const uid of ['.50', '.51', '.70', '.80', '.90', '.91']) {
      assert.ok(syntaxes.has(`1.2.840.10008.1.2.4${uid}`), `no file in 1.2.840.10008.1.2.4${uid}`);
    }
    assert.ok(corpus.length >= 24, corpus.map((f) => f.name).join(', '));
  });

  for (const { name, uid } of corpus) {
    const programs = [
      'gdcmconv',
      ...(/\.(5\d|70)$/.test(uid) ? ['dcmdjpeg'] : []),
      ...(/\.8\d$/.test(uid) ? ['dcmdjpls'] : []),
    ];
    const lossless = LOSSLESS.has(uid);
    test(`${name} (${findTransferSyntax(uid)?.name ?? uid}) against ${programs.join(', ')}`, async (t) => {
      const path = join(CORPUS, name);
      if (UNDECODABLE[name]) {
        await assert.rejects(decodeAll(read(path)), { code: UNDECODABLE[name] });
      }
      const ours = UNDECODABLE[name] ? undefined : await decodeAll(read(path));
      for (const program of programs) {
        const ref = reference(program, path, name);
        if (typeof ref === 'string') {
          assert.ok(REFERENCE_FAILURES[name]?.[program], `${program} failed on ${name}: ${ref}`);
          t.diagnostic(`${program}: cannot decode (${REFERENCE_FAILURES[name]![program]})`);
          continue;
        }
        assert.ok(ours, `${program} decodes ${name}; we do not`);
        const expected = await Promise.all(
          Array.from({ length: ours.length }, (_, i) => getFrame(ref, i, { colorSpace: 'rgb' })),
        );
        let max = 0;
        for (const [i, frame] of ours.entries()) {
          assert.equal(
            frame.photometricInterpretation,
            expected[i]!.photometricInterpretation,
            `frame ${i} colour`,
          );
          max = Math.max(max, maxDifference(frame.pixels, expected[i]!.pixels));
        }
        t.diagnostic(`${program}: max abs difference ${max}`);
        assert.ok(max <= (lossless ? 0 : LOSSY_TOLERANCE), `${program}: max abs difference ${max}`);
      }
    });
  }
});

interface Synthetic {
  label: string;
  bits: 8 | 12 | 16;
  signed: boolean;
  samplesPerPixel: 1 | 3;
}

const SYNTHETIC: Synthetic[] = [
  { label: '8-bit unsigned grey', bits: 8, signed: false, samplesPerPixel: 1 },
  { label: '8-bit signed grey', bits: 8, signed: true, samplesPerPixel: 1 },
  { label: '12-bit unsigned grey', bits: 12, signed: false, samplesPerPixel: 1 },
  { label: '12-bit signed grey', bits: 12, signed: true, samplesPerPixel: 1 },
  { label: '16-bit unsigned grey', bits: 16, signed: false, samplesPerPixel: 1 },
  { label: '16-bit signed grey', bits: 16, signed: true, samplesPerPixel: 1 },
  { label: '8-bit RGB', bits: 8, signed: false, samplesPerPixel: 3 },
  { label: '16-bit RGB', bits: 16, signed: false, samplesPerPixel: 3 },
  { label: '12-bit RGB', bits: 12, signed: false, samplesPerPixel: 3 },
  { label: '16-bit signed RGB', bits: 16, signed: true, samplesPerPixel: 3 },
];

/**
 * A CT-like test image: a disc over a gradient, noise, and the extreme values of the range
 * in the corners (so predictors and wavelets see full-scale jumps), stored as native data.
 */
function syntheticImage(s: Synthetic, rows = 61, columns = 83): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.1234567890');
  ds.set('Rows', rows);
  ds.set('Columns', columns);
  ds.set('SamplesPerPixel', s.samplesPerPixel);
  ds.set('PhotometricInterpretation', s.samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2');
  if (s.samplesPerPixel === 3) ds.set('PlanarConfiguration', 0);
  const allocated = s.bits === 8 ? 8 : 16;
  ds.set('BitsAllocated', allocated);
  ds.set('BitsStored', s.bits);
  ds.set('HighBit', s.bits - 1);
  ds.set('PixelRepresentation', s.signed ? 1 : 0);
  const min = s.signed ? -(2 ** (s.bits - 1)) : 0;
  const max = s.signed ? 2 ** (s.bits - 1) - 1 : 2 ** s.bits - 1;
  const count = rows * columns * s.samplesPerPixel;
  const values = allocated === 8 ? new Uint8Array(count) : new Uint16Array(count);
  let seed = 12345;
  const random = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed / 0x7fffffff;
  };
  for (let y = 0, i = 0; y < rows; y++) {
    for (let x = 0; x < columns; x++) {
      for (let c = 0; c < s.samplesPerPixel; c++, i++) {
        const inside = (x - columns / 2) ** 2 + (y - rows / 2) ** 2 < (rows / 3) ** 2;
        const base = min + ((max - min) * ((x + y * (c + 1)) % (columns + rows))) / (columns + rows);
        let v = Math.round(inside ? (min + max) / 2 + (max - min) * 0.1 * random() : base + 8 * random());
        if ((x === 0 || x === columns - 1) && (y === 0 || y === rows - 1)) v = (x + y) % 2 ? min : max;
        v = Math.max(min, Math.min(max, v));
        values[i] = v & (allocated === 8 ? 0xff : 0xffff); // two's complement, sign-extended to 16 bits
      }
    }
  }
  ds.set('PixelData', new Uint8Array(values.buffer), allocated === 8 ? 'OB' : 'OW');
  return ds;
}

/** Which reference decodes which syntax. */
const REFERENCES: Record<string, string[]> = {
  // Not gdcmconv: GDCM 3.0 orders the byte segments of 16-bit colour RLE wrongly (its output
  // for pydicom's own SC_rgb_rle_16bit.dcm differs from dcmdrle's and pydicom's too).
  [RLE_LOSSLESS]: ['dcmdrle'],
  [JPEG_LOSSLESS_SV1]: ['dcmdjpeg', 'gdcmconv'],
  [JPEG_LS_LOSSLESS]: ['dcmdjpls', 'gdcmconv'],
  [JPEG_2000_LOSSLESS]: ['gdcmconv'],
  [HTJ2K_LOSSLESS]: [GDCM_AS_J2K],
  [HTJ2K_LOSSLESS_RPCL]: [GDCM_AS_J2K],
};

describe('lossless encoding decodes to the original pixels', () => {
  for (const uid of Object.keys(REFERENCES)) {
    const name = findTransferSyntax(uid)?.name ?? uid;
    test(`${name}: ours and ${REFERENCES[uid]!.join(', ')}`, async () => {
      for (const s of SYNTHETIC) {
        const original = syntheticImage(s);
        const want = (await getFrame(original, 0)).pixels;
        const encoded = await compressPixelData(original, uid, { codecs });
        assert.equal(
          encoded.string('SOPInstanceUID'),
          '2.25.1234567890',
          'lossless keeps the SOP Instance UID',
        );
        assert.equal(encoded.string('LossyImageCompression'), undefined);
        const path = join(work, `ours-${uid}-${s.bits}${s.signed ? 's' : 'u'}${s.samplesPerPixel}.dcm`);
        writeFileSync(path, writeDicom(encoded, { transferSyntax: uid }));
        const file = read(path);
        assert.equal(file.transferSyntax.uid, uid);
        const ours = await getFrame(file, 0, { codecs, colorSpace: 'rgb' });
        assert.deepEqual(ours.pixels, want, `${s.label}: our decoder`);
        for (const program of REFERENCES[uid]!) {
          const ref = reference(program, path, `${uid}-${s.label}`);
          assert.notEqual(typeof ref, 'string', `${program} on ${s.label}: ${ref as string}`);
          const theirs = await getFrame(ref as DicomFile, 0, { colorSpace: 'rgb' });
          assert.deepEqual(theirs.pixels, want, `${s.label}: ${program}`);
        }
      }
    });
  }

  test('tiny and thin images round-trip in every lossless syntax', async () => {
    // OpenJPEG refuses more wavelet levels than the image has sizes; OpenJPH without levels decodes 0 as 128.
    for (const [rows, columns] of [
      [1, 1],
      [1, 40],
      [40, 1],
      [7, 9],
    ] as const) {
      for (const s of [SYNTHETIC[0]!, SYNTHETIC[1]!, SYNTHETIC[6]!, SYNTHETIC[7]!]) {
        const original = syntheticImage(s, rows, columns);
        const want = (await getFrame(original, 0)).pixels;
        for (const uid of Object.keys(REFERENCES)) {
          const encoded = await compressPixelData(original, uid, { codecs });
          const frame = await getFrame(encoded, 0, { codecs, transferSyntaxUid: uid, colorSpace: 'rgb' });
          assert.deepEqual(frame.pixels, want, `${uid} ${rows}x${columns} ${s.label}`);
        }
      }
    }
  });

  test('colour coded without the colour transform at 8 bits, as other encoders may, decodes in place', async () => {
    // Three different 8-bit planes, each coded alone and merged: the layout our encoders use
    // over 8 bits. OpenJPH's wrapper returns such lines in planar order; we put them back.
    const planes = [0, 1, 2].map((c) => {
      const grey = syntheticImage(SYNTHETIC[0]!);
      const bytes = grey.bytes('PixelData')!.slice();
      for (let i = 0; i < bytes.length; i++) bytes[i] = (bytes[i]! + 85 * c) & 0xff;
      grey.set('PixelData', bytes, 'OB');
      return grey;
    });
    const rgb = syntheticImage(SYNTHETIC[6]!);
    const want = new Uint8Array(61 * 83 * 3); // the Pixel Data value is padded to even length
    for (const [c, plane] of planes.entries()) {
      for (const [i, v] of plane
        .bytes('PixelData')!
        .subarray(0, 61 * 83)
        .entries())
        want[3 * i + c] = v;
    }
    for (const uid of [JPEG_2000_LOSSLESS, HTJ2K_LOSSLESS]) {
      const codec = COMPRESSED_CODECS[uid]!;
      const streams = await Promise.all(
        planes.map((plane) => codec.encode!(plane.bytes('PixelData')!, pixelDescription(plane))),
      );
      const merged = mergeComponents(streams, { progression: CPRL });
      const decoded = await codec.decode(merged, pixelDescription(rgb));
      assert.deepEqual([...decoded.bytes], [...want], uid);
    }
  });

  test('transcoding through every lossless syntax and back to native keeps pixels and UID', async () => {
    const original = syntheticImage(SYNTHETIC[6]!);
    let current: DataSet = original;
    let syntax: string | undefined;
    for (const uid of [JPEG_LOSSLESS_SV1, JPEG_LS_LOSSLESS, JPEG_2000_LOSSLESS, HTJ2K_LOSSLESS_RPCL]) {
      current = await compressPixelData(current, uid, {
        codecs,
        ...(syntax ? { transferSyntaxUid: syntax } : {}),
      });
      syntax = uid;
    }
    assert.equal(current.string('PhotometricInterpretation'), 'YBR_RCT');
    const native = await decompressPixelData(current, { codecs, transferSyntaxUid: syntax! });
    assert.equal(native.string('PhotometricInterpretation'), 'RGB');
    assert.equal(native.string('SOPInstanceUID'), original.string('SOPInstanceUID'));
    assert.deepEqual(native.bytes('PixelData'), original.bytes('PixelData'));
  });
});

describe('lossy encoding', () => {
  const rgb = () => syntheticImage(SYNTHETIC[6]!, 128, 128);
  const grey16 = () => syntheticImage(SYNTHETIC[4]!, 128, 128);
  const signed16 = () => syntheticImage(SYNTHETIC[5]!, 128, 128);
  const rgb16 = () => syntheticImage(SYNTHETIC[7]!, 128, 128);
  const signed8 = () => syntheticImage(SYNTHETIC[1]!, 128, 128);

  /** Mean absolute error against the original, in 8-bit grey levels (scaled down from Bits Stored). */
  async function meanError(frame: Frame, original: DataSet): Promise<number> {
    const want = (await getFrame(original, 0)).pixels;
    let sum = 0;
    for (let i = 0; i < want.length; i++) sum += Math.abs(frame.pixels[i]! - want[i]!);
    return sum / want.length / 2 ** (original.number('BitsStored')! - 8);
  }

  async function roundTrip(ds: DataSet, uid: string, options = {}) {
    const encoded = await compressPixelData(ds, uid, { codecs, encode: options });
    const path = join(
      work,
      `lossy-${uid}-${ds.number('BitsStored')}-${ds.number('PixelRepresentation')}-${ds.number('SamplesPerPixel')}.dcm`,
    );
    writeFileSync(path, writeDicom(encoded, { transferSyntax: uid }));
    const file = read(path);
    return { encoded, path, file, frame: await getFrame(file, 0, { codecs, colorSpace: 'rgb' }) };
  }

  function assertLossyAttributes(encoded: DataSet, method: string) {
    assert.equal(encoded.string('LossyImageCompression'), '01');
    assert.deepEqual(encoded.strings('LossyImageCompressionMethod'), [method]);
    const ratio = encoded.numbers('LossyImageCompressionRatio');
    assert.equal(ratio?.length, 1);
    assert.ok(ratio![0]! > 1, `ratio ${ratio}`);
    assert.notEqual(encoded.string('SOPInstanceUID'), '2.25.1234567890', 'a new SOP Instance UID');
  }

  test('JPEG Baseline: RGB becomes YBR_FULL_422; dcmdjpeg and gdcmconv decode it as we do', async (t) => {
    const original = rgb();
    const { encoded, path, frame } = await roundTrip(original, JPEG_BASELINE, { quality: 95 });
    assertLossyAttributes(encoded, 'ISO_10918_1');
    assert.equal(encoded.string('PhotometricInterpretation'), 'YBR_FULL_422');
    const error = await meanError(frame, original);
    t.diagnostic(`mean abs error against the original at quality 95: ${error.toFixed(2)}`);
    assert.ok(error < 4, `mean error ${error}`);
    for (const program of ['dcmdjpeg', 'gdcmconv']) {
      const ref = reference(program, path, 'baseline');
      const diff = maxDifference(
        frame.pixels,
        (await getFrame(ref as DicomFile, 0, { colorSpace: 'rgb' })).pixels,
      );
      t.diagnostic(`${program}: max abs difference ${diff}`);
      assert.ok(diff <= LOSSY_TOLERANCE, `${program}: ${diff}`);
    }
    // A second lossy compression appends its ratio and method.
    const again = await compressPixelData(encoded, JPEG_BASELINE, {
      codecs,
      transferSyntaxUid: JPEG_BASELINE,
    });
    assert.deepEqual(again.strings('LossyImageCompressionMethod'), ['ISO_10918_1', 'ISO_10918_1']);
    assert.equal(again.numbers('LossyImageCompressionRatio')?.length, 2);
  });

  test('JPEG-LS Near-Lossless: every sample within NEAR; dcmdjpls decodes it as we do', async () => {
    // Signed samples at the ends of their range would wrap (JPEG-LS codes bit patterns).
    await assert.rejects(
      compressPixelData(signed16(), JPEG_LS_NEAR_LOSSLESS, { codecs, encode: { nearLossless: 3 } }),
      { code: 'ERR_INVALID_VALUE' },
    );
    for (const original of [rgb(), grey16()]) {
      const { encoded, path, frame } = await roundTrip(original, JPEG_LS_NEAR_LOSSLESS, { nearLossless: 3 });
      assertLossyAttributes(encoded, 'ISO_14495_1');
      assert.ok(maxDifference(frame.pixels, (await getFrame(original, 0)).pixels) <= 3);
      const ref = reference('dcmdjpls', path, 'near') as DicomFile;
      assert.deepEqual((await getFrame(ref, 0, { colorSpace: 'rgb' })).pixels, frame.pixels);
    }
  });

  test('JPEG 2000 (irreversible): 8-bit RGB becomes YBR_ICT; gdcmconv decodes it as we do', async (t) => {
    // Over 8 bits, components are coded one by one without the colour transform: RGB stays.
    for (const original of [rgb(), grey16(), rgb16(), signed8()]) {
      const { encoded, path, frame } = await roundTrip(original, JPEG_2000, { compressionRatio: 8 });
      assertLossyAttributes(encoded, 'ISO_15444_1');
      if (original.number('SamplesPerPixel') === 3) {
        const ict = original.number('BitsStored') === 8;
        assert.equal(encoded.string('PhotometricInterpretation'), ict ? 'YBR_ICT' : 'RGB');
      }
      const label = `${original.number('BitsStored')}-bit${original.number('PixelRepresentation') ? ' signed' : ''} ${original.string('PhotometricInterpretation')}`;
      const ref = reference('gdcmconv', path, 'j2k-lossy') as DicomFile;
      const diff = maxDifference((await getFrame(ref, 0, { colorSpace: 'rgb' })).pixels, frame.pixels);
      t.diagnostic(`${label}: gdcmconv: max abs difference ${diff}`);
      assert.ok(diff <= 1, `${label}: gdcmconv: ${diff}`);
      const error = await meanError(frame, original);
      t.diagnostic(`${label}: mean abs error against the original (8-bit levels): ${error.toFixed(2)}`);
      assert.ok(error < 16, `${label}: mean error ${error}`);
    }
  });

  test('HTJ2K (irreversible): method ISO_15444_15, 8-bit RGB becomes YBR_ICT', async (t) => {
    for (const original of [rgb(), rgb16(), signed8()]) {
      const { encoded, frame } = await roundTrip(original, HTJ2K);
      assertLossyAttributes(encoded, 'ISO_15444_15');
      if (original.number('SamplesPerPixel') === 3) {
        const ict = original.number('BitsStored') === 8;
        assert.equal(encoded.string('PhotometricInterpretation'), ict ? 'YBR_ICT' : 'RGB');
      }
      const error = await meanError(frame, original);
      const label = `${original.number('BitsStored')}-bit${original.number('PixelRepresentation') ? ' signed' : ''} ${original.string('PhotometricInterpretation')}`;
      t.diagnostic(`${label}: mean abs error against the original (8-bit levels): ${error.toFixed(2)}`);
      assert.ok(error < 4, `${label}: mean error ${error}`);
    }
  });
});

describe('codec worker pool', () => {
  test('decodes many frames concurrently, each as decoded alone', async () => {
    const ds = syntheticImage(SYNTHETIC[4]!, 256, 256);
    const encoded = await compressPixelData(ds, JPEG_2000_LOSSLESS, { codecs });
    const want = (await getFrame(ds, 0)).pixels;
    const pool = new CodecWorkerPool({ size: 2 });
    const local = new CodecRegistry();
    registerNodeCodecs(local, { pool });
    try {
      const results = await Promise.all(
        Array.from({ length: 16 }, () =>
          getFrame(encoded, 0, { codecs: local, transferSyntaxUid: JPEG_2000_LOSSLESS }),
        ),
      );
      assert.equal(pool.threads, 2);
      for (const frame of results) assert.deepEqual(frame.pixels, want);
    } finally {
      await pool.close();
    }
  });

  test('the event loop keeps ticking while a large JPEG 2000 frame decodes', async (t) => {
    const ds = syntheticImage(SYNTHETIC[4]!, 1536, 1536);
    const encoded = await compressPixelData(ds, JPEG_2000_LOSSLESS, { codecs });
    const { took, ticks, longest } = await eventLoopDuring(() =>
      getFrame(encoded, 0, { codecs, transferSyntaxUid: JPEG_2000_LOSSLESS }),
    );
    t.diagnostic(`decode took ${took.toFixed(0)} ms; ${ticks} ticks, longest gap ${longest.toFixed(0)} ms`);
    // Decoding in this thread would stop the timer for the whole decode.
    assert.ok(took > 50, `the decode should take a while (${took} ms)`);
    assert.ok(ticks >= 10, `${ticks} ticks in ${took} ms`);
    assert.ok(longest < took / 2, `longest gap ${longest} ms of ${took} ms`);
  });

  test('PNG encoding on a worker: the same file as in this thread, and the event loop keeps ticking', async (t) => {
    const side = 2048;
    const data = new Uint8Array(side * side * 3);
    for (let i = 0; i < data.length; i++)
      data[i] = ((i % (side * 3)) * 7 + Math.floor(i / (side * 3)) * 3) & 0xff;
    const image = { width: side, height: side, channels: 3 as const, data };
    const small = { width: 3, height: 2, channels: 1 as const, data: new Uint8Array([0, 9, 250, 7, 7, 255]) };
    assert.deepEqual(await encodePngOnWorker(small), encodePng(small));
    const { result: png, took, ticks, longest } = await eventLoopDuring(() => encodePngOnWorker(image));
    t.diagnostic(`PNG took ${took.toFixed(0)} ms; ${ticks} ticks, longest gap ${longest.toFixed(0)} ms`);
    assert.ok(took > 50, `the encoding should take a while (${took} ms)`);
    assert.ok(longest < took / 2, `longest gap ${longest} ms of ${took} ms`);
    assert.deepEqual(png, encodePng(image));
  });

  test('rendering on a worker: the PNG this thread would make, scaled alike; the event loop keeps ticking', async (t) => {
    const side = 3072;
    const ds = new DataSet();
    ds.set('Rows', side);
    ds.set('Columns', side);
    ds.set('BitsAllocated', 16);
    ds.set('BitsStored', 12);
    ds.set('HighBit', 11);
    ds.set('PixelRepresentation', 0);
    ds.set('SamplesPerPixel', 1);
    ds.set('PhotometricInterpretation', 'MONOCHROME2');
    ds.set('RescaleSlope', 1);
    ds.set('RescaleIntercept', -1024);
    ds.set('WindowCenter', 40);
    ds.set('WindowWidth', 400);
    const values = new Uint16Array(side * side);
    for (let i = 0; i < values.length; i++) values[i] = ((i % side) + Math.floor(i / side)) % 4096;
    ds.set('PixelData', new Uint8Array(values.buffer), 'OW');
    const frame = await getFrame(ds, 0, { colorSpace: 'rgb' });
    const window = { center: 100, width: 1000 };
    const {
      result: png,
      took,
      longest,
    } = await eventLoopDuring(() => renderPngOnWorker(ds, frame, { window }));
    t.diagnostic(`render and PNG took ${took.toFixed(0)} ms; longest gap ${longest.toFixed(0)} ms`);
    assert.ok(longest < took / 2, `longest gap ${longest} ms of ${took} ms`);
    const here = renderDecodedFrame(ds, frame, { window });
    assert.deepEqual(png, encodePng({ width: side, height: side, channels: 1, data: here.data }));
    const fit = { width: 500, height: 300, smooth: true };
    const scaled = scaleToFit(renderDecodedFrame(ds, frame), fit.width, fit.height, true);
    assert.deepEqual(
      await renderPngOnWorker(ds, frame, {}, fit),
      encodePng({ width: 300, height: 300, channels: 1, data: scaled.data }),
    );
  });

  test('an aborted decode rejects with the reason and the pool keeps working', async () => {
    const ds = syntheticImage(SYNTHETIC[4]!, 64, 64);
    const encoded = await compressPixelData(ds, JPEG_LS_LOSSLESS, { codecs });
    const controller = new AbortController();
    const pending = getFrame(encoded, 0, {
      codecs,
      transferSyntaxUid: JPEG_LS_LOSSLESS,
      signal: controller.signal,
    });
    controller.abort(new Error('stop'));
    await assert.rejects(pending, /stop/);
    const frame = await getFrame(encoded, 0, { codecs, transferSyntaxUid: JPEG_LS_LOSSLESS });
    assert.deepEqual(frame.pixels, (await getFrame(ds, 0)).pixels);
  });

  test('a process that decoded on workers exits without closing the pool', async () => {
    const script = join(work, 'exit-check.mts');
    const src = (path: string) => JSON.stringify(resolve('src', path));
    writeFileSync(
      script,
      [
        `import { readFileSync } from 'node:fs';`,
        `import { readDicom } from ${src('object/part10.ts')};`,
        `import { getFrame } from ${src('pixel/frames.ts')};`,
        `import { registerNodeCodecs } from ${src('pixel/codecs/node-codecs.node.ts')};`,
        'registerNodeCodecs();',
        `const file = readDicom(readFileSync(${JSON.stringify(resolve(CORPUS, 'MR_small_jp2klossless.dcm'))}));`,
        'const frame = await getFrame(file, 0);',
        'console.log(frame.pixels.length);',
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['--import', 'tsx', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk));
    const code = await new Promise<number | null>((done) => {
      const timer = setTimeout(() => {
        child.kill();
        done(null);
      }, 20_000);
      child.on('exit', (status) => {
        clearTimeout(timer);
        done(status);
      });
    });
    assert.equal(code, 0, `exit ${code}: ${out}`);
    assert.equal(out.trim(), String(64 * 64));
  });
});
