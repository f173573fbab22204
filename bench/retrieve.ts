/**
 * Retrieval speed, on demand (npm run bench:retrieve -- [--ct 200] [--small 2000] [--reps 3]
 * [--only pacs,orthanc,dcmqrscp]): how fast each archive sends a study out.
 *
 * The same two studies (~520 KB CT instances, one study of `--ct`; ~5 KB Secondary Capture,
 * one study of `--small`; Explicit VR Little Endian) are stored with DCMTK storescu into
 * `dicomkit pacs` (as `npm start` runs it), into Orthanc (its default SQLite config) and into
 * DCMTK dcmqrscp (its own index, forking a process per association as Debian's must). Then
 * each archive is asked for each study:
 *   C-MOVE: DCMTK movescu -> archive -> DCMTK `storescp --ignore` (registered as DEST);
 *   C-GET:  DCMTK `getscu --ignore` -> archive, the instances coming back on its association.
 * The receivers take the data and write nothing, so the time is the archive's: finding the
 * files, reading them and sending them. One untimed retrieval of each study warms each
 * archive up; `--reps` rounds then go over the archives in turn and the median is shown.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { writeDicomFile } from '../src/object/file.node.ts';
import { DataSet } from '../src/object/index.ts';
import { CLI_NODE_ARGS, loopbackPacsArgs } from '../test/helpers/cli-node-args.ts';
import { dcmqrscpConfig } from '../test/helpers/dcmqrscp.ts';
import { freePort, runPeerAsync, waitForPort } from '../test/helpers/net-peers.ts';
import { setBenchPixelModule, startOrthanc, stopChild } from './servers.ts';

const args = process.argv.slice(2);
const option = (name: string, fallback: number): number => {
  const at = args.indexOf(name);
  return at >= 0 ? Number(args[at + 1]) : fallback;
};
const ctCount = option('--ct', 200);
const smallCount = option('--small', 2000);
const reps = option('--reps', 3);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1]!.toLowerCase().split(',') : undefined;

const work = mkdtempSync(join(tmpdir(), 'dicomkit-bench-retrieve-'));
process.on('exit', () => rmSync(work, { recursive: true, force: true }));
const DCMTK_ENV = { ...process.env, TCP_NODELAY: '1' };

interface Study {
  label: string;
  uid: string;
  count: number;
  dir: string;
}

/** One study of `count` instances: CT 512x512x16 (~520 KB) or a 50x50x8 Secondary Capture (~5 KB). */
async function generate(label: string, count: number, big: boolean): Promise<Study> {
  const uid = `2.25.66.${big ? 1 : 2}`;
  const dir = join(work, label);
  mkdirSync(dir);
  const pixels = new Uint8Array(big ? 512 * 512 * 2 : 2500);
  for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
  for (let i = 0; i < count; i++) {
    const ds = new DataSet();
    ds.set('SOPClassUID', big ? '1.2.840.10008.5.1.4.1.1.2' : '1.2.840.10008.5.1.4.1.1.7');
    ds.set('SOPInstanceUID', `${uid}.1.${i}`);
    ds.set('StudyInstanceUID', uid);
    ds.set('SeriesInstanceUID', `${uid}.1`);
    ds.set('StudyDate', '20250101');
    ds.set('StudyTime', '101010');
    ds.set('AccessionNumber', `ACC${big ? 1 : 2}`);
    ds.set('Modality', big ? 'CT' : 'OT');
    ds.set('PatientName', 'BENCH^RETRIEVE');
    ds.set('PatientID', 'RETRIEVE1');
    ds.set('InstanceNumber', i + 1);
    setBenchPixelModule(ds, big, pixels);
    await writeDicomFile(join(dir, `f${String(i).padStart(6, '0')}.dcm`), ds, {
      transferSyntax: '1.2.840.10008.1.2.1',
    });
  }
  return { label, uid, count, dir };
}

interface Archive {
  port: number;
  aet: string;
  stop(): Promise<void>;
}

/** The destination of every C-MOVE: receives and discards. */
const DEST_AET = 'DEST';

const ARCHIVES: Record<string, (store: string, destPort: number) => Promise<Archive>> = {
  'dicomkit pacs': async (store, destPort) => {
    const port = await freePort();
    const config = `${store}.json`;
    writeFileSync(
      config,
      JSON.stringify({ modalities: { DEST: { aeTitle: DEST_AET, host: '127.0.0.1', port: destPort } } }),
    );
    const child = spawn(
      process.execPath,
      [...CLI_NODE_ARGS, ...loopbackPacsArgs(store, port), '-c', config],
      {
        stdio: 'ignore',
      },
    );
    await waitForPort(port, 30_000);
    return { port, aet: 'DICOMKIT', stop: () => stopChild(child) };
  },
  // The callers must be known modalities for Orthanc to serve their C-MOVE and C-GET.
  Orthanc: (store, destPort) =>
    startOrthanc(store, {
      DicomModalities: {
        dest: [DEST_AET, '127.0.0.1', destPort],
        movescu: ['MOVESCU', '127.0.0.1', 1],
        getscu: ['GETSCU', '127.0.0.1', 1],
      },
    }),
  'DCMTK dcmqrscp': async (store, destPort) => {
    const port = await freePort();
    mkdirSync(store);
    const config = `${store}.cfg`;
    writeFileSync(
      config,
      dcmqrscpConfig({
        port,
        aeTitle: 'QRSCP',
        storage: store,
        // Room for the largest study: dcmqrscp deletes the oldest beyond its quota.
        maxStudies: 10,
        maxStudySize: '4096mb',
        peers: [['dest', DEST_AET, destPort]],
      }),
    );
    const child = spawn('dcmqrscp', ['-c', config, String(port)], { stdio: 'ignore', env: DCMTK_ENV });
    await waitForPort(port, 10_000);
    return { port, aet: 'QRSCP', stop: () => stopChild(child) };
  },
};

