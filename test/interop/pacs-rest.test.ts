// The PACS's REST API (issue 5: "REST lists, downloads and deletes what was stored"): files
// uploaded with POST /instances and stored by a dicomkit SCU are listed at every level,
// downloaded byte for byte, archived as a ZIP (checked by our own reader and by unzip -t) and
// deleted with their rows; statistics follow. Against modalities: echo and store to a DCMTK
// storescp, query and move against a second dicomkit PACS. Everything on 127.0.0.1, ports
// from the OS.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import {
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
import { crc32 } from 'node:zlib';
import { SILENT_LOGGER } from '../../src/core/index.ts';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import { DataSet, readDicom } from '../../src/object/index.ts';
import { resolveConfig } from '../../src/pacs/config.ts';
import { type Pacs, startPacs } from '../../src/pacs/server.ts';
import { ApplicationEntity, storageContexts } from '../../src/services/index.ts';
import { type BackgroundPeer, freePort, runPeerAsync, startPeer } from '../helpers/net-peers.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';
import { type Pnm, parsePnm, pngPixels } from '../helpers/png.ts';

for (const program of ['storescp', 'unzip', 'dcm2pnm', 'dcmdump']) requirePeer(program);

const FIXTURES = 'test/fixtures/pydicom';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-rest-'));
after(() => rmSync(work, { recursive: true, force: true }));
const quiet = SILENT_LOGGER;

/** A file of the test corpus with the attributes the expectations are computed from. */
interface CorpusFile {
  path: string;
  bytes: Buffer;
  patientId: string;
  study: string;
  series: string;
  sop: string;
  sopClass: string;
}

async function corpusFile(path: string): Promise<CorpusFile> {
  const ds = (await readDicomFile(path, { stopAtTag: 0x7fe00010 })).dataset;
  const get = (
    k: 'PatientID' | 'StudyInstanceUID' | 'SeriesInstanceUID' | 'SOPInstanceUID' | 'SOPClassUID',
  ) => ds.string(k)?.trim() ?? '';
  return {
    path,
    bytes: readFileSync(path),
    patientId: get('PatientID'),
    study: get('StudyInstanceUID'),
    series: get('SeriesInstanceUID'),
    sop: get('SOPInstanceUID'),
    sopClass: get('SOPClassUID'),
  };
}

/** What a pydicom script (Debian's /usr/bin/python3) prints, given `files` as its arguments. */
function pydicom(script: string, ...files: string[]): Buffer {
  const r = spawnSync('/usr/bin/python3', ['-c', script, ...files], { maxBuffer: 64 << 20 });
  assert.equal(r.status, 0, r.stderr?.toString());
  return r.stdout;
}

function newUid(): string {
  return `2.25.${BigInt(`0x${randomUUID().replace(/-/g, '')}`).toString()}`;
}

/** A copy of a fixture as another instance (and optionally another series) of its study. */
async function copyAs(from: string, to: string, changes: Record<string, string | number>): Promise<string> {
  const ds = (await readDicomFile(from)).dataset;
  for (const [keyword, value] of Object.entries(changes)) ds.set(keyword as never, value);
  await writeDicomFile(to, ds, { transferSyntax: '1.2.840.10008.1.2.1' });
  return to;
}

/** The data set bytes of a Part 10 file (what a C-STORE carries; the file meta may differ). */
function dataSetBytes(bytes: Uint8Array): Uint8Array {
  return bytes.subarray(readDicom(bytes, { stopAtTag: 0x00080000 }).dataSetOffset);
}

function sorted(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** Reads a stored ZIP (APPNOTE 4.3) from its central directory, checking each entry's CRC-32. */
function unzip(zip: Buffer): Map<string, Buffer> {
  const end = zip.length - 22;
  assert.equal(zip.readUInt32LE(end), 0x06054b50, 'end of central directory record');
  const count = zip.readUInt16LE(end + 10);
  let at = zip.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    assert.equal(zip.readUInt32LE(at), 0x02014b50, 'central directory header');
    assert.equal(zip.readUInt16LE(at + 10), 0, 'stored, not compressed');
    const crc = zip.readUInt32LE(at + 16);
    const size = zip.readUInt32LE(at + 24);
    const nameLength = zip.readUInt16LE(at + 28);
    const extra = zip.readUInt16LE(at + 30) + zip.readUInt16LE(at + 32);
    const local = zip.readUInt32LE(at + 42);
    const name = zip.subarray(at + 46, at + 46 + nameLength).toString('utf8');
    assert.equal(zip.readUInt32LE(local), 0x04034b50, `local header of ${name}`);
    assert.equal(zip.readUInt32LE(local + 14), crc, `local CRC of ${name}`);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const data = zip.subarray(start, start + size);
    assert.equal(crc32(data), crc, `CRC-32 of ${name}`);
    files.set(name, data);
    at += 46 + nameLength + extra;
  }
  return files;
}

