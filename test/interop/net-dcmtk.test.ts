// Interop with DCMTK's network tools, both ways (issue: network core acceptance).
// dicomkit SCU -> DCMTK storescp / dcmqrscp; DCMTK echoscu, storescu, findscu, getscu,
// movescu -> a dicomkit SCP built here from the public API. Every peer listens on 127.0.0.1.
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet, readDicom } from '../../src/object/index.ts';
import {
  ApplicationEntity,
  type DicomServer,
  type FindYield,
  getStorageContexts,
  prepareSource,
  QueryRetrieveModels,
  type RetrieveYield,
  storageContexts,
  verificationContext,
} from '../../src/services/index.ts';
import { dcmqrscpConfig } from '../helpers/dcmqrscp.ts';
import { type BackgroundPeer, freePort, runPeerAsync, startPeer } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { selfSignedCertificate } from '../helpers/tls.ts';

const FIXTURES = 'test/fixtures/pydicom';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';

for (const program of [
  'dcmdjpeg',
  'echoscu',
  'storescu',
  'storescp',
  'findscu',
  'getscu',
  'movescu',
  'dcmqrscp',
  'dcmqridx',
  'openssl',
]) {
  requirePeer(program);
}

const work = mkdtempSync(join(tmpdir(), 'dicomkit-net-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Small Secondary Capture instances: `patients` patients, one study each, `perStudy` images. */
async function generateInstances(
  dir: string,
  patients: number,
  perStudy: number,
  prefix = '2.25.1',
  firstPatient = 1,
): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const paths: string[] = [];
  for (let p = firstPatient; p < firstPatient + patients; p++) {
    const study = `${prefix}.${p}`;
    for (let i = 1; i <= perStudy; i++) {
      const ds = new DataSet();
      ds.set('SOPClassUID', SC);
      ds.set('SOPInstanceUID', `${study}.1.${i}`);
      ds.set('StudyDate', '20260101');
      ds.set('StudyTime', '120000');
      ds.set('AccessionNumber', `A${p}`);
      ds.set('Modality', 'OT');
      ds.set('ConversionType', 'WSD');
      ds.set('ReferringPhysicianName', '');
      ds.set('PatientName', `TEST^PATIENT${String(p).padStart(3, '0')}`);
      ds.set('PatientID', `P${String(p).padStart(4, '0')}`);
      ds.set('PatientBirthDate', '19700101');
      ds.set('PatientSex', p % 2 ? 'F' : 'M');
      ds.set('StudyInstanceUID', study);
      ds.set('SeriesInstanceUID', `${study}.1`);
      ds.set('StudyID', String(p));
      ds.set('SeriesNumber', 1);
      ds.set('InstanceNumber', i);
      ds.set('SamplesPerPixel', 1);
      ds.set('PhotometricInterpretation', 'MONOCHROME2');
      ds.set('Rows', 8);
      ds.set('Columns', 8);
      ds.set('BitsAllocated', 8);
      ds.set('BitsStored', 8);
      ds.set('HighBit', 7);
      ds.set('PixelRepresentation', 0);
      ds.set('PixelData', new Uint8Array(64).fill(p + i), 'OB');
      const path = join(dir, `${prefix}-p${p}-i${i}.dcm`);
      await writeDicomFile(path, ds, { transferSyntax: EXPLICIT });
      paths.push(path);
    }
  }
  return paths;
}

/** The data set bytes of a Part 10 file (everything after the file meta). */
function dataSetBytes(path: string): Uint8Array {
  const bytes = new Uint8Array(readFileSync(path));
  const file = readDicom(bytes, { stopAtTag: 0x00080000 });
  return bytes.subarray(file.dataSetOffset);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir).filter((n) => !n.endsWith('.part'));
}

