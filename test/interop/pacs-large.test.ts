// An instance over 2 GiB through `dicomkit pacs`, as a user runs it (its own process): DCMTK
// storescu stores it, the stored file holds the data set exactly as it was sent, DCMTK getscu
// retrieves it, a C-GET by the library receives the same data set, and the REST API
// downloads the stored file, each time with the PACS's RSS growing by less than 128 MB (the
// object is streamed, never held). Offsets past 2^31 are where 32-bit arithmetic would break:
// the pixel data carries marks there and at its end. The sent file is sparse (truncate); the
// PACS's copy is the only real write (~2.2 GB), and it runs with --no-fsync: flushing 2.2 GB
// at once stalled the disk for the tests running beside this one. The receivers hash or
// discard what they get.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet, writeDicom } from '../../src/object/index.ts';
import { ApplicationEntity, getStorageContexts, QueryRetrieveModels } from '../../src/services/index.ts';
import { CLI_NODE_ARGS, loopbackPacsArgs } from '../helpers/cli-node-args.ts';
import { freePort, runPeerAsync, waitForPort } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { watchPeak } from '../helpers/proc-memory.ts';

requirePeer('storescu');
requirePeer('getscu');

/**
 * Far below the object's 2.2 GB, above what streaming costs at full speed: each socket read is
 * a new 64 KB buffer outside V8's heap, and V8 collects those once about 64 MB of them have
 * piled up (its external memory limit), while the heap grows by ~20 MB under the allocation
 * rate. Measured: 72 MB during the C-STORE at ~380 MB/s, about 1 MB while sending.
 */
const LIMIT_MB = 128;
const FRAMES = 4200; // 4200 frames of 512 x 512 x 16 bits: 2,202,009,600 bytes of pixel data
const PIXEL_BYTES = FRAMES * 512 * 512 * 2;
const STUDY = '2.25.880001';
const LARGE_UID = '2.25.880001.1.2';
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const EXPLICIT = '1.2.840.10008.1.2.1';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-pacs-large-'));
let pacs: ChildProcess | undefined;
after(async () => {
  if (pacs && pacs.exitCode === null) {
    const exited = new Promise((resolve) => pacs!.once('exit', resolve));
    pacs.kill('SIGTERM');
    await exited;
  }
  rmSync(work, { recursive: true, force: true });
});

/**
 * A multi-frame Enhanced CT in Explicit VR Little Endian whose Pixel Data is `pixelBytes` of
 * sparse zeros, with 8-byte marks at its start, past 2^31 and at its end.
 */
function writeInstance(path: string, uid: string, frames: number): void {
  const ds = new DataSet();
  ds.set('SOPClassUID', ENHANCED_CT);
  ds.set('SOPInstanceUID', uid);
  ds.set('StudyInstanceUID', STUDY);
  ds.set('SeriesInstanceUID', `${STUDY}.1`);
  ds.set('PatientName', 'LARGE^INSTANCE');
  ds.set('PatientID', 'LARGE-1');
  ds.set('Modality', 'CT');
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('NumberOfFrames', frames);
  ds.set('Rows', 512);
  ds.set('Columns', 512);
  ds.set('BitsAllocated', 16);
  ds.set('BitsStored', 16);
  ds.set('HighBit', 15);
  ds.set('PixelRepresentation', 0);
  const head = writeDicom(ds);
  const pixelBytes = frames * 512 * 512 * 2;
  const pixelHeader = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x57, 0, 0, 0, 0, 0, 0]);
  new DataView(pixelHeader.buffer).setUint32(8, pixelBytes, true);
  const fd = openSync(path, 'w');
  try {
    writeSync(fd, head);
    writeSync(fd, pixelHeader);
    const pixels = head.length + pixelHeader.length;
    const mark = (at: number, text: string) => writeSync(fd, Buffer.from(text), 0, 8, pixels + at);
    mark(0, 'FIRST---');
    if (pixelBytes > 2 ** 31 + 4096) mark(2 ** 31 + 4093, 'PAST2^31');
    mark(pixelBytes - 8, '----LAST');
  } finally {
    closeSync(fd);
  }
  truncateSync(path, head.length + pixelHeader.length + pixelBytes);
}

/** Where a Part 10 file's data set starts: after the preamble, DICM and the file meta group. */
function dataSetOffset(path: string): number {
  const fd = openSync(path, 'r');
  try {
    const start = Buffer.alloc(144);
    readSync(fd, start, 0, 144, 0);
    assert.equal(start.toString('latin1', 128, 132), 'DICM', `${path} is a Part 10 file`);
    // (0002,0000) UL, explicit VR: tag 4, VR 2, length 2, then the group's length.
    assert.equal(start.readUInt32LE(132), 0x00000002, 'the file meta starts with its group length');
    return 144 + start.readUInt32LE(140);
  } finally {
    closeSync(fd);
  }
}

async function digest(chunks: AsyncIterable<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of chunks) hash.update(chunk);
  return hash.digest('hex');
}

/** SHA-256 of a file's data set (everything after the file meta, which each writer makes its own). */
function dataSetDigest(path: string): Promise<string> {
  return digest(createReadStream(path, { start: dataSetOffset(path), highWaterMark: 1 << 20 }));
}

