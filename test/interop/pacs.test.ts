// The PACS against DCMTK's tools (issue 5 acceptance): storescu stores the corpus, findscu
// queries with expectations computed from the files' own headers, movescu to a DCMTK storescp
// registered as a modality gets byte-identical files, getscu retrieves, unknown destinations
// get A801, access control rejects an unknown caller until it is configured, and a kill -9
// in the middle of a storescu run loses nothing that was acknowledged.

import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { SILENT_LOGGER } from '../../src/core/index.ts';
import type { Keyword } from '../../src/dictionary/index.ts';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet, readDicom } from '../../src/object/index.ts';
import { resolveConfig } from '../../src/pacs/config.ts';
import { type Pacs, startPacs } from '../../src/pacs/server.ts';
import {
  ApplicationEntity,
  AssociationRejectedError,
  verificationContext,
} from '../../src/services/index.ts';
import { loopbackPacsArgs } from '../helpers/cli-node-args.ts';
import { type BackgroundPeer, freePort, runPeerAsync, startPeer, waitForPort } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

for (const program of ['storescu', 'storescp', 'findscu', 'movescu', 'getscu']) requirePeer(program);

const FIXTURES = 'test/fixtures/pydicom';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-pacs-'));
after(() => rmSync(work, { recursive: true, force: true }));
const quiet = SILENT_LOGGER;

interface CorpusFile {
  path: string;
  header: DataSet;
  dataSet: Uint8Array;
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((n) =>
    statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)],
  );
}

/** The data set bytes of a Part 10 file (everything after the file meta). */
function dataSetBytes(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  return bytes.subarray(readDicom(bytes, { stopAtTag: 0x00080000 }).dataSetOffset);
}

