/**
 * Codec speed, on demand (`npm run bench:codec [-- --runs 9]`): decode and encode MB/s per
 * transfer syntax on a generated 512x512 16-bit signed CT-like image and a 512x512 8-bit
 * RGB image, MB being the native (uncompressed) frame size. Ours runs in-thread (the codec
 * alone) and through the worker pool (one request at a time, so transfers and the message
 * round trip count). DCMTK's and GDCM's whole-process tools run on the same Part 10 files
 * in the same run: their times include process start-up and file I/O, so for one frame they
 * are a floor on what a command-line user waits, not codec speed. Medians of --runs runs.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSet } from '../src/object/dataset.ts';
import { readDicom } from '../src/object/part10.ts';
import { writeDicom } from '../src/object/part10-writer.ts';
import {
  COMPRESSED_CODECS,
  HTJ2K,
  HTJ2K_LOSSLESS,
  JPEG_2000,
  JPEG_2000_LOSSLESS,
  JPEG_BASELINE,
  JPEG_EXTENDED,
  JPEG_LOSSLESS_SV1,
  JPEG_LS_LOSSLESS,
  JPEG_LS_NEAR_LOSSLESS,
  registerCompressedCodecs,
} from '../src/pixel/codecs/compressed.ts';
import { closeCodecWorkers, registerNodeCodecs } from '../src/pixel/codecs/node-codecs.node.ts';
import { CodecRegistry } from '../src/pixel/codecs/registry.ts';
import { pixelDescription } from '../src/pixel/description.ts';
import { getStoredFrame } from '../src/pixel/frames.ts';
import { compressPixelData } from '../src/pixel/transcode.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] ?? 0) || 9;
const work = mkdtempSync(join(tmpdir(), 'dicomkit-bench-codec-'));

/** A CT slice: a body ellipse of soft tissue with bone and noise in air (-1000 HU), signed 16-bit. */
function ctImage(): DataSet {
  const size = 512;
  const values = new Int16Array(size * size);
  let seed = 1;
  const noise = () => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return (seed % 41) - 20;
  };
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const dx = (x - 256) / 200;
      const dy = (y - 256) / 150;
      const r = dx * dx + dy * dy;
      const bone = (x - 300) ** 2 + (y - 280) ** 2 < 900;
      values[y * size + x] =
        (r < 1 ? (bone ? 1200 : 40 + 30 * Math.sin(x / 9) * Math.cos(y / 13)) : -1000) + noise();
    }
  }
  return image(size, 1, 16, 1, new Uint8Array(values.buffer), 'MONOCHROME2');
}

/** An RGB picture: smooth colour gradients, circles and some noise. */
function rgbImage(): DataSet {
  const size = 512;
  const bytes = new Uint8Array(size * size * 3);
  let seed = 2;
  for (let y = 0, i = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      const ring = Math.hypot(x - 200, y - 300) % 64 < 32 ? 60 : 0;
      bytes[i++] = Math.min(255, (x / 2 + ring) | 0);
      bytes[i++] = Math.min(255, (y / 2 + (seed % 7)) | 0);
      bytes[i++] = Math.min(255, (((x + y) / 4) | 0) + ring);
    }
  }
  return image(size, 3, 8, 0, bytes, 'RGB');
}

function image(
  size: number,
  spp: number,
  bits: number,
  signed: 0 | 1,
  pixels: Uint8Array,
  pi: string,
): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.42');
  ds.set('Rows', size);
  ds.set('Columns', size);
  ds.set('SamplesPerPixel', spp);
  ds.set('PhotometricInterpretation', pi);
  if (spp > 1) ds.set('PlanarConfiguration', 0);
  ds.set('BitsAllocated', bits);
  ds.set('BitsStored', bits);
  ds.set('HighBit', bits - 1);
  ds.set('PixelRepresentation', signed);
  ds.set('PixelData', pixels, bits > 8 ? 'OW' : 'OB');
  return ds;
}

async function median(run: () => unknown): Promise<number> {
  await run(); // warm-up (loads the WASM module, JIT)
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    await run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1]! / 1000;
}

/** Median wall time of a whole-process tool run; undefined when it fails. */
async function tool(program: string, argv: string[]): Promise<number | undefined> {
  const first = spawnSync(program, argv, { encoding: 'utf8' });
  if (first.status !== 0) return undefined;
  return median(() => spawnSync(program, argv));
}

interface Case {
  uid: string;
  label: string;
  options?: Record<string, unknown>;
  /** Reference decoder: program and arguments before input and output. */
  decoder: [string, string[]];
  /** Reference encoder from a native file, when one makes the same syntax. */
  encoder?: [string, string[]];
  /** Decode only: the frame comes from the reference encoder (we have no encoder). */
  decodeOnly?: boolean;
}

