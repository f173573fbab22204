// Wireshark's DICOM dissector on our traffic (issue: network core acceptance): "tshark -d
// tcp.port==PORT,dicom dissects a capture of every message type exchanged between dicomkit
// peers with no malformed packet or expert error". Capturing needs no privileges: recording
// TCP proxies sit between the dicomkit peers and the traffic is written as a pcap file
// (test/helpers/pcap-recorder.ts), then read back by tshark. In the capture the SCU is
// 10.0.0.1, the main SCP 10.0.0.2:11112 and the C-MOVE destination 10.0.0.3:11112.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLogger } from '../../src/core/index.ts';
import { decodeCommand } from '../../src/net/dimse/index.ts';
import { decodePdu, readPduHeader } from '../../src/net/pdu/index.ts';
import { DataSet } from '../../src/object/index.ts';
import {
  ApplicationEntity,
  type Association,
  AssociationRejectedError,
  type DicomServer,
  type FindYield,
  QueryRetrieveModels,
  type ServiceHandlers,
  supported,
  supportedFor,
  verificationContext,
} from '../../src/services/index.ts';
import { RecordingProxy, TrafficRecorder } from '../helpers/pcap-recorder.ts';
import { requirePeer, runPeer } from '../helpers/peers.ts';
import { eventually, within } from '../helpers/raw-dul-peer.ts';

const tshark = requirePeer('tshark', 'apt-get install tshark (.ci/run)');

const CT_SMALL = 'test/fixtures/pydicom/CT_small.dcm';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const STORAGE_COMMITMENT = '1.2.840.10008.1.20.1';
const STORAGE_COMMITMENT_INSTANCE = '1.2.840.10008.1.20.1.1';
const MPPS = '1.2.840.10008.3.1.2.3.3';
const PRINTER = '1.2.840.10008.5.1.1.16';
const PRINTER_INSTANCE = '1.2.840.10008.5.1.1.17';
const FILM_SESSION = '1.2.840.10008.5.1.1.1';
const N_CLASSES = [STORAGE_COMMITMENT, MPPS, PRINTER, FILM_SESSION];
/** The port every DICOM server has in the capture. */
const CAPTURE_PORT = 11112;

const debug = process.env.DEBUG_NET !== undefined;
const logger = createLogger(debug ? 'debug' : 'warn', (line) => {
  if (debug) console.log(line);
});
const timeouts = { artim: 1000, acse: 3000, dimse: 5000, connect: 3000 };

const work = mkdtempSync(join(tmpdir(), 'dicomkit-tshark-'));
const recorder = new TrafficRecorder();
const servers: DicomServer[] = [];
const proxies: RecordingProxy[] = [];
let pcapPath = '';

after(async () => {
  for (const p of proxies) await p.close();
  for (const s of servers) await within(s.close({ abort: true }), 5000, 'closing an SCP');
  if (!debug) rmSync(work, { recursive: true, force: true });
  else console.log(`capture kept in ${pcapPath}`);
});

function studyQuery(): DataSet {
  const q = new DataSet();
  q.set('QueryRetrieveLevel', 'STUDY');
  q.set('PatientName', '');
  q.set('StudyInstanceUID', '');
  return q;
}

