// The DCMTK-compatible network tools (issue 4). The seed walkthrough runs twice over, with
// `dicomkit` in front and with DCMTK's own tools, against a DCMTK dcmqrscp the test configures
// and against `dicomkit pacs`; C-MOVE destinations are `dicomkit storescp` and DCMTK's
// storescp. What each run prints (log lines, find responses) and writes (file names, data set
// bytes) is compared between the tools, and with what the archives hold. Then: DCMTK's and
// dicomkit's storescu into both storescps, TLS both ways, every tool's help and unknown flags,
// DCMTK's exit codes, and the progress bar on a terminal only.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { inflateRawSync } from 'node:zlib';
import type { Command } from 'commander';
import { ECHOSCU_ALIASES, echoscuCommand } from '../../src/cli/echoscu.ts';
import { FINDSCU_ALIASES, findscuCommand } from '../../src/cli/findscu.ts';
import { GETSCU_ALIASES, getscuCommand } from '../../src/cli/getscu.ts';
import { MOVESCU_ALIASES, movescuCommand } from '../../src/cli/movescu.ts';
import { STORESCP_ALIASES, storescpCommand } from '../../src/cli/storescp.ts';
import { STORESCU_ALIASES, storescuCommand } from '../../src/cli/storescu.ts';
import { encodePdu } from '../../src/net/pdu/index.ts';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet } from '../../src/object/index.ts';
import { ApplicationEntity } from '../../src/services/index.ts';
import {
  dataSetBytes,
  findResponses,
  logLines,
  receivedFiles,
  runTool,
  startDicomkit,
  startStorescp,
  TOOLS,
  type Tool,
} from '../helpers/cli-runs.ts';
import { dcmqrscpConfig } from '../helpers/dcmqrscp.ts';
import {
  type BackgroundPeer,
  freePort,
  type PeerResult,
  runPeerAsync,
  startPeer,
} from '../helpers/net-peers.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';
import { associateRq } from '../helpers/raw-dul-peer.ts';
import { isSpare, storedNames } from '../helpers/stored-files.ts';
import { selfSignedCertificate, type TestPki, testPki } from '../helpers/tls.ts';

for (const program of [
  'dcmqrscp',
  'storescp',
  'storescu',
  'echoscu',
  'findscu',
  'movescu',
  'getscu',
  'dcmdjpeg',
  'script',
  'openssl',
])
  requirePeer(program);

const work = mkdtempSync(join(tmpdir(), 'dicomkit-cli-net-'));
after(() => rmSync(work, { recursive: true, force: true }));
const FIXTURES = resolve('test/fixtures/pydicom');
const CT = join(FIXTURES, 'CT_small.dcm');
const MR = join(FIXTURES, 'MR_small.dcm');
const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const EXPLICIT = '1.2.840.10008.1.2.1';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';

function fresh(name: string): string {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The file under `dir` whose name ends with `.dcm` and holds this SOP Instance UID. */
async function storedCopy(dir: string, sopInstanceUid: string): Promise<string> {
  const found: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.name.endsWith('.dcm') && !isSpare(e.name)) {
        if (
          (await readDicomFile(p, { stopAtTag: 0x00080019 })).dataset.string('SOPInstanceUID')?.trim() ===
          sopInstanceUid
        )
          found.push(p);
      }
    }
  };
  await walk(dir);
  assert.equal(found.length, 1, `${dir} holds ${sopInstanceUid} once`);
  return found[0]!;
}

interface Scp {
  name: 'dcmqrscp' | 'pacs';
  port: number;
  /** Where the archive keeps its files, to find the copy of an instance it sends back. */
  store: string;
}