function findFile(dir: string, name: string): string | undefined {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      const found = findFile(path, name);
      if (found) return found;
    } else if (entry.name === name) return path;
  }
  return undefined;
}

describe('an instance over 2 GiB through the PACS', () => {
  test('stored, retrieved by C-GET and downloaded byte for byte, the PACS growing < 128 MB each time', {
    timeout: 300_000,
  }, async (t) => {
    const send = join(work, 'send');
    mkdirSync(send);
    const warmUp = join(send, 'warm-up.dcm');
    writeInstance(warmUp, `${STUDY}.1.1`, 2);
    const large = join(work, 'large.dcm');
    writeInstance(large, LARGE_UID, FRAMES);
    assert.ok(statSync(large).size > 2 ** 31, 'the instance is over 2 GiB');

    const storage = join(work, 'pacs');
    const port = await freePort();
    const httpPort = await freePort();
    pacs = spawn(
      process.execPath,
      [...CLI_NODE_ARGS, ...loopbackPacsArgs(storage, port), '--http-port', String(httpPort), '--no-fsync'],
      { stdio: 'ignore' },
    );
    await waitForPort(port, 30_000);
    await waitForPort(httpPort, 10_000);
    const pid = pacs.pid!;
    const storescu = (file: string) =>
      runPeerAsync('storescu', ['-aec', 'DICOMKIT', '127.0.0.1', String(port), file], { timeoutMs: 120_000 });

    // The store path is loaded and compiled before the baseline.
    const warmed = await storescu(warmUp);
    assert.equal(warmed.status, 0, warmed.stderr);
    await new Promise((r) => setTimeout(r, 300));

    let watch = watchPeak(pid);
    let started = performance.now();
    const stored = await storescu(large);
    const storing = watch.stop();
    const storeSeconds = (performance.now() - started) / 1000;
    assert.equal(stored.status, 0, stored.stderr);
    const kept = findFile(join(storage, 'files'), `${LARGE_UID}.dcm`);
    assert.ok(kept, 'the instance is in the file store');
    const sentDigest = await dataSetDigest(large);
    assert.equal(await dataSetDigest(kept), sentDigest, 'the stored data set is the one sent');

    watch = watchPeak(pid);
    started = performance.now();
    const got = await runPeerAsync(
      'getscu',
      [
        '-v',
        '--ignore',
        '-aec',
        'DICOMKIT',
        '-S',
        '-k',
        'QueryRetrieveLevel=STUDY',
        '-k',
        `StudyInstanceUID=${STUDY}`,
        '127.0.0.1',
        String(port),
      ],
      { timeoutMs: 120_000, cwd: work },
    );
    const getting = watch.stop();
    const getSeconds = (performance.now() - started) / 1000;
    assert.equal(got.status, 0, got.stderr);
    assert.match(
      got.stdout + got.stderr,
      /Number of Completed Suboperations\s*:\s*2\b/,
      'getscu received both',
    );

    // The same C-GET by the library, hashing the data sets as they arrive.
    const received = new Map<string, string>();
    const assoc = await new ApplicationEntity({ aeTitle: 'LARGEGET' }).associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'DICOMKIT',
      contexts: [
        { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
        ...getStorageContexts([ENHANCED_CT], [EXPLICIT]),
      ],
    });
    try {
      const query = new DataSet();
      query.set('QueryRetrieveLevel', 'STUDY');
      query.set('StudyInstanceUID', STUDY);
      const result = await assoc.get(query, {
        store: async (req) => {
          received.set(req.sopInstanceUid, await digest(req.data));
        },
      });
      assert.deepEqual([result.status, result.completed], [0, 2]);
    } finally {
      await assoc.release();
    }
    assert.equal(received.get(LARGE_UID), sentDigest, 'C-GET sends the data set as it was stored');

    watch = watchPeak(pid);
    started = performance.now();
    const response = await fetch(`http://127.0.0.1:${httpPort}/instances/${LARGE_UID}/file`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('content-type'), 'application/dicom');
    assert.equal(Number(response.headers.get('content-length')), statSync(kept).size);
    const downloaded = await digest(response.body!);
    const downloading = watch.stop();
    const downloadSeconds = (performance.now() - started) / 1000;
    assert.equal(
      downloaded,
      await digest(createReadStream(kept, { highWaterMark: 1 << 20 })),
      'the download is the stored file',
    );

    const rate = (seconds: number) => `${(PIXEL_BYTES / 1e6 / seconds).toFixed(0)} MB/s`;
    t.diagnostic(
      `PACS RSS ${storing.beforeMb.toFixed(0)} MB before; growth: C-STORE ${storing.growthMb.toFixed(1)} MB ` +
        `(${rate(storeSeconds)}), C-GET ${getting.growthMb.toFixed(1)} MB (${rate(getSeconds)}), ` +
        `REST download ${downloading.growthMb.toFixed(1)} MB (${rate(downloadSeconds)})`,
    );
    for (const [what, growth] of [
      ['C-STORE', storing.growthMb],
      ['C-GET', getting.growthMb],
      ['REST download', downloading.growthMb],
    ] as const) {
      assert.ok(growth < LIMIT_MB, `the PACS's RSS grew by ${growth.toFixed(1)} MB during ${what}`);
    }
  });
});
