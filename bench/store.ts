/**
 * C-STORE speed, on demand (`npm run bench:store [-- --ct 300 --small 2000 --reps 3]`):
 * dicomkit against DCMTK in both roles, over one association on 127.0.0.1.
 *
 *   SCP role: DCMTK storescu -> dicomkit SCP (bench/store-scp.ts, writing Part 10 files)
 *             vs storescu -> DCMTK storescp
 *   SCU role: dicomkit storescu (the compiled CLI, DCMTK's flags) -> storescp, and the API
 *             (bench/store-scu.ts, under tsx) -> storescp, vs storescu -> storescp; and the API
 *             timed on a second pass, after an untimed first pass over other instances (a
 *             long-running SCU such as a router or the PACS's C-MOVE sub-operations runs
 *             optimized code, as the warmed SCPs do), against DCMTK storescu's second pass
 *             (its own process after one over the same other instances: storescp's folder is
 *             then in the same state; DCMTK's time includes its start, a few ms)
 *
 * on ~520 KB CT instances (512x512x16 bit, CT_small's header) and ~5 KB Secondary Capture
 * instances, all Explicit VR Little Endian, generated in a temporary folder. Every side runs
 * in its own process; the SCU's time is from its spawn to its exit (start-up without work is
 * printed at the end: DCMTK storescu's ~12 ms, node's ~30, the CLI's ~80, tsx's a few hundred:
 * the API scenario's in-process time is shown too). `npm run build` runs first.
 * Peak RSS is VmHWM of the SCP (from /proc before it is stopped) and the SCU's maxrss (from
 * /usr/bin/time). Both sides advertise the same maximum PDU; each PDU size is a separate run.
 * Each case runs `--reps` times; the median run is reported. An SCP is a long-running server, so
 * each one (DCMTK's too) first receives untimed warm-up passes (`--warmup N` instances each;
 * default all of them, 0 for none; `--warmup-passes P`, default 3): the table shows steady
 * state, not a JIT warming up. One pass was not enough: with 300 CT instances V8 was still
 * compiling ~40 functions in the second pass (~1.5 ms of SCP CPU per instance, ~1.0 ms from
 * the fifth pass on). Repetitions go round the scenarios, so the machine's drift spreads over
 * all of them.
 *
 * Node reads NODE_EXTRA_CA_CERTS when it starts, before any of our code (Node 20 parses the
 * whole bundle: ~65 ms of a ~100 ms start with Debian's, measured here). The variable is set
 * on the machine this was written on for its package proxy, not by dicomkit or its users, and
 * DCMTK reads nothing like it, so the node children run without it; `--keep-ca-certs` keeps it.
 *
 * Options: --ct N, --small N (instance counts), --reps N, --warmup N, --warmup-passes P,
 * --pdu 16384,131072, --only ct|small,
 * --profile DIR (node children run with --cpu-prof into DIR), --keep (keep the temp folder),
 * --keep-ca-certs.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DataSet, readDicom, writeDicom } from '../src/object/index.ts';
import { CLI_NODE_ARGS } from '../test/helpers/cli-node-args.ts';
import { freePort, waitForPort } from '../test/helpers/net-peers.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: string): string => {
  const at = args.indexOf(name);
  return at >= 0 && args[at + 1] !== undefined ? args[at + 1]! : fallback;
};
const ctCount = Number(option('--ct', '300'));
const smallCount = Number(option('--small', '2000'));
const reps = Number(option('--reps', '3'));
const warmupOption = option('--warmup', 'all');
const warmupPasses = Number(option('--warmup-passes', '3'));
const pduSizes = option('--pdu', '16384,131072').split(',').map(Number);
const only = option('--only', '');
const profileDir = option('--profile', '');
const keep = args.includes('--keep');

const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };
const keepCaCerts = args.includes('--keep-ca-certs');
/** The environment of the node children (see NODE_EXTRA_CA_CERTS above). */
const NODE_ENV = (() => {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (!keepCaCerts) delete env.NODE_EXTRA_CA_CERTS;
  return env;
})();
const NODE_ARGS = [
  ...CLI_NODE_ARGS,
  '--import',
  'tsx',
  ...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []),
];
/**
 * The compiled CLI with its code cache, as users run it (built below, so that it is never
 * stale), without bin/dicomkit.js's check of a checkout's sources against the build.
 */
