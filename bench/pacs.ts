/**
 * PACS benchmark (on demand: npm run bench:pacs -- [--ct 200] [--small 2000] [--instances 1000000]
 * [--skip-ingest] [--skip-index]).
 *
 * 1. Ingest: DCMTK storescu sends ~520 KB CT and ~5 KB instances, one association each, into
 *    `dicomkit pacs` (durable: fsync per file, indexed), into Orthanc (its default SQLite
 *    config) and into DCMTK storescp (no index: the baseline). Instances/s and ratios.
 * 2. Index at scale (bench/pacs-index.ts): synthetic instances added in batches to an on-disk index; the insert rate
 *    at the start and at the end, then the median latency of study-level C-FIND for a PatientName
 *    wildcard, a StudyDate range and an AccessionNumber.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeDicomFile } from '../src/object/file.node.ts';
import { DataSet } from '../src/object/index.ts';
import { freePort, runPeerAsync, waitForPort } from '../test/helpers/net-peers.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const work = mkdtempSync(join(tmpdir(), 'dicomkit-bench-pacs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

function instance(i: number, big: boolean): DataSet {
  const study = Math.floor(i / 10);
  const ds = new DataSet();
  ds.set('SOPClassUID', big ? '1.2.840.10008.5.1.4.1.1.2' : '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', `2.25.77.${big ? 1 : 2}.${i}`);
  ds.set(
    'StudyDate',
    `2025${String((study % 12) + 1).padStart(2, '0')}${String((study % 28) + 1).padStart(2, '0')}`,
  );
  ds.set('StudyTime', '101010');
  ds.set('AccessionNumber', `ACC${study}`);
  ds.set('Modality', big ? 'CT' : 'OT');
  ds.set('PatientName', `BENCH^PATIENT${study % 1000}`);
  ds.set('PatientID', `PID${study % 1000}`);
  ds.set('StudyInstanceUID', `2.25.77.${big ? 1 : 2}.0.${study}`);
  ds.set('SeriesInstanceUID', `2.25.77.${big ? 1 : 2}.0.${study}.1`);
  ds.set('InstanceNumber', i % 10);
  ds.set('Rows', big ? 512 : 50);
  ds.set('Columns', big ? 512 : 50);
  ds.set('BitsAllocated', big ? 16 : 8);
  ds.set('BitsStored', big ? 16 : 8);
  ds.set('HighBit', big ? 15 : 7);
  ds.set('SamplesPerPixel', 1);
  ds.set('PixelRepresentation', 0);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('PixelData', new Uint8Array(big ? 512 * 512 * 2 : 2500 * 2), big ? 'OW' : 'OB');
  return ds;
}

async function generate(dir: string, count: number, big: boolean): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await writeDicomFile(join(dir, `f${String(i).padStart(6, '0')}.dcm`), instance(i, big), {
      transferSyntax: '1.2.840.10008.1.2.1',
    });
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

async function timeStorescu(port: number, aet: string, dir: string): Promise<number> {
  const files = readdirSync(dir).map((n) => join(dir, n));
  const start = performance.now();
  const r = await runPeerAsync('storescu', ['-aec', aet, '127.0.0.1', String(port), ...files], {
    timeoutMs: 600_000,
  });
  if (r.status !== 0) throw new Error(`storescu failed: ${r.stderr.slice(0, 500)}`);
  return (performance.now() - start) / 1000;
}

async function ingest(dir: string, count: number, label: string): Promise<Record<string, number>> {
  const rates: Record<string, number> = {};
  {
    const port = await freePort();
    const storage = join(work, `pacs-${label}`);
    const extra = args.includes('--no-fsync') ? ['--no-fsync'] : [];
    const child = spawn(
      process.execPath,
      [
        'bin/dicomkit.js',
        'pacs',
        '--storage',
        storage,
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--http-port',
        '0',
        '-q',
        ...extra,
      ],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port, 30_000);
    rates['dicomkit pacs'] = count / (await timeStorescu(port, 'DICOMKIT', dir));
    await stop(child);
  }
  {
    const port = await freePort();
    const httpPort = await freePort();
    const storage = join(work, `orthanc-${label}`);
    mkdirSync(storage);
    const config = join(work, `orthanc-${label}.json`);
    writeFileSync(
      config,
      JSON.stringify({
        StorageDirectory: storage,
        IndexDirectory: storage,
        HttpPort: httpPort,
        DicomPort: port,
        DicomAet: 'ORTHANC',
        Plugins: [],
      }),
    );
    const child = spawn('Orthanc', [config], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
    await waitForPort(port, 30_000);
    rates.Orthanc = count / (await timeStorescu(port, 'ORTHANC', dir));
    await stop(child);
  }
  {
    const port = await freePort();
    const out = join(work, `storescp-${label}`);
    mkdirSync(out);
    const child = spawn('storescp', ['-od', out, String(port)], {
      stdio: 'ignore',
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    await waitForPort(port, 10_000);
    rates['DCMTK storescp (no index)'] = count / (await timeStorescu(port, 'STORESCP', dir));
    await stop(child);
  }
  return rates;
}

if (!args.includes('--skip-ingest')) {
  const ct = option('--ct', 200);
  const small = option('--small', 2000);
  console.log(`generating ${ct} CT (~520 KB) and ${small} small (~5 KB) instances...`);
  await generate(join(work, 'ct'), ct, true);
  await generate(join(work, 'small'), small, false);
  console.log('| data | receiver | instances/s | dicomkit / receiver |');
  console.log('|---|---|---:|---:|');
  for (const [label, count] of [
    ['ct', ct],
    ['small', small],
  ] as const) {
    const rates = await ingest(join(work, label), count, label);
    for (const [receiver, rate] of Object.entries(rates)) {
      console.log(
        `| ${label === 'ct' ? 'CT ~520 KB' : 'SC ~5 KB'} | ${receiver} | ${rate.toFixed(0)} | ${(rates['dicomkit pacs']! / rate).toFixed(2)}x |`,
      );
    }
  }
}

if (!args.includes('--skip-index')) {
  // The index at scale has its own script (also runnable alone: npm run bench:pacs-index).
  const total = option('--instances', 1_000_000);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', 'bench/pacs-index.ts', '--instances', String(total)],
    { stdio: 'inherit' },
  );
  const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
  if (code !== 0) throw new Error(`bench/pacs-index.ts exited with ${code}`);
}
