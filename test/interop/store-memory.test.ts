// Memory bound of C-STORE (acceptance: "a 1 GB object received over C-STORE grows the SCP's
// RSS by < 64 MB"). The SCP runs in a child process of its own (this file, started again with
// DICOMKIT_STORE_MEMORY_SCP set) so that its RSS is its own; its store handler streams the data
// set to a file with req.writeFile. The sender is a dicomkit SCU in this process, storing a
// 1 GiB Secondary Capture whose pixel data is a sparse file extended with truncate, so neither
// side ever has the object in memory. RSS is read from /proc/PID/status: VmRSS before the
// transfer (after a warm-up store), then VmHWM (reset through /proc/PID/clear_refs) and VmRSS
// polled during the transfer.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  closeSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { readDicomFile } from '../../src/object/file.node.ts';
import { DataSet, writeDicom } from '../../src/object/index.ts';
import { ApplicationEntity, type StoreResult, storageContexts } from '../../src/services/index.ts';
import { CLI_NODE_ARGS } from '../helpers/cli-node-args.ts';
import { procStatus, resetPeak } from '../helpers/proc-memory.ts';

const SCP_ENV = 'DICOMKIT_STORE_MEMORY_SCP';
const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
const SIDE = 32768; // 32768 x 32768 x 8 bits: 1 GiB of pixel data
const PIXEL_BYTES = SIDE * SIDE;
const MIB = 1024 * 1024;
const LIMIT_MB = 64;

if (process.env[SCP_ENV]) await runScp(process.env[SCP_ENV]);
else defineTest();

/** The child: an SCP writing every instance to DIR/<SOP Instance UID>.dcm. */
async function runScp(dir: string): Promise<void> {
  const ae = new ApplicationEntity({ aeTitle: 'MEMSCP' });
  const server = await ae.listen({
    port: 0,
    handlers: {
      store: async (req) => {
        await req.writeFile(join(dir, `${req.sopInstanceUid}.dcm`));
      },
    },
  });
  console.log(`listening ${server.port}`);
  process.on('SIGTERM', () => {
    void server.close({ abort: true }).then(() => process.exit(0));
  });
}

function header(uid: string, rows: number, columns: number): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SECONDARY_CAPTURE);
  ds.set('SOPInstanceUID', uid);
  ds.set('StudyInstanceUID', '2.25.7001');
  ds.set('SeriesInstanceUID', '2.25.7002');
  ds.set('PatientName', 'MEMORY^TEST');
  ds.set('PatientID', 'MEM-1');
  ds.set('Modality', 'OT');
  ds.set('ConversionType', 'WSD');
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', rows);
  ds.set('Columns', columns);
  ds.set('BitsAllocated', 8);
  ds.set('BitsStored', 8);
  ds.set('HighBit', 7);
  ds.set('PixelRepresentation', 0);
  return ds;
}

/**
 * A Part 10 file (Explicit VR Little Endian) whose last element is an OB Pixel Data of
 * side x side bytes: the header is written, then the file is extended with truncate (sparse zeros).
 */
function writeLargeInstance(path: string, uid: string, side: number): { size: number; headerBytes: number } {
  const head = writeDicom(header(uid, side, side));
  const pixelHeader = new Uint8Array([0xe0, 0x7f, 0x10, 0x00, 0x4f, 0x42, 0, 0, 0, 0, 0, 0]);
  new DataView(pixelHeader.buffer).setUint32(8, side * side, true);
  const bytes = new Uint8Array(head.length + pixelHeader.length);
  bytes.set(head);
  bytes.set(pixelHeader, head.length);
  writeFileSync(path, bytes);
  truncateSync(path, bytes.length + side * side);
  return { size: bytes.length + side * side, headerBytes: bytes.length };
}