const CASES: Case[] = [
  {
    uid: JPEG_BASELINE,
    label: 'JPEG Baseline q90',
    options: { quality: 90 },
    decoder: ['dcmdjpeg', []],
    encoder: ['dcmcjpeg', ['+eb', '+q', '90']],
  },
  {
    uid: JPEG_EXTENDED,
    label: 'JPEG Extended 12-bit',
    decoder: ['dcmdjpeg', []],
    encoder: ['dcmcjpeg', ['+ee']],
    decodeOnly: true,
  },
  {
    uid: JPEG_LOSSLESS_SV1,
    label: 'JPEG Lossless SV1',
    decoder: ['dcmdjpeg', []],
    encoder: ['dcmcjpeg', ['+e1']],
  },
  { uid: JPEG_LS_LOSSLESS, label: 'JPEG-LS Lossless', decoder: ['dcmdjpls', []], encoder: ['dcmcjpls', []] },
  {
    uid: JPEG_LS_NEAR_LOSSLESS,
    label: 'JPEG-LS NEAR=2',
    options: { nearLossless: 2 },
    decoder: ['dcmdjpls', []],
    encoder: ['dcmcjpls', ['+en', '+md', '2']],
  },
  {
    uid: JPEG_2000_LOSSLESS,
    label: 'JPEG 2000 Lossless',
    decoder: ['gdcmconv', ['--raw']],
    encoder: ['gdcmconv', ['--j2k']],
  },
  {
    uid: JPEG_2000,
    label: 'JPEG 2000 10:1',
    options: { compressionRatio: 10 },
    decoder: ['gdcmconv', ['--raw']],
  },
  { uid: HTJ2K_LOSSLESS, label: 'HTJ2K Lossless', decoder: ['', []] },
  { uid: HTJ2K, label: 'HTJ2K lossy', decoder: ['', []] },
];

const inThread = new CodecRegistry();
registerCompressedCodecs(inThread);
const workers = new CodecRegistry();
registerNodeCodecs(workers);

const fmt = (x: number | undefined) => (x === undefined ? '–' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
const ratio = (a: number | undefined, b: number | undefined) =>
  a === undefined || b === undefined ? '–' : `${(a / b).toFixed(1)}×`;

const rows: string[] = [];
for (const [imageLabel, ds] of [
  ['512² CT 16-bit', ctImage()],
  ['512² RGB 8-bit', rgbImage()],
] as const) {
  const d = pixelDescription(ds);
  const nativeBytes = d.rows * d.columns * d.samplesPerPixel * (d.bitsAllocated / 8);
  const mb = nativeBytes / 1e6;
  const pixels = ds.bytes('PixelData')!;
  const nativePath = join(work, `${imageLabel.replace(/\W+/g, '-')}.dcm`);
  writeFileSync(nativePath, writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.1' }));
  for (const c of CASES) {
    const codec = COMPRESSED_CODECS[c.uid]!;
    if (c.uid === JPEG_BASELINE && d.bitsStored > 8) continue;
    if (c.decodeOnly && d.samplesPerPixel > 1) continue;
    const path = join(work, `${imageLabel.replace(/\W+/g, '-')}-${c.uid}.dcm`);
    let frame: Uint8Array;
    let fd = d;
    let encode: number | undefined;
    if (c.decodeOnly) {
      // DCMTK makes the 12-bit codestream (rescaling the 16-bit values into 12 bits).
      const made = spawnSync(c.encoder![0], [...c.encoder![1], nativePath, path]);
      if (made.status !== 0) continue;
      const file = readDicom(readFileSync(path));
      fd = pixelDescription(file.dataset);
      frame = (await getStoredFrame(file, 0)).bytes;
    } else {
      const encoded = await compressPixelData(ds, c.uid, { codecs: inThread, encode: c.options ?? {} });
      frame = (await getStoredFrame(encoded, 0, { transferSyntaxUid: c.uid })).bytes;
      writeFileSync(path, writeDicom(encoded, { transferSyntax: c.uid }));
      encode = await median(() => codec.encode!(pixels, d, c.options ?? {}));
    }
    const decode = await median(() => codec.decode(frame, fd));
    const workerCodec = workers.find(c.uid)!;
    const decodeWorker = await median(() => workerCodec.decode(frame, fd));
    const [decoder, decoderArgs] = c.decoder;
    const refDecode = decoder
      ? await tool(decoder, [...decoderArgs, path, join(work, 'out.dcm')])
      : undefined;
    const refEncode =
      c.encoder && !c.decodeOnly
        ? await tool(c.encoder[0], [...c.encoder[1], nativePath, join(work, 'enc.dcm')])
        : undefined;
    const mbps = (s: number | undefined) => (s === undefined ? undefined : mb / s);
    rows.push(
      `| ${c.label} | ${imageLabel} | ${(nativeBytes / frame.length).toFixed(1)} | ${fmt(mbps(decode))} | ${fmt(mbps(decodeWorker))} | ${decoder || '–'} | ${fmt(mbps(refDecode))} | ${ratio(mbps(decode), mbps(refDecode))} | ${fmt(mbps(encode))} | ${(!c.decodeOnly && c.encoder?.[0]) || '–'} | ${fmt(mbps(refEncode))} | ${ratio(mbps(encode), mbps(refEncode))} |`,
    );
  }
}
await closeCodecWorkers();
rmSync(work, { recursive: true, force: true });

console.log(
  `node ${process.version}, median of ${runs} runs, MB/s of native pixel data (1 MB = 10^6 bytes)\n`,
);
console.log(
  '| syntax | image | ratio | decode (in-thread) | decode (worker) | reference | ref decode | ours/ref | encode | ref encoder | ref encode | ours/ref |',
);
console.log('|---|---|--:|--:|--:|---|--:|--:|--:|---|--:|--:|');
for (const row of rows) console.log(row);