/** Every fixture we can send: readable, with SOP Class and Instance UIDs. */
async function corpus(): Promise<{ path: string; sopClass: string; ts: string }[]> {
  const out: { path: string; sopClass: string; ts: string }[] = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir).flatMap((n) =>
      statSync(join(dir, n)).isDirectory() ? walk(join(dir, n)) : [join(dir, n)],
    );
  for (const path of walk(FIXTURES).sort()) {
    try {
      // Only whole, readable files: the truncated ones are the parser tests' business.
      await readDicomFile(path);
      const p = await prepareSource(path);
      if (/gz$/.test(path)) continue; // gzip: not a Part 10 file on disk
      // Media Storage Directory (DICOMDIR) is a file-set object, never sent over C-STORE.
      if (p.sopClassUid === '1.2.840.10008.1.3.10') continue;
      out.push({ path, sopClass: p.sopClassUid, ts: p.transferSyntax.uid });
    } catch {
      // Broken on purpose (truncated, no SOP UIDs, not DICOM): covered by the parser tests.
    }
  }
  return out;
}

const ae = new ApplicationEntity({ aeTitle: 'DKSCU', timeouts: { acse: 10_000, dimse: 20_000 } });

describe('dicomkit SCU -> DCMTK storescp', () => {
  let port = 0;
  let storescp: BackgroundPeer;
  const out = join(work, 'storescp-out');

  before(async () => {
    mkdirSync(out, { recursive: true });
    port = await freePort();
    storescp = await startPeer(
      'storescp',
      ['-aet', 'STORESCP', '+xa', '-pm', '+B', '+uf', '-od', out, String(port)],
      port,
    );
  });
  after(() => storescp.stop());

  test('C-ECHO', { timeout: 20_000 }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'STORESCP',
      contexts: [verificationContext()],
    });
    assert.equal(await assoc.echo(), 0);
    await assoc.release();
  });

  test('C-STORE of every corpus file arrives byte for byte', { timeout: 60_000 }, async () => {
    const files = await corpus();
    assert.ok(files.length > 40, `only ${files.length} corpus files`);
    // One context per (SOP class, stored syntax), so each file goes in the syntax it is stored in.
    const pairs = new Map<string, { abstractSyntax: string; transferSyntaxes: string[] }>();
    for (const f of files)
      pairs.set(`${f.sopClass}|${f.ts}`, { abstractSyntax: f.sopClass, transferSyntaxes: [f.ts] });
    assert.ok(pairs.size <= 128);
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'STORESCP',
      contexts: [...pairs.values()],
    });
    const notAccepted = assoc.contexts
      .filter((c) => !c.accepted)
      .map((c) => `${c.abstractSyntax} ${c.proposedTransferSyntaxes[0]}`);
    const compared: string[] = [];
    const skipped: string[] = [];
    for (const f of files) {
      const context = assoc.contexts.find(
        (c) => c.abstractSyntax === f.sopClass && c.proposedTransferSyntaxes[0] === f.ts,
      );
      if (!context?.accepted) {
        skipped.push(`${f.path} (${f.ts} not accepted by storescp)`);
        continue;
      }
      const before = new Set(listFiles(out));
      const result = await assoc.store(f.path);
      assert.equal(result.status, 0, f.path);
      assert.equal(result.transferSyntax, f.ts, f.path);
      const added = listFiles(out).filter((n) => !before.has(n));
      assert.equal(added.length, 1, `${f.path}: expected one new file, got ${added.join(', ')}`);
      const received = dataSetBytes(join(out, added[0]!));
      let original = dataSetBytes(f.path);
      // An odd-length deflate stream travels with one NUL of padding (PS3.5 §A.5).
      if (original.length % 2 === 1) original = Buffer.concat([original, new Uint8Array(1)]);
      assert.ok(Buffer.from(received).equals(Buffer.from(original)), `${f.path}: received data set differs`);
      compared.push(f.path);
    }
    await assoc.release();
    // storescp +xa takes every syntax DCMTK knows; anything it refused is listed, and must stay rare.
    assert.ok(skipped.length <= 3, `not accepted: ${notAccepted.join('; ')}`);
    assert.ok(compared.length >= files.length - 3);
  });

  test('a JPEG Lossless file goes to a storescp that takes only uncompressed syntaxes, pixels intact', {
    timeout: 30_000,
  }, async () => {
    const source = join(FIXTURES, 'SC_rgb_jpeg_gdcm.dcm');
    const port2 = await freePort();
    const out2 = join(work, 'storescp-uncompressed');
    mkdirSync(out2);
    // No +xa: DCMTK's storescp accepts only the uncompressed syntaxes by default.
    const plain = await startPeer('storescp', ['-aet', 'PLAIN', '-od', out2, String(port2)], port2);
    try {
      const sopClass = (await prepareSource(source)).sopClassUid;
      const assoc = await ae.associate({
        host: '127.0.0.1',
        port: port2,
        calledAeTitle: 'PLAIN',
        contexts: [
          { abstractSyntax: sopClass, transferSyntaxes: ['1.2.840.10008.1.2.4.70'] },
          { abstractSyntax: sopClass, transferSyntaxes: [EXPLICIT, '1.2.840.10008.1.2'] },
        ],
      });
      assert.ok(!assoc.contexts[0]!.accepted, 'storescp refused JPEG Lossless');
      const result = await assoc.store(source);
      assert.equal(result.status, 0);
      assert.notEqual(result.transferSyntax, '1.2.840.10008.1.2.4.70');
      await assoc.release();
      // The reference: DCMTK's own decoder on the original file.
      const reference = join(work, 'reference-decoded.dcm');
      execFileSync('dcmdjpeg', [source, reference]);
      const received = listFiles(out2);
      assert.equal(received.length, 1);
      const got = (await readDicomFile(join(out2, received[0]!))).dataset.bytes('PixelData')!;
      const expected = (await readDicomFile(reference)).dataset.bytes('PixelData')!;
      assert.equal(got.length, expected.length);
      assert.ok(Buffer.from(got).equals(Buffer.from(expected)), "received pixels equal dcmdjpeg's");
    } finally {
      await plain.stop();
    }
  });

  test('a file in a syntax the peer did not accept is converted (uncompressed)', {
    timeout: 20_000,
  }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'STORESCP',
      contexts: storageContexts(['1.2.840.10008.5.1.4.1.1.4'], ['1.2.840.10008.1.2']),
    });
    const result = await assoc.store(join(FIXTURES, 'MR_small_bigendian.dcm'));
    assert.equal(result.transferSyntax, '1.2.840.10008.1.2');
    await assoc.release();
  });
});

