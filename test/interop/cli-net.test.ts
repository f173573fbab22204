// The DCMTK-compatible network tools (issue 4): the seed walkthrough with `dicomkit` in front
// against a DCMTK dcmqrscp the test configures; DCMTK's storescu against `dicomkit storescp`;
// help, unknown flags, and the progress bar on a terminal only.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet } from '../../src/object/index.ts';
import { type BackgroundPeer, freePort, runPeerAsync, startPeer, waitForPort } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

for (const program of ['dcmqrscp', 'storescu', 'script']) requirePeer(program);

const work = mkdtempSync(join(tmpdir(), 'dicomkit-cli-net-'));
after(() => rmSync(work, { recursive: true, force: true }));
const CT = 'test/fixtures/pydicom/CT_small.dcm';
const MR = 'test/fixtures/pydicom/MR_small.dcm';

function dicomkit(args: string[], timeoutMs = 30_000) {
  return runPeerAsync(process.execPath, ['bin/dicomkit.js', ...args], { timeoutMs });
}

describe('the seed walkthrough against DCMTK dcmqrscp', () => {
  let port = 0;
  let qr: BackgroundPeer;
  const db = join(work, 'db');

  let storescpPort = 0;
  let storescp: ChildProcess;
  const moved = join(work, 'moved');

  before(async () => {
    mkdirSync(db);
    port = await freePort();
    storescpPort = await freePort();
    storescp = spawn(
      process.execPath,
      [
        'bin/dicomkit.js',
        'storescp',
        '-aet',
        'STORESCP',
        '--host',
        '127.0.0.1',
        '-od',
        moved,
        String(storescpPort),
      ],
      { stdio: 'ignore' },
    );
    await waitForPort(storescpPort, 20_000);
    const config = join(work, 'dcmqrscp.cfg');
    writeFileSync(
      config,
      [
        `NetworkTCPPort = ${port}`,
        'MaxPDUSize = 16384',
        'MaxAssociations = 16',
        'HostTable BEGIN',
        `storescp = (STORESCP, 127.0.0.1, ${storescpPort})`,
        'HostTable END',
        'VendorTable BEGIN',
        'VendorTable END',
        'AETable BEGIN',
        `ANY-SCP ${db} RW (200, 1024mb) ANY`,
        'AETable END',
        '',
      ].join('\n'),
    );
    qr = await startPeer('dcmqrscp', ['-c', config, String(port)], port);
  });
  after(async () => {
    storescp.kill('SIGTERM');
    await qr.stop();
  });

  test('echoscu -v localhost PORT', { timeout: 30_000 }, async () => {
    const r = await dicomkit(['echoscu', '-v', 'localhost', String(port)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Received Echo Response \(Success\)/);
  });

  test('storescu -xs localhost PORT file.dcm (twice: CT and MR)', { timeout: 30_000 }, async () => {
    for (const file of [CT, MR]) {
      const r = await dicomkit(['storescu', '-xs', 'localhost', String(port), file]);
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stderr, /sent 1, failed 0, warnings 0/);
    }
    // dcmqrscp re-encodes what it stores (it is not bit-preserving): compare the content.
    const stored = readdirSync(db).filter((n) => n !== 'index.dat');
    assert.equal(stored.length, 2);
    const uids = new Map<string, Uint8Array | undefined>();
    for (const file of [CT, MR]) {
      const ds = (await readDicomFile(file)).dataset;
      uids.set(ds.string('SOPInstanceUID')!, ds.bytes('PixelData'));
    }
    for (const name of stored) {
      const ds = (await readDicomFile(join(db, name))).dataset;
      const pixels = uids.get(ds.string('SOPInstanceUID')!);
      assert.ok(pixels, `${name} is one of the files`);
      assert.ok(Buffer.from(ds.bytes('PixelData')!).equals(Buffer.from(pixels)), `${name}: same pixels`);
    }
  });

  test('findscu -v -P -k "(0008,0052)=PATIENT" -k PatientID="1CT1" localhost PORT', {
    timeout: 30_000,
  }, async () => {
    const r = await dicomkit([
      'findscu',
      '-v',
      '-P',
      '-k',
      '(0008,0052)=PATIENT',
      '-k',
      'PatientID=1CT1',
      'localhost',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.equal((r.stderr.match(/Find Response: \d+ \(Pending\)/g) ?? []).length, 1);
    assert.match(r.stderr, /\(0010,0020\) LO \[1CT1\]/);
    assert.match(r.stderr, /Received Final Find Response \(Success\)/);
  });

  test('findscu -P ... -k PatientName, then PatientName="Compressed*", then an IMAGE query', {
    timeout: 30_000,
  }, async () => {
    const named = await dicomkit([
      'findscu',
      '-P',
      '-k',
      '(0008,0052)=PATIENT',
      '-k',
      'PatientID=4MR1',
      '-k',
      'PatientName',
      'localhost',
      String(port),
    ]);
    assert.equal(named.status, 0, named.stderr);
    assert.match(named.stderr, /\(0010,0010\) PN \[CompressedSamples\^MR1\]/);
    const wild = await dicomkit([
      'findscu',
      '-v',
      '-P',
      '-k',
      '0008,0052=PATIENT',
      '-k',
      'PatientID',
      '-k',
      'PatientName=Compressed*',
      'localhost',
      String(port),
    ]);
    assert.equal((wild.stderr.match(/Find Response: \d+ \(Pending\)/g) ?? []).length, 2, wild.stderr);
    const ct = (await readDicomFile(CT)).dataset;
    const image = await dicomkit([
      'findscu',
      '-v',
      '-P',
      '-k',
      '0008,0052=IMAGE',
      '-k',
      '0010,0020=1CT1',
      '-k',
      `0020,000D=${ct.string('StudyInstanceUID')}`,
      '-k',
      `0020,000E=${ct.string('SeriesInstanceUID')}`,
      '-k',
      `0008,0018=${ct.string('SOPInstanceUID')}`,
      '-k',
      'Modality',
      '-k',
      'PatientName',
      'localhost',
      String(port),
    ]);
    assert.equal(image.status, 0, image.stderr);
    assert.equal((image.stderr.match(/Find Response: \d+ \(Pending\)/g) ?? []).length, 1, image.stderr);
    assert.match(image.stderr, /\(0008,0060\) CS \[CT\]/);
  });

  test('findscu -X writes the responses; --json prints DICOM JSON', { timeout: 30_000 }, async () => {
    const out = join(work, 'rsp');
    const r = await dicomkit([
      'findscu',
      '-S',
      '-X',
      '-od',
      out,
      '--json',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID',
      'localhost',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.deepEqual(readdirSync(out).sort(), ['rsp0001.dcm', 'rsp0002.dcm']);
    const json = JSON.parse(`[${r.stdout.trim().replace(/\}\n\{/g, '},{')}]`) as Record<
      string,
      { vr: string }
    >[];
    assert.equal(json.length, 2);
    assert.equal(json[0]!['0020000D']!.vr, 'UI');
  });

  test('movescu -v -P -k 0008,0052="PATIENT" -k PatientID="1CT1" -aem STORESCP: dicomkit storescp receives', {
    timeout: 30_000,
  }, async () => {
    const r = await dicomkit([
      'movescu',
      '-v',
      '-P',
      '-k',
      '0008,0052=PATIENT',
      '-k',
      'PatientID=1CT1',
      '-aem',
      'STORESCP',
      'localhost',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /Received Final Move Response \(Success; .*completed 1/);
    const ct = (await readDicomFile(CT)).dataset;
    const received = (await readDicomFile(join(moved, `CT.${ct.string('SOPInstanceUID')}`))).dataset;
    assert.ok(Buffer.from(received.bytes('PixelData')!).equals(Buffer.from(ct.bytes('PixelData')!)));
  });

  test('getscu -v localhost PORT query.dcm, with query.dcm made by dicomkit dump2dcm', {
    timeout: 30_000,
  }, async () => {
    const mr = (await readDicomFile(MR)).dataset;
    const dump = join(work, 'query.txt');
    writeFileSync(
      dump,
      ['(0008,0052) CS [STUDY]', `(0020,000d) UI [${mr.string('StudyInstanceUID')}]`, ''].join('\n'),
    );
    const query = join(work, 'query.dcm');
    const made = await dicomkit(['dump2dcm', dump, query]);
    assert.equal(made.status, 0, made.stderr);
    const out = join(work, 'got');
    const r = await dicomkit(['getscu', '-v', '-od', out, 'localhost', String(port), query]);
    assert.equal(r.status, 0, r.stderr);
    const files = readdirSync(out);
    assert.deepEqual(files, [`MR.${mr.string('SOPInstanceUID')}`]);
    const got = (await readDicomFile(join(out, files[0]!))).dataset;
    assert.ok(Buffer.from(got.bytes('PixelData')!).equals(Buffer.from(mr.bytes('PixelData')!)));
  });

  test('nested sequence keys reach the identifier', async () => {
    const { applyKey } = await import('../../src/cli/findscu.ts');
    const identifier = new DataSet();
    applyKey(identifier, 'ScheduledProcedureStepSequence[0].Modality=CT');
    applyKey(identifier, 'ScheduledProcedureStepSequence[0].ScheduledStationAETitle');
    applyKey(identifier, '(0010,0010)=DOE^*');
    const item = identifier.sequence('ScheduledProcedureStepSequence')![0]!;
    assert.equal(item.string('Modality'), 'CT');
    assert.ok(item.has('ScheduledStationAETitle'));
    assert.equal(identifier.string('PatientName'), 'DOE^*');
  });
});

describe('DCMTK storescu against dicomkit storescp', () => {
  test('files arrive named like DCMTK names them (MODALITY.SOPInstanceUID)', {
    timeout: 30_000,
  }, async () => {
    const out = join(work, 'storescp-out');
    mkdirSync(out);
    const port = await freePort();
    const scp: ChildProcess = spawn(
      process.execPath,
      ['bin/dicomkit.js', 'storescp', '--host', '127.0.0.1', '-od', out, String(port)],
      {
        stdio: 'ignore',
      },
    );
    try {
      await waitForPort(port, 20_000);
      const r = await runPeerAsync('storescu', ['127.0.0.1', String(port), CT, MR]);
      assert.equal(r.status, 0, r.stderr);
      const ct = (await readDicomFile(CT)).dataset.string('SOPInstanceUID');
      const mr = (await readDicomFile(MR)).dataset.string('SOPInstanceUID');
      assert.deepEqual(readdirSync(out).sort(), [`CT.${ct}`, `MR.${mr}`].sort());
    } finally {
      scp.kill('SIGTERM');
    }
  });
});

describe('help, errors, progress', () => {
  test('--help documents the DCMTK flags; an unknown flag is a clear error', {
    timeout: 30_000,
  }, async () => {
    const help = await dicomkit(['storescu', '--help']);
    for (const flag of [
      '+sd',
      '+r',
      '-xs',
      '-xe',
      '-xb',
      '-xi',
      '-nh',
      '-R',
      '-aet',
      '-aec',
      '-to',
      '-ta',
      '-td',
      '-pdu',
      '+tls',
      '+cf',
      '-ic',
    ]) {
      assert.ok(help.stdout.includes(flag), `storescu --help mentions ${flag}`);
    }
    const bad = await dicomkit(['echoscu', '--frobnicate', 'localhost', '104']);
    assert.equal(bad.status, 1);
    assert.match(bad.stderr, /unknown option '--frobnicate'/);
  });

  test('storescu of 1,000 files: a progress bar on a terminal, none when piped', {
    timeout: 120_000,
  }, async () => {
    const dir = join(work, 'thousand');
    mkdirSync(dir);
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
    const scp = spawn(
      process.execPath,
      ['bin/dicomkit.js', 'storescp', '--host', '127.0.0.1', '-od', join(work, 'sink'), String(port)],
      {
        stdio: 'ignore',
      },
    );
    try {
      await waitForPort(port, 20_000);
      const piped = await dicomkit(['storescu', '+sd', '127.0.0.1', String(port), dir], 90_000);
      assert.equal(piped.status, 0, piped.stderr);
      assert.doesNotMatch(piped.stderr, /files\/s/);
      assert.match(piped.stderr, /sent 1000, failed 0, warnings 0/);
      // util-linux script(1) gives the command a pseudo-terminal.
      const tty = await runPeerAsync(
        'script',
        ['-qefc', `${process.execPath} bin/dicomkit.js storescu +sd 127.0.0.1 ${port} ${dir}`, '/dev/null'],
        { timeoutMs: 90_000 },
      );
      assert.equal(tty.status, 0, tty.stdout);
      assert.match(tty.stdout, /1000\/1000 files \| \d+ files\/s \| [\d.]+ MB\/s/);
    } finally {
      scp.kill('SIGTERM');
    }
  });
});