describe('the seed walkthrough: dicomkit and DCMTK tools against DCMTK dcmqrscp and dicomkit pacs', () => {
  const scps: Scp[] = [];
  const peers: BackgroundPeer[] = [];
  let dkScpDir = '';
  let dtScpDir = '';
  let moveScuPort = 0;
  const ct = { study: '', series: '', sop: '' };
  const mr = { study: '', sop: '' };

  before(async () => {
    const [qrPort, pacsPort, dkPort, dtPort] = await Promise.all([
      freePort(),
      freePort(),
      freePort(),
      freePort(),
    ]);
    moveScuPort = await freePort();
    dkScpDir = fresh('rx-dicomkit-storescp');
    dtScpDir = fresh('rx-dcmtk-storescp');
    const db = fresh('dcmqrscp-db');
    const pacsData = join(work, 'pacs-data');
    const destinations = [
      ['STORESCP', dkPort],
      ['DCMTKSCP', dtPort],
      ['MOVESCU', moveScuPort],
    ] as const;
    const qrConfig = join(work, 'dcmqrscp.cfg');
    writeFileSync(
      qrConfig,
      dcmqrscpConfig({
        port: qrPort,
        aeTitle: 'ANY-SCP',
        storage: db,
        maxStudies: 200,
        maxStudySize: '1024mb',
        peers: destinations.map(([aet, port]) => [aet.toLowerCase(), aet, port] as const),
      }),
    );
    const pacsConfig = join(work, 'pacs.json');
    writeFileSync(
      pacsConfig,
      JSON.stringify({
        aeTitle: 'ANY-SCP',
        dicom: { host: '127.0.0.1', port: pacsPort },
        http: { enabled: false },
        storage: { path: pacsData },
        logLevel: 'warn',
        modalities: Object.fromEntries(
          destinations.map(([aeTitle, port]) => [
            aeTitle.toLowerCase(),
            { aeTitle, host: '127.0.0.1', port },
          ]),
        ),
      }),
    );
    peers.push(
      ...(await Promise.all([
        startDicomkit(
          ['storescp', '-aet', 'STORESCP', '--host', '127.0.0.1', '-od', dkScpDir, String(dkPort)],
          dkPort,
        ),
        startPeer('storescp', ['-aet', 'DCMTKSCP', '+xa', '+B', '-od', dtScpDir, String(dtPort)], dtPort),
        // Forking: Debian's 3.6.7 crashes after a release in --single-process mode.
        startPeer('dcmqrscp', ['-c', qrConfig, String(qrPort)], qrPort),
        startDicomkit(['pacs', '-c', pacsConfig], pacsPort),
      ])),
    );
    scps.push(
      { name: 'dcmqrscp', port: qrPort, store: db },
      { name: 'pacs', port: pacsPort, store: pacsData },
    );
    const ctSet = (await readDicomFile(CT)).dataset;
    ct.study = ctSet.string('StudyInstanceUID')!.trim();
    ct.series = ctSet.string('SeriesInstanceUID')!.trim();
    ct.sop = ctSet.string('SOPInstanceUID')!.trim();
    const mrSet = (await readDicomFile(MR)).dataset;
    mr.study = mrSet.string('StudyInstanceUID')!.trim();
    mr.sop = mrSet.string('SOPInstanceUID')!.trim();
  });
  after(async () => {
    await Promise.all(peers.map((p) => p.stop()));
  });

  /** Runs the same command with both tools against one archive; checks both exit with `status`. */
  async function both(program: string, args: (port: string) => string[], scp: Scp, status = 0) {
    const [dicomkit, dcmtk] = await Promise.all(
      TOOLS.map((tool) => runTool(tool, program, args(String(scp.port)))),
    );
    assert.equal(dicomkit!.status, status, `dicomkit ${program} -> ${scp.name}: ${dicomkit!.stderr}`);
    assert.equal(dcmtk!.status, status, `${program} -> ${scp.name}: ${dcmtk!.stdout}${dcmtk!.stderr}`);
    return { dicomkit: dicomkit!, dcmtk: dcmtk! };
  }

  test('echoscu -v localhost PORT', { timeout: 30_000 }, async () => {
    await Promise.all(
      scps.map(async (scp) => {
        const r = await both('echoscu', (port) => ['-v', 'localhost', port], scp);
        assert.deepEqual(logLines(r.dicomkit), logLines(r.dcmtk), `echoscu -v lines, ${scp.name}`);
        assert.ok(logLines(r.dicomkit).includes('I: Received Echo Response (Success)'));
      }),
    );
  });

  test('echoscu -lc FILE: a log4cplus file sets the level, appenders and layout, as with DCMTK', {
    timeout: 30_000,
  }, async () => {
    // Debian's filelog.cfg in short: errors to stderr, everything from INFO to ${appname}.log.
    const config = join(work, 'filelog.cfg');
    writeFileSync(
      config,
      [
        'log4cplus.rootLogger = INFO, console, logfile',
        'log4cplus.appender.console = log4cplus::ConsoleAppender',
        'log4cplus.appender.console.Threshold = ERROR',
        'log4cplus.appender.console.logToStderr = true',
        'log4cplus.appender.logfile = log4cplus::FileAppender',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: log4cplus's placeholder, not JavaScript's
        'log4cplus.appender.logfile.File = ${appname}.log',
        'log4cplus.appender.logfile.Append = false',
        'log4cplus.appender.logfile.layout = log4cplus::PatternLayout',
        'log4cplus.appender.logfile.layout.ConversionPattern = [%-5p] %c{1}: %m%n',
        '',
      ].join('\n'),
    );
    const scp = scps.find((s) => s.name === 'pacs')!;
    const logs = await Promise.all(
      TOOLS.map(async (tool) => {
        const cwd = fresh(`lc-${tool}`);
        const r = await runTool(tool, 'echoscu', ['-lc', config, 'localhost', String(scp.port)], { cwd });
        assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
        assert.equal(r.stdout + r.stderr, '', `${tool} prints nothing below ERROR on the console`);
        return readFileSync(join(cwd, 'echoscu.log'), 'utf8').replace(/Max Send PDV: \d+/, 'Max Send PDV: N');
      }),
    );
    assert.equal(logs[0], logs[1], 'the same log file from both tools');
    assert.match(logs[0]!, /^\[INFO \] echoscu: Requesting Association\n/);
    assert.match(logs[0]!, /\[INFO \] echoscu: Received Echo Response \(Success\)\n/);
    // --arguments logs the expanded command line through the file too, first.
    const withArguments = await Promise.all(
      TOOLS.map(async (tool) => {
        const cwd = fresh(`lc-arguments-${tool}`);
        const args = ['--arguments', '-lc', config, 'localhost', String(scp.port)];
        const r = await runTool(tool, 'echoscu', args, { cwd });
        assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
        return readFileSync(join(cwd, 'echoscu.log'), 'utf8').replace(/Max Send PDV: \d+/, 'Max Send PDV: N');
      }),
    );
    assert.equal(withArguments[0], withArguments[1], '--arguments: the same log file from both tools');
    // DailyRollingFileAppender: DCMTK's oflog rolls the file when the program ends, so each
    // run leaves its lines in FILE.<period>, the one before in FILE.<period>.1, and FILE empty.
    const daily = join(work, 'daily.cfg');
    writeFileSync(
      daily,
      [
        'log4cplus.rootLogger = INFO, daily',
        'log4cplus.appender.daily = log4cplus::DailyRollingFileAppender',
        'log4cplus.appender.daily.File = app.log',
        'log4cplus.appender.daily.Schedule = MONTHLY',
        'log4cplus.appender.daily.layout = log4cplus::SimpleLayout',
        '',
      ].join('\n'),
    );
    const rolled = await Promise.all(
      TOOLS.map(async (tool) => {
        const cwd = fresh(`lc-daily-${tool}`);
        for (let run = 0; run < 2; run++) {
          const r = await runTool(tool, 'echoscu', ['-lc', daily, 'localhost', String(scp.port)], { cwd });
          assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
        }
        return readdirSync(cwd)
          .sort()
          .map(
            (name) => `${name}: ${readFileSync(join(cwd, name), 'utf8').replace(/Max Send PDV: \d+/, 'N')}`,
          );
      }),
    );
    assert.deepEqual(rolled[0], rolled[1], 'DailyRollingFileAppender: the same files from both tools');
    assert.equal(rolled[0]?.length, 3);
    assert.match(rolled[0]![0]!, /^app\.log: $/);
    assert.match(rolled[0]![1]!, /^app\.log\.\d{4}-\d{2}: INFO - Requesting Association\n/);
    assert.match(rolled[0]![2]!, /^app\.log\.\d{4}-\d{2}\.1: INFO - Requesting Association\n/);
    assert.match(
      withArguments[0]!,
      /^\[INFO \] root: calling 'echoscu' with 5 arguments: .*\n\[INFO \] root: \n\[INFO \] echoscu: Requesting/,
    );
    // As DCMTK: the file decides the level; -v and the others are refused beside it.
    const refused = await Promise.all(
      TOOLS.map((tool) => runTool(tool, 'echoscu', ['-lc', config, '-v', 'localhost', String(scp.port)])),
    );
    for (const r of refused) {
      assert.equal(r.status, 1);
      assert.match(r.stdout + r.stderr, /--log-config not allowed with --verbose, --debug or --quiet/);
    }
  });

  test('storescu -xs localhost PORT file.dcm, for CT and MR', { timeout: 40_000 }, async () => {
    await Promise.all(
      scps.map(async (scp) => {
        for (const file of [CT, MR]) {
          const said: string[][] = [];
          for (const tool of TOOLS) {
            const r = await runTool(tool, 'storescu', ['-v', '-xs', 'localhost', String(scp.port), file]);
            assert.equal(r.status, 0, `${tool} storescu -> ${scp.name}: ${r.stdout}${r.stderr}`);
            assert.ok(logLines(r).includes('I: Received Store Response (Success)'), logLines(r).join('\n'));
            if (tool === 'dicomkit') assert.match(r.stderr, /^I: sent 1, failed 0, warnings 0$/m);
            said.push(logLines(r));
          }
          // The two storescus say the same, line for line (contexts, conversion, message IDs).
          assert.deepEqual(said[0], said[1], `storescu -v ${file} -> ${scp.name}`);
        }
        // Each archive holds each instance once, its pixels as sent (dcmqrscp re-encodes what it
        // stores; the PACS keeps the bytes it received, here the file's own).
        for (const [file, sop] of [
          [CT, ct.sop],
          [MR, mr.sop],
        ] as const) {
          const copy = await storedCopy(scp.store, sop);
          const original = (await readDicomFile(file)).dataset.bytes('PixelData')!;
          assert.ok(
            Buffer.from((await readDicomFile(copy)).dataset.bytes('PixelData')!).equals(
              Buffer.from(original),
            ),
          );
          if (scp.name === 'pacs')
            assert.ok(dataSetBytes(copy).equals(dataSetBytes(file)), `${copy} as sent`);
        }
      }),
    );
  });

  /** Runs a findscu command with both tools against both archives and compares the responses. */
  async function findEverywhere(args: string[], expect: { responses: number; final?: string }) {
    const byScp = await Promise.all(
      scps.map(async (scp) => {
        const r = await both('findscu', (port) => [...args, 'localhost', port], scp);
        // The same response blocks, line for line, whichever tool asked.
        const blocks = (x: typeof r.dicomkit) =>
          logLines(x).filter((l) => !/^I: (Requesting|Association|Releasing)/.test(l));
        assert.deepEqual(blocks(r.dicomkit), blocks(r.dcmtk), `findscu ${args.join(' ')} -> ${scp.name}`);
        const responses = findResponses(r.dicomkit);
        assert.equal(responses.length, expect.responses, `${scp.name}: ${r.dicomkit.stderr}`);
        if (expect.final)
          assert.ok(logLines(r.dicomkit).includes(`I: Received Final Find Response (${expect.final})`));
        return responses;
      }),
    );
    // Both archives answer the requested keys alike (the PACS adds Specific Character Set and
    // returns requested keys it has no value for empty; dcmqrscp leaves those out).
    const requested = (m: Map<string, string>) =>
      [...m].filter(([tag, value]) => tag !== '(0008,0005)' && value !== '').sort();
    assert.deepEqual(byScp[0]!.map(requested), byScp[1]!.map(requested));
    return byScp[0]!;
  }

  test('findscu -v -P -k "(0008,0052)=PATIENT" -k PatientID="1CT1" localhost PORT', {
    timeout: 30_000,
  }, async () => {
    const [response] = await findEverywhere(
      ['-v', '-P', '-k', '(0008,0052)=PATIENT', '-k', 'PatientID=1CT1'],
      {
        responses: 1,
        final: 'Success',
      },
    );
    assert.equal(response!.get('(0010,0020)'), '1CT1');
  });

  test('findscu -P -k "(0008,0052)=PATIENT" -k PatientID="1CT1" -k PatientName localhost PORT', {
    timeout: 30_000,
  }, async () => {
    const [response] = await findEverywhere(
      ['-P', '-k', '(0008,0052)=PATIENT', '-k', 'PatientID=1CT1', '-k', 'PatientName'],
      { responses: 1 },
    );
    assert.equal(response!.get('(0010,0010)'), 'CompressedSamples^CT1');
  });

  test('findscu -v -P -k PatientID -k PatientName="Compressed*" localhost PORT (and with a level)', {
    timeout: 30_000,
  }, async () => {
    // As written, without Query/Retrieve Level: both archives refuse it, both tools say so.
    await findEverywhere(['-v', '-P', '-k', 'PatientID', '-k', 'PatientName=Compressed*'], {
      responses: 0,
      final: 'Error: DataSetDoesNotMatchSOPClass',
    });
    const responses = await findEverywhere(
      ['-v', '-P', '-k', '0008,0052=PATIENT', '-k', 'PatientID', '-k', 'PatientName=Compressed*'],
      { responses: 2, final: 'Success' },
    );
    assert.deepEqual(responses.map((r) => r.get('(0010,0020)')).sort(), ['1CT1', '4MR1']);
  });

  test('findscu -v -P -k 0008,0052="IMAGE" -k 0010,0020=... -k 0020,000D=... -k 0020,000E=... -k 0008,0018=... -k Modality ...', {
    timeout: 30_000,
  }, async () => {
    const [response] = await findEverywhere(
      [
        '-v',
        '-P',
        '-k',
        '0008,0052=IMAGE',
        '-k',
        '0010,0020=1CT1',
        '-k',
        `0020,000D=${ct.study}`,
        '-k',
        `0020,000E=${ct.series}`,
        '-k',
        `0008,0018=${ct.sop}`,
        '-k',
        'Modality',
        '-k',
        'PerformedProcedureStepDescription',
        '-k',
        'PatientName',
        '-k',
        'PatientID',
      ],
      { responses: 1, final: 'Success' },
    );
    assert.equal(response!.get('(0008,0060)'), 'CT');
    assert.equal(response!.get('(0008,0018)'), ct.sop);
  });

  test('findscu -X writes rsp0001.dcm... as DCMTK does; --json prints DICOM JSON', {
    timeout: 30_000,
  }, async () => {
    const scp = scps[0]!;
    const args = ['-S', '-X', '-k', 'QueryRetrieveLevel=STUDY', '-k', 'StudyInstanceUID', '-k', 'PatientID'];
    const dirs = { dicomkit: fresh('rsp-dicomkit'), dcmtk: fresh('rsp-dcmtk') };
    await Promise.all(
      TOOLS.map(async (tool) => {
        const r = await runTool(tool, 'findscu', [...args, '-od', dirs[tool], 'localhost', String(scp.port)]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(findResponses(r).length, 0, 'no response printed with -X');
      }),
    );
    assert.deepEqual(storedNames(dirs.dicomkit), ['rsp0001.dcm', 'rsp0002.dcm']);
    const studies = async (dir: string) =>
      Promise.all(
        storedNames(dir).map(async (n) =>
          (await readDicomFile(join(dir, n))).dataset.string('StudyInstanceUID')?.trim(),
        ),
      );
    assert.deepEqual((await studies(dirs.dicomkit)).sort(), (await studies(dirs.dcmtk)).sort());
    // -Xlo 1: one of the two responses goes to a file, from both tools; -Xlo without -X is refused.
    for (const tool of TOOLS) {
      const dir = fresh(`rsp-limit-${tool}`);
      const r = await runTool(tool, 'findscu', [
        ...args,
        '-Xlo',
        '1',
        '-od',
        dir,
        'localhost',
        String(scp.port),
      ]);
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(storedNames(dir), ['rsp0001.dcm'], tool);
      const misuse = await runTool(tool, 'findscu', ['-S', '-Xlo', '1', 'localhost', String(scp.port)]);
      assert.equal(misuse.status, 1, tool);
      assert.match(`${misuse.stdout}${misuse.stderr}`, /--limit-output only allowed with --extract/, tool);
    }
    const json = await runTool('dicomkit', 'findscu', [
      ...args.slice(0, 1),
      '--json',
      ...args.slice(2),
      'localhost',
      String(scp.port),
    ]);
    const objects = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, { vr: string; Value?: string[] }>);
    assert.equal(objects.length, 2);
    assert.deepEqual(objects.map((o) => o['0020000D']!.Value![0]).sort(), [ct.study, mr.study].sort());
  });

  test('movescu -v -P -k 0008,0052="PATIENT" -k PatientID="1CT1" -aem STORESCP: dicomkit storescp and DCMTK storescp receive the same', {
    timeout: 40_000,
  }, async () => {
    const args = (aem: string, port: string) => [
      '-v',
      '-P',
      '-k',
      '0008,0052=PATIENT',
      '-k',
      'PatientID=1CT1',
      '-aem',
      aem,
      'localhost',
      port,
    ];
    for (const scp of scps) {
      // What the archive sends is its stored copy's data set, byte for byte.
      const expected = dataSetBytes(await storedCopy(scp.store, ct.sop));
      const received: Buffer[] = [];
      for (const tool of TOOLS) {
        for (const [aem, dir] of [
          ['STORESCP', dkScpDir],
          ['DCMTKSCP', dtScpDir],
        ] as const) {
          if (tool === 'dcmtk' && aem === 'DCMTKSCP') continue;
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir);
          const r = await runTool(tool, 'movescu', args(aem, String(scp.port)));
          assert.equal(r.status, 0, `${tool} movescu -> ${scp.name}: ${r.stdout}${r.stderr}`);
          assert.ok(
            logLines(r).includes('I: Received Final Move Response (Success)'),
            logLines(r).join('\n'),
          );
          const files = receivedFiles(dir);
          assert.deepEqual(
            [...files.keys()],
            [`CT.${ct.sop}`],
            `${aem} got the file, named as DCMTK names it`,
          );
          received.push(files.get(`CT.${ct.sop}`)!);
        }
      }
      for (const bytes of received) assert.ok(bytes.equals(expected), `${scp.name}: byte-identical data set`);
    }
  });

  test('movescu --port: the mover receives the sub-operations itself, as DCMTK movescu +P', {
    timeout: 30_000,
  }, async () => {
    for (const scp of scps) {
      const expected = dataSetBytes(await storedCopy(scp.store, mr.sop));
      for (const tool of TOOLS) {
        // +B: as received. DCMTK 3.6.7's movescu then writes to the working directory whatever
        // -od says, so both run in the output directory.
        const dir = fresh(`movescu-port-${tool}`);
        const r = await runTool(
          tool,
          'movescu',
          [
            '-S',
            '-k',
            '0008,0052=STUDY',
            '-k',
            `StudyInstanceUID=${mr.study}`,
            '-aet',
            'MOVESCU',
            '+B',
            '--port',
            String(moveScuPort),
            '-od',
            dir,
            'localhost',
            String(scp.port),
          ],
          { cwd: dir },
        );
        assert.equal(r.status, 0, `${tool} movescu --port -> ${scp.name}: ${r.stdout}${r.stderr}`);
        const files = receivedFiles(dir);
        assert.deepEqual([...files.keys()], [`MR.${mr.sop}`], `${tool} from ${scp.name}`);
        assert.ok(files.get(`MR.${mr.sop}`)!.equals(expected), `${tool} from ${scp.name}: byte-identical`);
      }
    }
    // -F: the data set alone, no preamble or file meta, from both movescus; --no-port is the default.
    const scp = scps[0]!;
    const expected = dataSetBytes(await storedCopy(scp.store, mr.sop));
    const { readFileSync } = await import('node:fs');
    for (const tool of TOOLS) {
      const dir = fresh(`movescu-port-F-${tool}`);
      const query = ['-S', '-k', '0008,0052=STUDY', '-k', `StudyInstanceUID=${mr.study}`, '-aet', 'MOVESCU'];
      const r = await runTool(
        tool,
        'movescu',
        [...query, '+B', '-F', '--port', String(moveScuPort), '-od', dir, 'localhost', String(scp.port)],
        { cwd: dir },
      );
      assert.equal(r.status, 0, `${tool} movescu -F: ${r.stdout}${r.stderr}`);
      assert.ok(readFileSync(join(dir, `MR.${mr.sop}`)).equals(expected), `${tool} -F: the data set alone`);
      const noPort = await runTool(tool, 'movescu', [
        '--no-port',
        '-S',
        '-k',
        '0008,0052=STUDY',
        'localhost',
        '1',
      ]);
      assert.doesNotMatch(`${noPort.stdout}${noPort.stderr}`, /unknown option|port number/i, tool);
    }
    // +ti -e: both movescus re-encode what they receive the same way.
    const reencoded = new Map<string, { ts: string; data: Buffer }>();
    for (const tool of TOOLS) {
      const dir = fresh(`movescu-port-ti-${tool}`);
      const query = ['-S', '-k', '0008,0052=STUDY', '-k', `StudyInstanceUID=${mr.study}`, '-aet', 'MOVESCU'];
      const r = await runTool(
        tool,
        'movescu',
        [...query, '+ti', '-e', '--port', String(moveScuPort), '-od', dir, 'localhost', String(scp.port)],
        { cwd: dir },
      );
      assert.equal(r.status, 0, `${tool} movescu +ti: ${r.stdout}${r.stderr}`);
      const path = join(dir, `MR.${mr.sop}`);
      reencoded.set(tool, {
        ts: (await readDicomFile(path, { stopAtTag: 0x00080000 })).transferSyntax.uid,
        data: dataSetBytes(path),
      });
    }
    assert.equal(reencoded.get('dicomkit')!.ts, '1.2.840.10008.1.2');
    assert.equal(reencoded.get('dicomkit')!.ts, reencoded.get('dcmtk')!.ts);
    assert.ok(
      reencoded.get('dicomkit')!.data.equals(reencoded.get('dcmtk')!.data),
      'movescu +ti -e: same data set',
    );
  });

  test('getscu -v localhost PORT query.dcm, query.dcm made by dicomkit dump2dcm', {
    timeout: 30_000,
  }, async () => {
    const dump = join(work, 'query.txt');
    writeFileSync(
      dump,
      ['(0008,0052) CS [STUDY]', '(0010,0020) LO [4MR1]', `(0020,000d) UI [${mr.study}]`, ''].join('\n'),
    );
    const query = join(work, 'query.dcm');
    const made = await runTool('dicomkit', 'dump2dcm', [dump, query]);
    assert.equal(made.status, 0, made.stderr);
    const runs = scps.flatMap((scp) => TOOLS.map((tool) => ({ scp, tool })));
    await Promise.all(
      runs.map(async ({ scp, tool }) => {
        const expected = dataSetBytes(await storedCopy(scp.store, mr.sop));
        // Verbatim: no -od, so the files land in the working directory.
        const cwd = fresh(`get-${scp.name}-${tool}`);
        const r = await runTool(tool, 'getscu', ['-v', 'localhost', String(scp.port), query], { cwd });
        assert.equal(r.status, 0, `${tool} getscu -> ${scp.name}: ${r.stdout}${r.stderr}`);
        assert.ok(logLines(r).includes('I: Received C-GET Response (Success)'), logLines(r).join('\n'));
        const files = receivedFiles(cwd);
        assert.deepEqual([...files.keys()], [`MR.${mr.sop}`]);
        assert.ok(
          files.get(`MR.${mr.sop}`)!.equals(expected),
          `${tool} getscu from ${scp.name}: byte-identical`,
        );
      }),
    );
  });

  test('failures: one clear line each and DCMTK exit codes, the same from both tools', {
    timeout: 30_000,
  }, async () => {
    const scp = scps[0]!;
    const closed = await freePort();
    const cases: { program: string; args: string[]; status: number; line: RegExp }[] = [
      {
        program: 'echoscu',
        args: ['localhost', String(closed)],
        status: 1,
        line: /Association Request Failed/,
      },
      {
        program: 'echoscu',
        args: ['-aec', 'NOBODY', 'localhost', String(scp.port)],
        status: 1,
        line: /Rejected/i,
      },
      {
        program: 'movescu',
        args: ['-aec', 'NOBODY', '-k', 'PatientID=1CT1', 'localhost', String(scp.port)],
        status: 61,
        line: /Rejected/i,
      },
      {
        program: 'movescu',
        args: [
          '-P',
          '-k',
          '0008,0052=PATIENT',
          '-k',
          'PatientID=1CT1',
          '-aem',
          'NOWHERE',
          'localhost',
          String(scp.port),
        ],
        status: 69,
        line: /Move response with error status \(Refused: MoveDestinationUnknown\)/,
      },
      {
        // DCMTK's findscu exits 2 when its queries fail (1 is for the command line).
        program: 'findscu',
        args: ['-P', '-k', 'PatientID=1CT1', 'localhost', String(closed)],
        status: 2,
        line: /Association Request Failed/,
      },
      {
        program: 'movescu',
        args: ['-P', 'localhost', String(closed)],
        status: 1,
        line: /either query file or override keys/,
      },
      {
        program: 'storescu',
        args: ['localhost', String(scp.port), join(work, 'missing.dcm')],
        status: 1,
        line: /cannot access file/,
      },
    ];
    const outcomes = new Map<string, PeerResult>();
    await Promise.all(
      cases.map(async (c) => {
        const r = await Promise.all(TOOLS.map((tool) => runTool(tool, c.program, c.args)));
        outcomes.set(`${c.program} ${c.args[0]}`, r[0]!);
        for (const [i, tool] of TOOLS.entries()) {
          assert.equal(
            r[i]!.status,
            c.status,
            `${tool} ${c.program} ${c.args.join(' ')}: ${r[i]!.stdout}${r[i]!.stderr}`,
          );
        }
        const lines = logLines(r[0]!).filter((l) => /^[WEF]: /.test(l));
        assert.ok(
          lines.length >= 1 && lines.some((l) => c.line.test(l)),
          `${c.program}: ${lines.join('\n')}`,
        );
        // One line for the failure (the rejection reason in words, not a stack).
        assert.ok(lines.length <= 2, lines.join('\n'));
      }),
    );
    const rejected = outcomes.get('echoscu -aec')!;
    assert.match(
      rejected.stderr,
      /^F: Association Rejected: rejected-permanent, source: DICOM UL service-user, reason: called-AE-title-not-recognized$/m,
    );
  });
});