const CLI = resolve('bin/load-bundle.js');
const UID_ROOT = '1.2.826.0.1.3680043.8.498.77';

// ---- data ----

/** 512x512 16-bit CT instances: CT_small's header (sequences, private tags) plus new pixels. */
function writeCtInstances(dir: string, count: number, set = 0): void {
  const template = readDicom(new Uint8Array(readFileSync('test/fixtures/pydicom/CT_small.dcm')));
  const ds = template.dataset;
  ds.set('Rows', 512);
  ds.set('Columns', 512);
  const pixels = new Uint8Array(512 * 512 * 2);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  ds.set('PixelData', pixels, 'OW');
  ds.set('SeriesInstanceUID', `${UID_ROOT}.1.${process.pid}.${set}`);
  for (let n = 1; n <= count; n++) {
    const uid = `${UID_ROOT}.1.${process.pid}.${set}.${n}`;
    ds.set('SOPInstanceUID', uid);
    ds.set('InstanceNumber', n);
    template.meta.set('MediaStorageSOPInstanceUID', uid);
    writeFileSync(join(dir, `ct${String(n).padStart(5, '0')}.dcm`), writeDicom(template));
  }
}

/** ~5 KB Secondary Capture instances: a 64x64 8-bit image and the usual patient/study header. */
function writeSmallInstances(dir: string, count: number, set = 0): void {
  const ds = new DataSet();
  ds.set('SpecificCharacterSet', 'ISO_IR 100');
  ds.set('ImageType', ['DERIVED', 'SECONDARY']);
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('StudyDate', '20240102');
  ds.set('StudyTime', '101112');
  ds.set('AccessionNumber', 'A12345');
  ds.set('Modality', 'OT');
  ds.set('ConversionType', 'WSD');
  ds.set('ReferringPhysicianName', 'REFERRER^A');
  ds.set('StudyDescription', 'store benchmark');
  ds.set('SeriesDescription', 'small instances');
  ds.set('PatientName', 'BENCH^SMALL');
  ds.set('PatientID', 'BENCH-0001');
  ds.set('PatientBirthDate', '19700101');
  ds.set('PatientSex', 'O');
  ds.set('StudyInstanceUID', `${UID_ROOT}.2.${process.pid}`);
  ds.set('SeriesInstanceUID', `${UID_ROOT}.3.${process.pid}`);
  ds.set('StudyID', '1');
  ds.set('SeriesNumber', 1);
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', 64);
  ds.set('Columns', 64);
  ds.set('BitsAllocated', 8);
  ds.set('BitsStored', 8);
  ds.set('HighBit', 7);
  ds.set('PixelRepresentation', 0);
  const pixels = new Uint8Array(64 * 64);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 31) & 0xff;
  ds.set('PixelData', pixels, 'OB');
  for (let n = 1; n <= count; n++) {
    ds.set('SOPInstanceUID', `${UID_ROOT}.4.${process.pid}.${set}.${n}`);
    ds.set('InstanceNumber', n);
    writeFileSync(join(dir, `sc${String(n).padStart(5, '0')}.dcm`), writeDicom(ds));
  }
}

// ---- processes ----

function exited(child: ChildProcess): Promise<number> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : -1))));
}

/** VmHWM (peak) or VmRSS (now) of a running process, in kB. */
function rssKb(pid: number, field: 'VmHWM' | 'VmRSS' = 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
}

interface Scp {
  name: 'dicomkit' | 'dicomkit-fsync' | 'dcmtk' | 'dcmtk-bitpreserving';
  child: ChildProcess;
  port: number;
  aeTitle: string;
}