async function storeStudy(archive: Archive, study: Study): Promise<void> {
  const files = readdirSync(study.dir).map((name) => join(study.dir, name));
  const r = await runPeerAsync(
    'storescu',
    ['-aec', archive.aet, '127.0.0.1', String(archive.port), ...files],
    {
      timeoutMs: 600_000,
    },
  );
  if (r.status !== 0) throw new Error(`storescu into ${archive.aet} failed: ${r.stderr.slice(0, 500)}`);
}

const STUDY_KEYS = (uid: string) => ['-S', '-k', 'QueryRetrieveLevel=STUDY', '-k', `StudyInstanceUID=${uid}`];

/**
 * Seconds for one C-MOVE or C-GET of `study`. Fails unless the final response is Success (every
 * sub-operation completed, none failed); `check` also counts them (debug output, untimed).
 */
async function retrieveOnce(
  archive: Archive,
  study: Study,
  operation: 'move' | 'get',
  check = false,
): Promise<number> {
  const argv =
    operation === 'move'
      ? ['-aet', 'MOVESCU', '-aec', archive.aet, '-aem', DEST_AET, ...STUDY_KEYS(study.uid)]
      : ['-aet', 'GETSCU', '-aec', archive.aet, '--ignore', ...STUDY_KEYS(study.uid)];
  const start = performance.now();
  const r = await runPeerAsync(
    operation === 'move' ? 'movescu' : 'getscu',
    [check ? '-d' : '-v', ...argv, '127.0.0.1', String(archive.port)],
    { timeoutMs: 600_000, cwd: work },
  );
  const seconds = (performance.now() - start) / 1000;
  const output = r.stdout + r.stderr;
  // Verbose: "Received Final Move Response (Success)", "Received C-GET Response (Success)";
  // debug: the last response's dump.
  const lastStatus = check
    ? [...output.matchAll(/DIMSE Status\s*:\s*(0x[0-9a-f]{4})/gi)].at(-1)?.[1]
    : [...output.matchAll(/Received (?:Final )?(?:Move|C-GET) Response \((\w+)\)/g)].at(-1)?.[1];
  const success = lastStatus === (check ? '0x0000' : 'Success');
  const completed = [...output.matchAll(/Completed Sub-?operations\s*:\s*(\d+)/gi)].at(-1)?.[1];
  if (r.status !== 0 || !success || (check && Number(completed) !== study.count)) {
    throw new Error(
      `${operation} of ${study.label} from ${archive.aet}: exit ${r.status}, success ${success}, completed ${completed}\n${output.slice(-1500)}`,
    );
  }
  return seconds;
}

const build = spawnSync('npm', ['run', 'build'], { stdio: 'ignore' });
if (build.status !== 0) throw new Error('npm run build failed');
console.log(`generating ${ctCount} CT (~520 KB) and ${smallCount} small (~5 KB) instances...`);
const studies = [await generate('ct', ctCount, true), await generate('small', smallCount, false)];

const destPort = await freePort();
const destination = spawn('storescp', ['--ignore', '-aet', DEST_AET, String(destPort)], {
  stdio: 'ignore',
  env: DCMTK_ENV,
});
await waitForPort(destPort, 10_000);

const names = Object.keys(ARCHIVES).filter(
  (name) => !only || only.some((w) => name.toLowerCase().includes(w)),
);
const archives = new Map<string, Archive>();
try {
  for (const name of names) {
    const archive = await ARCHIVES[name]!(join(work, name.split(' ').at(-1)!.toLowerCase()), destPort);
    archives.set(name, archive);
    for (const study of studies) {
      await storeStudy(archive, study);
      // Warm-up: one retrieval of each kind, untimed.
      await retrieveOnce(archive, study, 'move', true);
      await retrieveOnce(archive, study, 'get', true);
    }
    process.stderr.write(`  ${name}: stored and warmed up\n`);
  }
  const median = (values: number[]): number =>
    [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
  console.log(
    `median of ${reps} round(s); receivers discard what they get (storescp --ignore, getscu --ignore)`,
  );
  console.log('| data | operation | archive | seconds | instances/s | MB/s | dicomkit pacs / archive |');
  console.log('|---|---|---|---:|---:|---:|---:|');
  for (const study of studies) {
    for (const operation of ['move', 'get'] as const) {
      const runs = new Map<string, number[]>(names.map((name) => [name, []]));
      for (let rep = 0; rep < reps; rep++) {
        for (const name of names) {
          const seconds = await retrieveOnce(archives.get(name)!, study, operation);
          runs.get(name)!.push(seconds);
          process.stderr.write(`  ${study.label} ${operation} ${name}: ${seconds.toFixed(2)} s\n`);
        }
      }
      const bytes = readdirSync(study.dir).length * (study.label === 'ct' ? 512 * 512 * 2 : 2500);
      const ours = median(runs.get('dicomkit pacs') ?? [Number.NaN]);
      for (const [name, times] of runs) {
        const seconds = median(times);
        console.log(
          `| ${study.label === 'ct' ? `CT ~520 KB x ${study.count}` : `SC ~5 KB x ${study.count}`} | C-${operation.toUpperCase()} | ${name} | ${seconds.toFixed(2)} | ${(study.count / seconds).toFixed(0)} | ${(bytes / 1e6 / seconds).toFixed(0)} | ${(seconds / ours).toFixed(2)}x |`,
        );
      }
    }
  }
} finally {
  for (const archive of archives.values()) await archive.stop();
  await stopChild(destination);
}