describe('storescu into storescp: dicomkit and DCMTK, each way', () => {
  const files = [
    'CT_small.dcm',
    'MR_small.dcm',
    'rtplan.dcm',
    'rtdose.dcm',
    'waveform_ecg.dcm',
    'reportsi.dcm',
    'ExplVR_BigEnd.dcm',
  ].map((f) => join(FIXTURES, f));

  test('same file names (MODALITY.SOPInstanceUID) and data sets whichever storescu sends to whichever storescp', {
    timeout: 40_000,
  }, async () => {
    const [dkPort, dtPort] = await Promise.all([freePort(), freePort()]);
    const dkDir = fresh('pair-dicomkit');
    const dtDir = fresh('pair-dcmtk');
    const scps = await Promise.all([
      startDicomkit(['storescp', '--host', '127.0.0.1', '-od', dkDir, String(dkPort)], dkPort),
      startPeer('storescp', ['+xa', '+B', '-od', dtDir, String(dtPort)], dtPort),
    ]);
    try {
      const results = new Map<string, Map<string, Buffer>>();
      for (const [scp, port, dir] of [
        ['dicomkit', dkPort, dkDir],
        ['dcmtk', dtPort, dtDir],
      ] as const) {
        for (const tool of TOOLS) {
          rmSync(dir, { recursive: true, force: true });
          mkdirSync(dir);
          const r = await runTool(tool, 'storescu', ['127.0.0.1', String(port), ...files]);
          assert.equal(r.status, 0, `${tool} storescu -> ${scp} storescp: ${r.stdout}${r.stderr}`);
          results.set(`${tool} -> ${scp}`, receivedFiles(dir));
        }
      }
      // Both storescps write what arrives, so for one sender they hold the same bytes; dicomkit's
      // storescu sends each file's data set as it lies on disk (DCMTK's re-encodes it).
      const names = [...results.get('dcmtk -> dcmtk')!.keys()];
      assert.equal(names.length, files.length);
      assert.ok(names.includes('RP.1.2.777.777.77.7.7777.7777.20030903150023'));
      for (const [combination, got] of results) assert.deepEqual([...got.keys()], names, combination);
      for (const sender of TOOLS) {
        const [a, b] = [results.get(`${sender} -> dicomkit`)!, results.get(`${sender} -> dcmtk`)!];
        for (const name of names) assert.ok(a.get(name)!.equals(b.get(name)!), `${sender} storescu: ${name}`);
      }
      const originals = new Map<string, Buffer>();
      for (const file of files) {
        const ds = (await readDicomFile(file, { stopAtTag: 0x00080019 })).dataset;
        originals.set(ds.string('SOPInstanceUID')!.trim(), dataSetBytes(file));
      }
      for (const [name, bytes] of results.get('dicomkit -> dicomkit')!) {
        const original = originals.get(name.replace(/^[A-Za-z]+\./, ''))!;
        // Files in a syntax the peer took go as stored; implicit VR ones are converted (PS3.5 §10).
        if (!/^R[PD]\./.test(name)) assert.ok(bytes.equals(original), `${name} as stored`);
      }
    } finally {
      await Promise.all(scps.map((s) => s.stop()));
    }
  });

  test('storescp -su PREFIX sorts into PREFIX_StudyInstanceUID; a refused store exits with its status byte', {
    timeout: 30_000,
  }, async () => {
    const port = await freePort();
    const dir = fresh('sorted');
    const scp = await startDicomkit(
      ['storescp', '--host', '127.0.0.1', '-od', dir, '-su', 'ST', String(port)],
      port,
    );
    try {
      const r = await runTool('dicomkit', 'storescu', ['127.0.0.1', String(port), CT, MR]);
      assert.equal(r.status, 0, r.stderr);
      const ctSet = (await readDicomFile(CT)).dataset;
      const mrSet = (await readDicomFile(MR)).dataset;
      assert.deepEqual(
        [...receivedFiles(dir).keys()],
        [
          `ST_${ctSet.string('StudyInstanceUID')!.trim()}/CT.${ctSet.string('SOPInstanceUID')!.trim()}`,
          `ST_${mrSet.string('StudyInstanceUID')!.trim()}/MR.${mrSet.string('SOPInstanceUID')!.trim()}`,
        ].sort(),
      );
      // A SOP Instance UID that is no UID never becomes a file name: the store is refused with
      // 0xC000, and storescu (both) exits with its high byte, as DCMTK's storescu does.
      const bad = new DataSet();
      bad.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
      bad.set('SOPInstanceUID', '1.2.3.4.5.bad..uid');
      bad.set('StudyInstanceUID', '1.2.3');
      const badFile = join(work, 'bad-uid.dcm');
      await writeDicomFile(badFile, bad, { transferSyntax: '1.2.840.10008.1.2.1' });
      for (const tool of TOOLS) {
        const refused = await runTool(tool, 'storescu', ['127.0.0.1', String(port), badFile]);
        assert.equal(refused.status, 0xc0, `${tool}: ${refused.stdout}${refused.stderr}`);
      }
      assert.equal(storedNames(dir).filter((n) => !n.startsWith('ST_')).length, 0, 'nothing left behind');
    } finally {
      await scp.stop();
    }
  });
});

describe('storescp refuses a data set that is not the instance its command names', () => {
  test('A900 from both storescps; dicomkit keeps no file of it', { timeout: 30_000 }, async () => {
    const [dkPort, dtPort] = await Promise.all([freePort(), freePort()]);
    const dkDir = fresh('mismatch-dicomkit');
    const dtDir = fresh('mismatch-dcmtk');
    const scps = await Promise.all([
      startDicomkit(['storescp', '--host', '127.0.0.1', '-od', dkDir, String(dkPort)], dkPort),
      startPeer('storescp', ['-od', dtDir, String(dtPort)], dtPort),
    ]);
    try {
      const file = await readDicomFile(CT);
      const { readFileSync } = await import('node:fs');
      const data = readFileSync(CT).subarray(file.dataSetOffset);
      const ae = new ApplicationEntity({ aeTitle: 'MISMATCH' });
      for (const port of [dkPort, dtPort]) {
        const assoc = await ae.associate({
          host: '127.0.0.1',
          port,
          contexts: [{ abstractSyntax: CT_IMAGE, transferSyntaxes: [file.transferSyntax.uid] }],
        });
        const statuses: number[] = [];
        for (const sopInstanceUid of ['2.25.424242', file.dataset.string('SOPInstanceUID')!.trim()]) {
          statuses.push(
            await assoc
              .store({ sopClassUid: CT_IMAGE, sopInstanceUid, transferSyntax: file.transferSyntax.uid, data })
              .then(
                (r) => r.status,
                (e: { status?: number }) => e.status ?? -1,
              ),
          );
        }
        await assoc.release();
        assert.deepEqual(statuses, [0xa900, 0], `port ${port}`);
      }
      // DCMTK's storescp writes the file before it checks and leaves it; dicomkit keeps nothing it refused.
      assert.deepEqual(
        storedNames(dkDir).filter((n) => n.includes('424242')),
        [],
      );
      assert.deepEqual(
        storedNames(dtDir).filter((n) => n.includes('424242')),
        ['CT.2.25.424242'],
      );
    } finally {
      await Promise.all(scps.map((s) => s.stop()));
    }
  });
});