/** Runs every message type through the proxies, then writes the capture. */
before(async () => {
  // The C-MOVE destination.
  const destAe = new ApplicationEntity({ aeTitle: 'DEST', timeouts, logger });
  const dest = await destAe.listen({
    port: 0,
    handlers: {
      store: async (request) => {
        await request.dataset();
      },
    },
  });
  servers.push(dest);
  const destProxy = await RecordingProxy.start({
    target: { host: '127.0.0.1', port: dest.port },
    recorder,
    clientIp: '10.0.0.2',
    server: { ip: '10.0.0.3', port: CAPTURE_PORT },
  });
  proxies.push(destProxy);

  // The main SCP: every DIMSE service, N- services included.
  const handlers: ServiceHandlers = {
    echo: () => 0,
    store: async (request) => {
      await request.dataset();
    },
    find: async function* (request, ctx): AsyncGenerator<FindYield> {
      const waitForCancel = request.identifier.string('PatientID') === 'WAIT-FOR-CANCEL';
      for (let i = 1; i <= 3; i++) {
        if (ctx.signal.aborted) return;
        const match = new DataSet();
        match.set('QueryRetrieveLevel', 'STUDY');
        match.set('PatientName', `TEST^PATIENT${i}`);
        match.set('StudyInstanceUID', `2.25.77${i}`);
        yield match;
        if (waitForCancel) {
          // Hold the operation open until the C-CANCEL-RQ arrives (bounded).
          await within(
            new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true })),
            3000,
            'the C-CANCEL-RQ',
          ).catch(() => {});
        }
      }
    },
    get: () => [CT_SMALL],
    move: () => [CT_SMALL],
    nEventReport: () => ({}),
    nGet: () => {
      const attributes = new DataSet();
      attributes.set('PrinterStatus', 'NORMAL');
      return { dataset: attributes };
    },
    nSet: () => ({}),
    nAction: () => ({}),
    nCreate: () => ({ sopInstanceUid: '2.25.4242' }),
    nDelete: () => ({}),
  };
  const scpAe = new ApplicationEntity({ aeTitle: 'MAINSCP', timeouts, logger });
  const server = await scpAe.listen({
    port: 0,
    handlers,
    requireCalledAeTitle: true,
    contexts: [...supportedFor(handlers), ...supported(N_CLASSES, [EXPLICIT, IMPLICIT])],
    moveDestinations: { DEST: { host: '127.0.0.1', port: destProxy.port } },
    // The first association asks for a positive user identity response: 58H and 59H sub-items.
    verifyUserIdentity: () => ({ accepted: true }),
  });
  servers.push(server);
  const proxy = await RecordingProxy.start({
    target: { host: '127.0.0.1', port: server.port },
    recorder,
    clientIp: '10.0.0.1',
    server: { ip: '10.0.0.2', port: CAPTURE_PORT },
  });
  proxies.push(proxy);

  const scuAe = new ApplicationEntity({ aeTitle: 'DKSCU', timeouts, logger });
  const contexts = [
    verificationContext(),
    // CT both ways: C-STORE from us, and the C-STORE sub-operations of C-GET to us.
    // A 57H item too (SOP Class Common Extended Negotiation, PS3.7 §D.3.3.6), with a related class.
    {
      abstractSyntax: CT_IMAGE,
      transferSyntaxes: [EXPLICIT, IMPLICIT],
      scuRole: true,
      scpRole: true,
      commonExtendedNegotiation: {
        serviceClassUid: '1.2.840.10008.4.2',
        relatedGeneralSopClasses: ['1.2.840.10008.5.1.4.1.1.2.1'],
      },
    },
    { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] },
    { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
    { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
    // Storage Commitment in both roles: the SCP's N-EVENT-REPORT comes from us too (PS3.7 §10.1.1).
    ...N_CLASSES.map((abstractSyntax) => ({
      abstractSyntax,
      transferSyntaxes: [EXPLICIT],
      ...(abstractSyntax === STORAGE_COMMITMENT ? { scuRole: true, scpRole: true } : {}),
    })),
  ];
  let received = 0;
  // 1: A-ASSOCIATE-RQ/AC, every DIMSE message, A-RELEASE-RQ/RP.
  const a: Association = await scuAe.associate({
    host: '127.0.0.1',
    port: proxy.port,
    calledAeTitle: 'MAINSCP',
    contexts,
    userIdentity: {
      type: 2,
      positiveResponseRequested: true,
      primaryField: Buffer.from('dicomkit'),
      secondaryField: Buffer.from('passcode'),
    },
    handlers: {
      store: async (request) => {
        await request.dataset();
        received++;
      },
    },
  });
  assert.equal(a.userIdentityResponse?.length, 0);
  assert.equal(await a.echo(), 0);
  assert.equal((await a.store(CT_SMALL)).status, 0);
  const matches: DataSet[] = [];
  for await (const m of a.find(studyQuery())) matches.push(m);
  assert.equal(matches.length, 3);
  // Leaving the loop early sends C-CANCEL-RQ; the SCP ends with a Cancel status.
  const cancelQuery = studyQuery();
  cancelQuery.set('PatientID', 'WAIT-FOR-CANCEL');
  for await (const _ of a.find(cancelQuery)) break;
  const got = await a.get(studyQuery());
  assert.deepEqual([got.completed, got.failed, received], [1, 0, 1]);
  const moved = await a.move(studyQuery(), 'DEST');
  assert.deepEqual([moved.completed, moved.failed], [1, 0]);
  const transaction = new DataSet();
  transaction.set('TransactionUID', '2.25.31337');
  await a.nAction(STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE, 1, transaction);
  await a.nEventReport(STORAGE_COMMITMENT, STORAGE_COMMITMENT_INSTANCE, 1, transaction);
  const mpps = new DataSet();
  mpps.set('PerformedProcedureStepStatus', 'IN PROGRESS');
  await a.nCreate(MPPS, '2.25.4242', mpps);
  const done = new DataSet();
  done.set('PerformedProcedureStepStatus', 'COMPLETED');
  await a.nSet(MPPS, '2.25.4242', done);
  const printer = await a.nGet(PRINTER, PRINTER_INSTANCE, [0x21100010]);
  assert.equal(printer.dataset?.string('PrinterStatus')?.trim(), 'NORMAL');
  await a.nDelete(FILM_SESSION, '2.25.5151');
  await within(a.release(), 3000, 'release');
  // 2: A-ASSOCIATE-RJ (called AE title not recognised).
  await assert.rejects(
    scuAe.associate({
      host: '127.0.0.1',
      port: proxy.port,
      calledAeTitle: 'NOT-THE-SCP',
      contexts: [verificationContext()],
    }),
    AssociationRejectedError,
  );
  // 3: A-ABORT.
  const c = await scuAe.associate({
    host: '127.0.0.1',
    port: proxy.port,
    calledAeTitle: 'MAINSCP',
    contexts: [verificationContext()],
  });
  assert.equal(await c.echo(), 0);
  await within(c.abort(), 3000, 'abort');
  // Every connection closed in both directions, so the capture ends with FINs everywhere.
  await eventually(
    () => recorder.events.filter((e) => e.kind === 'fin').length === 2 * recorder.connections.length,
    5000,
    'all recorded connections to close',
  ).catch(() => {});
  pcapPath = join(work, 'dicomkit.pcap');
  writeFileSync(pcapPath, recorder.toPcap());
});

