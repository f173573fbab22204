/**
 * PACS benchmark (on demand: npm run bench:pacs -- [--ct 200] [--small 2000] [--reps 3]
 * [--warmup 1] [--associations 1,4] [--only pacs,orthanc] [--instances 1000000] [--skip-ingest] [--skip-index]).
 *
 * 1. Ingest: DCMTK storescu sends ~520 KB CT and ~5 KB instances, one association each, into
 *    `dicomkit pacs` (durable: one fsync per file, of its data and completion mark, then
 *    rename and index; see PartFile), into the same with `--no-fsync` (what the work costs
 *    without the flushes), into Orthanc (its
 *    default SQLite config, which fdatasyncs each stored file: SyncStorageArea, on by default
 *    since Orthanc 1.7.4, and writes it under its final name, so no directory flush) and into
 *    DCMTK storescp (no index, no flush: the baseline). Instances/s and ratios. Each
 *    receiver starts on an empty store, first takes an untimed warm-up pass of other instances
 *    (servers are measured in steady state; `--warmup 0` for none), then `sync`, then the timed
 *    pass; `--reps` rounds go over the receivers in turn and the median is shown. Each data
 *    set runs once per entry of `--associations`: with 4, four storescu processes send a
 *    quarter of the files each at the same time, as modalities do into a PACS; a receiver's
 *    flushes then overlap and its CPU path per instance decides the rate.
 * 2. Index at scale (bench/pacs-index.ts): synthetic instances added in batches to an on-disk index; the insert rate
 *    at the start and at the end, then the median latency of study-level C-FIND for a PatientName
 *    wildcard, a StudyDate range and an AccessionNumber.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeDicomFile } from '../src/object/file.node.ts';
import { DataSet } from '../src/object/index.ts';
import { CLI_NODE_ARGS, loopbackPacsArgs } from '../test/helpers/cli-node-args.ts';
import { freePort, runPeerAsync, waitForPort } from '../test/helpers/net-peers.ts';
import { setBenchPixelModule, startOrthanc, stopChild } from './servers.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const work = mkdtempSync(join(tmpdir(), 'dicomkit-bench-pacs-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));

/** `root` keeps the warm-up instances (2.25.78) apart from the timed ones (2.25.77). */
function instance(i: number, big: boolean, root = '2.25.77'): DataSet {
  const study = Math.floor(i / 10);
  const ds = new DataSet();
  ds.set('SOPClassUID', big ? '1.2.840.10008.5.1.4.1.1.2' : '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', `${root}.${big ? 1 : 2}.${i}`);
  ds.set(
    'StudyDate',
    `2025${String((study % 12) + 1).padStart(2, '0')}${String((study % 28) + 1).padStart(2, '0')}`,
  );
  ds.set('StudyTime', '101010');
  ds.set('AccessionNumber', `ACC${study}`);
  ds.set('Modality', big ? 'CT' : 'OT');
  ds.set('PatientName', `BENCH^PATIENT${study % 1000}`);
  ds.set('PatientID', `PID${study % 1000}`);
  ds.set('StudyInstanceUID', `${root}.${big ? 1 : 2}.0.${study}`);
  ds.set('SeriesInstanceUID', `${root}.${big ? 1 : 2}.0.${study}.1`);
  ds.set('InstanceNumber', i % 10);
  setBenchPixelModule(ds, big, new Uint8Array(big ? 512 * 512 * 2 : 2500 * 2));
  return ds;
}

async function generate(dir: string, count: number, big: boolean, root?: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  for (let i = 0; i < count; i++) {
    await writeDicomFile(join(dir, `f${String(i).padStart(6, '0')}.dcm`), instance(i, big, root), {
      transferSyntax: '1.2.840.10008.1.2.1',
    });
  }
}

/** Seconds for `associations` storescu processes to send the files of `dir` between them. */
async function timeStorescu(port: number, aet: string, dir: string, associations: number): Promise<number> {
  const files = readdirSync(dir).map((n) => join(dir, n));
  const shares = Array.from({ length: associations }, (_, a) =>
    files.filter((_, i) => i % associations === a),
  );
  const start = performance.now();
  await Promise.all(
    shares.map(async (share) => {
      const r = await runPeerAsync('storescu', ['-aec', aet, '127.0.0.1', String(port), ...share], {
        timeoutMs: 600_000,
      });
      if (r.status !== 0) throw new Error(`storescu failed: ${r.stderr.slice(0, 500)}`);
    }),
  );
  return (performance.now() - start) / 1000;
}

/** A receiver started on an empty store; `stop` ends it. */
interface Receiver {
  port: number;
  aet: string;
  stop(): Promise<void>;
}