describe('storescp --exec-on-reception / --exec-on-eostudy, both tools', () => {
  test('the same commands run with the same placeholders: one per object, one per study (next study or -tos)', {
    timeout: 40_000,
  }, async () => {
    const logs = new Map<string, string[]>();
    for (const tool of TOOLS) {
      const port = await freePort();
      const dir = fresh(`hooks-${tool}`);
      const log = join(work, `hooks-${tool}.log`);
      const args = [
        '-od',
        dir,
        '-su',
        'ST',
        '-xcr',
        `echo "R #a #c #f $(basename #p)" >> ${log}`,
        '-xcs',
        `echo "S #a $(basename #p)" >> ${log}`,
        '-tos',
        '1',
        '-xs',
      ];
      const scp = await startStorescp(tool, args, port);
      try {
        const r = await runTool('dcmtk', 'storescu', ['127.0.0.1', String(port), CT, MR]);
        assert.equal(r.status, 0, r.stderr);
        // The second study ends by the timeout: wait for its line.
        const deadline = Date.now() + 10_000;
        let lines: string[] = [];
        while (Date.now() < deadline) {
          const { existsSync, readFileSync } = await import('node:fs');
          lines = existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : [];
          if (lines.length >= 4) break;
          await new Promise((resolve) => setTimeout(resolve, 100));
        }
        logs.set(tool, lines);
      } finally {
        await scp.stop();
      }
    }
    const ctStudy = (await readDicomFile(CT)).dataset.string('StudyInstanceUID')!.trim();
    const mrStudy = (await readDicomFile(MR)).dataset.string('StudyInstanceUID')!.trim();
    const ctUid = (await readDicomFile(CT)).dataset.string('SOPInstanceUID')!.trim();
    const mrUid = (await readDicomFile(MR)).dataset.string('SOPInstanceUID')!.trim();
    // As DCMTK: an object's own command runs first, then the end of the study it ended.
    assert.deepEqual(logs.get('dicomkit'), [
      `R STORESCU ANY-SCP CT.${ctUid} ST_${ctStudy}`,
      `R STORESCU ANY-SCP MR.${mrUid} ST_${mrStudy}`,
      `S STORESCU ST_${ctStudy}`,
      `S STORESCU ST_${mrStudy}`,
    ]);
    assert.deepEqual(logs.get('dcmtk'), logs.get('dicomkit'));
    const misuse = await Promise.all(TOOLS.map((tool) => runTool(tool, 'storescp', ['-xcs', 'true', '104'])));
    for (const r of misuse) {
      assert.equal(r.status, 1);
      assert.match(`${r.stdout}${r.stderr}`, /--exec-on-eostudy only allowed with --sort-conc-studies/);
    }
  });
});

describe('storescp -F and the test aids (--sleep-after, --abort-after, --abort-during), both tools', () => {
  test('-F writes the same data-set-only file as DCMTK storescp -F +B; storescu sees the same sleeps and aborts', {
    timeout: 60_000,
  }, async () => {
    const files = new Map<string, Buffer>();
    const outcomes = new Map<string, string[]>();
    for (const tool of TOOLS) {
      const results: string[] = [];
      for (const flags of [['-F'], ['--sleep-after', '1'], ['--abort-after'], ['--abort-during']]) {
        const port = await freePort();
        const dir = fresh(`aids-${tool}-${flags[0]}`);
        const args = ['-od', dir, ...flags, ...(tool === 'dcmtk' ? ['+B'] : [])];
        const scp = await startStorescp(tool, args, port);
        try {
          const start = performance.now();
          const r = await runTool('dcmtk', 'storescu', ['127.0.0.1', String(port), CT]);
          const slept = performance.now() - start >= 900;
          results.push(`${flags[0]}: exit ${r.status}${slept ? ', slept' : ''}`);
          if (flags[0] === '-F') files.set(tool, [...receivedFiles(dir).values()][0]!);
        } finally {
          await scp.stop();
        }
      }
      outcomes.set(tool, results);
    }
    assert.deepEqual(outcomes.get('dicomkit'), [
      '-F: exit 0',
      '--sleep-after: exit 0, slept',
      '--abort-after: exit 10',
      '--abort-during: exit 10',
    ]);
    assert.deepEqual(outcomes.get('dcmtk'), outcomes.get('dicomkit'));
    assert.ok(files.get('dicomkit')!.equals(files.get('dcmtk')!), '-F: the same bytes');
    assert.notEqual(files.get('dicomkit')!.subarray(128, 132).toString('latin1'), 'DICM');
  });
});

describe('storescu stops at a refused store (--halt, the default) and goes on with -nh, both tools', () => {
  test('the SCP sees the same requests from both tools and both exit with the status byte', {
    timeout: 60_000,
  }, async () => {
    // Four instances; the SCP refuses the second with A700 (out of resources).
    const dir = fresh('halt-files');
    const uids: string[] = [];
    for (let n = 1; n <= 4; n++) {
      const ds = new DataSet();
      ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
      ds.set('SOPInstanceUID', `1.2.826.0.1.3680043.8.498.91.${n}`);
      ds.set('StudyInstanceUID', '1.2.826.0.1.3680043.8.498.91');
      ds.set('SeriesInstanceUID', '1.2.826.0.1.3680043.8.498.91.0');
      ds.set('PatientID', 'HALT');
      await writeDicomFile(join(dir, `sc${n}.dcm`), ds, { transferSyntax: EXPLICIT });
      uids.push(`1.2.826.0.1.3680043.8.498.91.${n}`);
    }
    let seen: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'REFUSER' }).listen({
      port: 0,
      handlers: {
        store: async (req) => {
          seen.push(req.sopInstanceUid);
          await req.data.discard();
          return req.sopInstanceUid === uids[1] ? 0xa700 : 0;
        },
      },
    });
    const runs = new Map<string, string[]>();
    try {
      for (const tool of TOOLS) {
        for (const flags of [[], ['-nh'], ['--repeat', '3']]) {
          seen = [];
          // Named one by one: DCMTK's +sd takes a directory in readdir order.
          const files = [1, 2, 3, 4].map((n) => join(dir, `sc${n}.dcm`));
          const r = await runTool(tool, 'storescu', [...flags, '127.0.0.1', String(server.port), ...files]);
          runs.set(`${tool} ${flags.join(' ')}`, [
            `exit ${r.status}`,
            ...seen.map((u) => u.split('.').pop()!),
          ]);
        }
      }
    } finally {
      await server.close({ abort: true });
    }
    // --halt: nothing is sent after the refused store, and the run exits with its high byte.
    assert.deepEqual(runs.get('dicomkit '), ['exit 167', '1', '2']);
    // -nh: every file is sent; a refused store does not change the exit code.
    assert.deepEqual(runs.get('dicomkit -nh'), ['exit 0', '1', '2', '3', '4']);
    // --repeat: each file three times, until the first refusal.
    assert.deepEqual(runs.get('dicomkit --repeat 3'), ['exit 167', '1', '1', '1', '2']);
    for (const flags of ['', '-nh', '--repeat 3'])
      assert.deepEqual(runs.get(`dicomkit ${flags}`), runs.get(`dcmtk ${flags}`), `storescu ${flags}`);
  });
});

describe('storescu read modes: +fo wants file meta, -f a bare data set, both tools', () => {
  test('the same exit codes for a Part 10 file and a data-set-only file under +f, +fo and -f', {
    timeout: 40_000,
  }, async () => {
    const port = await freePort();
    const scp = await startPeer('storescp', ['--ignore', String(port)], port);
    const bare = join(work, 'ct-dataset-only.dcm');
    writeFileSync(bare, dataSetBytes(CT));
    try {
      const outcomes = new Map<string, number[]>();
      for (const tool of TOOLS) {
        const codes: number[] = [];
        for (const [flag, file] of [
          ['+f', CT],
          ['+f', bare],
          ['+fo', CT],
          ['+fo', bare],
          ['-f', CT],
          ['-f', bare],
        ] as const) {
          const r = await runTool(tool, 'storescu', [flag, '-up', '127.0.0.1', String(port), file]);
          codes.push(r.status ?? -1);
        }
        outcomes.set(tool, codes);
      }
      assert.deepEqual(outcomes.get('dicomkit'), [0, 0, 0, 1, 1, 0]);
      assert.deepEqual(outcomes.get('dcmtk'), outcomes.get('dicomkit'));
    } finally {
      await scp.stop();
    }
  });
});

describe('storescu +II, +IR, +IS, +IP (invented identities)', () => {
  test('five sends of one file: five instances in three series, two studies, one patient, both tools', {
    timeout: 60_000,
  }, async () => {
    const original = await readDicomFile(MR);
    for (const tool of TOOLS) {
      const port = await freePort();
      const dir = fresh(`invent-${tool}`);
      const scp = await startStorescp('dcmtk', ['-od', dir], port);
      try {
        const run = await runTool(tool, 'storescu', [
          '-v',
          '+IR',
          '2',
          '+IS',
          '2',
          '+IP',
          '2',
          '--repeat',
          '5',
          '127.0.0.1',
          String(port),
          MR,
        ]);
        assert.equal(run.status, 0, run.stdout + run.stderr);
        // DCMTK's log line, with its counters, before every send.
        const inventing = `${run.stdout}${run.stderr}`
          .split('\n')
          .filter((l) => l.startsWith('I: Inventing'));
        assert.deepEqual(
          inventing.map((l) => l.replace(/^I: Inventing Identifying Information /, '')),
          [
            '(pa0, st0, se0, im0):',
            '(pa0, st0, se0, im1):',
            '(pa0, st0, se1, im0):',
            '(pa0, st0, se1, im1):',
            '(pa0, st1, se0, im0):',
          ],
          tool,
        );
      } finally {
        await scp.stop();
      }
      const received = await Promise.all(readdirSync(dir).map((name) => readDicomFile(join(dir, name))));
      const distinct = (keyword: 'SOPInstanceUID' | 'SeriesInstanceUID' | 'StudyInstanceUID' | 'PatientID') =>
        new Set(received.map((f) => f.dataset.string(keyword))).size;
      assert.deepEqual(
        (['SOPInstanceUID', 'SeriesInstanceUID', 'StudyInstanceUID', 'PatientID'] as const).map(distinct),
        [5, 3, 2, 1],
        tool,
      );
      for (const file of received) {
        // Nothing of the original identities is left; the pixels are the same.
        assert.notEqual(file.dataset.string('PatientID'), original.dataset.string('PatientID'));
        assert.notEqual(file.dataset.string('StudyInstanceUID'), original.dataset.string('StudyInstanceUID'));
        assert.deepEqual(file.dataset.get('Rows'), original.dataset.get('Rows'));
        assert.deepEqual(file.dataset.bytes('PixelData'), original.dataset.bytes('PixelData'));
      }
      assert.deepEqual(received.map((f) => f.dataset.number('InstanceNumber')).sort(), [0, 0, 0, 1, 1], tool);
    }
  });
});