describe('dicomkit pacs with DCMTK peers', () => {
  let pacs: Pacs;
  let storescp: BackgroundPeer;
  let storescpPort = 0;
  const storescpOut = join(work, 'storescp');
  const stored = new Map<string, CorpusFile>();

  before(async () => {
    mkdirSync(storescpOut);
    storescpPort = await freePort();
    storescp = await startPeer(
      'storescp',
      ['-aet', 'STORESCP', '+xa', '-pm', '+B', '+uf', '-od', storescpOut, String(storescpPort)],
      storescpPort,
    );
    const config = resolveConfig({
      dicom: { host: '127.0.0.1', port: 0 },
      http: { port: 0 },
      storage: { path: join(work, 'data') },
      localAddresses: ['127.0.0.1/32'],
      duplicates: 'overwrite',
      modalities: { storescp: { aeTitle: 'STORESCP', host: '127.0.0.1', port: storescpPort } },
    });
    pacs = await startPacs(config, { logger: quiet });
  });
  after(async () => {
    await pacs?.close({ abort: true });
    await storescp?.stop();
  });

  test('storescu stores the test corpus; files are kept byte for byte', { timeout: 60_000 }, async () => {
    // The corpus minus what is not a storable instance (dumps, truncated files, DICOMDIRs):
    // storescu halts on those while checking its input.
    const corpus = join(work, 'corpus');
    mkdirSync(corpus);
    let n = 0;
    for (const path of walk(FIXTURES)) {
      try {
        const file = await readDicomFile(path);
        const sopClass = file.dataset.string('SOPClassUID')?.trim();
        if (!sopClass || !file.dataset.string('SOPInstanceUID') || sopClass === '1.2.840.10008.1.3.10')
          continue;
        if (!file.hasMeta || /gz$/.test(path)) continue;
        copyFileSync(path, join(corpus, `${String(n++).padStart(3, '0')}-${path.split('/').pop()}`));
      } catch {
        // not a whole DICOM file
      }
    }
    const r = await runPeerAsync(
      'storescu',
      ['-v', '-nh', '-R', '+sd', '-aec', 'DICOMKIT', '127.0.0.1', String(pacs.dicom.port), corpus],
      { timeoutMs: 50_000 },
    );
    const output = r.stdout + r.stderr;
    // Which files got a Success: "Sending file: X" ... "Received Store Response (Success)".
    let current: string | undefined;
    const succeeded: string[] = [];
    for (const line of output.split('\n')) {
      const sending = /Sending file: (.*)$/.exec(line);
      if (sending) current = sending[1]!.trim();
      if (/Received Store Response \(Success\)/.test(line) && current) succeeded.push(current);
    }
    assert.ok(succeeded.length >= 50, `only ${succeeded.length} stores succeeded\n${output.slice(-3000)}`);
    for (const path of succeeded) {
      const header = (await readDicomFile(path, { stopAtTag: 0x7fe00010 })).dataset;
      const uid = header.string('SOPInstanceUID')!.trim();
      assert.ok(pacs.index.has(uid), `${path} (${uid}) is indexed`);
      stored.set(uid, { path, header, dataSet: dataSetBytes(path) });
    }
    // storescu re-encodes what it sends (it loads each file), so byte-for-byte storage is checked
    // with dicomkit's SCU, which sends files as they are on disk; duplicates overwrite here.
    const sopClasses = [...new Set([...stored.values()].map((f) => f.header.string('SOPClassUID')!.trim()))];
    const syntaxes = new Map<string, Set<string>>();
    for (const f of stored.values()) {
      const ts = readDicom(new Uint8Array(readFileSync(f.path)), { stopAtTag: 0x00080000 }).transferSyntax
        .uid;
      const sopClass = f.header.string('SOPClassUID')!.trim();
      if (!syntaxes.has(sopClass)) syntaxes.set(sopClass, new Set());
      syntaxes.get(sopClass)!.add(ts);
    }
    const contexts = sopClasses.flatMap((sopClass) =>
      [...syntaxes.get(sopClass)!].map((ts) => ({ abstractSyntax: sopClass, transferSyntaxes: [ts] })),
    );
    const ae = new ApplicationEntity({ aeTitle: 'DKSCU' });
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts,
    });
    for await (const outcome of assoc.storeMany([...stored.values()].map((f) => f.path))) {
      assert.equal(outcome.result?.status, 0, `${String(outcome.source)}: ${outcome.error?.message}`);
    }
    await assoc.release();
    for (const [uid, file] of stored) {
      const location = pacs.index.locate('study', 'IMAGE', imageKeys(file.header, uid))[0];
      assert.ok(location, `${uid} can be located`);
      let sent = file.dataSet;
      if (sent.length % 2 === 1) sent = Buffer.concat([sent, new Uint8Array(1)]);
      assert.ok(
        Buffer.from(dataSetBytes(pacs.storage.absolute(location.path))).equals(Buffer.from(sent)),
        `${file.path} is stored byte for byte`,
      );
    }
  });

  function imageKeys(header: DataSet, uid: string): DataSet {
    const keys = new DataSet();
    keys.set('QueryRetrieveLevel', 'IMAGE');
    keys.set('StudyInstanceUID', header.string('StudyInstanceUID')!.trim());
    keys.set('SeriesInstanceUID', header.string('SeriesInstanceUID')!.trim());
    keys.set('SOPInstanceUID', uid);
    return keys;
  }

  /** Runs findscu with -X and returns the response identifiers. */
  async function findscu(root: '-P' | '-S', keys: string[]): Promise<DataSet[]> {
    const dir = mkdtempSync(join(work, 'find-'));
    const args = [
      '-v',
      root,
      '-X',
      '-od',
      dir,
      '-aec',
      'DICOMKIT',
      ...keys.flatMap((k) => ['-k', k]),
      '127.0.0.1',
      String(pacs.dicom.port),
    ];
    const r = await runPeerAsync('findscu', args);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const files = readdirSync(dir).sort();
    return Promise.all(files.map(async (f) => (await readDicomFile(join(dir, f))).dataset));
  }

  const distinct = (values: (string | undefined)[]) =>
    [...new Set(values.filter((v): v is string => !!v))].sort();
  const top = (file: CorpusFile, key: Keyword) => file.header.string(key)?.trim();
  const files = () => [...stored.values()];

  test('findscu at all four levels, both roots', { timeout: 60_000 }, async () => {
    const patientIds = distinct(files().map((f) => top(f, 'PatientID')));
    // Patient root, PATIENT level, universal: one response per patient.
    const patients = await findscu('-P', ['QueryRetrieveLevel=PATIENT', 'PatientID', 'PatientName']);
    assert.deepEqual(
      distinct(patients.map((d) => d.string('PatientID')?.trim())),
      patientIds.filter((p) => p !== ''),
    );
    // Every response carries exactly the requested keys plus the three the standard adds.
    for (const d of patients) {
      const keywords = d.tags().map((t) => t.toString(16).padStart(8, '0'));
      assert.deepEqual(keywords.filter((k) => !['00080005', '00080052', '00080054'].includes(k)).sort(), [
        '00100010',
        '00100020',
      ]);
    }
    // Study root, STUDY level, single value.
    const ct = files().find((f) => top(f, 'PatientID') === '1CT1')!;
    const studies = await findscu('-S', ['QueryRetrieveLevel=STUDY', 'PatientID=1CT1', 'StudyInstanceUID']);
    assert.deepEqual(
      distinct(studies.map((d) => d.string('StudyInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => top(f, 'PatientID') === '1CT1')
          .map((f) => top(f, 'StudyInstanceUID')),
      ),
    );
    // SERIES and IMAGE levels below that study.
    const study = top(ct, 'StudyInstanceUID')!;
    const series = await findscu('-S', [
      'QueryRetrieveLevel=SERIES',
      `StudyInstanceUID=${study}`,
      'SeriesInstanceUID',
      'Modality',
    ]);
    assert.deepEqual(
      distinct(series.map((d) => d.string('SeriesInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => top(f, 'StudyInstanceUID') === study)
          .map((f) => top(f, 'SeriesInstanceUID')),
      ),
    );
    const seriesUid = top(ct, 'SeriesInstanceUID')!;
    const images = await findscu('-P', [
      'QueryRetrieveLevel=IMAGE',
      `PatientID=1CT1`,
      `StudyInstanceUID=${study}`,
      `SeriesInstanceUID=${seriesUid}`,
      'SOPInstanceUID',
    ]);
    assert.deepEqual(
      distinct(images.map((d) => d.string('SOPInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => top(f, 'SeriesInstanceUID') === seriesUid)
          .map((f) => top(f, 'SOPInstanceUID')),
      ),
    );
  });

  test('findscu: wildcard, date range and UID list matching', { timeout: 60_000 }, async () => {
    const glob = (pattern: string, value: string) =>
      new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        'i',
      ).test(value);
    const wild = await findscu('-S', [
      'QueryRetrieveLevel=STUDY',
      'PatientName=compressed*',
      'StudyInstanceUID',
    ]);
    assert.deepEqual(
      distinct(wild.map((d) => d.string('StudyInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => glob('compressed*', top(f, 'PatientName') ?? ''))
          .map((f) => top(f, 'StudyInstanceUID')),
      ),
    );
    const inRange = (d?: string) => !!d && d >= '20040101' && d <= '20041231';
    const range = await findscu('-S', [
      'QueryRetrieveLevel=STUDY',
      'StudyDate=20040101-20041231',
      'StudyInstanceUID',
    ]);
    assert.deepEqual(
      distinct(range.map((d) => d.string('StudyInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => inRange(top(f, 'StudyDate')))
          .map((f) => top(f, 'StudyInstanceUID')),
      ),
    );
    const openRange = await findscu('-S', [
      'QueryRetrieveLevel=STUDY',
      'StudyDate=-20031231',
      'StudyInstanceUID',
    ]);
    assert.deepEqual(
      distinct(openRange.map((d) => d.string('StudyInstanceUID')?.trim())),
      distinct(
        files()
          .filter((f) => !!top(f, 'StudyDate') && top(f, 'StudyDate')! <= '20031231')
          .map((f) => top(f, 'StudyInstanceUID')),
      ),
    );
    const two = distinct(files().map((f) => top(f, 'StudyInstanceUID'))).slice(0, 2);
    const list = await findscu('-S', ['QueryRetrieveLevel=STUDY', `StudyInstanceUID=${two.join('\\')}`]);
    assert.deepEqual(distinct(list.map((d) => d.string('StudyInstanceUID')?.trim())), two);
  });

  test('findscu: sequence matching (PS3.4 §C.2.2.2.6), at PATIENT and IMAGE level', {
    timeout: 60_000,
  }, async () => {
    // An item matches when all its keys match; the response carries the matching items.
    const itemHas = (file: CorpusFile, sequence: Keyword, key: Keyword, value: string) =>
      (file.header.sequence(sequence) ?? []).some((item) => item.string(key)?.trim() === value);
    const patients = await findscu('-P', [
      'QueryRetrieveLevel=PATIENT',
      'PatientID',
      'OtherPatientIDsSequence[0].PatientID=ABCD1234',
    ]);
    const expectedPatients = distinct(
      files()
        .filter((f) => itemHas(f, 'OtherPatientIDsSequence', 'PatientID', 'ABCD1234'))
        .map((f) => top(f, 'PatientID')),
    );
    assert.ok(expectedPatients.length > 0, 'the corpus has OtherPatientIDsSequence (CT_small.dcm)');
    assert.deepEqual(distinct(patients.map((d) => d.string('PatientID')?.trim())), expectedPatients);
    for (const d of patients) {
      const items = d.sequence('OtherPatientIDsSequence') ?? [];
      assert.ok(items.length > 0 && items.every((i) => i.string('PatientID')?.trim() === 'ABCD1234'));
    }
    assert.deepEqual(
      await findscu('-P', [
        'QueryRetrieveLevel=PATIENT',
        'PatientID',
        'OtherPatientIDsSequence[0].PatientID=NOBODY',
      ]),
      [],
    );
    // IMAGE level, without the upper levels' keys (universal there): every lossy-derived image.
    const images = await findscu('-S', [
      'QueryRetrieveLevel=IMAGE',
      'SOPInstanceUID',
      'DerivationCodeSequence[0].CodeValue=113040',
      'DerivationCodeSequence[0].CodingSchemeDesignator=DCM',
    ]);
    const expectedImages = distinct(
      files()
        .filter((f) =>
          (f.header.sequence('DerivationCodeSequence') ?? []).some(
            (item) =>
              item.string('CodeValue')?.trim() === '113040' &&
              item.string('CodingSchemeDesignator')?.trim() === 'DCM',
          ),
        )
        .map((f) => top(f, 'SOPInstanceUID')),
    );
    // Several corpus files are one lossy-derived image in other syntaxes (one SOP Instance UID).
    assert.ok(expectedImages.length >= 1, 'the corpus has a lossy-derived image');
    assert.ok(files().length > expectedImages.length * 10, 'and many images that are not');
    assert.deepEqual(distinct(images.map((d) => d.string('SOPInstanceUID')?.trim())), expectedImages);
    // Both keys must hold in one item: the right code in another scheme matches nothing.
    assert.deepEqual(
      await findscu('-S', [
        'QueryRetrieveLevel=IMAGE',
        'SOPInstanceUID',
        'DerivationCodeSequence[0].CodeValue=113040',
        'DerivationCodeSequence[0].CodingSchemeDesignator=SRT',
      ]),
      [],
    );
  });

  test('movescu to a DCMTK storescp modality: byte-identical files; unknown destination A801', {
    timeout: 60_000,
  }, async () => {
    const ct = [...stored.values()].find((f) => top(f, 'PatientID') === '1CT1')!;
    const study = top(ct, 'StudyInstanceUID')!;
    const expected = [...stored.entries()].filter(([, f]) => top(f, 'StudyInstanceUID') === study);
    const before = new Set(readdirSync(storescpOut));
    const r = await runPeerAsync('movescu', [
      '-v',
      '-S',
      '-aec',
      'DICOMKIT',
      '-aem',
      'STORESCP',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(pacs.dicom.port),
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout + r.stderr, /Received Final Move Response \(Success\)/);
    const received = readdirSync(storescpOut).filter((n) => !before.has(n));
    assert.equal(received.length, expected.length);
    const receivedBytes = received.map((n) => Buffer.from(dataSetBytes(join(storescpOut, n))));
    for (const [uid] of expected) {
      const location = pacs.index.locate('study', 'IMAGE', imageKeys(stored.get(uid)!.header, uid))[0]!;
      const ours = Buffer.from(dataSetBytes(pacs.storage.absolute(location.path)));
      assert.ok(
        receivedBytes.some((b) => b.equals(ours)),
        `${uid} arrived byte for byte`,
      );
    }
    const unknown = await runPeerAsync('movescu', [
      '-v',
      '-S',
      '-aec',
      'DICOMKIT',
      '-aem',
      'NOWHERE',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '127.0.0.1',
      String(pacs.dicom.port),
    ]);
    assert.match(unknown.stdout + unknown.stderr, /MoveDestinationUnknown/);
  });

  test('getscu retrieves a study', { timeout: 60_000 }, async () => {
    const mr = [...stored.values()].find((f) => top(f, 'PatientID') === '4MR1')!;
    const study = top(mr, 'StudyInstanceUID')!;
    const expected = distinct(
      [...stored.entries()].filter(([, f]) => top(f, 'StudyInstanceUID') === study).map(([uid]) => uid),
    );
    const dir = mkdtempSync(join(work, 'get-'));
    const r = await runPeerAsync('getscu', [
      '-v',
      '-S',
      '-aec',
      'DICOMKIT',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '-od',
      dir,
      '127.0.0.1',
      String(pacs.dicom.port),
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const got = await Promise.all(
      readdirSync(dir).map(async (n) =>
        (await readDicomFile(join(dir, n))).dataset.string('SOPInstanceUID')?.trim(),
      ),
    );
    assert.deepEqual(distinct(got), expected);
  });

  test('REST lists, downloads, uploads and deletes what was stored', { timeout: 30_000 }, async () => {
    const base = `http://127.0.0.1:${pacs.httpPort}`;
    const get = async (path: string) => {
      const r = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
      assert.equal(r.status, 200, `GET ${path}: ${r.status}`);
      return r;
    };
    const studies = (await (await get('/studies')).json()) as string[];
    const expectedStudies = distinct(files().map((f) => top(f, 'StudyInstanceUID')));
    assert.deepEqual([...studies].sort(), expectedStudies);
    const ct = files().find((f) => top(f, 'PatientID') === '1CT1')!;
    const uid = top(ct, 'SOPInstanceUID')!;
    const study = (await (await get(`/studies/${top(ct, 'StudyInstanceUID')}`)).json()) as {
      MainDicomTags: Record<string, string>;
      Children: string[];
    };
    assert.equal(study.MainDicomTags.PatientID, '1CT1');
    assert.ok(study.Children.includes(top(ct, 'SeriesInstanceUID')!));
    // The download is the stored file, byte for byte.
    const location = pacs.index.locate('study', 'IMAGE', imageKeys(ct.header, uid))[0]!;
    const downloaded = Buffer.from(await (await get(`/instances/${uid}/file`)).arrayBuffer());
    assert.ok(downloaded.equals(readFileSync(pacs.storage.absolute(location.path))));
    const tags = (await (await get(`/instances/${uid}/tags`)).json()) as Record<string, { Value?: string[] }>;
    assert.deepEqual(tags['00080018']!.Value, [uid]);
    // The study as a ZIP: Python's zipfile checks it and lists the files.
    const zip = Buffer.from(
      await (await get(`/studies/${top(ct, 'StudyInstanceUID')}/archive`)).arrayBuffer(),
    );
    const zipPath = join(work, 'study.zip');
    writeFileSync(zipPath, zip);
    const listing = await runPeerAsync('/usr/bin/python3', [
      '-c',
      'import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(chr(10).join(z.namelist()))',
      zipPath,
    ]);
    assert.equal(listing.status, 0, listing.stderr);
    assert.ok(listing.stdout.includes(`${uid}.dcm`), listing.stdout);
    const before = (await (await get('/statistics')).json()) as {
      CountInstances: number;
      CountStudies: number;
    };
    // Delete the CT study: rows and files go together.
    const del = await fetch(`${base}/studies/${top(ct, 'StudyInstanceUID')}`, { method: 'DELETE' });
    assert.equal(del.status, 200);
    assert.equal(pacs.index.has(uid), false);
    assert.equal(existsSync(pacs.storage.absolute(location.path)), false);
    const after = (await (await get('/statistics')).json()) as {
      CountInstances: number;
      CountStudies: number;
    };
    assert.equal(after.CountStudies, before.CountStudies - 1);
    assert.equal((await fetch(`${base}/instances/${uid}`)).status, 404);
    // Upload it again with POST /instances.
    const upload = await fetch(`${base}/instances`, {
      method: 'POST',
      body: readFileSync(ct.path),
      headers: { 'content-type': 'application/dicom' },
    });
    assert.deepEqual(await upload.json(), { ID: uid, Status: 'Success' });
    assert.ok(pacs.index.has(uid));
  });

  test('an unknown, non-local caller is rejected until it is configured', { timeout: 30_000 }, async () => {
    const ae = new ApplicationEntity({ aeTitle: 'STRANGER' });
    const attempt = () =>
      ae.associate({
        host: '127.0.0.1',
        port: pacs.dicom.port,
        calledAeTitle: 'DICOMKIT',
        contexts: [verificationContext()],
        localAddress: '127.0.0.2',
      });
    const rejected = await attempt().catch((e: unknown) => e);
    assert.ok(rejected instanceof AssociationRejectedError, String(rejected));
    assert.match(rejected.message, /calling-AE-title-not-recognized/);
    pacs.config.modalities.stranger = {
      aeTitle: 'STRANGER',
      host: '127.0.0.2',
      port: 104,
      checkHost: true,
      permissions: { echo: true, store: false, find: false, move: false, get: false },
      useTls: false,
    };
    const assoc = await attempt();
    assert.equal(await assoc.echo(), 0);
    await assoc.release();
  });
});

describe('kill -9 in the middle of a storescu run', () => {
  test('every acknowledged instance survives, indexed and byte-identical; nothing half-written', {
    timeout: 120_000,
  }, async () => {
    const source = join(work, 'kill-src');
    mkdirSync(source);
    for (let i = 0; i < 1000; i++) {
      const ds = new DataSet();
      ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
      ds.set('SOPInstanceUID', `2.25.8.${i}`);
      ds.set('PatientID', 'KILL');
      ds.set('PatientName', 'Kill^Test');
      ds.set('StudyInstanceUID', '2.25.8');
      ds.set('SeriesInstanceUID', '2.25.8.1');
      ds.set('Modality', 'OT');
      ds.set('InstanceNumber', i);
      ds.set('PixelData', new Uint8Array(4096).fill(i & 0xff), 'OB');
      await writeDicomFile(join(source, `f${String(i).padStart(4, '0')}.dcm`), ds, {
        transferSyntax: '1.2.840.10008.1.2.1',
      });
    }
    const storage = join(work, 'kill-data');
    const port = await freePort();
    const child: ChildProcess = spawn(process.execPath, loopbackPacsArgs(storage, port), { stdio: 'ignore' });
    await waitForPort(port, 20_000);
    const storescu = spawn('storescu', ['-v', '-aec', 'DICOMKIT', '127.0.0.1', String(port), '+sd', source], {
      env: { ...process.env, TCP_NODELAY: '1' },
    });
    let output = '';
    let successes = 0;
    await new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        successes = (output.match(/Received Store Response \(Success\)/g) ?? []).length;
        if (successes >= 300 && child.exitCode === null) {
          child.kill('SIGKILL');
          resolve();
        }
      };
      storescu.stdout.on('data', onData);
      storescu.stderr.on('data', onData);
      storescu.on('close', () => resolve());
    });
    await new Promise((r) => storescu.once('close', r).once('error', r));
    assert.ok(successes >= 300 && successes < 1000, `killed after ${successes} stores`);
    let current: string | undefined;
    const acknowledged: string[] = [];
    for (const line of output.split('\n')) {
      const sending = /Sending file: (.*)$/.exec(line);
      if (sending) current = sending[1]!.trim();
      if (/Received Store Response \(Success\)/.test(line) && current) acknowledged.push(current);
    }
    const restarted = await startPacs(
      resolveConfig({
        dicom: { host: '127.0.0.1', port: 0 },
        http: { enabled: false },
        storage: { path: storage },
      }),
      {
        logger: quiet,
      },
    );
    try {
      for (const path of acknowledged) {
        const uid = (await readDicomFile(path, { stopAtTag: 0x00080019 })).dataset
          .string('SOPInstanceUID')!
          .trim();
        assert.ok(restarted.index.has(uid), `${uid} acknowledged before the kill is indexed`);
        const stored = restarted.storage.absolute(restarted.storage.relativePath(uid));
        assert.ok(
          Buffer.from(dataSetBytes(stored)).equals(Buffer.from(dataSetBytes(path))),
          `${uid} is byte-identical`,
        );
      }
      // No orphan rows: every indexed path exists; no .part files are left.
      for (const path of restarted.index.paths())
        assert.ok(existsSync(restarted.storage.absolute(path)), `${path} exists`);
      assert.deepEqual(restarted.storage.scan().leftovers, []);
    } finally {
      await restarted.close({ abort: true });
    }
  });
});