async function startScp(name: Scp['name'], outDir: string, pdu: number): Promise<Scp> {
  if (name === 'dcmtk' || name === 'dcmtk-bitpreserving') {
    const port = await freePort();
    const child = spawn(
      'storescp',
      [
        '-od',
        outDir,
        '-pdu',
        String(pdu),
        '-dhl',
        '-aet',
        'STORESCP',
        ...(name === 'dcmtk-bitpreserving' ? ['+B'] : []),
        String(port),
      ],
      { env: DCMTK_ENV, stdio: ['ignore', 'ignore', 'inherit'] },
    );
    await waitForPort(port);
    return { name, child, port, aeTitle: 'STORESCP' };
  }
  const child = spawn(
    process.execPath,
    [
      ...NODE_ARGS,
      'bench/store-scp.ts',
      outDir,
      '--pdu',
      String(pdu),
      ...(name === 'dicomkit-fsync' ? ['--fsync'] : []),
    ],
    { env: NODE_ENV, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`store-scp exited (${code}) before listening`)));
  });
  return { name, child, port, aeTitle: 'DKSCP' };
}

async function stopScp(scp: Scp): Promise<number> {
  const rss = rssKb(scp.child.pid!);
  scp.child.kill('SIGTERM');
  await exited(scp.child);
  return rss;
}

interface ScuRun {
  seconds: number;
  /** The dicomkit SCU's own measure (no process start-up). */
  inProcessSeconds?: number;
  maxRssKb: number;
}

/** Runs an SCU under /usr/bin/time (for its maxrss) and times it from spawn to exit. */
async function runScu(
  name: ScuName,
  scp: Scp,
  dataDir: string,
  pdu: number,
  scratch: string,
  limit = Number.POSITIVE_INFINITY,
): Promise<ScuRun> {
  if (name === 'dcmtk-warm') {
    // Untimed: the other instances first, in a process of their own as DCMTK runs.
    await runScu('dcmtk', scp, `${dataDir}-warm`, pdu, scratch, limit);
    return runScu('dcmtk', scp, dataDir, pdu, scratch, limit);
  }
  const timeFile = join(scratch, 'time.txt');
  const storescuArgs = [
    '-aet',
    name === 'dcmtk' ? 'STORESCU' : 'DKSCU',
    '-aec',
    scp.aeTitle,
    '-pdu',
    String(pdu),
    '127.0.0.1',
    String(scp.port),
    ...readdirSync(dataDir).sort().slice(0, limit),
  ];
  const command =
    name === 'dcmtk'
      ? ['storescu', ...storescuArgs]
      : name === 'dicomkit-cli'
        ? [process.execPath, ...CLI_NODE_ARGS, CLI, 'storescu', ...storescuArgs]
        : [
            process.execPath,
            ...NODE_ARGS,
            'bench/store-scu.ts',
            '127.0.0.1',
            String(scp.port),
            dataDir,
            '--pdu',
            String(pdu),
            '--aet',
            scp.aeTitle,
            ...(name === 'dicomkit-warm' ? ['--warm', `${dataDir}-warm`] : []),
          ];
  const start = performance.now();
  const child = spawn('/usr/bin/time', ['-f', '%M', '-o', timeFile, ...command], {
    // storescu gets the file names relative to the data folder (a shorter command line).
    cwd: name === 'dicomkit' || name === 'dicomkit-warm' ? process.cwd() : dataDir,
    env: name === 'dcmtk' ? DCMTK_ENV : NODE_ENV,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), 300_000);
  const code = await exited(child);
  const seconds = (performance.now() - start) / 1000;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`${command[0]} failed (exit ${code})\n${out}`);
  const maxRssKb = Number(readFileSync(timeFile, 'utf8').trim().split('\n').pop());
  if (name !== 'dicomkit' && name !== 'dicomkit-warm') return { seconds, maxRssKb };
  const report = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number; storeSeconds: number };
  // Warm: the timed second pass alone (its spawn-to-exit time includes the untimed first pass).
  return { seconds, inProcessSeconds: name === 'dicomkit' ? report.seconds : report.storeSeconds, maxRssKb };
}