describe('storescp --reject', () => {
  test('a request without an Implementation Class UID is rejected, both tools', {
    timeout: 30_000,
  }, async () => {
    const ports = await Promise.all(TOOLS.map(() => freePort()));
    const scps = await Promise.all(
      TOOLS.map((tool, i) => startStorescp(tool, ['--reject', '-od', fresh(`reject-${tool}`)], ports[i]!)),
    );
    try {
      for (const port of ports) {
        const answers: number[] = [];
        for (const implementationClassUid of [null, undefined]) {
          const reply = await new Promise<Buffer>((done, fail) => {
            const socket = connect(port, '127.0.0.1', () =>
              socket.write(
                encodePdu(associateRq(implementationClassUid === null ? { implementationClassUid } : {})),
              ),
            );
            socket.once('data', (data: Buffer) => {
              socket.destroy();
              done(data);
            });
            socket.once('error', fail);
            socket.setTimeout(10_000, () => fail(new Error('no answer')));
          });
          answers.push(reply[0]!);
          // A-ASSOCIATE-RJ: result 1 (permanent), source 1 (service user), reason 1 (no reason given).
          if (reply[0] === 0x03) assert.deepEqual([...reply.subarray(7, 10)], [1, 1, 1], `port ${port}`);
        }
        // Without the item: A-ASSOCIATE-RJ (03H); with it: A-ASSOCIATE-AC (02H).
        assert.deepEqual(answers, [0x03, 0x02], `port ${port}`);
      }
    } finally {
      await Promise.all(scps.map((s) => s.stop()));
    }
  });
});

describe('storescp -pm (promiscuous): a private SOP class is taken as storage, both tools', () => {
  test('refused without -pm; with it stored as UNKNOWN.<uid> by both', { timeout: 30_000 }, async () => {
    const PRIVATE = '1.2.826.0.1.3680043.9.7777.1.1';
    const ds = new DataSet();
    ds.set('SOPClassUID', PRIVATE);
    ds.set('SOPInstanceUID', '2.25.5555');
    ds.set('StudyInstanceUID', '2.25.5556');
    const { DataSetEncoder } = await import('../../src/object/index.ts');
    const data = Buffer.concat(
      new DataSetEncoder().encode(ds, { explicitVR: true, littleEndian: true }) as Uint8Array[],
    );
    const ae = new ApplicationEntity({ aeTitle: 'PRIVATE' });
    const outcomes = new Map<string, string[]>();
    for (const tool of TOOLS) {
      const seen: string[] = [];
      for (const promiscuous of [false, true]) {
        const port = await freePort();
        const dir = fresh(`pm-${tool}-${promiscuous}`);
        const args = ['-od', dir, ...(promiscuous ? ['-pm'] : [])];
        const scp = await startStorescp(tool, args, port);
        try {
          const assoc = await ae.associate({
            host: '127.0.0.1',
            port,
            contexts: [
              { abstractSyntax: PRIVATE, transferSyntaxes: [EXPLICIT] },
              { abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: [EXPLICIT] },
            ],
          });
          const accepted = assoc.contexts[0]!.accepted;
          if (accepted) {
            const r = await assoc.store({
              sopClassUid: PRIVATE,
              sopInstanceUid: '2.25.5555',
              transferSyntax: EXPLICIT,
              data,
            });
            seen.push(`stored ${r.status}: ${storedNames(dir).join(',')}`);
          } else seen.push('refused');
          await assoc.release();
        } finally {
          await scp.stop();
        }
      }
      outcomes.set(tool, seen);
    }
    assert.deepEqual(outcomes.get('dicomkit'), ['refused', 'stored 0: UNKNOWN.2.25.5555']);
    assert.deepEqual(outcomes.get('dcmtk'), outcomes.get('dicomkit'));
  });
});

describe('-xf association profiles (DCMTK configuration files), both tools', () => {
  // DCMTK's own sample files, and one of the test's with a UID value, keys in other cases and a
  // transfer syntax list in an order of preference of its own.
  const SAMPLE_SCP = '/etc/dcmtk/storescp.cfg';
  const NARROW = [
    '[[TransferSyntaxes]]',
    '[ImplicitFirst]',
    'TransferSyntax1 = LittleEndianImplicit',
    'TransferSyntax2 = LocalEndianExplicit',
    '[ExplicitOnly]',
    'transfersyntax1 = 1.2.840.10008.1.2.1',
    '[ImplicitOnly]',
    'TransferSyntax1 = LittleEndianImplicit',
    '[[PresentationContexts]]',
    '[NarrowSCP]',
    'PresentationContext1 = VerificationSOPClass\\ExplicitOnly',
    'PresentationContext2 = CTImageStorage\\ImplicitFirst',
    'PresentationContext3 = 1.2.840.10008.5.1.4.1.1.4\\ExplicitOnly',
    '[NarrowSCU]',
    'PresentationContext1 = CTImageStorage\\ExplicitOnly',
    'PresentationContext2 = MRImageStorage\\ImplicitOnly',
    '[[Profiles]]',
    '[Narrow]',
    'PresentationContexts = NarrowSCP',
    '[Sender]',
    'presentationcontexts = NarrowSCU',
    '',
  ].join('\n');

  /** The A-ASSOCIATE-AC as DCMTK's storescu -d prints it: each context's result and syntax. */
  function acceptance(result: PeerResult): string[] {
    const out = `${result.stdout}${result.stderr}`.split('\n');
    const start = out.findIndex((l) => l.includes('BEGIN A-ASSOCIATE-AC'));
    const end = out.findIndex((l) => l.includes('END A-ASSOCIATE-AC'));
    return out
      .slice(start, end)
      .filter((l) => /Context ID|Abstract Syntax|Accepted SCP\/SCU Role|Accepted Transfer Syntax/.test(l));
  }

  test("storescp -xf: DCMTK's sample profile and the test's own accept as DCMTK's storescp does", {
    timeout: 60_000,
  }, async () => {
    const narrow = join(work, 'narrow.cfg');
    writeFileSync(narrow, NARROW);
    for (const [file, profile] of [
      [SAMPLE_SCP, 'Default'],
      [narrow, 'Narrow'],
    ] as const) {
      const seen = new Map<string, { ac: string[]; code: number; files: Map<string, Buffer> }>();
      for (const tool of TOOLS) {
        const port = await freePort();
        const dir = fresh(`xf-scp-${tool}-${profile}`);
        const scp = await startStorescp(tool, ['-od', dir, '-xf', file, profile], port);
        try {
          const r = await runTool('dcmtk', 'storescu', ['-d', '-nh', '127.0.0.1', String(port), CT, MR]);
          const files = receivedFiles(dir);
          seen.set(tool, { ac: acceptance(r), code: r.status, files });
        } finally {
          await scp.stop();
        }
      }
      const ours = seen.get('dicomkit')!;
      const theirs = seen.get('dcmtk')!;
      assert.ok(theirs.ac.length > 0, `${profile}: DCMTK's storescu printed the A-ASSOCIATE-AC`);
      assert.deepEqual(ours.ac, theirs.ac, `${profile}: the same contexts accepted with the same syntaxes`);
      assert.equal(ours.code, theirs.code, profile);
      assert.deepEqual([...ours.files.keys()], [...theirs.files.keys()], profile);
      for (const [name, bytes] of theirs.files)
        assert.ok(ours.files.get(name)!.equals(bytes), `${profile}: ${name}`);
      if (profile === 'Narrow') {
        // It narrowed: classes outside the profile refused; CT's [EBE, ILE] context taken in
        // implicit VR, the one of the two the profile lists.
        assert.ok(ours.ac.some((l) => l.includes('Abstract Syntax Not Supported')));
        assert.ok(ours.ac.some((l) => l.includes('Accepted Transfer Syntax: =LittleEndianImplicit')));
      }
    }
    // Within one proposed context, the profile's order wins over the requestor's in both.
    const chosen = new Map<string, string | undefined>();
    for (const tool of TOOLS) {
      const port = await freePort();
      const scp = await startStorescp(tool, ['-od', fresh(`xf-pref-${tool}`), '-xf', narrow, 'Narrow'], port);
      try {
        const assoc = await new ApplicationEntity({ aeTitle: 'PREF' }).associate({
          host: '127.0.0.1',
          port,
          contexts: [{ abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT, '1.2.840.10008.1.2'] }],
        });
        chosen.set(tool, assoc.contexts[0]!.transferSyntax);
        await assoc.release();
      } finally {
        await scp.stop();
      }
    }
    assert.deepEqual(Object.fromEntries(chosen), {
      dicomkit: '1.2.840.10008.1.2',
      dcmtk: '1.2.840.10008.1.2',
    });
  });

  test('-xf with extended negotiation: both storescps answer what is asked with the profile bytes', {
    timeout: 60_000,
  }, async () => {
    const extended = join(work, 'extended.cfg');
    writeFileSync(
      extended,
      [
        '[[TransferSyntaxes]]',
        '[U]',
        'TransferSyntax1 = LittleEndianExplicit',
        '[[PresentationContexts]]',
        '[P]',
        'PresentationContext1 = CTImageStorage\\U',
        '[[ExtendedNegotiation]]',
        '[Answer]',
        'ExtendedNegotiation1 = CTImageStorage\\020003000000',
        '[Ask]',
        'ExtendedNegotiation1 = CTImageStorage\\010001',
        '[[Profiles]]',
        '[SCP]',
        'PresentationContexts = P',
        'ExtendedNegotiation = Answer',
        '[SCU]',
        'PresentationContexts = P',
        'ExtendedNegotiation = Ask',
        '',
      ].join('\n'),
    );
    /** A storescu sending CT with the asking profile, its negotiation printed. */
    const asking = (port: number): string[] => ['-d', '-xf', extended, 'SCU', '127.0.0.1', String(port), CT];
    const replies = new Map<string, string[]>();
    for (const tool of TOOLS) {
      const port = await freePort();
      const scp = await startStorescp(tool, ['-od', fresh(`xf-ext-${tool}`), '-xf', extended, 'SCP'], port);
      try {
        const r = await runTool('dcmtk', 'storescu', asking(port));
        assert.equal(r.status, 0, r.stderr);
        const out = `${r.stdout}${r.stderr}`.split('\n');
        const ac = out.slice(out.findIndex((l) => l.includes('BEGIN A-ASSOCIATE-AC')));
        const from = ac.findIndex((l) => l.includes('Accepted Extended Negotiation'));
        replies.set(tool, ac.slice(from, from + 3));
      } finally {
        await scp.stop();
      }
    }
    assert.deepEqual(replies.get('dicomkit'), replies.get('dcmtk'));
    assert.match(replies.get('dicomkit')!.join('\n'), /\[0x02, 0x00, 0x03, 0x00, 0x00, 0x00\]/);
    // And dicomkit's storescu asks and reads DCMTK storescp's answer.
    const port = await freePort();
    const scp = await startStorescp('dcmtk', ['-od', fresh('xf-ext-scu'), '-xf', extended, 'SCP'], port);
    try {
      const r = await runTool('dicomkit', 'storescu', asking(port));
      assert.equal(r.status, 0, r.stderr);
      assert.match(`${r.stdout}${r.stderr}`, /Extended negotiation.*3 bytes \[01 00 01\]/);
      assert.match(`${r.stdout}${r.stderr}`, /Extended negotiation.*6 bytes \[02 00 03 00 00 00\]/);
    } finally {
      await scp.stop();
    }
  });

  test('storescu -xf: the profile is proposed as DCMTK proposes it and the same files arrive', {
    timeout: 60_000,
  }, async () => {
    const narrow = join(work, 'narrow-scu.cfg');
    writeFileSync(narrow, NARROW);
    const seen = new Map<string, { code: number; files: Map<string, Buffer> }>();
    for (const tool of TOOLS) {
      const port = await freePort();
      const dir = fresh(`xf-scu-${tool}`);
      const scp = await startStorescp('dcmtk', ['-od', dir], port);
      try {
        const r = await runTool(tool, 'storescu', [
          '-xf',
          narrow,
          'Sender',
          '127.0.0.1',
          String(port),
          CT,
          MR,
        ]);
        const files = receivedFiles(dir);
        seen.set(tool, { code: r.status, files });
      } finally {
        await scp.stop();
      }
    }
    assert.equal(seen.get('dicomkit')!.code, 0);
    assert.equal(seen.get('dicomkit')!.code, seen.get('dcmtk')!.code);
    const theirs = seen.get('dcmtk')!.files;
    const ours = seen.get('dicomkit')!.files;
    assert.deepEqual([...ours.keys()].sort(), [...theirs.keys()].sort());
    for (const [name, bytes] of theirs) assert.ok(ours.get(name)!.equals(bytes), name);
    // MR went in implicit VR: the profile offers nothing else for it.
    const mr = [...ours.keys()].find((n) => n.startsWith('MR'))!;
    assert.equal(
      (await readDicomFile(join(work, 'xf-scu-dicomkit', mr))).transferSyntax.uid,
      '1.2.840.10008.1.2',
    );
    // Asking for both -xf and a proposal flag is refused, as DCMTK refuses it.
    for (const tool of TOOLS) {
      const r = await runTool(tool, 'storescu', ['-xf', narrow, 'Sender', '-xe', '127.0.0.1', '1', CT]);
      assert.notEqual(r.status, 0, tool);
    }
    const unknown = await runTool('dicomkit', 'storescu', ['-xf', narrow, 'Nope', '127.0.0.1', '1', CT]);
    assert.match(`${unknown.stderr}`, /unknown configuration profile name: Nope/);
  });
});