async function startPacs(store: string, extra: string[]): Promise<Receiver> {
  const port = await freePort();
  const child = spawn(process.execPath, [...CLI_NODE_ARGS, ...loopbackPacsArgs(store, port), ...extra], {
    stdio: 'ignore',
  });
  await waitForPort(port, 30_000);
  return { port, aet: 'DICOMKIT', stop: () => stopChild(child) };
}

const RECEIVERS: Record<string, (store: string) => Promise<Receiver>> = {
  'dicomkit pacs': (store) => startPacs(store, []),
  'dicomkit pacs --no-fsync': (store) => startPacs(store, ['--no-fsync']),
  Orthanc: (store) => startOrthanc(store),
  'DCMTK storescp (no index)': async (store) => {
    const port = await freePort();
    mkdirSync(store);
    const child = spawn('storescp', ['-od', store, String(port)], {
      stdio: 'ignore',
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    await waitForPort(port, 10_000);
    return { port, aet: 'STORESCP', stop: () => stopChild(child) };
  },
};

/** One timed pass into a fresh receiver, after its warm-up pass: instances/s. */
async function ingestOnce(
  name: string,
  dir: string,
  warmDir: string | undefined,
  count: number,
  run: string,
  associations: number,
): Promise<number> {
  const store = join(work, `${name.split(' ')[0]!.toLowerCase()}-${run}`);
  const receiver = await RECEIVERS[name]!(store);
  try {
    if (warmDir) await timeStorescu(receiver.port, receiver.aet, warmDir, associations);
    // The timed pass starts with nothing dirty in the page cache or the journal.
    spawnSync('sync');
    return count / (await timeStorescu(receiver.port, receiver.aet, dir, associations));
  } finally {
    await receiver.stop();
    rmSync(store, { recursive: true, force: true });
  }
}

if (!args.includes('--skip-ingest')) {
  // The PACS runs as `npm start` runs it: bin/dicomkit.js on the compiled bundle, made current here.
  const build = spawnSync('npm', ['run', 'build'], { stdio: 'ignore' });
  if (build.status !== 0) throw new Error('npm run build failed');
  const ct = option('--ct', 200);
  const small = option('--small', 2000);
  const reps = option('--reps', 3);
  const warmup = option('--warmup', 1) > 0;
  const at = args.indexOf('--associations');
  // `--only pacs,orthanc`: the receivers whose name starts with one of these words (case ignored).
  const only = args.includes('--only')
    ? args[args.indexOf('--only') + 1]!.toLowerCase().split(',')
    : undefined;
  const receivers = Object.keys(RECEIVERS).filter(
    (name) => !only || only.some((word) => name.toLowerCase().includes(word)),
  );
  const parallel = (at >= 0 ? args[at + 1]! : '1,4').split(',').map(Number);
  console.log(
    `generating ${ct} CT (~520 KB) and ${small} small (~5 KB) instances${warmup ? ', and as many for the warm-up' : ''}...`,
  );
  await generate(join(work, 'ct'), ct, true);
  await generate(join(work, 'small'), small, false);
  if (warmup) {
    await generate(join(work, 'ct-warm'), ct, true, '2.25.78');
    await generate(join(work, 'small-warm'), small, false, '2.25.78');
  }
  console.log(`median of ${reps} round(s); each receiver warmed up first: ${warmup ? 'yes' : 'no'}`);
  console.log(
    '| data | associations | receiver | instances/s | dicomkit pacs / receiver | dicomkit --no-fsync / receiver |',
  );
  console.log('|---|---:|---|---:|---:|---:|');
  const median = (values: number[]): number =>
    [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  for (const [label, count, associations] of parallel.flatMap((n) => [
    ['ct', ct, n] as const,
    ['small', small, n] as const,
  ])) {
    // Rounds go over the receivers in turn, so the machine's drift spreads over all of them.
    const runs = new Map<string, number[]>(receivers.map((name) => [name, []]));
    for (let rep = 0; rep < reps; rep++) {
      for (const name of receivers) {
        const warmDir = warmup ? join(work, `${label}-warm`) : undefined;
        const rate = await ingestOnce(
          name,
          join(work, label),
          warmDir,
          count,
          `${label}-${associations}-${rep}`,
          associations,
        );
        runs.get(name)!.push(rate);
        process.stderr.write(`  ${label}, ${associations} association(s), ${name}: ${rate.toFixed(0)}/s\n`);
      }
    }
    const durable = median(runs.get('dicomkit pacs') ?? [Number.NaN]);
    const unflushed = median(runs.get('dicomkit pacs --no-fsync') ?? [Number.NaN]);
    for (const [name, rates] of runs) {
      const rate = median(rates);
      console.log(
        `| ${label === 'ct' ? 'CT ~520 KB' : 'SC ~5 KB'} | ${associations} | ${name} | ${rate.toFixed(0)} | ${(durable / rate).toFixed(2)}x | ${(unflushed / rate).toFixed(2)}x |`,
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