describe('dicomkit pacs REST API', () => {
  let pacs: Pacs;
  let remote: Pacs;
  let storescp: BackgroundPeer;
  const storescpOut = join(work, 'storescp');
  let base = '';
  // The corpus: the CT study (three instances in two series, uploaded), odd files (uploaded),
  // a J2K instance (C-STORE), a 9 MiB instance (uploaded), an MR study (on the remote PACS).
  let ct: CorpusFile;
  let ct2: CorpusFile;
  let ct3: CorpusFile;
  let rtplan: CorpusFile;
  let deflated: CorpusFile;
  let big: CorpusFile;
  let j2k: CorpusFile;
  let mr: CorpusFile;
  let mr2: CorpusFile;

  async function api(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; json: unknown; bytes: Buffer; headers: Headers }> {
    const response = await fetch(`${base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : body instanceof Uint8Array
          ? { body, headers }
          : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', ...headers } }),
      signal: AbortSignal.timeout(30_000),
    });
    const bytes = Buffer.from(await response.arrayBuffer());
    const type = response.headers.get('content-type') ?? '';
    const json = type.startsWith('application/json') ? JSON.parse(bytes.toString('utf8')) : undefined;
    return { status: response.status, json, bytes, headers: response.headers };
  }

  const stored = (p: Pacs, uid: string) => p.storage.absolute(p.storage.relativePath(uid));

  before(async () => {
    const corpus = join(work, 'corpus');
    mkdirSync(corpus);
    mkdirSync(storescpOut);
    ct = await corpusFile(`${FIXTURES}/CT_small.dcm`);
    ct2 = await corpusFile(await copyAs(ct.path, join(corpus, 'ct2.dcm'), { SOPInstanceUID: newUid() }));
    ct3 = await corpusFile(
      await copyAs(ct.path, join(corpus, 'ct3.dcm'), {
        SOPInstanceUID: newUid(),
        SeriesInstanceUID: newUid(),
        SeriesNumber: 2,
      }),
    );
    // Its file meta names another SOP instance than its data set does: the data set wins.
    rtplan = await corpusFile(`${FIXTURES}/rtplan.dcm`);
    deflated = await corpusFile(`${FIXTURES}/image_dfl.dcm`);
    j2k = await corpusFile(`${FIXTURES}/JPEG2000.dcm`);
    mr = await corpusFile(`${FIXTURES}/MR_small.dcm`);
    mr2 = await corpusFile(await copyAs(mr.path, join(corpus, 'mr2.dcm'), { SOPInstanceUID: newUid() }));
    const bigSet = new DataSet();
    bigSet.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
    bigSet.set('SOPInstanceUID', newUid());
    bigSet.set('PatientID', 'BIG');
    bigSet.set('PatientName', 'Big^Upload');
    bigSet.set('StudyInstanceUID', newUid());
    bigSet.set('SeriesInstanceUID', newUid());
    bigSet.set('Modality', 'OT');
    bigSet.set('Rows', 3072);
    bigSet.set('Columns', 3072);
    bigSet.set('BitsAllocated', 8);
    bigSet.set('BitsStored', 8);
    bigSet.set('HighBit', 7);
    bigSet.set('PixelRepresentation', 0);
    bigSet.set('SamplesPerPixel', 1);
    bigSet.set('PhotometricInterpretation', 'MONOCHROME2');
    const pixels = new Uint8Array(3072 * 3072);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 2654435761) >>> 24;
    bigSet.set('PixelData', pixels, 'OB');
    await writeDicomFile(join(corpus, 'big.dcm'), bigSet, { transferSyntax: '1.2.840.10008.1.2.1' });
    big = await corpusFile(join(corpus, 'big.dcm'));

    const storescpPort = await freePort();
    storescp = await startPeer(
      'storescp',
      ['-aet', 'STORESCP', '+xa', '-pm', '+B', '+uf', '-od', storescpOut, String(storescpPort)],
      storescpPort,
    );
    // The remote modality: a second dicomkit PACS holding the MR study.
    remote = await startPacs(
      resolveConfig({
        aeTitle: 'REMOTE',
        dicom: { host: '127.0.0.1', port: 0 },
        http: { enabled: false },
        storage: { path: join(work, 'remote'), fsync: false },
      }),
      { logger: quiet },
    );
    const loader = await new ApplicationEntity({ aeTitle: 'LOADER' }).associate({
      host: '127.0.0.1',
      port: remote.dicom.port,
      calledAeTitle: 'REMOTE',
      contexts: storageContexts([mr.sopClass]),
    });
    for (const file of [mr, mr2]) await loader.store(file.path);
    await loader.release();
    const closedPort = await freePort();
    pacs = await startPacs(
      resolveConfig({
        dicom: { host: '127.0.0.1', port: 0 },
        http: { port: 0 },
        storage: { path: join(work, 'data'), fsync: false },
        // Stable* change log entries a second after a resource's last instance.
        index: { stableAge: 1 },
        modalities: {
          storescp: { aeTitle: 'STORESCP', host: '127.0.0.1', port: storescpPort },
          remote: { aeTitle: 'REMOTE', host: '127.0.0.1', port: remote.dicom.port },
          dead: { aeTitle: 'DEAD', host: '127.0.0.1', port: closedPort },
        },
      }),
      { logger: quiet },
    );
    // Our DICOM port is known only now: the remote learns where to send C-MOVEs to DICOMKIT
    // (its destinations are read from its config at each request).
    remote.config.modalities.dicomkit = {
      aeTitle: 'DICOMKIT',
      host: '127.0.0.1',
      port: pacs.dicom.port,
      checkHost: true,
      permissions: { echo: true, store: true, find: true, move: true, get: true },
      useTls: false,
    };
    base = pacs.http!.url;
  });
  after(async () => {
    await pacs?.close({ abort: true });
    await remote?.close({ abort: true });
    await storescp?.stop();
  });

  test('HTTP listens on a port the OS chose, on loopback; /system says so', { timeout: 10_000 }, async () => {
    assert.equal(pacs.http!.host, '127.0.0.1');
    assert.ok(pacs.http!.port > 0);
    assert.equal(pacs.httpPort, pacs.http!.port);
    const { status, json } = await api('GET', '/system');
    assert.equal(status, 200);
    assert.equal((json as { DicomAet: string }).DicomAet, 'DICOMKIT');
    assert.equal((json as { DicomPort: number }).DicomPort, pacs.dicom.port);
    assert.equal((json as { HttpPort: number }).HttpPort, pacs.http!.port);
  });

  test('POST /instances stores Part 10 files as uploaded; again is AlreadyStored', {
    timeout: 60_000,
  }, async () => {
    const uploads: [CorpusFile, Record<string, string>][] = [
      [ct, { 'content-type': 'application/dicom' }],
      [ct2, { 'content-type': 'application/octet-stream' }],
      // What curl --data-binary sends.
      [ct3, { 'content-type': 'application/x-www-form-urlencoded' }],
      [rtplan, {}],
      [deflated, { 'content-type': 'application/dicom' }],
      // Larger than any JSON body limit: streamed to disk.
      [big, { 'content-type': 'application/dicom' }],
    ];
    for (const [file, headers] of uploads) {
      const { status, json } = await api('POST', '/instances', new Uint8Array(file.bytes), headers);
      assert.equal(status, 200, `${file.path}: ${JSON.stringify(json)}`);
      assert.deepEqual(json, { ID: file.sop, Status: 'Success' });
      assert.ok(readFileSync(stored(pacs, file.sop)).equals(file.bytes), `${file.path} stored byte for byte`);
    }
    const again = await api('POST', '/instances', new Uint8Array(ct.bytes), {
      'content-type': 'application/dicom',
    });
    assert.deepEqual([again.status, again.json], [200, { ID: ct.sop, Status: 'AlreadyStored' }]);
    // Not DICOM, and DICOM cut short in its header: refused, nothing left behind.
    const garbage = await api(
      'POST',
      '/instances',
      new TextEncoder().encode('hello, not a DICOM file'.repeat(20)),
    );
    assert.equal(garbage.status, 400);
    assert.equal((garbage.json as { code: string }).code, 'ERR_NOT_DICOM');
    const cut = await api('POST', '/instances', new Uint8Array(mr.bytes.subarray(0, 200)));
    assert.equal(cut.status, 400, JSON.stringify(cut.json));
    assert.equal(typeof (cut.json as { error: string }).error, 'string');
    assert.equal(pacs.index.has(mr.sop), false);
    // Only the empty spare files the store keeps ready for the next instance (SpareFiles).
    for (const leftover of pacs.storage.scan().leftovers) {
      assert.match(leftover, /^files\/\.incoming\/\.[^/]+\.part$/);
      assert.equal(statSync(pacs.storage.absolute(leftover)).size, 0, leftover);
    }
  });

  test('a C-STORE from a dicomkit SCU and the uploads show in the lists', { timeout: 30_000 }, async () => {
    const scu = await new ApplicationEntity({ aeTitle: 'MODALITY' }).associate({
      host: '127.0.0.1',
      port: pacs.dicom.port,
      calledAeTitle: 'DICOMKIT',
      contexts: [{ abstractSyntax: j2k.sopClass, transferSyntaxes: ['1.2.840.10008.1.2.4.91'] }],
    });
    assert.equal((await scu.store(j2k.path)).status, 0);
    await scu.release();
    const all = [ct, ct2, ct3, rtplan, deflated, big, j2k];
    // Expectations from the files' own headers.
    const lists: [string, string[]][] = [
      ['/patients', sorted(all.map((f) => f.patientId).filter(Boolean))],
      ['/studies', sorted(all.map((f) => f.study))],
      ['/series', sorted(all.map((f) => f.series))],
      ['/instances', sorted(all.map((f) => f.sop))],
    ];
    for (const [path, expected] of lists) {
      const { status, json } = await api('GET', path);
      assert.equal(status, 200, `${path}: ${JSON.stringify(json)}`);
      assert.deepEqual(sorted(json as string[]), expected, path);
    }
    const page = (await api('GET', '/instances?since=2&limit=3')).json as string[];
    assert.deepEqual(page, ((await api('GET', '/instances')).json as string[]).slice(2, 5));

    type Resource = Record<string, unknown> & { MainDicomTags: Record<string, string> };
    const studies = (await api('GET', '/studies?expand')).json as Resource[];
    assert.equal(studies.length, lists[1]![1].length);
    const study = studies.find((s) => s.ID === ct.study)!;
    assert.equal(study.Type, 'Study');
    assert.equal(study.MainDicomTags.StudyInstanceUID, ct.study);
    assert.equal((study.PatientMainDicomTags as Record<string, string>).PatientID, '1CT1');
    assert.equal(study.ParentPatient, '1CT1');
    assert.deepEqual(sorted(study.Series as string[]), sorted([ct.series, ct3.series]));
    assert.deepEqual(study.Children, study.Series);
    assert.deepEqual([study.CountSeries, study.CountInstances], [2, 3]);
    assert.deepEqual((await api('GET', `/studies/${ct.study}`)).json, study);

    const patient = (await api('GET', '/patients/1CT1')).json as Resource;
    assert.deepEqual([patient.Type, patient.Studies, patient.CountInstances], ['Patient', [ct.study], 3]);
    const series = (await api('GET', `/series/${ct.series}`)).json as Resource;
    assert.equal(series.ParentStudy, ct.study);
    assert.deepEqual(sorted(series.Instances as string[]), sorted([ct.sop, ct2.sop]));
    const instance = (await api('GET', `/instances/${j2k.sop}`)).json as Resource;
    assert.equal(instance.ParentSeries, j2k.series);
    assert.equal(instance.MainDicomTags.SOPClassUID, j2k.sopClass);
    assert.equal(instance.FileSize, readFileSync(stored(pacs, j2k.sop)).length);
    assert.equal(instance.TransferSyntaxUID, '1.2.840.10008.1.2.4.91');
    const below = (await api('GET', `/studies/${ct.study}/instances`)).json as Resource[];
    assert.deepEqual(sorted(below.map((i) => i.ID as string)), sorted([ct.sop, ct2.sop, ct3.sop]));
    assert.ok(below.every((i) => i.Type === 'Instance'));
  });

  test("POST /tools/find matches as C-FIND does, at every level (Orthanc's body)", {
    timeout: 30_000,
  }, async () => {
    // Expectations from the files' own headers, matched here by plain string tests.
    const headers = await Promise.all(
      [ct, ct2, ct3, rtplan, deflated, big, j2k].map(
        async (f) => (await readDicomFile(f.path, { stopAtTag: 0x7fe00010 })).dataset,
      ),
    );
    const value = (ds: DataSet, key: string) => ds.string(key as never)?.trim() ?? '';
    const expect = (key: string, pick: (ds: DataSet) => boolean) =>
      sorted(headers.filter(pick).map((ds) => value(ds, key)));
    const find = async (body: Record<string, unknown>) => {
      const { status, json } = await api('POST', '/tools/find', body);
      assert.equal(status, 200, `${JSON.stringify(body)}: ${JSON.stringify(json)}`);
      return json as unknown[];
    };
    const ids = async (body: Record<string, unknown>) => sorted((await find(body)) as string[]);

    // PN wildcard, case-insensitive by default (index.caseInsensitivePN), or as asked.
    const compressed = expect('StudyInstanceUID', (ds) =>
      value(ds, 'PatientName').toLowerCase().startsWith('compressed'),
    );
    assert.ok(compressed.length > 0);
    assert.deepEqual(await ids({ Level: 'Study', Query: { PatientName: 'compressed*' } }), compressed);
    assert.deepEqual(
      await ids({ Level: 'Study', Query: { PatientName: 'compressed*' }, CaseSensitive: true }),
      expect('StudyInstanceUID', (ds) => value(ds, 'PatientName').startsWith('compressed')),
    );
    // A date range, a key of the level below (relational), a UID list, every level.
    const inRange = (ds: DataSet) => {
      const date = value(ds, 'StudyDate');
      return date >= '20000101' && date <= '20051231';
    };
    assert.deepEqual(
      await ids({ Level: 'Study', Query: { StudyDate: '20000101-20051231' } }),
      expect('StudyInstanceUID', inRange),
    );
    assert.deepEqual(
      await ids({ Level: 'study', Query: { Modality: 'CT' } }),
      expect('StudyInstanceUID', (ds) => value(ds, 'Modality') === 'CT'),
    );
    assert.deepEqual(
      await ids({ Level: 'Series', Query: { Modality: 'CT', StudyDate: '20000101-20051231' } }),
      expect('SeriesInstanceUID', (ds) => value(ds, 'Modality') === 'CT' && inRange(ds)),
    );
    assert.deepEqual(
      await ids({ Level: 'Instance', Query: { SeriesInstanceUID: `${ct.series}\\${j2k.series}` } }),
      sorted([ct.sop, ct2.sop, j2k.sop]),
    );
    assert.deepEqual(
      await ids({ Level: 'Patient', Query: { PatientID: '1CT*' } }),
      expect('PatientID', (ds) => value(ds, 'PatientID').startsWith('1CT')),
    );
    assert.deepEqual(
      await ids({ Level: 'Instance', Query: {} }),
      sorted(headers.map((ds) => value(ds, 'SOPInstanceUID'))),
    );

    // Expand gives what GET /studies/{id} gives, plus RequestedTags from the index or the header.
    const [expanded] = (await find({
      Level: 'Study',
      Query: { StudyInstanceUID: ct.study },
      Expand: true,
      RequestedTags: ['StudyDate', '0008,0090', 'InstitutionName'],
    })) as Record<string, unknown>[];
    const { RequestedTags, ...resource } = expanded!;
    assert.deepEqual(resource, (await api('GET', `/studies/${ct.study}`)).json);
    const ctHeader = headers[0]!;
    assert.deepEqual(RequestedTags, {
      StudyDate: value(ctHeader, 'StudyDate'),
      ReferringPhysicianName: value(ctHeader, 'ReferringPhysicianName'),
      InstitutionName: value(ctHeader, 'InstitutionName'),
    });

    // Since and Limit page through the same order as the whole answer.
    const all = (await find({ Level: 'Instance', Query: {} })) as string[];
    assert.deepEqual(await find({ Level: 'Instance', Query: {}, Since: 2, Limit: 3 }), all.slice(2, 5));
    assert.deepEqual(await find({ Level: 'Instance', Query: {}, Limit: 0 }), all);

    // /tools/lookup names the resources an identifier belongs to, whatever the body's type.
    assert.deepEqual((await api('POST', '/tools/lookup', new TextEncoder().encode(`${ct.study}\n`))).json, [
      { ID: ct.study, Path: `/studies/${ct.study}`, Type: 'Study' },
    ]);
    assert.deepEqual((await api('POST', '/tools/lookup', ct.patientId)).json, [
      { ID: ct.patientId, Path: `/patients/${ct.patientId}`, Type: 'Patient' },
    ]);
    assert.deepEqual((await api('POST', '/tools/lookup', new TextEncoder().encode(j2k.sop))).json, [
      { ID: j2k.sop, Path: `/instances/${j2k.sop}`, Type: 'Instance' },
    ]);
    assert.deepEqual((await api('POST', '/tools/lookup', new TextEncoder().encode(newUid()))).json, []);
    assert.equal((await api('POST', '/tools/lookup', new TextEncoder().encode(' '))).status, 400);

    // Bad bodies: 400 naming the field.
    for (const [body, pattern] of [
      [{ Query: {} }, /Level/],
      [{ Level: 'Frame', Query: {} }, /Level/],
      [{ Level: 'Study', Query: 'DOE*' }, /Query/],
      [{ Level: 'Study', Query: {}, Limit: -1 }, /Limit/],
      [{ Level: 'Study', Query: {}, Expand: 'yes' }, /Expand/],
      [{ Level: 'Study', Query: { NoSuchKeyword: 'x' } }, /NoSuchKeyword/],
      [{ Level: 'Study', Query: {}, RequestedTags: 'StudyDate' }, /RequestedTags/],
    ] as const) {
      const { status, json } = await api('POST', '/tools/find', body);
      assert.equal(status, 400, JSON.stringify(body));
      assert.match((json as { error: string }).error, pattern);
    }
  });

  test('images: frames, preview and rendered PNGs as DCMTK dcm2pnm renders them; raw frames as pydicom reads them', {
    timeout: 60_000,
  }, async () => {
    const pnm = (file: string, args: string[]) => {
      const out = join(work, `dcm2pnm-${randomUUID()}.pnm`);
      const r = runPeer('dcm2pnm', [...args, '+op', file, out]);
      assert.equal(r.status, 0, r.stderr);
      return parsePnm(readFileSync(out));
    };
    const png = async (path: string) => {
      const { status, bytes, headers } = await api('GET', path);
      assert.equal(status, 200, `${path}: ${bytes.toString('utf8', 0, 200)}`);
      assert.equal(headers.get('content-type'), 'image/png');
      return pngPixels(new Uint8Array(bytes));
    };
    /** Ours rounds, DCMTK truncates: one grey level apart at most. */
    const close = (ours: ReturnType<typeof pngPixels>, theirs: Pnm, what: string) => {
      assert.deepEqual(
        [ours.width, ours.height, ours.channels],
        [theirs.width, theirs.height, theirs.channels],
        what,
      );
      let worst = 0;
      for (let i = 0; i < ours.data.length; i++)
        worst = Math.max(worst, Math.abs(ours.data[i]! - theirs.data[i]!));
      assert.ok(worst <= 1, `${what}: ${worst} grey levels apart`);
    };

    assert.deepEqual((await api('GET', `/instances/${ct.sop}/frames`)).json, [0]);
    // CT_small stores no window: the preview maps the frame's range (dcm2pnm +Wm).
    const preview = await png(`/instances/${ct.sop}/preview`);
    close(preview, pnm(ct.path, ['+Wm']), 'preview');
    close(await png(`/instances/${ct.sop}/frames/0/preview`), pnm(ct.path, ['+Wm']), 'frame 0 preview');
    close(
      await png(`/instances/${ct.sop}/rendered?window-center=40&window-width=400`),
      pnm(ct.path, ['+Ww', '40', '400']),
      'rendered with a window',
    );
    // Scaled to fit, aspect kept: nearest takes the pixel under each centre, smooth averages.
    const half = await png(`/instances/${ct.sop}/rendered?width=64`);
    assert.deepEqual([half.width, half.height], [64, 64]);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        assert.equal(half.data[y * 64 + x], preview.data[(2 * y + 1) * 128 + 2 * x + 1]);
      }
    }
    const smooth = await png(`/instances/${ct.sop}/rendered?width=100&height=64&smooth=1`);
    assert.deepEqual([smooth.width, smooth.height], [64, 64]);
    for (let y = 0; y < 64; y++) {
      for (let x = 0; x < 64; x++) {
        const at = 2 * y * 128 + 2 * x;
        const mean =
          (preview.data[at]! + preview.data[at + 1]! + preview.data[at + 128]! + preview.data[at + 129]!) / 4;
        assert.ok(Math.abs(smooth.data[y * 64 + x]! - mean) <= 1, `smooth (${x}, ${y})`);
      }
    }

    // A two-frame RGB image (RLE) uploaded: each frame as dcm2pnm renders it.
    const rgb = await corpusFile(`${FIXTURES}/SC_rgb_rle_2frame.dcm`);
    assert.equal(
      (await api('POST', '/instances', new Uint8Array(rgb.bytes), { 'content-type': 'application/dicom' }))
        .status,
      200,
    );
    assert.deepEqual((await api('GET', `/instances/${rgb.sop}/frames`)).json, [0, 1]);
    close(await png(`/instances/${rgb.sop}/frames/1/preview`), pnm(rgb.path, ['+F', '2']), 'RGB frame 2');

    // Raw frames are the stored bytes: native pixel data, or the JPEG 2000 codestream.
    const nativeRaw = await api('GET', `/instances/${ct.sop}/frames/0/raw`);
    assert.equal(nativeRaw.headers.get('content-type'), 'application/octet-stream');
    assert.ok(
      nativeRaw.bytes.equals(
        pydicom(
          'import pydicom,sys; sys.stdout.buffer.write(pydicom.dcmread(sys.argv[1]).PixelData)',
          ct.path,
        ),
      ),
    );
    const j2kRaw = await api('GET', `/instances/${j2k.sop}/frames/0/raw`);
    const codestream = pydicom(
      'import pydicom,sys; from pydicom.encaps import generate_pixel_data_frame as g; sys.stdout.buffer.write(next(g(pydicom.dcmread(sys.argv[1]).PixelData, 1)))',
      j2k.path,
    );
    // The codestream, without the fragment's trailing padding byte if it has one.
    assert.ok(j2kRaw.bytes.length > 0 && codestream.subarray(0, j2kRaw.bytes.length).equals(j2kRaw.bytes));
    assert.ok(codestream.length - j2kRaw.bytes.length <= 1);

    // What cannot be served.
    for (const [path, status] of [
      [`/instances/${rtplan.sop}/preview`, 400],
      [`/instances/${ct.sop}/frames/1/preview`, 404],
      [`/instances/${ct.sop}/frames/x/raw`, 404],
      [`/instances/${ct.sop}/rendered?window-center=40`, 400],
      [`/instances/${ct.sop}/rendered?width=-3`, 400],
      [`/instances/${newUid()}/preview`, 404],
    ] as const) {
      const r = await api('GET', path);
      assert.equal(r.status, status, `${path}: ${r.bytes.toString('utf8', 0, 200)}`);
      assert.equal(typeof (r.json as { error: string }).error, 'string');
    }
    assert.equal((await api('DELETE', `/instances/${rgb.sop}`)).status, 200);
  });

  test('an instance downloads as stored; its tags come as DICOM JSON', { timeout: 30_000 }, async () => {
    const file = await api('GET', `/instances/${ct.sop}/file`);
    assert.equal(file.status, 200);
    assert.equal(file.headers.get('content-type'), 'application/dicom');
    assert.ok(file.bytes.equals(ct.bytes), 'the uploaded file, byte for byte');
    // Stored from a C-STORE: the file on disk, whose data set is the one sent.
    const sent = await api('GET', `/instances/${j2k.sop}/file`);
    assert.ok(sent.bytes.equals(readFileSync(stored(pacs, j2k.sop))));
    assert.ok(Buffer.from(dataSetBytes(sent.bytes)).equals(Buffer.from(dataSetBytes(j2k.bytes))));
    const large = await api('GET', `/instances/${big.sop}/file`);
    assert.ok(large.bytes.equals(big.bytes), 'the 9 MiB file, byte for byte');

    const tags = (await api('GET', `/instances/${ct.sop}/tags`)).json as Record<
      string,
      { vr: string; Value?: unknown[] }
    >;
    assert.deepEqual(tags['00080018'], { vr: 'UI', Value: [ct.sop] });
    assert.deepEqual(tags['00100010']!.Value, [{ Alphabetic: 'CompressedSamples^CT1' }]);
    assert.equal(tags['7FE00010'], undefined, 'no pixel data');
    const simple = (await api('GET', `/instances/${ct.sop}/tags?simplify`)).json as Record<string, unknown>;
    assert.equal(simple.PatientName, 'CompressedSamples^CT1');
    assert.equal(simple.SOPInstanceUID, ct.sop);
    assert.deepEqual((await api('GET', `/instances/${ct.sop}/simplified-tags`)).json, simple);
  });

  test("Orthanc's raw access (/content, /header), shared tags, ancestors and statistics", {
    timeout: 30_000,
  }, async () => {
    const text = async (path: string) => {
      const r = await api('GET', path);
      assert.equal(r.status, 200, `${path}: ${r.bytes.toString('utf8', 0, 200)}`);
      return r;
    };
    // The expectations, from pydicom's reading of the files we uploaded or sent.
    const expected = JSON.parse(
      pydicom(
        `import pydicom, sys, json, hashlib
from pydicom.encaps import decode_data_sequence
ct = pydicom.dcmread(sys.argv[1]); rt = pydicom.dcmread(sys.argv[2]); j2k = pydicom.dcmread(sys.argv[3])
print(json.dumps({
  'tags': ['%04x-%04x' % (e.tag.group, e.tag.element) for e in ct],
  'rows': str(ct.Rows),
  'spacing': pydicom.dcmread(sys.argv[1]).get_item(0x00280030).value.decode().rstrip(' \\0'),
  'pixels': hashlib.sha256(ct.PixelData).hexdigest(),
  'beams': len(rt[0x300a00b0].value),
  'machine': rt[0x300a00b0][0][0x300a00b2].value,
  'fragments': [hashlib.sha256(f).hexdigest() for f in decode_data_sequence(j2k.PixelData)],
}))`,
        ct.path,
        rtplan.path,
        j2k.path,
      ).toString(),
    ) as {
      tags: string[];
      rows: string;
      spacing: string;
      pixels: string;
      beams: number;
      machine: string;
      fragments: string[];
    };
    const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

    // /content: the tags, a value as text, binary values as bytes; sequences by item number.
    assert.deepEqual((await text(`/instances/${ct.sop}/content`)).json, expected.tags);
    const rows = await text(`/instances/${ct.sop}/content/0028-0010`);
    assert.match(rows.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(rows.bytes.toString(), expected.rows);
    assert.equal(
      (await text(`/instances/${ct.sop}/content/PixelSpacing`)).bytes.toString(),
      expected.spacing,
    );
    const pixels = await text(`/instances/${ct.sop}/content/7fe0-0010`);
    assert.equal(pixels.headers.get('content-type'), 'application/octet-stream');
    assert.equal(sha(pixels.bytes), expected.pixels);
    // A large value is streamed from the file, whole.
    const bigPixels = await text(`/instances/${big.sop}/content/PixelData`);
    assert.equal(Number(bigPixels.headers.get('content-length')), 3072 * 3072);
    assert.ok(bigPixels.bytes.equals(big.bytes.subarray(big.bytes.length - 3072 * 3072)));
    const beams = `/instances/${rtplan.sop}/content/300a-00b0`;
    assert.deepEqual(
      (await text(beams)).json,
      Array.from({ length: expected.beams }, (_, n) => String(n)),
    );
    assert.ok(((await text(`${beams}/0`)).json as string[]).includes('300a-00b2'));
    assert.equal((await text(`${beams}/0/300a-00b2`)).bytes.toString(), expected.machine);
    // Encapsulated pixel data: the Basic Offset Table is item 0, then the fragments.
    const encapsulated = `/instances/${j2k.sop}/content/7fe0-0010`;
    assert.deepEqual(
      (await text(encapsulated)).json,
      Array.from({ length: expected.fragments.length + 1 }, (_, n) => String(n)),
    );
    for (const [n, hash] of expected.fragments.entries())
      assert.equal(sha((await text(`${encapsulated}/${n + 1}`)).bytes), hash, `fragment ${n + 1}`);
    for (const [path, status] of [
      [`/instances/${ct.sop}/content/9999-0010`, 404],
      [`/instances/${ct.sop}/content/0010-0010/0`, 404],
      [`${beams}/${expected.beams}`, 404],
      [`${beams}/x`, 404],
      [`/instances/${ct.sop}/content/NotAKeyword`, 400],
      [`/instances/${newUid()}/content`, 404],
      [`/studies/${newUid()}/shared-tags`, 404],
      [`/series/${newUid()}/statistics`, 404],
    ] as const) {
      const r = await api('GET', path);
      assert.equal(r.status, status, `${path}: ${r.bytes.toString('utf8', 0, 200)}`);
      assert.equal(typeof (r.json as { error: string }).error, 'string');
    }

    // Metadata: what the PACS recorded on arrival (j2k came over C-STORE from MODALITY).
    const metadata = (await text(`/instances/${j2k.sop}/metadata?expand`)).json as Record<string, string>;
    assert.equal(metadata.RemoteAET, 'MODALITY');
    assert.equal(metadata.TransferSyntax, '1.2.840.10008.1.2.4.91');
    assert.equal(metadata.SopClassUid, j2k.sopClass);
    assert.match(metadata.ReceptionDate!, /^\d{8}T\d{6}$/);
    assert.deepEqual((await text(`/instances/${j2k.sop}/metadata`)).json, Object.keys(metadata));
    assert.equal((await text(`/instances/${j2k.sop}/metadata/RemoteAET`)).bytes.toString(), 'MODALITY');
    for (const name of ['Nope', '__proto__', 'constructor', 'toString'])
      assert.equal((await api('GET', `/instances/${j2k.sop}/metadata/${name}`)).status, 404, name);

    // /header: the file meta.
    const header = (await text(`/instances/${j2k.sop}/header?simplify`)).json as Record<string, string>;
    assert.equal(header.TransferSyntaxUID, '1.2.840.10008.1.2.4.91');
    assert.equal(header.MediaStorageSOPInstanceUID, j2k.sop);
    assert.equal(
      ((await text(`/instances/${j2k.sop}/header`)).json as Record<string, { Value: string[] }>)['00020010']!
        .Value[0],
      '1.2.840.10008.1.2.4.91',
    );

    // Shared tags: ct, ct2 and ct3 differ in their SOP Instance UIDs; ct3 has its own series.
    const studyShared = (await text(`/studies/${ct.study}/shared-tags?simplify`)).json as Record<
      string,
      unknown
    >;
    assert.equal(studyShared.PatientName, 'CompressedSamples^CT1');
    assert.equal(studyShared.StudyInstanceUID, ct.study);
    for (const differing of ['SOPInstanceUID', 'SeriesInstanceUID', 'SeriesNumber', 'PixelData'])
      assert.equal(differing in studyShared, false, differing);
    const seriesShared = (await text(`/series/${ct.series}/shared-tags`)).json as Record<string, unknown>;
    assert.deepEqual(seriesShared['0020000E'], { vr: 'UI', Value: [ct.series] });
    assert.equal(seriesShared['00080018'], undefined);

    // Ancestors, as the resources themselves answer.
    const resource = async (path: string) => (await text(path)).json;
    assert.deepEqual(await resource(`/instances/${ct3.sop}/series`), await resource(`/series/${ct3.series}`));
    assert.deepEqual(await resource(`/instances/${ct.sop}/study`), await resource(`/studies/${ct.study}`));
    assert.deepEqual(await resource(`/instances/${ct.sop}/patient`), await resource('/patients/1CT1'));
    assert.deepEqual(await resource(`/series/${ct.series}/study`), await resource(`/studies/${ct.study}`));
    assert.deepEqual(await resource(`/studies/${ct.study}/patient`), await resource('/patients/1CT1'));

    // Statistics: counts and the files' sizes on disk.
    const onDisk = (...files: CorpusFile[]) =>
      files.reduce((n, f) => n + statSync(stored(pacs, f.sop)).size, 0);
    const size = onDisk(ct, ct2, ct3);
    assert.deepEqual(await resource(`/studies/${ct.study}/statistics`), {
      CountSeries: 2,
      CountInstances: 3,
      DiskSize: size,
      DiskSizeMB: 0,
      UncompressedSize: size,
      UncompressedSizeMB: 0,
    });
    const patient = (await resource('/patients/1CT1/statistics')) as Record<string, number>;
    assert.deepEqual([patient.CountStudies, patient.CountSeries, patient.CountInstances], [1, 2, 3]);
    assert.equal(
      ((await resource(`/instances/${j2k.sop}/statistics`)) as { DiskSize: number }).DiskSize,
      onDisk(j2k),
    );
  });

  test('a study downloads as a ZIP of its files, which unzip -t accepts', { timeout: 60_000 }, async () => {
    const { status, bytes, headers } = await api('GET', `/studies/${ct.study}/archive`);
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'application/zip');
    assert.equal(Number(headers.get('content-length')), bytes.length);
    const entries = unzip(bytes);
    assert.deepEqual(sorted(entries.keys()), sorted([ct, ct2, ct3].map((f) => `${f.series}/${f.sop}.dcm`)));
    for (const file of [ct, ct2, ct3])
      assert.ok(entries.get(`${file.series}/${file.sop}.dcm`)!.equals(file.bytes));
    const zipPath = join(work, 'ct.zip');
    writeFileSync(zipPath, bytes);
    const checked = await runPeerAsync('unzip', ['-t', zipPath], { timeoutMs: 20_000 });
    assert.equal(checked.status, 0, checked.stdout + checked.stderr);
    assert.match(checked.stdout, /No errors detected/);
    // A file over the single-read size goes through the two-pass path (CRC, then bytes).
    const large = await api('GET', `/studies/${big.study}/archive`);
    assert.ok(unzip(large.bytes).get(`${big.series}/${big.sop}.dcm`)!.equals(big.bytes));
    const series = unzip((await api('GET', `/series/${ct3.series}/archive`)).bytes);
    assert.deepEqual([...series.keys()], [`${ct3.sop}.dcm`]);
    const patient = unzip((await api('GET', '/patients/1CT1/archive')).bytes);
    assert.equal(patient.size, 3);
    assert.ok(patient.has(`${ct.study}/${ct.series}/${ct.sop}.dcm`));
    // Several resources of any level in one archive (Orthanc's /tools/create-archive); an
    // instance named twice (its series and its study) is in it once.
    const several = await api('POST', '/tools/create-archive', { Resources: [ct.study, j2k.sop, ct.series] });
    assert.equal(several.status, 200);
    const named = (f: CorpusFile) => `${f.study}/${f.series}/${f.sop}.dcm`;
    const files = unzip(several.bytes);
    assert.deepEqual(sorted(files.keys()), sorted([ct, ct2, ct3, j2k].map(named)));
    assert.ok(files.get(named(ct))!.equals(ct.bytes));
    const media = unzip((await api('POST', '/tools/create-media', [rtplan.sop, ct3.sop])).bytes);
    assert.deepEqual([...media.keys()], ['DICOMDIR', 'IMAGES/IM000001', 'IMAGES/IM000002']);
    assert.equal((await api('POST', '/tools/create-archive', { Resources: [newUid()] })).status, 404);
    assert.equal((await api('POST', '/tools/create-archive', { Resources: [] })).status, 400);
    assert.equal((await api('POST', '/tools/create-media', { Resources: 'x' })).status, 400);
  });

  test('a study downloads as a DICOMDIR File-set (/media) that pydicom, DCMTK and dciodvfy read', {
    timeout: 60_000,
  }, async () => {
    requirePeer('dciodvfy', 'apt-get install dicom3tools');
    const { status, bytes, headers } = await api('GET', `/studies/${ct.study}/media`);
    assert.equal(status, 200);
    assert.equal(headers.get('content-type'), 'application/zip');
    const entries = unzip(bytes);
    assert.deepEqual(
      [...entries.keys()],
      ['DICOMDIR', 'IMAGES/IM000001', 'IMAGES/IM000002', 'IMAGES/IM000003'],
    );
    const folder = join(work, 'media');
    mkdirSync(join(folder, 'IMAGES'), { recursive: true });
    for (const [name, content] of entries) writeFileSync(join(folder, name), content);
    // Each file as stored; pydicom's FileSet follows the records' offsets to every one of them.
    const found = JSON.parse(
      pydicom(
        `import pydicom, sys, json
from pydicom.fileset import FileSet
fs = FileSet(pydicom.dcmread(sys.argv[1]))
out = []
for instance in fs:
    ds = instance.load()
    out.append([instance.path.split('IMAGES')[-1], ds.SOPInstanceUID, instance.SOPInstanceUID, instance.node.parent.parent._record.StudyDate])
print(json.dumps(out))`,
        join(folder, 'DICOMDIR'),
      ).toString(),
    ) as [string, string, string, string][];
    assert.deepEqual(sorted(found.map((f) => f[1])), sorted([ct, ct2, ct3].map((f) => f.sop)));
    for (const [, loaded, referenced, studyDate] of found) {
      assert.equal(loaded, referenced);
      assert.equal(studyDate, '20040119');
    }
    for (const file of [ct, ct2, ct3])
      assert.ok(
        [...entries.values()].some((content) => content.equals(file.bytes)),
        file.sop,
      );
    // DCMTK reads the records; dicom3tools finds nothing wrong with the Basic Directory IOD.
    const dumped = await runPeerAsync('dcmdump', ['-q', join(folder, 'DICOMDIR')], { timeoutMs: 20_000 });
    assert.equal(dumped.status, 0, dumped.stderr);
    assert.equal(dumped.stdout.match(/"Directory Record" IMAGE/g)?.length, 3);
    assert.equal(dumped.stdout.match(/"Directory Record" SERIES/g)?.length, 2);
    const verified = await runPeerAsync('dciodvfy', [join(folder, 'DICOMDIR')], { timeoutMs: 20_000 });
    const report = verified.stdout + verified.stderr;
    assert.match(report, /BasicDirectory/);
    assert.doesNotMatch(report, /^Error/m, report);
  });

  test('downloads in another transfer syntax (?transcode, "Transcode"), as Orthanc\'s', {
    timeout: 60_000,
  }, async () => {
    requirePeer('dcmdjpeg');
    requirePeer('gdcmconv');
    const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
    const EXPLICIT_LE = '1.2.840.10008.1.2.1';
    const IMPLICIT_LE = '1.2.840.10008.1.2';
    const pixels = (bytes: Uint8Array) => readDicom(bytes).dataset.element(0x7fe00010)!.bytes!;
    const syntaxOf = (bytes: Uint8Array) => readDicom(bytes).meta!.string('TransferSyntaxUID')!.trim();
    const folder = join(work, 'transcoded');
    mkdirSync(folder, { recursive: true });

    // The CT study (16-bit, stored Explicit VR LE) as JPEG Lossless: DCMTK's dcmdjpeg gives
    // back the stored pixels, and the instances keep their UIDs (lossless).
    const archive = await api('GET', `/studies/${ct.study}/archive?transcode=${JPEG_LOSSLESS}`);
    assert.equal(archive.status, 200, archive.bytes.toString());
    assert.equal(Number(archive.headers.get('content-length')), archive.bytes.length);
    const entries = unzip(archive.bytes);
    for (const file of [ct, ct2, ct3]) {
      const got = entries.get(`${file.series}/${file.sop}.dcm`)!;
      assert.equal(syntaxOf(got), JPEG_LOSSLESS);
      assert.equal(readDicom(got).dataset.string('SOPInstanceUID')?.trim(), file.sop);
      const compressed = join(folder, `${file.sop}.jls.dcm`);
      const decompressed = join(folder, `${file.sop}.raw.dcm`);
      writeFileSync(compressed, got);
      const run = await runPeerAsync('dcmdjpeg', [compressed, decompressed], { timeoutMs: 20_000 });
      assert.equal(run.status, 0, run.stderr);
      assert.ok(
        Buffer.from(pixels(readFileSync(decompressed))).equals(Buffer.from(pixels(file.bytes))),
        file.sop,
      );
    }

    // The JPEG 2000 instance decoded: the pixels GDCM's gdcmconv --raw decodes.
    const reference = join(folder, 'j2k-gdcm.dcm');
    assert.equal(
      (await runPeerAsync('gdcmconv', ['--raw', j2k.path, reference], { timeoutMs: 20_000 })).status,
      0,
    );
    const native = await api('POST', '/tools/create-archive', {
      Resources: [j2k.sop],
      Transcode: EXPLICIT_LE,
    });
    assert.equal(native.status, 200);
    const decoded = unzip(native.bytes).get(`${j2k.study}/${j2k.series}/${j2k.sop}.dcm`)!;
    assert.equal(syntaxOf(decoded), EXPLICIT_LE);
    assert.ok(Buffer.from(pixels(decoded)).equals(Buffer.from(pixels(readFileSync(reference)))));
    // One instance: the same copy.
    const single = await api('GET', `/instances/${j2k.sop}/file?transcode=${EXPLICIT_LE}`);
    assert.equal(single.headers.get('content-type'), 'application/dicom');
    assert.ok(single.bytes.equals(decoded));

    // Media: the DICOMDIR's records name the syntax of the copies.
    const media = unzip((await api('GET', `/studies/${ct.study}/media?transcode=${IMPLICIT_LE}`)).bytes);
    const records = readDicom(media.get('DICOMDIR')!)
      .dataset.element(0x00041220)!
      .items!.filter((item) => item.string('DirectoryRecordType')?.trim() === 'IMAGE');
    assert.equal(records.length, 3);
    for (const record of records)
      assert.equal(record.string('ReferencedTransferSyntaxUIDInFile')?.trim(), IMPLICIT_LE);
    for (const name of ['IMAGES/IM000001', 'IMAGES/IM000002', 'IMAGES/IM000003'])
      assert.equal(syntaxOf(media.get(name)!), IMPLICIT_LE);

    // A copy that cannot be made (16-bit pixels in 8-bit JPEG Baseline): the stored file goes
    // in instead, as Orthanc does.
    const baseline = unzip(
      (await api('GET', `/series/${ct3.series}/archive?transcode=1.2.840.10008.1.2.4.50`)).bytes,
    );
    assert.ok(baseline.get(`${ct3.sop}.dcm`)!.equals(ct3.bytes));
    // Not a syntax, or one nothing here encodes (MPEG2): refused.
    assert.equal((await api('GET', `/studies/${ct.study}/archive?transcode=1.2.3`)).status, 400);
    assert.equal(
      (await api('GET', `/studies/${ct.study}/archive?transcode=1.2.840.10008.1.2.4.100`)).status,
      400,
    );
    assert.equal((await api('GET', `/instances/${j2k.sop}/file?transcode=banana`)).status, 400);
    // The copies are gone once sent.
    await new Promise((resolve) => setTimeout(resolve, 100));
    const scratch = pacs.storage.scratchRoot;
    assert.deepEqual(existsSync(scratch) ? readdirSync(scratch) : [], []);
  });

  test('errors answer JSON { error, code } with the right status', { timeout: 20_000 }, async () => {
    const cases: [string, string, unknown, number, string][] = [
      ['GET', `/studies/${newUid()}`, undefined, 404, 'ERR_NOT_FOUND'],
      ['GET', `/studies/${newUid()}/archive`, undefined, 404, 'ERR_NOT_FOUND'],
      ['GET', '/studies/not..a..uid', undefined, 400, 'ERR_INVALID_VALUE'],
      ['GET', '/patients/1CT*', undefined, 400, 'ERR_INVALID_VALUE'],
      ['DELETE', `/instances/${newUid()}`, undefined, 404, 'ERR_NOT_FOUND'],
      ['GET', '/nowhere', undefined, 404, 'ERR_NO_ROUTE'],
      ['GET', '/instances?limit=many', undefined, 400, 'ERR_BAD_REQUEST'],
      ['POST', '/modalities/nope/echo', {}, 404, 'ERR_NOT_FOUND'],
      ['POST', '/modalities/remote/query', { Level: 'Galaxy' }, 400, 'ERR_BAD_REQUEST'],
      [
        'POST',
        '/modalities/remote/query',
        { Level: 'Study', Query: { NoSuchKeyword: '' } },
        400,
        'ERR_UNKNOWN_KEYWORD',
      ],
      ['POST', '/modalities/remote/move', { Level: 'Study', Resources: [] }, 400, 'ERR_BAD_REQUEST'],
      ['POST', '/modalities/storescp/store', { Resources: [newUid()] }, 404, 'ERR_NOT_FOUND'],
    ];
    for (const [method, path, body, status, code] of cases) {
      const answer = await api(method, path, body);
      assert.equal(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.json)}`);
      assert.equal((answer.json as { code: string }).code, code, `${method} ${path}`);
      assert.equal(typeof (answer.json as { error: string }).error, 'string');
    }
    const badJson = await fetch(`${base}/modalities/remote/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{ not json',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(badJson.status, 400);
    assert.equal(typeof ((await badJson.json()) as { code: string }).code, 'string');
  });

  test('DELETE removes files and rows together; statistics follow', { timeout: 30_000 }, async () => {
    type Statistics = Record<
      'CountPatients' | 'CountStudies' | 'CountSeries' | 'CountInstances' | 'TotalDiskSize',
      number
    >;
    const before = (await api('GET', '/statistics')).json as Statistics;
    const sizes = new Map([ct, ct2, ct3].map((f) => [f.sop, readFileSync(stored(pacs, f.sop)).length]));
    // One instance of a series of two: the series remains.
    const one = await api('DELETE', `/instances/${ct2.sop}`);
    assert.equal(one.status, 200, JSON.stringify(one.json));
    assert.deepEqual(one.json, {
      Deleted: 1,
      RemainingAncestor: { Type: 'Series', ID: ct.series, Path: `/series/${ct.series}` },
    });
    assert.equal(existsSync(stored(pacs, ct2.sop)), false);
    // The rest of the study: the patient had only this one, so nothing remains above it.
    const study = await api('DELETE', `/studies/${ct.study}`);
    assert.equal(study.status, 200);
    assert.deepEqual(study.json, { Deleted: 2, RemainingAncestor: null });
    for (const file of [ct, ct2, ct3]) {
      assert.equal(pacs.index.has(file.sop), false, `${file.sop} left the index`);
      assert.equal(existsSync(stored(pacs, file.sop)), false, `${file.sop} left the disk`);
      assert.equal((await api('GET', `/instances/${file.sop}`)).status, 404);
    }
    assert.equal((await api('GET', `/studies/${ct.study}`)).status, 404);
    assert.equal((await api('DELETE', `/studies/${ct.study}`)).status, 404);
    const after = (await api('GET', '/statistics')).json as Statistics;
    assert.deepEqual(
      {
        patients: before.CountPatients - after.CountPatients,
        studies: before.CountStudies - after.CountStudies,
        series: before.CountSeries - after.CountSeries,
        instances: before.CountInstances - after.CountInstances,
        bytes: before.TotalDiskSize - after.TotalDiskSize,
      },
      {
        patients: 1,
        studies: 1,
        series: 2,
        instances: 3,
        bytes: [...sizes.values()].reduce((a, b) => a + b),
      },
    );
    assert.equal(after.CountInstances, pacs.index.statistics().instances);
    // A patient, by Patient ID.
    const patient = await api('DELETE', `/patients/${rtplan.patientId}`);
    assert.deepEqual([patient.status, patient.json], [200, { Deleted: 1, RemainingAncestor: null }]);
    assert.equal(existsSync(stored(pacs, rtplan.sop)), false);
    assert.equal((await api('GET', `/patients/${rtplan.patientId}`)).status, 404);
  });

  test('/changes logs every new and deleted resource in order, and Stable* a quiet second later', {
    timeout: 30_000,
  }, async () => {
    type Entry = {
      ChangeType: string;
      Date: string;
      ID: string;
      Path: string;
      ResourceType: string;
      Seq: number;
    };
    type Page = { Changes: Entry[]; Done: boolean; Last: number };
    const page = async (query: string) => {
      const { status, json } = await api('GET', `/changes${query}`);
      assert.equal(status, 200, JSON.stringify(json));
      return json as Page;
    };
    // Stable entries for what is still stored, once its quiet second has passed.
    const stillStored = [deflated, big, j2k];
    let all: Entry[] = [];
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      all = (await page('?limit=4000')).Changes;
      const stable = new Set(all.filter((e) => e.ChangeType === 'StableStudy').map((e) => e.ID));
      if (stillStored.every((f) => stable.has(f.study))) break;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const seqOf = (type: string, id: string) => all.find((e) => e.ChangeType === type && e.ID === id)?.Seq;
    const ids = (type: string) => sorted(all.filter((e) => e.ChangeType === type).map((e) => e.ID));

    // Everything stored in this file so far, from the files' own headers.
    const rgb = await corpusFile(`${FIXTURES}/SC_rgb_rle_2frame.dcm`);
    const everStored = [ct, ct2, ct3, rtplan, deflated, big, j2k, rgb];
    assert.deepEqual(ids('NewInstance'), sorted(everStored.map((f) => f.sop)));
    assert.deepEqual(ids('NewSeries'), sorted(everStored.map((f) => f.series)));
    assert.deepEqual(ids('NewStudy'), sorted(everStored.map((f) => f.study)));
    assert.deepEqual(ids('NewPatient'), sorted(everStored.map((f) => f.patientId).filter(Boolean)));
    for (const f of everStored) {
      const chain = [seqOf('NewStudy', f.study), seqOf('NewSeries', f.series), seqOf('NewInstance', f.sop)];
      assert.deepEqual(
        [...chain].sort((a, b) => a! - b!),
        chain,
        `${f.path}: study, series, instance in order`,
      );
    }
    // Deleted: what the DELETE calls named, what went with it, and the parents they emptied.
    const deleted = [ct, ct2, ct3, rtplan, rgb];
    assert.deepEqual(ids('Deleted'), sorted(deleted.flatMap((f) => [f.sop, f.series, f.study, f.patientId])));
    assert.ok(seqOf('Deleted', ct2.sop)! < seqOf('Deleted', ct.study)!);
    for (const f of stillStored) {
      assert.ok(seqOf('StableSeries', f.series)! > seqOf('NewInstance', f.sop)!, `${f.path} series stable`);
      assert.ok(
        seqOf('StableStudy', f.study)! > seqOf('StableSeries', f.series)!,
        `${f.path} study stable after its series`,
      );
    }
    const entry = all.find((e) => e.ChangeType === 'NewInstance' && e.ID === j2k.sop)!;
    assert.deepEqual(
      { Path: entry.Path, ResourceType: entry.ResourceType },
      { Path: `/instances/${j2k.sop}`, ResourceType: 'Instance' },
    );
    assert.match(entry.Date, /^\d{8}T\d{6}$/);
    assert.deepEqual(
      all.map((e) => e.Seq),
      [...all.map((e) => e.Seq)].sort((a, b) => a - b),
    );

    // Paging with since = the Last of the previous page gives the same entries.
    const paged: Entry[] = [];
    let since = 0;
    for (;;) {
      const p = await page(`?since=${since}&limit=5`);
      paged.push(...p.Changes);
      if (p.Changes.length > 0) assert.equal(p.Last, p.Changes.at(-1)!.Seq);
      since = p.Last;
      if (p.Done) break;
    }
    assert.deepEqual(paged, all);
    assert.deepEqual((await page('?last')).Changes, [all.at(-1)]);
    assert.equal((await api('GET', '/changes?limit=-1')).status, 400);

    // Emptied, the log starts again after the old numbers.
    assert.equal((await api('DELETE', '/changes')).status, 200);
    assert.deepEqual(await page(''), { Changes: [], Done: true, Last: 0 });
    assert.equal(
      (await api('POST', '/instances', new Uint8Array(ct.bytes), { 'content-type': 'application/dicom' }))
        .status,
      200,
    );
    const fresh = (await page('')).Changes;
    assert.deepEqual(
      fresh.map((e) => [e.ChangeType, e.ID]),
      [
        ['NewPatient', ct.patientId],
        ['NewStudy', ct.study],
        ['NewSeries', ct.series],
        ['NewInstance', ct.sop],
      ],
    );
    assert.ok(fresh[0]!.Seq > all.at(-1)!.Seq);
    assert.equal((await api('DELETE', `/patients/${ct.patientId}`)).status, 200);
  });

  test('modalities: echo and store to a DCMTK storescp', { timeout: 60_000 }, async () => {
    assert.deepEqual((await api('GET', '/modalities')).json, ['storescp', 'remote', 'dead']);
    const expanded = (await api('GET', '/modalities?expand')).json as Record<string, { AET: string }>;
    assert.equal(expanded.storescp!.AET, 'STORESCP');
    const echo = await api('POST', '/modalities/storescp/echo', {});
    assert.deepEqual([echo.status, echo.json], [200, {}]);
    const noBody = await fetch(`${base}/modalities/storescp/echo`, {
      method: 'POST',
      signal: AbortSignal.timeout(10_000),
    });
    assert.equal(noBody.status, 200);
    const dead = await api('POST', '/modalities/dead/echo', { Timeout: 5 });
    assert.equal(dead.status, 502);
    assert.match((dead.json as { error: string }).error, /dead/);

    const push = await api('POST', '/modalities/storescp/store', { Resources: [j2k.sop, big.study] });
    assert.equal(push.status, 200, JSON.stringify(push.json));
    assert.deepEqual(
      {
        ...(push.json as Record<string, unknown>),
      },
      {
        Description: 'REST API',
        LocalAet: 'DICOMKIT',
        RemoteAet: 'STORESCP',
        ParentResources: [j2k.sop, big.study],
        InstancesCount: 2,
        FailedInstancesCount: 0,
      },
    );
    // storescp got the data sets as they are stored (the J2K one still in J2K).
    const received = new Map<string, Buffer>();
    for (const name of readdirSync(storescpOut)) {
      const bytes = readFileSync(join(storescpOut, name));
      received.set(
        (await readDicomFile(join(storescpOut, name))).dataset.string('SOPInstanceUID')!.trim(),
        bytes,
      );
    }
    for (const file of [j2k, big]) {
      const got = received.get(file.sop);
      assert.ok(got, `storescp received ${file.sop}`);
      const ours = readFileSync(stored(pacs, file.sop));
      assert.ok(
        Buffer.from(dataSetBytes(got)).equals(Buffer.from(dataSetBytes(ours))),
        `${file.sop} data set`,
      );
    }
  });

  test('query and move against another PACS, into this one', { timeout: 60_000 }, async () => {
    // Orthanc's sequence: POST /modalities/{id}/query keeps the answers under /queries/{ID}.
    const created = await api('POST', '/modalities/remote/query', {
      Level: 'Study',
      Query: {
        PatientID: '4MR1',
        StudyInstanceUID: '',
        PatientName: null,
        NumberOfStudyRelatedInstances: '',
      },
    });
    assert.equal(created.status, 200, JSON.stringify(created.json));
    const { ID: studyQuery, Path: path } = created.json as { ID: string; Path: string };
    assert.equal(path, `/queries/${studyQuery}`);
    assert.ok(((await api('GET', '/queries')).json as string[]).includes(studyQuery));
    assert.deepEqual((await api('GET', path)).json, ['answers', 'level', 'modality', 'query', 'retrieve']);
    assert.equal((await api('GET', `${path}/level`)).bytes.toString(), 'Study');
    assert.equal((await api('GET', `${path}/modality`)).bytes.toString(), 'remote');
    assert.deepEqual((await api('GET', `${path}/answers`)).json, ['0']);
    const matches = (await api('GET', `${path}/answers?expand`)).json as Record<
      string,
      { Value?: unknown[] }
    >[];
    assert.equal(matches.length, 1);
    assert.deepEqual(matches[0]!['0020000D']!.Value, [mr.study]);
    assert.deepEqual(matches[0]!['00201208']!.Value, [2]);
    const simplified = (
      (await api('GET', `${path}/answers?expand&simplify`)).json as Record<string, string>[]
    )[0]!;
    assert.equal(simplified.StudyInstanceUID, mr.study);
    assert.equal(simplified.PatientID, '4MR1');
    // Asked for although the caller did not (as Orthanc asks): what names the answer.
    assert.ok('AccessionNumber' in simplified);
    const short = ((await api('GET', `${path}/answers?expand&short`)).json as Record<string, string>[])[0]!;
    assert.equal(short['0020,000d'], mr.study);
    assert.deepEqual((await api('GET', `${path}/answers/0/content?simplify`)).json, simplified);
    assert.deepEqual((await api('GET', `${path}/answers/0`)).json, [
      'content',
      'retrieve',
      'query-series',
      'query-instances',
    ]);
    const sent = (await api('GET', `${path}/query?simplify`)).json as Record<string, string>;
    assert.equal(sent.QueryRetrieveLevel, 'STUDY');
    assert.equal(sent.PatientID, '4MR1');
    assert.equal(sent.AccessionNumber, '');

    // The answer's series: a C-FIND one level down, with the answer's Study Instance UID.
    const seriesQuery = (
      (await api('POST', `${path}/answers/0/query-series`, { Query: { Modality: '' } })).json as {
        ID: string;
      }
    ).ID;
    const series = (await api('GET', `/queries/${seriesQuery}/answers?expand&simplify`)).json as Record<
      string,
      string
    >[];
    assert.deepEqual(
      series.map((s) => [s.StudyInstanceUID, s.SeriesInstanceUID, s.Modality, s.QueryRetrieveLevel]),
      [[mr.study, mr.series, 'MR', 'SERIES']],
    );
    assert.equal((await api('GET', `/queries/${seriesQuery}/level`)).bytes.toString(), 'Series');
    const noneQuery = (
      (await api('POST', '/modalities/remote/query', { Level: 'Patient', Query: { PatientID: 'NOBODY' } }))
        .json as { ID: string }
    ).ID;
    assert.deepEqual((await api('GET', `/queries/${noneQuery}/answers?expand`)).json, []);

    assert.equal(pacs.index.has(mr.sop), false);
    const move = await api('POST', '/modalities/remote/move', {
      Level: 'Study',
      Resources: [{ StudyInstanceUID: mr.study }],
    });
    assert.equal(move.status, 200, JSON.stringify(move.json));
    assert.deepEqual(move.json, {
      Description: 'REST API',
      LocalAet: 'DICOMKIT',
      RemoteAet: 'REMOTE',
      TargetAet: 'DICOMKIT',
      Query: [{ '0008,0052': 'STUDY', '0020,000d': mr.study }],
      Completed: 2,
      Failed: 0,
    });
    for (const file of [mr, mr2]) {
      assert.ok(pacs.index.has(file.sop), `${file.sop} moved in`);
      const got = (await api('GET', `/instances/${file.sop}/file`)).bytes;
      assert.ok(
        Buffer.from(dataSetBytes(got)).equals(Buffer.from(dataSetBytes(file.bytes))),
        'data set as sent',
      );
    }
    const study = (await api('GET', `/studies/${mr.study}`)).json as Record<string, unknown>;
    assert.equal(study.CountInstances, 2);
    // The remote does not know that destination: A801, a 502 here.
    const lost = await api('POST', '/modalities/remote/move', {
      Level: 'Study',
      Resources: [mr.study],
      TargetAet: 'NOBODY',
    });
    assert.equal(lost.status, 502, JSON.stringify(lost.json));
    assert.equal((lost.json as { code: string }).code, 'ERR_DIMSE_STATUS');
    assert.match((lost.json as { error: string }).error, /A801|destination/i);

    // Retrieve from the kept answers: one answer (the AE title as text, as curl -d sends it),
    // then all of them (a JSON body); the instances are here already, so stored again.
    const one = await fetch(`${base}/queries/${seriesQuery}/answers/0/retrieve`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'DICOMKIT',
      signal: AbortSignal.timeout(30_000),
    });
    const oneAnswer = (await one.json()) as Record<string, unknown>;
    assert.equal(one.status, 200, JSON.stringify(oneAnswer));
    assert.deepEqual(oneAnswer, {
      Description: 'REST API',
      LocalAet: 'DICOMKIT',
      RemoteAet: 'REMOTE',
      TargetAet: 'DICOMKIT',
      Query: [{ '0008,0052': 'SERIES', '0020,000d': mr.study, '0020,000e': mr.series }],
      Completed: 2,
      Failed: 0,
    });
    const all = await api('POST', `${path}/retrieve`, { TargetAet: 'DICOMKIT', Timeout: 20 });
    assert.equal(all.status, 200, JSON.stringify(all.json));
    assert.equal((all.json as { Completed: number }).Completed, 2);
    const nothing = await api('POST', `/queries/${noneQuery}/retrieve`);
    assert.equal(nothing.status, 200, JSON.stringify(nothing.json));
    assert.equal((nothing.json as { Completed: number }).Completed, 0);
    const unknownTarget = await api('POST', `${path}/answers/0/retrieve`, 'NOBODY');
    assert.equal(unknownTarget.status, 502, JSON.stringify(unknownTarget.json));
    assert.match((unknownTarget.json as { error: string }).error, /A801|destination/i);
    // RetrieveMethod C-GET: the instances come back on the association itself.
    assert.equal((await api('DELETE', `/studies/${mr.study}`)).status, 200);
    const byGet = await api('POST', `/queries/${seriesQuery}/answers/0/retrieve`, {
      RetrieveMethod: 'C-GET',
    });
    assert.equal(byGet.status, 200, JSON.stringify(byGet.json));
    assert.equal((byGet.json as { Completed: number }).Completed, 2);
    assert.ok(pacs.index.has(mr.sop) && pacs.index.has(mr2.sop), 'both instances came back by C-GET');
    const elsewhere = await api('POST', `${path}/retrieve`, {
      RetrieveMethod: 'C-GET',
      TargetAet: 'STORESCP',
    });
    assert.equal(elsewhere.status, 400);

    const refusals: [string, string, unknown, number][] = [
      ['GET', `/queries/${randomUUID()}`, undefined, 404],
      ['GET', `${path}/answers/1`, undefined, 404],
      ['GET', `${path}/answers/first/content`, undefined, 404],
      // A series has no studies below it.
      ['POST', `/queries/${seriesQuery}/answers/0/query-studies`, {}, 404],
      ['POST', `${path}/retrieve`, { Asynchronous: 1 }, 400],
      ['POST', `${path}/answers/0/retrieve`, { TargetAet: 'FAR_TOO_LONG_AE_TITLE' }, 400],
    ];
    for (const [method, url, body, status] of refusals) {
      const answer = await api(method, url, body);
      assert.equal(answer.status, status, `${method} ${url}: ${JSON.stringify(answer.json)}`);
    }
    assert.equal((await api('DELETE', `/queries/${noneQuery}`)).status, 200);
    assert.equal((await api('GET', `/queries/${noneQuery}`)).status, 404);

    // The last 100 queries used are kept: 100 more push the study query out.
    for (let i = 0; i < 100; i++) {
      const more = await api('POST', '/modalities/remote/query', {
        Level: 'Patient',
        Query: { PatientID: '4MR1' },
      });
      assert.equal(more.status, 200);
    }
    assert.equal(((await api('GET', '/queries')).json as string[]).length, 100);
    assert.equal((await api('GET', path)).status, 404);
  });

  test('Normalize (by default, as Orthanc) sends only the keys of the level and those above; false sends all', {
    timeout: 30_000,
  }, async () => {
    const keys = {
      PatientID: '4MR1',
      StudyDescription: '',
      SeriesDescription: '',
      ImageComments: '',
      NumberOfStudyRelatedInstances: '',
      NumberOfSeriesRelatedInstances: '',
    };
    const sentWith = async (normalize: boolean | undefined): Promise<string[]> => {
      const created = await api('POST', '/modalities/remote/query', {
        Level: 'Study',
        Query: keys,
        ...(normalize === undefined ? {} : { Normalize: normalize }),
      });
      assert.equal(created.status, 200, JSON.stringify(created.json));
      const { Path } = created.json as { Path: string };
      // The remote PACS answered the query either way.
      assert.equal(((await api('GET', `${Path}/answers`)).json as string[]).length, 1);
      return Object.keys((await api('GET', `${Path}/query?simplify`)).json as object).sort();
    };
    const normalized = await sentWith(undefined);
    assert.deepEqual(await sentWith(true), normalized);
    for (const key of [
      'PatientID',
      'StudyDescription',
      'NumberOfStudyRelatedInstances',
      'QueryRetrieveLevel',
    ])
      assert.ok(normalized.includes(key), `${key} is a study-level key: ${normalized}`);
    for (const key of ['SeriesDescription', 'ImageComments', 'NumberOfSeriesRelatedInstances'])
      assert.ok(!normalized.includes(key), `${key} is not: ${normalized}`);
    const all = await sentWith(false);
    for (const key of Object.keys(keys)) assert.ok(all.includes(key), `${key} sent with Normalize: false`);
  });

  test('C-GET from another PACS into this one (/modalities/{name}/get), sync and as a job', {
    timeout: 60_000,
  }, async () => {
    if (pacs.index.has(mr.sop)) assert.equal((await api('DELETE', `/studies/${mr.study}`)).status, 200);
    assert.equal(pacs.index.has(mr.sop), false);
    const got = await api('POST', '/modalities/remote/get', {
      Level: 'Series',
      Resources: [{ StudyInstanceUID: mr.study, SeriesInstanceUID: mr.series }],
    });
    assert.equal(got.status, 200, JSON.stringify(got.json));
    assert.deepEqual(got.json, {
      Description: 'REST API',
      LocalAet: 'DICOMKIT',
      RemoteAet: 'REMOTE',
      Query: [{ '0008,0052': 'SERIES', '0020,000d': mr.study, '0020,000e': mr.series }],
      Completed: 2,
      Failed: 0,
    });
    for (const file of [mr, mr2]) {
      assert.ok(pacs.index.has(file.sop), `${file.sop} came back on the association`);
      const stored = (await api('GET', `/instances/${file.sop}/file`)).bytes;
      assert.ok(
        Buffer.from(dataSetBytes(stored)).equals(Buffer.from(dataSetBytes(file.bytes))),
        'data set as sent',
      );
      assert.equal(
        (await api('GET', `/instances/${file.sop}/metadata/RemoteAET`)).bytes.toString(),
        'REMOTE',
      );
    }
    // As a job, by study UID; the instances are here already, so kept as they are (Success).
    const job = await api('POST', '/modalities/remote/get', {
      Level: 'Study',
      Resources: [mr.study],
      Asynchronous: true,
    });
    const id = (job.json as { ID: string }).ID;
    let state: Record<string, unknown> = {};
    for (const deadline = Date.now() + 20_000; state.State !== 'Success' && state.State !== 'Failure'; ) {
      assert.ok(Date.now() < deadline, 'the C-GET job ended');
      await new Promise((resolve) => setTimeout(resolve, 20));
      state = (await api('GET', `/jobs/${id}`)).json as Record<string, unknown>;
    }
    assert.equal(state.State, 'Success', JSON.stringify(state));
    assert.equal(state.Type, 'DicomGetScu');
    assert.equal((state.Content as { Completed: number }).Completed, 2);
    // Nothing matches: nothing comes, no failure.
    const none = await api('POST', '/modalities/remote/get', { Level: 'Study', Resources: [newUid()] });
    assert.equal(none.status, 200, JSON.stringify(none.json));
    assert.equal((none.json as { Completed: number }).Completed, 0);
  });

  test("Orthanc's jobs: store, move and retrieve run in the background; a cancelled job stops", {
    timeout: 60_000,
  }, async () => {
    type Job = Record<string, unknown> & { State: string; Content: Record<string, unknown> };
    const submitted = async (path: string, body: Record<string, unknown>): Promise<string> => {
      const answer = await api('POST', path, { ...body, Asynchronous: true });
      assert.equal(answer.status, 200, JSON.stringify(answer.json));
      const { ID, Path } = answer.json as { ID: string; Path: string };
      assert.equal(Path, `/jobs/${ID}`);
      return ID;
    };
    const ended = async (id: string): Promise<Job> => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        const job = (await api('GET', `/jobs/${id}`)).json as Job;
        if (job.State === 'Success' || job.State === 'Failure') return job;
        assert.ok(Date.now() < deadline, `job ${id} still ${job.State} after 20 s`);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    };

    const moved = await ended(
      await submitted('/modalities/remote/move', { Level: 'Study', Resources: [mr.study] }),
    );
    assert.equal(moved.State, 'Success', JSON.stringify(moved));
    assert.equal(moved.Type, 'DicomMoveScu');
    assert.equal(moved.Progress, 100);
    assert.equal(moved.ErrorCode, 0);
    assert.match(moved.CompletionTime as string, /^\d{8}T\d{6}/);
    assert.equal(moved.Content.Completed, 2);
    assert.equal(moved.Content.TargetAet, 'DICOMKIT');
    assert.ok(((await api('GET', '/jobs')).json as string[]).includes(moved.ID as string));
    const listed = (await api('GET', '/jobs?expand')).json as Job[];
    assert.ok(listed.some((job) => job.ID === moved.ID && job.State === 'Success'));

    const query = (
      (await api('POST', '/modalities/remote/query', { Level: 'Study', Query: { PatientID: '4MR1' } }))
        .json as {
        ID: string;
      }
    ).ID;
    const lost = await ended(await submitted(`/queries/${query}/retrieve`, { TargetAet: 'NOBODY' }));
    assert.equal(lost.State, 'Failure');
    assert.equal(lost.ErrorCode, 9, JSON.stringify(lost));
    assert.match(lost.ErrorDetails as string, /A801|destination/i);

    const pushed = await ended(await submitted('/modalities/storescp/store', { Resources: [j2k.sop] }));
    assert.equal(pushed.State, 'Success', JSON.stringify(pushed));
    assert.equal(pushed.Type, 'DicomModalityStore');
    assert.equal(pushed.Content.InstancesCount, 1);

    // A peer that holds each C-STORE for 3 s: the job is cancelled after the first.
    let received = 0;
    const slow = await new ApplicationEntity({ aeTitle: 'SLOW' }).listen({
      host: '127.0.0.1',
      port: 0,
      handlers: {
        store: async (request) => {
          await request.data.bytes();
          received++;
          await new Promise((resolve) => setTimeout(resolve, 3000));
          return { status: 0 };
        },
      },
    });
    try {
      pacs.config.modalities.slow = {
        aeTitle: 'SLOW',
        host: '127.0.0.1',
        port: slow.port,
        checkHost: true,
        permissions: { echo: true, store: true, find: true, move: true, get: true },
        useTls: false,
      };
      const id = await submitted('/modalities/slow/store', { Resources: [mr.study] });
      for (const deadline = Date.now() + 10_000; received === 0; ) {
        assert.ok(Date.now() < deadline, 'the slow peer received nothing');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal(((await api('GET', `/jobs/${id}`)).json as Job).State, 'Running');
      const cancelledAt = Date.now();
      assert.equal((await api('POST', `/jobs/${id}/cancel`)).status, 200);
      const cancelled = await ended(id);
      assert.ok(Date.now() - cancelledAt < 2000, 'the job ended without waiting for the peer');
      assert.equal(cancelled.State, 'Failure');
      assert.equal(cancelled.ErrorCode, 37, JSON.stringify(cancelled));
      assert.equal(received, 1);
      assert.equal((await api('POST', `/jobs/${id}/cancel`)).status, 400);

      // A C-MOVE from the remote PACS to the slow peer: cancelling sends C-CANCEL; the remote
      // stops after the sub-operation under way and answers Cancel, which ends the job.
      received = 0;
      remote.config.modalities.slow = { ...pacs.config.modalities.slow };
      const moving = await submitted('/modalities/remote/move', {
        Level: 'Study',
        Resources: [mr.study],
        TargetAet: 'SLOW',
      });
      for (const deadline = Date.now() + 10_000; received === 0; ) {
        assert.ok(Date.now() < deadline, 'the slow peer received nothing from the remote');
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.equal((await api('POST', `/jobs/${moving}/cancel`)).status, 200);
      const stopped = await ended(moving);
      assert.equal(stopped.State, 'Failure');
      assert.equal(stopped.ErrorCode, 37, JSON.stringify(stopped));
      assert.equal(received, 1, 'the remote stopped the C-MOVE after its first sub-operation');
    } finally {
      delete pacs.config.modalities.slow;
      delete remote.config.modalities.slow;
      await slow.close();
    }
    assert.equal((await api('GET', `/jobs/${randomUUID()}`)).status, 404);
    assert.equal(
      (
        await api('POST', '/modalities/remote/move', {
          Level: 'Study',
          Resources: [mr.study],
          Asynchronous: 'yes',
        })
      ).status,
      400,
    );
  });
});