describe('echoscu -pts / -ppc (propose n transfer syntaxes, n contexts), both tools', () => {
  test('the same A-ASSOCIATE-RQ contexts from both; the same range errors', { timeout: 30_000 }, async () => {
    const proposed = new Map<string, string[][]>();
    const server = await new ApplicationEntity({ aeTitle: 'ANY-SCP' }).listen({
      port: 0,
      handlers: { echo: () => undefined },
      transferSyntaxPreference: 'requestor',
    });
    let last: string[][] = [];
    server.on('association-requested', ({ rq }: { rq: import('../../src/net/pdu/index.ts').AssociateRq }) => {
      last = rq.presentationContexts.map((c) => [c.abstractSyntax, ...c.transferSyntaxes]);
    });
    try {
      for (const tool of TOOLS) {
        const r = await runTool(tool, 'echoscu', [
          '-pts',
          '25',
          '-ppc',
          '3',
          '127.0.0.1',
          String(server.port),
        ]);
        assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
        proposed.set(tool, last);
      }
    } finally {
      await server.close({ abort: true });
    }
    assert.equal(proposed.get('dcmtk')!.length, 3);
    assert.equal(proposed.get('dcmtk')![0]!.length, 26);
    assert.deepEqual(proposed.get('dicomkit'), proposed.get('dcmtk'));
    for (const bad of [
      ['-pts', '39'],
      ['-ppc', '0'],
      ['-ppc', '129'],
    ]) {
      const said = await Promise.all(
        TOOLS.map(async (tool) => {
          const r = await runTool(tool, 'echoscu', [...bad, '127.0.0.1', '1']);
          assert.notEqual(r.status, 0, `${tool} ${bad}`);
          return /Invalid value for option [^\n]+/.exec(r.stderr)?.[0];
        }),
      );
      assert.ok(said[0], bad.join(' '));
      assert.equal(said[0], said[1], bad.join(' '));
    }
  });
});

/** The folder `tool`'s storescp with `flags` wrote `files` into, sent by DCMTK's storescu. */
async function storedBy(
  tool: (typeof TOOLS)[number],
  flags: readonly string[],
  files: readonly string[],
  name: string,
): Promise<string> {
  const port = await freePort();
  const dir = fresh(name);
  const scp = await startStorescp(tool, ['-od', dir, ...flags], port);
  try {
    const r = await runTool('dcmtk', 'storescu', ['127.0.0.1', String(port), ...files]);
    assert.equal(r.status, 0, `${tool} ${flags}: ${r.stderr}`);
  } finally {
    await scp.stop();
  }
  return dir;
}

describe('storescp output encodings (+te +tb +ti +td -e -g +g +cl), both tools', () => {
  test('the same data set bytes from both storescps; the same conflicts refused', {
    timeout: 90_000,
  }, async () => {
    const files = [CT, MR, join(FIXTURES, 'rtplan.dcm'), join(FIXTURES, 'reportsi.dcm')];
    const deflatedSizes = new Map<string, number>();
    for (const flags of [
      ['+ti'],
      ['+tb'],
      ['+te', '-e'],
      ['-g'],
      ['+g'],
      ['+g', '+ti', '-e'],
      ['+td'],
      ['+td', '+cl', '1'],
      ['+td', '+cl', '9'],
    ]) {
      const seen = new Map<string, Map<string, { ts: string; data: Buffer }>>();
      for (const tool of TOOLS) {
        const dir = await storedBy(tool, flags, files, `out-${tool}-${flags.join('')}`);
        const out = new Map<string, { ts: string; data: Buffer }>();
        for (const [name, data] of receivedFiles(dir)) {
          const ts = (await readDicomFile(join(dir, name), { stopAtTag: 0x00080000 })).transferSyntax.uid;
          // Deflate streams differ with the compressor's settings: compare what they hold.
          out.set(name, { ts, data: ts === '1.2.840.10008.1.2.1.99' ? inflateRawSync(data) : data });
          if (flags.includes('+cl') && name.startsWith('CT'))
            deflatedSizes.set(`${tool} ${flags[2]}`, data.length);
        }
        seen.set(tool, out);
      }
      const ours = seen.get('dicomkit')!;
      const theirs = seen.get('dcmtk')!;
      assert.deepEqual([...ours.keys()], [...theirs.keys()], flags.join(' '));
      assert.equal(ours.size, files.length);
      for (const [name, file] of theirs) {
        assert.equal(ours.get(name)!.ts, file.ts, `${flags} ${name}`);
        assert.ok(ours.get(name)!.data.equals(file.data), `${flags} ${name}: data set bytes`);
      }
    }
    // +cl: the fastest level makes a bigger file than the best, in both.
    for (const tool of TOOLS)
      assert.ok(deflatedSizes.get(`${tool} 1`)! > deflatedSizes.get(`${tool} 9`)!, tool);
    for (const combo of [
      ['+xs', '+ti'],
      ['+B', '-g'],
      ['+xa', '+te'],
      ['+cl', '10', '+td'],
    ]) {
      const said = await Promise.all(
        TOOLS.map(async (tool) => {
          const r = await runTool(tool, 'storescp', [...combo, '1']);
          assert.notEqual(r.status, 0, `${tool} ${combo}`);
          return /(--[a-z-]+ not allowed with --[a-z-]+|Invalid value for option [^\n]+)/.exec(r.stderr)?.[1];
        }),
      );
      assert.ok(said[0], `${combo}: ${said}`);
      assert.equal(said[0], said[1], combo.join(' '));
    }
  });
});

describe('-u (new VRs as OB) and +p (padding): storescp and storescu, both tools', () => {
  /** A data set with the post-1993 VRs, a nested sequence and a trailing padding. */
  async function newVrObject(path: string, padding: boolean): Promise<void> {
    const ds = new DataSet();
    ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
    ds.set('SOPInstanceUID', '2.25.6061');
    ds.set('StudyInstanceUID', '2.25.6062');
    ds.set('SeriesInstanceUID', '2.25.6063');
    ds.set(0x00080119, 'long code value', 'UC');
    ds.set(0x00080120, 'http://example.com/x', 'UR');
    ds.set(0x0040a160, 'unlimited text', 'UT');
    ds.set(0x00660016, new Uint8Array([0, 0, 0xc0, 0x3f, 0, 0, 0x20, 0x40]), 'OF');
    ds.set(0x00660040, new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0]), 'OL');
    ds.set(0x00110010, 'PRIVATE', 'LO');
    ds.set(0x00111001, new Uint8Array([1, 2, 3, 4]), 'UN');
    const inner = new DataSet();
    inner.set(0x0040a160, 'text in an item', 'UT');
    const item = new DataSet();
    item.set('ReferencedSOPInstanceUID', '2.25.6064');
    item.set('ContentSequence', [inner]);
    ds.set('ReferencedImageSequence', [item, inner]);
    if (padding) ds.set(0xfffcfffc, new Uint8Array(6), 'OB');
    await writeDicomFile(path, ds, { transferSyntax: '1.2.840.10008.1.2.1' });
  }

  /** The data set bytes without the last element when it is a top-level (FFFC,FFFC). */
  function withoutTrailingPadding(data: Buffer, littleEndian: boolean): Buffer {
    const u32 = (at: number) => (littleEndian ? data.readUInt32LE(at) : data.readUInt32BE(at));
    for (let at = data.length - 8; at >= 0; at -= 2) {
      if (u32(at) !== 0xfffcfffc) continue;
      // Implicit VR: tag, 4-byte length; explicit: tag, OB, 2 reserved, 4-byte length.
      if (at + 8 + u32(at + 4) === data.length) return data.subarray(0, at);
      if (at + 12 <= data.length && at + 12 + u32(at + 8) === data.length) return data.subarray(0, at);
    }
    return data;
  }

  test('storescp -u and +p f i write what DCMTK storescp writes (the file a multiple of f, items of i)', {
    timeout: 90_000,
  }, async () => {
    const object = join(fresh('new-vr-in'), 'newvr.dcm');
    await newVrObject(object, true);
    const files = [object, CT, join(FIXTURES, 'reportsi.dcm')];
    for (const flags of [
      ['-u'],
      ['-u', '+tb'],
      ['+p', '256', '16'],
      ['+p', '100', '6', '+ti'],
      ['+p', '0', '8', '-u'],
    ]) {
      const seen = new Map<string, Map<string, Buffer>>();
      for (const tool of TOOLS) {
        const dir = await storedBy(tool, flags, files, `pad-${tool}-${flags.join('')}`);
        const padding = flags[0] === '+p' ? Number(flags[1]) : 0;
        const out = new Map<string, Buffer>();
        for (const [name, data] of receivedFiles(dir)) {
          // -u did change something: the UT of the new-VR object is OB.
          if (flags.includes('-u') && name.includes('2.25.6061'))
            assert.match(runPeer('dcmdump', ['-Un', join(dir, name)]).stdout, /\(0040,a160\) OB /);
          const size = readFileSync(join(dir, name)).length;
          if (padding) assert.equal(size % padding, 0, `${tool} ${flags}: ${name} is ${size} bytes`);
          // The top-level padding's length depends on the file meta, which differs between the
          // tools (implementation, source AE): the rest must be the same bytes.
          out.set(name, padding ? withoutTrailingPadding(data, !flags.includes('+tb')) : data);
        }
        seen.set(tool, out);
      }
      const ours = seen.get('dicomkit')!;
      const theirs = seen.get('dcmtk')!;
      assert.deepEqual([...ours.keys()], [...theirs.keys()], flags.join(' '));
      assert.equal(ours.size, files.length);
      for (const [name, data] of theirs)
        assert.ok(ours.get(name)!.equals(data), `${flags.join(' ')} ${name}: data set bytes`);
    }
    for (const combo of [
      ['+B', '-u'],
      ['+B', '+p', '256', '16'],
      ['-F', '+p', '256', '16'],
    ]) {
      const said = await Promise.all(
        TOOLS.map(async (tool) => {
          const r = await runTool(tool, 'storescp', [...combo, '1']);
          assert.notEqual(r.status, 0, `${tool} ${combo}`);
          return /(--[a-z-]+ not allowed with --[a-z-]+)/.exec(r.stderr)?.[1];
        }),
      );
      assert.ok(said[0], `${combo}: ${said}`);
      assert.equal(said[0], said[1], combo.join(' '));
    }
  });

  test('storescu -u sends the new VRs as OB and drops the trailing padding, as DCMTK storescu -u does', {
    timeout: 60_000,
  }, async () => {
    const object = join(fresh('new-vr-scu'), 'newvr.dcm');
    await newVrObject(object, true);
    const seen = new Map<string, string>();
    for (const tool of TOOLS) {
      for (const syntax of ['-xe', '-xb']) {
        const port = await freePort();
        const dir = fresh(`scu-u-${tool}${syntax}`);
        const scp = await startStorescp('dcmtk', ['-od', dir, '+B'], port);
        try {
          const r = await runTool(tool, 'storescu', ['-u', syntax, '127.0.0.1', String(port), object]);
          assert.equal(r.status, 0, `${tool}: ${r.stderr}`);
        } finally {
          await scp.stop();
        }
        const [name] = [...receivedFiles(dir).keys()];
        const dump = runPeer('dcmdump', ['+L', '-Un', join(dir, name!)]).stdout;
        // The meta names the sender; the data set is compared.
        seen.set(
          `${tool}${syntax}`,
          dump
            .split('\n')
            .filter((l) => /^\s*\([0-9a-f]{4},/.test(l) && !l.startsWith('(0002'))
            .join('\n'),
        );
      }
    }
    for (const syntax of ['-xe', '-xb']) {
      const ours = seen.get(`dicomkit${syntax}`)!;
      assert.equal(ours, seen.get(`dcmtk${syntax}`), syntax);
      assert.match(ours, /\(0040,a160\) OB /);
      assert.doesNotMatch(ours, / (UT|UC|UR|OF|OL|UN) /);
      // Re-encoded for the wire: the file's padding is not sent (PS3.10 §7.2).
      assert.doesNotMatch(ours, /\(fffc,fffc\)/);
    }
  });
});