// ---- the cases ----

interface Result {
  data: string;
  pdu: number;
  scenario: string;
  scu: ScuName;
  scp: Scp['name'];
  seconds: number;
  inProcessSeconds?: number;
  scpRssKb: number;
  /** The SCP's RSS once listening, before the transfer. */
  scpIdleKb: number;
  scuRssKb: number;
  received: number;
}

/** dicomkit: bench/store-scu.ts (API, in-process time); dicomkit-cli: `dicomkit storescu`. */
type ScuName = 'dicomkit' | 'dicomkit-warm' | 'dicomkit-cli' | 'dcmtk' | 'dcmtk-warm';

const SCENARIOS: Array<{ scenario: string; scu: ScuName; scp: Scp['name'] }> = [
  { scenario: 'storescu -> storescp', scu: 'dcmtk', scp: 'dcmtk' },
  { scenario: 'storescu -> dicomkit SCP', scu: 'dcmtk', scp: 'dicomkit' },
  { scenario: 'storescu -> dicomkit SCP, fsync each', scu: 'dcmtk', scp: 'dicomkit-fsync' },
  { scenario: 'storescu -> storescp +B', scu: 'dcmtk', scp: 'dcmtk-bitpreserving' },
  { scenario: 'dicomkit SCU -> storescp', scu: 'dicomkit', scp: 'dcmtk' },
  { scenario: 'dicomkit storescu -> storescp', scu: 'dicomkit-cli', scp: 'dcmtk' },
  { scenario: 'dicomkit SCU, second pass -> storescp', scu: 'dicomkit-warm', scp: 'dcmtk' },
  // The warm row's baseline: storescp receiving a second set after a first, as it does from
  // the warm dicomkit SCU. Files made right after the previous run's were deleted are slower
  // to create (ext4's inode allocator) than files made after others: ~0.4 against ~0.25 ms
  // per small instance here, which flattered the warm row against the first-pass baseline.
  { scenario: 'storescu, second pass -> storescp', scu: 'dcmtk-warm', scp: 'dcmtk' },
];

/** One timed run of a scenario. */
async function runOnce(
  data: string,
  dataDir: string,
  count: number,
  pdu: number,
  c: (typeof SCENARIOS)[number],
  scratch: string,
): Promise<Result> {
  const outDir = join(scratch, 'received');
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir);
  const scp = await startScp(c.scp, outDir, pdu);
  const scpIdleKb = rssKb(scp.child.pid!, 'VmRSS');
  const warmup = warmupOption === 'all' ? count : Number(warmupOption);
  for (let pass = 0; warmup > 0 && pass < warmupPasses; pass++) {
    await runScu('dcmtk', scp, dataDir, pdu, scratch, warmup);
    // Received files go; an SCP's own hidden spare files (.part) stay where it made them.
    for (const name of readdirSync(outDir)) if (!name.endsWith('.part')) rmSync(join(outDir, name));
  }
  // Every timed run starts with nothing dirty in the page cache or the journal: otherwise the
  // write-back of earlier runs lands on whichever scenario comes next (10x swings seen).
  spawnSync('sync');
  let scu: ScuRun;
  try {
    scu = await runScu(c.scu, scp, dataDir, pdu, scratch);
  } catch (error) {
    await stopScp(scp);
    throw error;
  }
  const scpRssKb = await stopScp(scp);
  const received = readdirSync(outDir).filter((f) => !f.endsWith('.part')).length;
  // The warm scenarios send their warm-up instances first (untimed); the rates count the others.
  const expected = c.scu === 'dicomkit-warm' || c.scu === 'dcmtk-warm' ? 2 * count : count;
  if (received !== expected) throw new Error(`${c.scenario}: ${received} of ${expected} instances received`);
  rmSync(outDir, { recursive: true, force: true });
  return {
    data,
    pdu,
    ...c,
    seconds: scu.seconds,
    ...(scu.inProcessSeconds !== undefined ? { inProcessSeconds: scu.inProcessSeconds } : {}),
    scpRssKb,
    scpIdleKb,
    scuRssKb: scu.maxRssKb,
    // The instances of the timed pass.
    received: count,
  };
}