function runTshark(args: string[]): string {
  const r = runPeer(tshark, ['-r', pcapPath, '-d', `tcp.port==${CAPTURE_PORT},dicom`, ...args], {
    timeoutMs: 15_000,
  });
  assert.equal(r.status, 0, `tshark ${args.join(' ')} failed:\n${r.stderr}`);
  return r.stdout;
}

/** What dicomkit put on the wire, decoded from the recorded bytes: PDU types and DIMSE commands. */
function sentOnTheWire(): { pdus: string[]; commands: string[] } {
  const pdus: string[] = [];
  const commands: string[] = [];
  for (const conn of recorder.connections) {
    for (const fromClient of [true, false]) {
      const parts = recorder.events.flatMap((e) =>
        e.kind === 'data' && e.conn === conn.id && e.fromClient === fromClient ? [e.bytes] : [],
      );
      const stream = Buffer.concat(parts);
      let command: Uint8Array[] = [];
      for (let at = 0; at < stream.length; ) {
        const header = readPduHeader(stream, at);
        assert.ok(header && at + 6 + header.length <= stream.length, 'whole PDUs in the recording');
        const pdu = decodePdu(stream.subarray(at, at + 6 + header.length));
        pdus.push(`${conn.id} ${fromClient ? 'c' : 's'} ${header.type}`);
        if (pdu.type === 'P-DATA-TF') {
          for (const pdv of pdu.pdvs) {
            if (!pdv.isCommand) continue;
            command.push(pdv.data);
            if (pdv.isLast) {
              commands.push(decodeCommand(Buffer.concat(command)).info.name);
              command = [];
            }
          }
        }
        at += 6 + header.length;
      }
    }
  }
  return { pdus, commands };
}

interface ExpertItem {
  severity: string;
  count: number;
  group: string;
  protocol: string;
  summary: string;
}

/** Parses `tshark -q -z expert`: sections "Errors (n)", "Warns (n)", "Notes (n)", "Chats (n)". */
function expertItems(text: string): ExpertItem[] {
  const items: ExpertItem[] = [];
  let severity = '';
  for (const line of text.split('\n')) {
    const section = /^(Errors|Warns|Notes|Chats) \(\d+\)/.exec(line);
    if (section) {
      severity = section[1]!;
      continue;
    }
    const row = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*)$/.exec(line);
    if (row && severity) {
      items.push({
        severity,
        count: Number(row[1]),
        group: row[2]!,
        protocol: row[3]!,
        summary: row[4]!.trim(),
      });
    }
  }
  return items;
}

test('the capture holds the four connections, each closed in both directions', () => {
  // The main association, the C-MOVE sub-association, the rejected one and the aborted one.
  assert.equal(recorder.connections.length, 4);
  assert.equal(recorder.events.filter((e) => e.kind === 'fin').length, 8);
});