describe('storescp --timenames and --rename-on-eostudy, both tools', () => {
  test('-tn names files by time and modality; -rns renames a finished study to MD000001...', {
    timeout: 40_000,
  }, async () => {
    const listings = new Map<string, string[]>();
    for (const tool of TOOLS) {
      for (const flags of [['-tn'], ['-su', 'ST', '-rns', '-tos', '1']]) {
        const port = await freePort();
        const dir = fresh(`names-${tool}-${flags[0]}`);
        const args = ['-od', dir, ...flags];
        const scp = await startStorescp(tool, args, port);
        try {
          const r = await runTool('dcmtk', 'storescu', ['127.0.0.1', String(port), CT, MR]);
          assert.equal(r.status, 0, r.stderr);
          if (flags[0] === '-tn') {
            const names = storedNames(dir);
            assert.equal(names.length, 2, `${tool}: ${names}`);
            for (const name of names) assert.match(name, /^\d{17}(_\d{4})?\.(CT|MR)$/, tool);
            continue;
          }
          // The MR study ends by the timeout.
          const deadline = Date.now() + 10_000;
          const listing = () => [...receivedFiles(dir).keys()].sort();
          while (Date.now() < deadline && !listing().some((n) => n.endsWith('MR000001')))
            await new Promise((resolve) => setTimeout(resolve, 100));
          listings.set(tool, listing());
        } finally {
          await scp.stop();
        }
      }
    }
    const ctStudy = (await readDicomFile(CT)).dataset.string('StudyInstanceUID')!.trim();
    const mrStudy = (await readDicomFile(MR)).dataset.string('StudyInstanceUID')!.trim();
    assert.deepEqual(listings.get('dicomkit'), [`ST_${ctStudy}/CT000001`, `ST_${mrStudy}/MR000001`].sort());
    assert.deepEqual(listings.get('dcmtk'), listings.get('dicomkit'));
  });
});

describe('storescu -xs to a peer that takes only JPEG Lossless', () => {
  test('the file is compressed on the fly, losslessly, as DCMTK storescu does', {
    timeout: 30_000,
  }, async () => {
    const out = join(fresh('jpeg-only'), 'received.dcm');
    const server = await new ApplicationEntity({ aeTitle: 'JPEGONLY' }).listen({
      port: 0,
      contexts: [{ abstractSyntax: '1.2.840.10008.5.1.4.1.1.2', transferSyntaxes: [JPEG_LOSSLESS] }],
      handlers: { store: (req) => req.writeFile(out) },
    });
    try {
      const r = await runTool('dicomkit', 'storescu', ['-v', '-xs', '127.0.0.1', String(server.port), CT]);
      assert.equal(r.status, 0, r.stderr);
      assert.ok(
        logLines(r).includes(
          'I: Converting transfer syntax: Little Endian Explicit -> JPEG Lossless, Non-hierarchical, 1st Order Prediction',
        ),
        r.stderr,
      );
    } finally {
      await server.close({ abort: true });
    }
    const received = await readDicomFile(out);
    assert.equal(received.transferSyntax.uid, JPEG_LOSSLESS);
    assert.equal(
      received.dataset.string('SOPInstanceUID')?.trim(),
      (await readDicomFile(CT)).dataset.string('SOPInstanceUID')?.trim(),
    );
    // DCMTK decodes it to the very pixels of the file.
    const decoded = join(work, 'jpeg-only', 'decoded.dcm');
    const d = await runPeerAsync('dcmdjpeg', [out, decoded]);
    assert.equal(d.status, 0, d.stderr);
    const pixels = (path: string) =>
      readDicomFile(path).then((f) => Buffer.from(f.dataset.bytes('PixelData')!));
    assert.ok((await pixels(decoded)).equals(await pixels(CT)));
  });
});

describe('user identity negotiation and --max-send-pdu: storescu, both tools', () => {
  test('a dicomkit SCP that checks identities lets alice in with a positive response and rejects a wrong password; DCMTK storescp sends no response, so -rsp fails', {
    timeout: 60_000,
  }, async () => {
    const seen: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'CHECKER' }).listen({
      port: 0,
      handlers: { store: () => 0 },
      verifyUserIdentity: ({ identity }) => {
        const user = identity ? Buffer.from(identity.primaryField).toString() : '';
        const password = identity ? Buffer.from(identity.secondaryField).toString() : '';
        seen.push(`${identity?.type}:${user}:${password}:${identity?.positiveResponseRequested}`);
        return user === 'alice' && password === 'secret'
          ? { accepted: true }
          : { accepted: false, why: `unknown user ${user}` };
      },
    });
    const dtPort = await freePort();
    const storescp = await startPeer('storescp', ['--ignore', String(dtPort)], dtPort);
    const send = (tool: (typeof TOOLS)[number], peerPort: string | number, ...flags: string[]) =>
      runTool(tool, 'storescu', [...flags, '127.0.0.1', String(peerPort), CT]);
    try {
      for (const tool of TOOLS) {
        const port = String(server.port);
        const ok = await send(tool, port, '-usr', 'alice', '-pwd', 'secret', '-rsp');
        assert.equal(ok.status, 0, `${tool}: ${ok.stdout}${ok.stderr}`);
        const wrong = await send(tool, port, '-usr', 'alice', '-pwd', 'guess');
        assert.equal(wrong.status, 1, `${tool}: ${wrong.stdout}${wrong.stderr}`);
        assert.match(wrong.stderr, /Association Rejected/, tool);
        assert.match(wrong.stderr, /service.user/i, tool);
        // DCMTK's storescp ignores user identities: no response, which -rsp does not accept.
        const noResponse = await send(tool, String(dtPort), '-usr', 'alice', '-rsp');
        assert.equal(noResponse.status, 1, `${tool}: ${noResponse.stdout}${noResponse.stderr}`);
        assert.match(
          noResponse.stderr,
          /^E: User Identity Negotiation failed: Positive response requested but none received$/m,
          tool,
        );
        const ignored = await send(tool, String(dtPort), '-usr', 'alice', '-epw');
        assert.equal(ignored.status, 0, `${tool}: ${ignored.stdout}${ignored.stderr}`);
        const capped = await send(tool, String(dtPort), '--max-send-pdu', '4096');
        assert.equal(capped.status, 0, `${tool}: ${capped.stdout}${capped.stderr}`);
        const underflow = await send(tool, String(dtPort), '--max-send-pdu', '100');
        assert.equal(underflow.status, 1, `${tool}: ${underflow.stdout}${underflow.stderr}`);
        assert.match(`${underflow.stdout}${underflow.stderr}`, /--max-send-pdu/, tool);
        const misuse = await send(tool, port, '-pwd', 'secret');
        assert.equal(misuse.status, 1, tool);
        assert.match(`${misuse.stdout}${misuse.stderr}`, /--password only allowed with --user/, tool);
      }
      // Both tools sent the same sub-items: type 2 with the password asked for a response, then not.
      assert.deepEqual(seen, [
        '2:alice:secret:true',
        '2:alice:guess:false',
        '2:alice:secret:true',
        '2:alice:guess:false',
      ]);
    } finally {
      await Promise.all([server.close({ abort: true }), storescp.stop()]);
    }
  });
});

describe('+cl: the deflate level of what storescu and findscu deflate, both tools', () => {
  test('storescu -xd +cl 0 sends the data set stored, +cl 9 smaller; +cl without -xd and a level past 9 are refused alike', {
    timeout: 60_000,
  }, async () => {
    const DEFLATED = '1.2.840.10008.1.2.1.99';
    let received: { ts: string; wire: number; inflated: Buffer }[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'DEFLATER' }).listen({
      port: 0,
      host: '127.0.0.1',
      storageTransferSyntaxes: [DEFLATED],
      handlers: {
        store: async (req) => {
          const chunks: Uint8Array[] = [];
          for await (const chunk of req.data) chunks.push(chunk);
          const wire = Buffer.concat(chunks);
          received.push({ ts: req.transferSyntax, wire: wire.length, inflated: inflateRawSync(wire) });
          return 0;
        },
      },
    });
    const sizes = new Map<string, { ts: string; wire: number; inflated: Buffer }>();
    try {
      for (const tool of TOOLS) {
        for (const level of ['0', '9']) {
          received = [];
          const r = await runTool(tool, 'storescu', [
            '-xd',
            '+cl',
            level,
            '127.0.0.1',
            String(server.port),
            MR,
          ]);
          assert.equal(r.status, 0, `${tool} +cl ${level}: ${r.stderr}`);
          assert.equal(received.length, 1);
          sizes.set(`${tool} ${level}`, received[0]!);
        }
      }
    } finally {
      await server.close({ abort: true });
    }
    for (const tool of TOOLS) {
      const stored = sizes.get(`${tool} 0`)!;
      const best = sizes.get(`${tool} 9`)!;
      assert.equal(stored.ts, DEFLATED);
      // Level 0 keeps every byte (plus deflate's block headers); 9 compresses.
      assert.ok(
        stored.wire >= stored.inflated.length,
        `${tool} +cl 0: ${stored.wire} >= ${stored.inflated.length}`,
      );
      assert.ok(
        best.wire < stored.inflated.length * 0.9,
        `${tool} +cl 9: ${best.wire} of ${stored.inflated.length}`,
      );
      assert.deepEqual(best.inflated, stored.inflated, `${tool}: the same data set at both levels`);
    }

    for (const [program, args, message] of [
      [
        'findscu',
        ['+cl', '3', '-k', 'PatientID', '127.0.0.1', '1'],
        '--compression-level only allowed with --propose-deflated',
      ],
      [
        'storescu',
        ['+cl', '3', '127.0.0.1', '1', MR],
        '--compression-level only allowed with --propose-deflated or --config-file',
      ],
      [
        'findscu',
        ['-xd', '+cl', '12', '-k', 'PatientID', '127.0.0.1', '1'],
        'Invalid value for option --compression-level (overflow: 12)',
      ],
    ] as const) {
      const ours = await runTool('dicomkit', program, args);
      const theirs = await runTool('dcmtk', program, args);
      assert.equal(ours.status, theirs.status, `${program} ${args.join(' ')}: exit codes`);
      assert.equal(ours.status, 1);
      assert.match(ours.stderr, new RegExp(message.replace(/[()]/g, '\\$&')));
      assert.match(theirs.stderr, new RegExp(message.replace(/[()]/g, '\\$&')));
    }
  });
});

describe('command files and --arguments', () => {
  test('echoscu --arguments @file prints the same expanded arguments from both tools', {
    timeout: 30_000,
  }, async () => {
    const file = join(work, 'echo-options.txt');
    writeFileSync(file, '-aet "MY AE"\n-v\n');
    const port = String(await freePort());
    const lines: string[] = [];
    for (const tool of TOOLS) {
      // Nothing listens on the port: both tools fail to connect after printing the line.
      const r = await runTool(tool, 'echoscu', ['--arguments', `@${file}`, '127.0.0.1', port]);
      assert.equal(r.status, 1, `${tool}: ${r.stdout}${r.stderr}`);
      const line = `${r.stdout}${r.stderr}`.split('\n').find((l) => l.startsWith('I: calling'));
      assert.ok(line, `${tool} printed its arguments: ${r.stderr}`);
      lines.push(line);
    }
    assert.equal(lines[0], lines[1]);
    assert.equal(
      lines[0],
      `I: calling 'echoscu' with 6 arguments: '--arguments' '--aetitle' 'MY AE' '--verbose' '127.0.0.1' '${port}' `,
    );
  });
});