const build = spawnSync('npm', ['run', 'build'], { stdio: 'ignore' });
if (build.status !== 0) throw new Error('npm run build failed: the CLI scenario runs the compiled dist/');
const work = mkdtempSync(join(tmpdir(), 'dicomkit-bench-store-'));
const datasets: Array<{ data: string; dir: string; count: number; bytes: number }> = [];
try {
  for (const [data, count, write] of [
    ['CT ~520 KB', ctCount, writeCtInstances],
    ['SC ~5 KB', smallCount, writeSmallInstances],
  ] as const) {
    if (only && !data.toLowerCase().startsWith(only === 'small' ? 'sc' : only)) continue;
    const dir = join(work, data.startsWith('CT') ? 'ct' : 'small');
    mkdirSync(dir);
    write(dir, count);
    // Other instances for the warm SCU's untimed first pass: its timed pass then makes new
    // files in storescp as every other scenario does (overwriting the same files again was
    // ~1.7x faster for storescp on small instances, which flattered the warm row).
    mkdirSync(`${dir}-warm`);
    write(`${dir}-warm`, count, 1);
    const bytes = readdirSync(dir).reduce((sum, f) => sum + statSync(join(dir, f)).size, 0);
    datasets.push({ data, dir, count, bytes });
  }
  console.log(
    `node ${process.version}, ${execVersion()}, ${reps} run(s) per case (median), TCP_NODELAY=1 for DCMTK, ` +
      `node children ${keepCaCerts || !process.env.NODE_EXTRA_CA_CERTS ? 'with the environment as it is' : 'without NODE_EXTRA_CA_CERTS'}, ` +
      `each SCP warmed up with ${warmupPasses} pass(es) of ${warmupOption === 'all' ? 'the same instances' : `${warmupOption} instances`} (not timed)`,
  );
  for (const d of datasets) {
    console.log(
      `${d.data}: ${d.count} instances, ${(d.bytes / 1e6).toFixed(1)} MB (${(d.bytes / d.count / 1e3).toFixed(1)} KB each)`,
    );
  }
  console.log(
    `max PDU: both sides advertise the same value in each run (storescp/storescu -pdu N, dicomkit maxPduLength N); ` +
      'the SCP RSS of dicomkit includes node + tsx (~90 MB before any association)',
  );
  console.log('');

  const results: Result[] = [];
  for (const d of datasets) {
    for (const pdu of pduSizes) {
      // Repetitions go round the scenarios, so that the machine's drift (page cache, journal,
      // neighbours) spreads over all of them instead of favouring one.
      const runs = new Map<string, Result[]>(SCENARIOS.map((c) => [c.scenario, []]));
      for (let rep = 0; rep < reps; rep++) {
        for (const c of SCENARIOS) {
          const r = await runOnce(d.data, d.dir, d.count, pdu, c, work);
          runs.get(c.scenario)!.push(r);
          process.stderr.write(`  ${d.data}, PDU ${pdu}, ${c.scenario}: ${r.seconds.toFixed(2)} s\n`);
        }
      }
      for (const c of SCENARIOS) {
        const sorted = runs.get(c.scenario)!.sort((a, b) => a.seconds - b.seconds);
        results.push(sorted[Math.floor(sorted.length / 2)]!);
      }
    }
  }

  const byteCount = (data: string): number => datasets.find((d) => d.data === data)!.bytes;
  const rate = (r: Result, seconds = r.seconds): string =>
    `${(r.received / seconds).toFixed(0)} | ${(byteCount(r.data) / 1e6 / seconds).toFixed(1)}`;
  const mb = (kb: number): string => `${(kb / 1024).toFixed(0)} MB`;
  console.log(
    '| data | max PDU | scenario | instances/s | MB/s | SCP RSS idle -> peak | SCU peak RSS | received |',
  );
  console.log('|---|---:|---|---:|---:|---:|---:|---:|');
  for (const r of results) {
    // The warm scenario's spawn-to-exit time holds its untimed first pass: only its in-process row.
    if (r.scu !== 'dicomkit-warm')
      console.log(
        `| ${r.data} | ${r.pdu} | ${r.scenario} | ${rate(r)} | ${mb(r.scpIdleKb)} -> ${mb(r.scpRssKb)} | ${mb(r.scuRssKb)} | ${r.received} |`,
      );
    if (r.inProcessSeconds !== undefined) {
      console.log(
        `| ${r.data} | ${r.pdu} | ${r.scenario} (in-process time) | ${rate(r, r.inProcessSeconds)} | | | |`,
      );
    }
  }
  console.log('');
  console.log('| data | max PDU | role | dicomkit inst/s | DCMTK inst/s | dicomkit / DCMTK |');
  console.log('|---|---:|---|---:|---:|---:|');
  for (const d of datasets) {
    for (const pdu of pduSizes) {
      const find = (scenario: string): Result =>
        results.find((r) => r.data === d.data && r.pdu === pdu && r.scenario === scenario)!;
      const base = find('storescu -> storescp');
      const rows: Array<[string, Result, number?]> = [
        ['SCP (writing files)', find('storescu -> dicomkit SCP')],
        ['SCP, fsync each', find('storescu -> dicomkit SCP, fsync each')],
        ['SCU: dicomkit storescu (spawn to exit)', find('dicomkit storescu -> storescp')],
        ['SCU: API under tsx (spawn to exit)', find('dicomkit SCU -> storescp')],
        [
          'SCU (in-process)',
          find('dicomkit SCU -> storescp'),
          find('dicomkit SCU -> storescp').inProcessSeconds,
        ],
        [
          'SCU (in-process, second pass: warm, stores only; vs storescu second pass)',
          find('dicomkit SCU, second pass -> storescp'),
          find('dicomkit SCU, second pass -> storescp').inProcessSeconds,
        ],
      ];
      for (const [role, r, seconds = r.seconds] of rows) {
        const ours = r.received / seconds;
        // The warm row against storescu's second pass: the same state of storescp's folder.
        const baseline = r.scu === 'dicomkit-warm' ? find('storescu, second pass -> storescp') : base;
        const theirs = baseline.received / baseline.seconds;
        console.log(
          `| ${d.data} | ${pdu} | ${role} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${(ours / theirs).toFixed(2)}x |`,
        );
      }
    }
  }
  // What a run's spawn-to-exit time holds before any work: the cold SCU rows above include it.
  console.log('');
  console.log('| start-up, no work (median of 15 spawns) | ms |');
  console.log('|---|---:|');
  for (const [label, command] of [
    ['node, empty program', [process.execPath, ...CLI_NODE_ARGS, '-e', '0']],
    ['dicomkit storescu --version', [process.execPath, ...CLI_NODE_ARGS, CLI, 'storescu', '--version']],
    ['DCMTK storescu --version', ['storescu', '--version']],
  ] as const) {
    console.log(`| ${label} | ${startupMs(command).toFixed(0)} |`);
  }
} finally {
  if (keep) console.log(`\nkept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

/** Median spawn-to-exit time of a command that does no work. */
function startupMs(command: readonly string[]): number {
  const times: number[] = [];
  for (let i = 0; i < 15; i++) {
    const started = performance.now();
    spawnSync(command[0]!, command.slice(1), { stdio: 'ignore', env: NODE_ENV });
    times.push(performance.now() - started);
  }
  return times.sort((a, b) => a - b)[7]!;
}

function execVersion(): string {
  const out = spawnSync('storescu', ['--version'], { encoding: 'utf8' }).stdout ?? '';
  return /storescu (v[\d.]+)/.exec(out)?.[1] ? `DCMTK ${/storescu (v[\d.]+)/.exec(out)![1]}` : 'DCMTK';
}