test('tshark -V: no malformed packet, every PDU and DIMSE command dissected', () => {
  const verbose = runTshark(['-V']);
  assert.doesNotMatch(verbose, /Malformed|Exception occurred/i, 'no malformed packet');
  assert.doesNotMatch(verbose, /Expert Info \(Error/, 'no expert error');
  const malformed = runTshark(['-Y', '_ws.malformed || _ws.expert.severity >= "Error"']);
  assert.equal(malformed.trim(), '', `frames flagged:\n${malformed}`);

  // The same PDUs as dicomkit sent, connection by connection and direction by direction.
  const sent = sentOnTheWire();
  const dissected: string[] = [];
  for (const line of runTshark([
    '-T',
    'fields',
    '-e',
    'tcp.stream',
    '-e',
    'tcp.srcport',
    '-e',
    'dicom.pdu.type',
    '-Y',
    'dicom',
  ])
    .trim()
    .split('\n')) {
    const [stream, srcPort, types] = line.split('\t');
    const side = Number(srcPort) === CAPTURE_PORT ? 's' : 'c';
    for (const t of types!.split(',')) dissected.push(`${stream} ${side} ${Number(t)}`);
  }
  assert.deepEqual(dissected.slice().sort(), sent.pdus.slice().sort(), 'tshark sees exactly the PDUs sent');
  assert.deepEqual(
    [...new Set(sent.pdus.map((p) => Number(p.split(' ')[2])))].sort(),
    [1, 2, 3, 4, 5, 6, 7],
    'all seven PDU types were exchanged',
  );

  // The DIMSE commands as the dissector names them, against those decoded from the recording.
  const commandFields = [...verbose.matchAll(/\(0000,0100\)\s+2 Command Field\s+(\S+)/g)].map((m) => m[1]!);
  assert.deepEqual(commandFields.slice().sort(), sent.commands.slice().sort());
  for (const name of [
    'C-ECHO-RQ',
    'C-ECHO-RSP',
    'C-STORE-RQ',
    'C-STORE-RSP',
    'C-FIND-RQ',
    'C-FIND-RSP',
    'C-CANCEL-RQ',
    'C-GET-RQ',
    'C-GET-RSP',
    'C-MOVE-RQ',
    'C-MOVE-RSP',
    'N-EVENT-REPORT-RQ',
    'N-EVENT-REPORT-RSP',
    'N-GET-RQ',
    'N-GET-RSP',
    'N-SET-RQ',
    'N-SET-RSP',
    'N-ACTION-RQ',
    'N-ACTION-RSP',
    'N-CREATE-RQ',
    'N-CREATE-RSP',
    'N-DELETE-RQ',
    'N-DELETE-RSP',
  ]) {
    assert.ok(commandFields.includes(name), `${name} dissected`);
  }
});

test('the Info column names every association message and command', () => {
  const info = runTshark(['-T', 'fields', '-e', '_ws.col.Info', '-Y', 'dicom']);
  for (const text of [
    'A-ASSOCIATE request DKSCU --> MAINSCP',
    'A-ASSOCIATE accept  DKSCU <-- MAINSCP',
    'A-ASSOCIATE request MAINSCP --> DEST',
    'A-ASSOCIATE reject  DKSCU <-- NOT-THE-SCP (Called AE title not recognized)',
    'A-RELEASE request',
    'A-RELEASE response',
    'ABORT DKSCU --> MAINSCP',
    'CT Image Storage',
    'C-FIND-RSP (Cancel)',
    'C-GET-RSP ID=5 C=1 (Success)',
    'N-GET-RSP ID=11 (Success), N-GET-RSP-DATA',
  ]) {
    assert.ok(info.includes(text), `'${text}' in the Info column:\n${info}`);
  }
});

test('tshark -z expert: no errors; the only warnings are the rejection, the abort and the Cancel status', () => {
  const text = runTshark(['-q', '-z', 'expert']);
  const items = expertItems(text);
  const errors = items.filter((i) => i.severity === 'Errors');
  assert.deepEqual(errors, [], `expert errors:\n${text}`);
  // Deliberate: an A-ASSOCIATE-RJ, an A-ABORT, and one response with a status other than success
  // or pending (the C-FIND-RSP Cancel after C-CANCEL), which the dissector reports as "%s".
  const warnings = items
    .filter((i) => i.severity === 'Warns')
    .map((i) => `${i.protocol} ${i.count} ${i.summary}`)
    .sort();
  assert.deepEqual(
    warnings,
    ['DICOM 1 %s', 'DICOM 1 Association aborted', 'DICOM 1 Association rejected'],
    `expert warnings:\n${text}`,
  );
  // TCP notes are the connection closings only (the synthetic TCP is clean: no retransmission,
  // lost segment or window warnings).
  for (const note of items.filter((i) => i.severity === 'Notes')) {
    assert.equal(note.protocol, 'TCP');
    assert.match(note.summary, /connection closing/);
  }
});