describe('TLS options of the tools', () => {
  let key = '';
  let cert = '';
  before(() => {
    ({ key, cert } = selfSignedCertificate(fresh('tls')));
  });

  test('DCMTK echoscu/storescu +tls into dicomkit storescp +tls; dicomkit echoscu +tls into DCMTK storescp; +tla refused', {
    timeout: 30_000,
  }, async () => {
    const [dkPort, dtPort] = await Promise.all([freePort(), freePort()]);
    const dkDir = fresh('tls-rx');
    const scps = await Promise.all([
      startDicomkit(
        ['storescp', '--host', '127.0.0.1', '+tls', key, cert, '+cf', cert, '-od', dkDir, String(dkPort)],
        dkPort,
      ),
      startPeer(
        'storescp',
        ['+tls', key, cert, '+cf', cert, '-od', fresh('tls-rx-dcmtk'), String(dtPort)],
        dtPort,
      ),
    ]);
    try {
      const tlsArgs = ['+tls', key, cert, '+cf', cert];
      const runs = await Promise.all([
        ...TOOLS.map((tool) => runTool(tool, 'echoscu', [...tlsArgs, '127.0.0.1', String(dkPort)])),
        ...TOOLS.map((tool) => runTool(tool, 'echoscu', [...tlsArgs, '127.0.0.1', String(dtPort)])),
        runTool('dcmtk', 'storescu', [...tlsArgs, '127.0.0.1', String(dkPort), MR]),
      ]);
      for (const r of runs) assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.deepEqual(
        [...receivedFiles(dkDir).keys()],
        [`MR.${(await readDicomFile(MR)).dataset.string('SOPInstanceUID')!.trim()}`],
      );
      // Our storescp asks for a client certificate: an anonymous client cannot get in.
      const anonymous = await runTool('dicomkit', 'echoscu', [
        '+tla',
        '+cf',
        cert,
        '127.0.0.1',
        String(dkPort),
      ]);
      assert.equal(anonymous.status, 1);
      assert.equal(anonymous.stderr.trim().split('\n').length, 1, anonymous.stderr);
    } finally {
      await Promise.all(scps.map((s) => s.stop()));
    }
  });
});

describe('TLS profiles, ciphersuites, CRLs, DER keys, passwords (DCMTK dcmtls options)', () => {
  let pki: TestPki;
  before(() => {
    pki = testPki(fresh('pki'));
  });

  test('each profile meets its DCMTK twin and refuses a peer it shares no suite with; +cs adds a suite', {
    timeout: 60_000,
  }, async () => {
    const server = ['+tls', pki.server.key, pki.server.cert, '+cf', pki.ca];
    const client = ['+tls', pki.good.key, pki.good.cert, '+cf', pki.ca];
    const [dkExtended, dtAes] = await Promise.all([freePort(), freePort()]);
    const scps = await Promise.all([
      startStorescp('dicomkit', [...server, '+pz', '-od', fresh('tls-pz')], dkExtended),
      startStorescp('dcmtk', [...server, '+pa', '-od', fresh('tls-pa')], dtAes),
    ]);
    try {
      const echo = (tool: Tool, port: number, ...extra: string[]) =>
        runTool(tool, 'echoscu', [...client, ...extra, '127.0.0.1', String(port)]);
      const runs = await Promise.all([
        // Extended BCP 195 (TLS 1.2, GCM suites): DCMTK's default and +pz get in, +pa (AES128-SHA) not.
        echo('dcmtk', dkExtended),
        echo('dcmtk', dkExtended, '+pz'),
        echo('dcmtk', dkExtended, '+pa'),
        // The retired AES profile: ours with +pa, or our default plus +cs of its suite; not our default.
        echo('dicomkit', dtAes, '+pa'),
        echo('dicomkit', dtAes, '+cs', 'TLS_RSA_WITH_AES_128_CBC_SHA'),
        echo('dicomkit', dtAes),
      ]);
      assert.deepEqual(
        runs.map((r) => r.status),
        [0, 0, 1, 0, 0, 1],
        runs.map((r) => r.stderr).join('\n'),
      );
    } finally {
      await Promise.all(scps.map((s) => s.stop()));
    }
  });

  test('+crl refuses a revoked client certificate; -der keys, +pw, +ps and -pw; +vc and +rc as echoscu', {
    timeout: 60_000,
  }, async () => {
    const port = await freePort();
    const scp = await startStorescp(
      'dicomkit',
      ['+tls', pki.server.key, pki.server.cert, '+cf', pki.ca, '+crl', pki.crl, '-od', fresh('tls-crl')],
      port,
    );
    try {
      const echo = (tool: Tool, key: string, cert: string, ...extra: string[]) =>
        runTool(tool, 'echoscu', ['+tls', key, cert, '+cf', pki.ca, ...extra, '127.0.0.1', String(port)]);
      const runs = await Promise.all([
        echo('dcmtk', pki.good.key, pki.good.cert),
        echo('dcmtk', pki.revoked.key, pki.revoked.cert),
        echo('dicomkit', pki.good.key, pki.good.cert),
        echo('dicomkit', pki.revoked.key, pki.revoked.cert),
        // DER key and certificate, and a DER CA certificate, all under -der.
        runTool('dicomkit', 'echoscu', [
          '-der',
          '+tls',
          pki.goodDer.key,
          pki.goodDer.cert,
          '+cf',
          pki.caDer,
          '127.0.0.1',
          String(port),
        ]),
        echo('dicomkit', pki.goodEncryptedKey, pki.good.cert, '+pw', 'secret'),
        echo('dicomkit', pki.goodEncryptedKey, pki.good.cert, '+pw', 'wrong'),
        echo('dicomkit', pki.goodEncryptedKey, pki.good.cert, '-pw'),
      ]);
      assert.deepEqual(
        runs.map((r) => r.status),
        [0, 1, 0, 1, 0, 0, 1, 1],
        runs.map((r) => r.stderr).join('\n'),
      );
      assert.match(runs[6]!.stderr, /^F: cannot load private key file '.*good\.enc\.key': .*bad decrypt/m);
      // +ps (the default): the password is read from the terminal, here standard input.
      const prompted = spawnSync(
        process.execPath,
        [
          resolve('bin/dicomkit.js'),
          'echoscu',
          '+tls',
          pki.goodEncryptedKey,
          pki.good.cert,
          '+cf',
          pki.ca,
          '127.0.0.1',
          String(port),
        ],
        { input: 'secret\n', encoding: 'utf8', timeout: 20_000 },
      );
      assert.equal(prompted.status, 0, prompted.stderr);
      assert.match(prompted.stderr, /Enter PEM pass phrase for /);
    } finally {
      await scp.stop();
    }
    // Offline checks: same verdicts, lines and exit codes as DCMTK's echoscu.
    const offline = async (...args: string[]) =>
      Promise.all(TOOLS.map((tool) => runTool(tool, 'echoscu', ['+tla', ...args])));
    for (const [args, status] of [
      [['+cf', pki.ca, '+vc', pki.good.cert], 0],
      [['+cf', pki.good.cert, '+vc', pki.revoked.cert], 22],
      [['+rc', pki.ca], 0],
      [['+rc', pki.good.cert], 22],
    ] as const) {
      const [ours, theirs] = await offline(...args);
      assert.equal(ours!.status, status, `${args.join(' ')}: ${ours!.stderr}`);
      assert.equal(theirs!.status, status, `${args.join(' ')}: ${theirs!.stdout}`);
      const verdict = (text: string) => text.split('\n').find((l) => /^(Verification|Certificate) /.test(l));
      assert.equal(verdict(ours!.stdout), verdict(theirs!.stdout));
    }
  });

  test("+cc lists what OpenSSL can do, including the profiles' suites; TLS options without +tls are refused", {
    timeout: 30_000,
  }, async () => {
    const [ours, theirs] = await Promise.all(TOOLS.map((tool) => runTool(tool, 'echoscu', ['+cc'])));
    assert.equal(ours!.status, 0);
    assert.equal(theirs!.status, 0);
    const suites = (text: string) =>
      text
        .split('\n')
        .filter((l) => /^ {2}TLS_/.test(l))
        .map((l) => l.trim());
    const listed = suites(ours!.stdout);
    for (const suite of [
      'TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256',
      'TLS_DHE_RSA_WITH_AES_256_GCM_SHA384',
      'TLS_RSA_WITH_AES_128_CBC_SHA',
    ])
      assert.ok(listed.includes(suite), suite);
    // Every TLS 1.2 suite DCMTK lists on this machine's OpenSSL, we list too.
    for (const suite of suites(theirs!.stdout)) assert.ok(listed.includes(suite), `${suite} missing`);
    const refused = await runTool('dicomkit', 'echoscu', ['+pz', '127.0.0.1', '104']);
    assert.equal(refused.status, 1);
    assert.match(refused.stderr, /--profile-bcp195-ex only allowed with --enable-tls/);
    const version = await runTool('dicomkit', 'storescu', ['--version']);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^dicomkit storescu: v\d/);
  });
});

describe('help, unknown flags, progress', () => {
  const tools: Record<string, { command: () => Command; aliases: Readonly<Record<string, unknown>> }> = {
    echoscu: { command: echoscuCommand, aliases: ECHOSCU_ALIASES },
    storescu: { command: storescuCommand, aliases: STORESCU_ALIASES },
    findscu: { command: findscuCommand, aliases: FINDSCU_ALIASES },
    movescu: { command: movescuCommand, aliases: MOVESCU_ALIASES },
    getscu: { command: getscuCommand, aliases: GETSCU_ALIASES },
    storescp: { command: storescpCommand, aliases: STORESCP_ALIASES },
  };

  test('the help of every tool documents every flag it takes, with its DCMTK spelling', async () => {
    for (const [tool, { command, aliases }] of Object.entries(tools)) {
      const cmd = command();
      const help = cmd.helpInformation();
      for (const option of cmd.options) {
        assert.ok(help.includes(option.flags), `${tool}: ${option.flags}`);
        assert.ok(option.description.length > 10, `${tool}: ${option.flags} is described`);
      }
      for (const [spelling, long] of Object.entries(aliases)) {
        if (spelling === '-h') continue;
        assert.ok(help.includes(spelling), `${tool} help mentions ${spelling}`);
        for (const l of typeof long === 'string' ? [long] : (long as string[]))
          assert.ok(help.includes(l), `${tool} help lists ${l}`);
      }
      // An unknown flag is refused by the parser, not taken for an argument.
      let message = '';
      const refused = command()
        .exitOverride()
        .configureOutput({ writeErr: (text) => (message += text), writeOut: () => {} });
      await assert.rejects(refused.parseAsync(['--frobnicate', 'localhost', '104'], { from: 'user' }));
      assert.match(message, /unknown option '--frobnicate'/, tool);
    }
  });

  test('dicomkit <tool> -h prints the help; an unknown flag is one clear line and exit code 1', {
    timeout: 30_000,
  }, async () => {
    const [help, unknown, unknownDcmtk] = await Promise.all([
      runTool('dicomkit', 'storescu', ['-h']),
      runTool('dicomkit', 'echoscu', ['--frobnicate', 'localhost', '104']),
      runTool('dicomkit', 'storescp', ['-frobnicate', '104']),
    ]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /Usage: dicomkit storescu \[options\] <peer> <port> <dcmfile-in\.\.\.>/);
    assert.ok(help.stdout.includes('--propose-lossless') && help.stdout.includes('(DCMTK -xs)'));
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /^error: unknown option '--frobnicate'$/m);
    assert.equal(unknownDcmtk.status, 1);
    assert.match(unknownDcmtk.stderr, /unknown option '-frobnicate'/);
  });

  test('storescu of 1,000 files: a progress bar on a terminal, none when piped; the summary line both times', {
    timeout: 60_000,
  }, async () => {
    const dir = fresh('thousand');
    for (let i = 0; i < 1000; i++) {
      const ds = new DataSet();
      ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
      ds.set('SOPInstanceUID', `2.25.55.${i}`);
      ds.set('PatientID', 'P');
      ds.set('StudyInstanceUID', '2.25.55');
      ds.set('SeriesInstanceUID', '2.25.55.1');
      await writeDicomFile(join(dir, `f${i}.dcm`), ds, { transferSyntax: '1.2.840.10008.1.2.1' });
    }
    const port = await freePort();
    const scp = await startPeer('storescp', ['-od', fresh('sink'), String(port)], port);
    try {
      const piped = await runTool('dicomkit', 'storescu', ['+sd', '127.0.0.1', String(port), dir], {
        timeoutMs: 50_000,
      });
      assert.equal(piped.status, 0, piped.stderr);
      assert.doesNotMatch(piped.stderr, /files\/s/);
      assert.match(piped.stderr, /sent 1000, failed 0, warnings 0/);
      // util-linux script(1) gives the command a pseudo-terminal.
      const tty = await runPeerAsync(
        'script',
        ['-qefc', `${process.execPath} bin/dicomkit.js storescu +sd 127.0.0.1 ${port} ${dir}`, '/dev/null'],
        { timeoutMs: 50_000 },
      );
      assert.equal(tty.status, 0, tty.stdout);
      assert.match(tty.stdout, /1000\/1000 files \| \d+ files\/s \| [\d.]+ MB\/s/);
      assert.match(tty.stdout, /sent 1000, failed 0, warnings 0/);
    } finally {
      await scp.stop();
    }
  });
});