/** A tiny Q/R index over files: matching on the identifier's non-empty keys (PS3.4 §C.2.2.2). */
class TestArchive {
  readonly entries: { path: string; ds: DataSet }[] = [];

  async add(paths: string[]): Promise<void> {
    for (const path of paths)
      this.entries.push({ path, ds: (await readDicomFile(path, { stopAtTag: 0x7fe00010 })).dataset });
  }

  match(identifier: DataSet): { path: string; ds: DataSet }[] {
    const keys = identifier.tags().filter((t) => t !== 0x00080052 && t !== 0x00080005);
    return this.entries.filter((e) =>
      keys.every((tag) => {
        const wanted = identifier.string(tag)?.trim();
        if (!wanted || wanted === '*') return true;
        const have = e.ds.string(tag)?.trim() ?? '';
        if (wanted.includes('*'))
          return new RegExp(`^${wanted.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(
            have,
          );
        return wanted.split('\\').includes(have);
      }),
    );
  }

  /** One response per distinct entity at the query level, with the requested keys filled in. */
  find(identifier: DataSet): DataSet[] {
    const level = identifier.string('QueryRetrieveLevel')?.trim() ?? 'STUDY';
    const keyOf: Record<string, number> = {
      PATIENT: 0x00100020,
      STUDY: 0x0020000d,
      SERIES: 0x0020000e,
      IMAGE: 0x00080018,
    };
    const seen = new Set<string>();
    const out: DataSet[] = [];
    for (const e of this.match(identifier)) {
      const key = e.ds.string(keyOf[level] ?? 0x0020000d) ?? '';
      if (seen.has(key)) continue;
      seen.add(key);
      const response = new DataSet();
      for (const tag of identifier.tags()) {
        const element = e.ds.element(tag);
        if (element) response.add(element);
        else if (tag === 0x00080052) response.set('QueryRetrieveLevel', level);
        else response.set(tag, undefined, identifier.element(tag)!.vr);
      }
      out.push(response);
    }
    return out;
  }
}

describe('DCMTK tools -> dicomkit SCP', () => {
  let server: DicomServer;
  let port = 0;
  const received = join(work, 'dk-received');
  const archive = new TestArchive();
  let cancelSeen = false;
  const scp = new ApplicationEntity({ aeTitle: 'DKSCP' });
  let movePort = 0;

  before(async () => {
    mkdirSync(received, { recursive: true });
    await archive.add(await generateInstances(join(work, 'dk-archive'), 5, 3));
    movePort = await freePort();
    server = await scp.listen({
      port: 0,
      handlers: {
        store: async (req) => {
          await req.writeFile(join(received, `${req.sopInstanceUid}.dcm`));
        },
        async *find(req, ctx): AsyncGenerator<FindYield> {
          if (req.identifier.string('PatientID')?.trim() !== 'SLOW*') {
            yield* archive.find(req.identifier);
            return;
          }
          // A slow query, for the cancel test: a match every 20 ms.
          ctx.signal.addEventListener('abort', () => {
            cancelSeen = true;
          });
          for (let i = 0; i < 200 && !ctx.signal.aborted; i++) {
            await new Promise((r) => setTimeout(r, 20));
            const match = new DataSet();
            match.set('QueryRetrieveLevel', 'PATIENT');
            match.set('PatientID', `SLOW${i}`);
            yield match;
          }
        },
        async *get(req): AsyncGenerator<RetrieveYield> {
          for (const m of archive.match(req.identifier)) yield m.path;
        },
        async *move(req): AsyncGenerator<RetrieveYield> {
          for (const m of archive.match(req.identifier)) yield m.path;
        },
      },
      moveDestinations: { MOVESCU: { host: '127.0.0.1', port: movePort } },
    });
    port = server.port;
  });
  after(() => server.close({ abort: true }));

  test('echoscu', { timeout: 20_000 }, async () => {
    const r = await runPeerAsync('echoscu', ['-v', '-aec', 'DKSCP', '127.0.0.1', String(port)]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout + r.stderr, /Received Echo Response \(Success\)/);
  });

  test('storescu stores files that arrive with the same data', { timeout: 30_000 }, async () => {
    const files = [
      'CT_small.dcm',
      'MR_small.dcm',
      'MR_small_bigendian.dcm',
      'ExplVR_BigEnd.dcm',
      'rtplan.dcm',
      'waveform_ecg.dcm',
    ].map((n) => join(FIXTURES, n));
    const r = await runPeerAsync('storescu', ['-v', '-aec', 'DKSCP', '127.0.0.1', String(port), ...files]);
    assert.equal(r.status, 0, r.stderr);
    for (const f of files) {
      const uid = (await readDicomFile(f)).dataset.string('SOPInstanceUID');
      const got = await readDicomFile(join(received, `${uid}.dcm`));
      const original = await readDicomFile(f);
      assert.equal(got.dataset.string('SOPInstanceUID'), original.dataset.string('SOPInstanceUID'));
      assert.equal(got.dataset.string('PatientName'), original.dataset.string('PatientName'));
      assert.equal(got.dataset.bytes('PixelData')?.length, original.dataset.bytes('PixelData')?.length, f);
    }
  });

  test('findscu gets several pending responses', { timeout: 20_000 }, async () => {
    const r = await runPeerAsync('findscu', [
      '-v',
      '-S',
      '-aec',
      'DKSCP',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      'StudyInstanceUID',
      '-k',
      'PatientID',
      '127.0.0.1',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stderr);
    const text = r.stdout + r.stderr;
    assert.equal((text.match(/Find Response: \d+ \(Pending\)/g) ?? []).length, 5, text);
    assert.match(text, /Received Final Find Response \(Success\)/);
  });

  test('findscu --cancel stops a running C-FIND', { timeout: 30_000 }, async () => {
    const r = await runPeerAsync('findscu', [
      '-v',
      '-P',
      '--cancel',
      '3',
      '-aec',
      'DKSCP',
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=SLOW*',
      '127.0.0.1',
      String(port),
    ]);
    const text = r.stdout + r.stderr;
    assert.equal(r.status, 0, text);
    assert.match(text, /Cancel/);
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.ok(cancelSeen, 'the handler saw the cancel through its AbortSignal');
  });

  test('getscu retrieves a study over C-GET', { timeout: 30_000 }, async () => {
    const dir = join(work, 'getscu-out');
    mkdirSync(dir);
    const study = archive.entries[3]!.ds.string('StudyInstanceUID')!;
    const r = await runPeerAsync('getscu', [
      '-v',
      '-S',
      '-aec',
      'DKSCP',
      '-k',
      'QueryRetrieveLevel=STUDY',
      '-k',
      `StudyInstanceUID=${study}`,
      '-od',
      dir,
      '127.0.0.1',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    const files = listFiles(dir);
    assert.equal(files.length, 3, files.join(' '));
    for (const name of files) {
      const ds = (await readDicomFile(join(dir, name))).dataset;
      assert.equal(ds.string('StudyInstanceUID'), study);
    }
  });

  test('movescu moves a patient to its own store SCP', { timeout: 30_000 }, async () => {
    const dir = join(work, 'movescu-out');
    mkdirSync(dir);
    const r = await runPeerAsync('movescu', [
      '-v',
      '-P',
      '-aec',
      'DKSCP',
      '-aet',
      'MOVESCU',
      '-aem',
      'MOVESCU',
      '--port',
      String(movePort),
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=P0002',
      '-od',
      dir,
      '127.0.0.1',
      String(port),
    ]);
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.equal(listFiles(dir).length, 3);
    assert.match(r.stdout + r.stderr, /Received Final Move Response \(Success\)/);
  });

  test('movescu to an unknown destination gets A801', { timeout: 20_000 }, async () => {
    const r = await runPeerAsync('movescu', [
      '-v',
      '-P',
      '-aec',
      'DKSCP',
      '-aem',
      'NOWHERE',
      '-k',
      'QueryRetrieveLevel=PATIENT',
      '-k',
      'PatientID=P0002',
      '127.0.0.1',
      String(port),
    ]);
    assert.match(r.stdout + r.stderr, /Received Final Move Response \(Refused: MoveDestinationUnknown\)/);
  });
});

describe('dicomkit SCU -> DCMTK dcmqrscp', () => {
  let port = 0;
  let destPort = 0;
  let dcmqrscp: BackgroundPeer;
  let dest: DicomServer;
  const moved: string[] = [];
  const db = join(work, 'qrdb');
  const IMAGES = 2000;

  before(async () => {
    // A series of many images, so that an IMAGE-level C-FIND is still running when the C-CANCEL
    // arrives (dcmqridx limits studies, not images); and a few studies of three images.
    const inDb = [
      ...(await generateInstances(db, 1, IMAGES, '2.25.2')),
      ...(await generateInstances(db, 5, 3, '2.25.3', 5001)),
    ];
    // Quietly: on failure the error would repeat two thousand paths.
    const indexed = spawnSync('dcmqridx', [db, ...inDb], { encoding: 'utf8' });
    assert.equal(indexed.status, 0, `dcmqridx failed: ${indexed.stderr.slice(0, 500)}`);
    port = await freePort();
    dest = await new ApplicationEntity({ aeTitle: 'DKDEST' }).listen({
      port: 0,
      handlers: {
        store: async (req) => {
          moved.push(req.sopInstanceUid);
          await req.data.bytes();
        },
      },
    });
    destPort = dest.port;
    const config = join(work, 'dcmqrscp.cfg');
    writeFileSync(
      config,
      dcmqrscpConfig({
        port,
        aeTitle: 'QRSCP',
        storage: db,
        maxStudies: 500,
        maxStudySize: '1024mb',
        peers: [
          ['dkdest', 'DKDEST', destPort],
          ['dkscu', 'DKSCU', destPort],
        ],
      }),
    );
    // Forking mode: Debian's dcmqrscp 3.6.7 --single-process crashes (SIGSEGV) after the first release.
    dcmqrscp = await startPeer('dcmqrscp', ['-c', config, String(port)], port);
  });
  after(async () => {
    await dcmqrscp.stop();
    await dest.close({ abort: true });
  });

  const contexts = () => [
    verificationContext(),
    { abstractSyntax: QueryRetrieveModels.patient.find, transferSyntaxes: [EXPLICIT] },
    { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] },
    { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
    { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
    ...getStorageContexts([SC], [EXPLICIT]),
  ];

  test('C-ECHO and C-FIND with many pending responses', { timeout: 30_000 }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'QRSCP',
      contexts: contexts(),
    });
    assert.equal(await assoc.echo(), 0);
    const query = new DataSet();
    query.set('QueryRetrieveLevel', 'STUDY');
    query.set('PatientID', 'P50*');
    query.set('StudyInstanceUID', '');
    query.set('PatientName', '');
    const results: DataSet[] = [];
    const finder = assoc.find(query, { model: 'study' });
    for await (const match of finder) results.push(match);
    assert.equal(results.length, 5);
    assert.equal(new Set(results.map((r) => r.string('StudyInstanceUID'))).size, 5);
    assert.ok(results.every((r) => r.string('PatientID')?.startsWith('P50')));
    await assoc.release();
  });

  test('C-CANCEL of a running C-FIND', { timeout: 30_000 }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'QRSCP',
      contexts: contexts(),
    });
    const query = new DataSet();
    query.set('QueryRetrieveLevel', 'IMAGE');
    query.set('StudyInstanceUID', '2.25.2.1');
    query.set('SeriesInstanceUID', '2.25.2.1.1');
    query.set('SOPInstanceUID', '');
    const controller = new AbortController();
    let count = 0;
    const finder = assoc.find(query, { model: 'study', signal: controller.signal });
    let final: number | undefined;
    for (;;) {
      const next = await finder.next();
      if (next.done) {
        final = next.value;
        break;
      }
      count++;
      if (count === 1) controller.abort();
    }
    assert.equal(final, 0xfe00, `final status 0x${final?.toString(16)} after ${count} matches`);
    assert.ok(count < IMAGES, `${count} matches came back`);
    // The association is still usable after the cancel.
    assert.equal(await assoc.echo(), 0);
    await assoc.release();
  });

  test('C-GET of a study', { timeout: 30_000 }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'QRSCP',
      contexts: contexts(),
    });
    const query = new DataSet();
    query.set('QueryRetrieveLevel', 'STUDY');
    query.set('StudyInstanceUID', '2.25.3.5002');
    const got: DataSet[] = [];
    const progress: number[] = [];
    const result = await assoc.get(query, {
      model: 'study',
      store: async (req) => {
        got.push(await req.dataset());
      },
      onProgress: (p) => progress.push(p.completed),
    });
    assert.equal(result.status, 0);
    assert.equal(result.completed, 3);
    assert.equal(got.length, 3);
    assert.ok(got.every((d) => d.string('StudyInstanceUID') === '2.25.3.5002'));
    assert.ok(progress.length >= 2, 'pending responses reported progress');
    await assoc.release();
  });

  test('C-MOVE of a study to a dicomkit store SCP', { timeout: 30_000 }, async () => {
    const assoc = await ae.associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'QRSCP',
      contexts: contexts(),
    });
    const query = new DataSet();
    query.set('QueryRetrieveLevel', 'STUDY');
    query.set('StudyInstanceUID', '2.25.3.5003');
    moved.length = 0;
    const result = await assoc.move(query, 'DKDEST', { model: 'study' });
    assert.equal(result.status, 0);
    assert.equal(result.completed, 3);
    assert.deepEqual(moved.sort(), ['2.25.3.5003.1.1', '2.25.3.5003.1.2', '2.25.3.5003.1.3']);
    await assoc.release();
  });
});

describe('TLS between dicomkit and DCMTK', () => {
  const dir = join(work, 'tls');
  let key: string;
  let cert: string;

  before(() => {
    mkdirSync(dir, { recursive: true });
    ({ key, cert } = selfSignedCertificate(dir, { subjectAltNames: true }));
  });

  test('dicomkit SCU -> storescp +tls: echo and store', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const out = join(dir, 'out');
    mkdirSync(out);
    const storescp = await startPeer(
      'storescp',
      ['+tls', key, cert, '+cf', cert, '-od', out, '+B', String(port)],
      port,
    );
    try {
      const tls = {
        key: readFileSync(key),
        cert: readFileSync(cert),
        ca: readFileSync(cert),
        servername: 'localhost',
      };
      const assoc = await ae.associate({
        host: '127.0.0.1',
        port,
        calledAeTitle: 'STORESCP',
        contexts: [verificationContext(), ...storageContexts(['1.2.840.10008.5.1.4.1.1.2'], [EXPLICIT])],
        tls,
      });
      assert.equal(await assoc.echo(), 0);
      const result = await assoc.store(join(FIXTURES, 'CT_small.dcm'));
      assert.equal(result.status, 0);
      await assoc.release();
      const files = listFiles(out);
      assert.equal(files.length, 1);
      assert.ok(
        Buffer.from(dataSetBytes(join(out, files[0]!))).equals(
          Buffer.from(dataSetBytes(join(FIXTURES, 'CT_small.dcm'))),
        ),
      );
    } finally {
      await storescp.stop();
    }
  });

  test('echoscu and storescu +tls -> dicomkit SCP', { timeout: 30_000 }, async () => {
    const got: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'DKTLS' }).listen({
      port: 0,
      tls: {
        key: readFileSync(key),
        cert: readFileSync(cert),
        ca: readFileSync(cert),
        requestCert: true,
        rejectUnauthorized: true,
      },
      handlers: {
        store: async (req) => {
          got.push(req.sopInstanceUid);
          await req.data.bytes();
        },
      },
    });
    try {
      const port = String(server.port);
      const echo = await runPeerAsync('echoscu', ['-v', '+tls', key, cert, '+cf', cert, '127.0.0.1', port]);
      assert.equal(echo.status, 0, echo.stdout + echo.stderr);
      const store = await runPeerAsync('storescu', [
        '+tls',
        key,
        cert,
        '+cf',
        cert,
        '127.0.0.1',
        port,
        join(FIXTURES, 'MR_small.dcm'),
      ]);
      assert.equal(store.status, 0, store.stdout + store.stderr);
      assert.deepEqual(got, [(await prepareSource(join(FIXTURES, 'MR_small.dcm'))).sopInstanceUid]);
      // Without a client certificate the handshake fails and nothing is stored.
      const anonymous = await runPeerAsync('echoscu', ['+tla', '+cf', cert, '127.0.0.1', port]);
      assert.notEqual(anonymous.status, 0);
    } finally {
      await server.close({ abort: true });
    }
  });
});