function readAt(path: string, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const fd = openSync(path, 'r');
  try {
    let filled = 0;
    while (filled < length) {
      const n = readSync(fd, out, filled, length - filled, position + filled);
      if (n === 0) break;
      filled += n;
    }
    return out.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

async function startScp(dir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(
    process.execPath,
    [...CLI_NODE_ARGS, '--import', 'tsx', fileURLToPath(import.meta.url)],
    {
      env: { ...process.env, [SCP_ENV]: dir },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('the SCP did not start within 20 s')), 20_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the SCP exited (${code}) before listening`));
    });
  });
  return { child, port };
}

function defineTest(): void {
  const work = mkdtempSync(join(tmpdir(), 'dicomkit-store-memory-'));
  let child: ChildProcess | undefined;
  after(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child!.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    rmSync(work, { recursive: true, force: true });
  });

  test('a 1 GiB C-STORE grows the receiving SCP by less than 64 MB', { timeout: 60_000 }, async (t) => {
    const sendDir = join(work, 'send');
    const receiveDir = join(work, 'received');
    mkdirSync(sendDir);
    mkdirSync(receiveDir);

    const smallPath = join(sendDir, 'small.dcm');
    const smallUid = '2.25.7003';
    writeLargeInstance(smallPath, smallUid, 64);
    const bigPath = join(sendDir, 'big.dcm');
    const bigUid = '2.25.7004';
    const sent = writeLargeInstance(bigPath, bigUid, SIDE);
    assert.equal(statSync(bigPath).size, sent.size);

    const scp = await startScp(receiveDir);
    child = scp.child;
    const pid = scp.child.pid!;
    const ae = new ApplicationEntity({ aeTitle: 'MEMSCU' });
    const association = await ae.associate({
      host: '127.0.0.1',
      port: scp.port,
      calledAeTitle: 'MEMSCP',
      contexts: storageContexts([SECONDARY_CAPTURE]),
    });
    try {
      // Warm-up: the code paths of a store are loaded and compiled before the baseline.
      await association.store(smallPath);
      await new Promise((r) => setTimeout(r, 300));
      const before = procStatus(pid);
      const peakReset = resetPeak(pid);
      const senderBefore = procStatus(process.pid);
      const senderReset = resetPeak(process.pid);
      let polledPeakKb = before.rssKb;
      let senderPolledKb = senderBefore.rssKb;
      const poll = setInterval(() => {
        polledPeakKb = Math.max(polledPeakKb, procStatus(pid).rssKb);
        senderPolledKb = Math.max(senderPolledKb, procStatus(process.pid).rssKb);
      }, 20);
      const start = performance.now();
      let result: StoreResult;
      try {
        result = await association.store(bigPath);
      } finally {
        clearInterval(poll);
      }
      const seconds = (performance.now() - start) / 1000;
      const afterStore = procStatus(pid);
      const senderAfter = procStatus(process.pid);
      polledPeakKb = Math.max(polledPeakKb, afterStore.rssKb);
      const peakKb = peakReset ? Math.max(afterStore.hwmKb, polledPeakKb) : polledPeakKb;
      const growthMb = (peakKb - before.rssKb) / 1024;
      const senderPeakKb = Math.max(senderReset ? senderAfter.hwmKb : 0, senderPolledKb, senderAfter.rssKb);
      const senderGrowthMb = (senderPeakKb - senderBefore.rssKb) / 1024;
      t.diagnostic(
        `SCP RSS before ${(before.rssKb / 1024).toFixed(1)} MB (VmHWM ${(before.hwmKb / 1024).toFixed(1)} MB), ` +
          `peak during ${(peakKb / 1024).toFixed(1)} MB (VmHWM ${peakReset ? `${(afterStore.hwmKb / 1024).toFixed(1)} MB` : 'not reset'}, ` +
          `polled VmRSS ${(polledPeakKb / 1024).toFixed(1)} MB), after ${(afterStore.rssKb / 1024).toFixed(1)} MB: ` +
          `growth ${growthMb.toFixed(1)} MB; sender RSS growth ${senderGrowthMb.toFixed(1)} MB; ` +
          `${(sent.size / MIB).toFixed(0)} MiB in ${seconds.toFixed(1)} s (${(sent.size / 1e6 / seconds).toFixed(0)} MB/s)`,
      );
      assert.equal(result.status, 0);
      assert.ok(
        growthMb < LIMIT_MB,
        `the SCP's RSS grew by ${growthMb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`,
      );
      assert.ok(
        senderGrowthMb < LIMIT_MB,
        `the sender's RSS grew by ${senderGrowthMb.toFixed(1)} MB (limit ${LIMIT_MB} MB)`,
      );
    } finally {
      await association.release();
    }

    // The file: our file meta, then the data set byte for byte (header equal, pixel data zero).
    const received = join(receiveDir, `${bigUid}.dcm`);
    const head = await readDicomFile(received, { stopAtTag: 0x00080019 });
    const sentHead = await readDicomFile(bigPath, { stopAtTag: 0x00080019 });
    assert.equal(head.meta.string('MediaStorageSOPInstanceUID')?.trim(), bigUid);
    const dataSetBytes = sent.size - sentHead.dataSetOffset;
    assert.equal(statSync(received).size, head.dataSetOffset + dataSetBytes);
    const headerLength = sent.headerBytes - sentHead.dataSetOffset;
    assert.deepEqual(
      readAt(received, head.dataSetOffset, headerLength),
      readAt(bigPath, sentHead.dataSetOffset, headerLength),
    );
    const size = statSync(received).size;
    for (const at of [head.dataSetOffset + headerLength, size - PIXEL_BYTES / 2, size - MIB]) {
      const chunk = readAt(received, at, MIB);
      assert.equal(chunk.length, MIB);
      assert.ok(
        chunk.every((b) => b === 0),
        `pixel data at ${at} is not zero`,
      );
    }
    rmSync(received);
  });
}
