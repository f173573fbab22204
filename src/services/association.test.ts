import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateRq, commandPData, pData, RawPeer } from '../../test/helpers/raw-dul-peer.ts';
import { decodeCommand } from '../net/dimse/commands.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { type AssociateRq, encodePdu, type Pdu, pdvLength, type RoleSelection } from '../net/pdu/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet, writeDicom } from '../object/index.ts';
import {
  ApplicationEntity,
  AssociationRejectedError,
  type DicomServer,
  negotiatedWindow,
} from './application-entity.ts';
import type { Association } from './association.ts';
import { getStorageContexts, QueryRetrieveModels, storageContexts, verificationContext } from './contexts.ts';
import type { ServiceHandlers } from './handlers.ts';

const CT_FILE = 'test/fixtures/pydicom/CT_small.dcm';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const IMPLICIT = '1.2.840.10008.1.2';
const COMMITMENT = '1.2.840.10008.1.20.1';
const VERIFICATION = '1.2.840.10008.1.1';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-assoc-'));
after(() => rmSync(work, { recursive: true, force: true, maxRetries: 5 }));

type Command = ReturnType<typeof decodeCommand>;

/** A promise the test resolves when it chooses. */
function gate(): { opened: Promise<void>; open: () => void } {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

/** The next command set a raw peer receives (data set PDVs skipped); undefined at the A-RELEASE-RP. */
async function nextCommand(peer: RawPeer): Promise<Command | undefined> {
  for (;;) {
    const pdu = (await peer.expectPdu(5000)).pdu;
    if (pdu?.type !== 'P-DATA-TF') {
      assert.equal(pdu?.type, 'A-RELEASE-RP');
      return undefined;
    }
    if (pdu.pdvs[0]!.isCommand) return decodeCommand(pdu.pdvs[0]!.data);
  }
}

/** The command sets a raw peer receives until the A-RELEASE-RP. */
async function commandsUntilReleased(peer: RawPeer): Promise<Command[]> {
  const commands: Command[] = [];
  for (let command = await nextCommand(peer); command; command = await nextCommand(peer))
    commands.push(command);
  return commands;
}

/**
 * An SCP with `handlers` and a raw peer associated with it on `contexts` (with the role
 * selections given); `run` then speaks for the peer. `onServer` sees the SCP before the peer
 * connects. Both are closed afterwards.
 */
async function withRawPeer(
  handlers: ServiceHandlers,
  contexts: { id: number; abstractSyntax: string; transferSyntaxes: string[] }[],
  run: (peer: RawPeer) => Promise<void>,
  options: { roleSelections?: RoleSelection[]; onServer?: (server: DicomServer) => void } = {},
): Promise<void> {
  const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({ port: 0, handlers });
  options.onServer?.(server);
  const peer = await RawPeer.connect(server.port);
  try {
    const rq = associateRq({ calledAeTitle: 'SCP', contexts });
    if (options.roleSelections) rq.userInformation.roleSelections = options.roleSelections;
    await peer.send(rq);
    assert.equal((await peer.expectPdu(5000)).pdu?.type, 'A-ASSOCIATE-AC');
    await run(peer);
  } finally {
    peer.destroy();
    await server.close({ abort: true });
  }
}

function instance(uid: string): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', uid);
  ds.set('PatientID', 'PID1');
  ds.set('StudyInstanceUID', '2.25.77');
  return ds;
}

const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { acse: 5000, dimse: 5000 } });

describe('dicomkit SCU <-> dicomkit SCP', () => {
  test('store from a data set, a file and a stream; the SCP writes Part 10 files', {
    timeout: 15_000,
  }, async () => {
    const dir = join(work, 'store');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: {
        // Returning writeFile's result answers Success (it is not mistaken for a status).
        store: (req) => req.writeFile(join(dir, `${req.sopInstanceUid}.dcm`)),
      },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [...storageContexts([SC, CT], [EXPLICIT, IMPLICIT])],
      });
      await assoc.store(instance('2.25.1.1'));
      await assoc.store(CT_FILE);
      const encoded = new (await import('../object/index.ts')).DataSetEncoder().encode(instance('2.25.1.2'), {
        explicitVR: true,
        littleEndian: true,
      });
      await assoc.store({
        sopClassUid: SC,
        sopInstanceUid: '2.25.1.2',
        transferSyntax: EXPLICIT,
        data: (async function* () {
          for (const part of encoded) if (part instanceof Uint8Array) yield part;
        })(),
      });
      // storeMany: a pipeline over paths; a bad source is reported and the rest go on.
      const outcomes = [];
      for await (const outcome of assoc.storeMany([CT_FILE, join(work, 'missing.dcm'), CT_FILE]))
        outcomes.push(outcome);
      assert.deepEqual(
        outcomes.map((o) => (o.error ? 'error' : o.result?.status)),
        [0, 'error', 0],
      );
      await assoc.release();
      // Hidden .part files are the spares kept ready for the next instance.
      assert.deepEqual(
        readdirSync(dir)
          .filter((name) => !name.endsWith('.part'))
          .sort(),
        ['1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322.dcm', '2.25.1.1.dcm', '2.25.1.2.dcm'],
      );
      const got = await readDicomFile(join(dir, '2.25.1.2.dcm'));
      assert.equal(got.meta.string('SourceApplicationEntityTitle')?.trim(), 'SCU');
      assert.equal(got.dataset.string('PatientID'), 'PID1');
    } finally {
      await server.close({ abort: true });
    }
  });

  test('a response and its identifier go out in one write and are reported PDU by PDU', {
    timeout: 15_000,
  }, async () => {
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: {
        find: async function* () {
          yield instance('2.25.9.1');
          yield instance('2.25.9.2');
        },
      },
    });
    const sent: number[] = [];
    server.on('pdu-sent', (pdu: { type: string; length?: number }) => {
      if (pdu.type === 'P-DATA-TF') sent.push(pdu.length!);
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [{ abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] }],
      });
      const found = [];
      for await (const match of assoc.find(new DataSet())) found.push(match);
      await assoc.release();
      assert.equal(found.length, 2);
      // Two pending responses (command PDU + identifier PDU each), then the final one.
      assert.equal(sent.length, 5, `P-DATA-TF PDUs: ${sent.join(', ')}`);
      assert.ok(sent.every((length) => length > 12));
    } finally {
      await server.close({ abort: true });
    }
  });

  test('failure statuses become DimseStatusError; a handler that throws gives 0x0110 with the message', {
    timeout: 15_000,
  }, async () => {
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: {
        store: async (req) => {
          await req.data.bytes();
          if (req.sopInstanceUid.endsWith('.9')) throw new Error('disk on fire');
          return { status: 0xa700, errorComment: 'full' };
        },
      },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: storageContexts([SC]),
      });
      await assert.rejects(
        assoc.store(instance('2.25.2.1')),
        (e: unknown) => e instanceof DimseStatusError && e.status === 0xa700,
      );
      await assert.rejects(
        assoc.store(instance('2.25.2.9')),
        (e: unknown) =>
          e instanceof DimseStatusError && e.status === 0x0110 && e.errorComment === 'disk on fire',
      );
      await assert.rejects(
        assoc.echo(),
        (e: unknown) => (e as { code?: string }).code === 'ERR_NO_PRESENTATION_CONTEXT',
      );
      await assoc.release();
    } finally {
      await server.close({ abort: true });
    }
  });

  test('C-FIND cancel through an AbortSignal, then C-GET and C-MOVE with progress', {
    timeout: 20_000,
  }, async () => {
    const instances = [instance('2.25.3.1'), instance('2.25.3.2'), instance('2.25.3.3')];
    const received: string[] = [];
    const destination = await new ApplicationEntity({ aeTitle: 'DEST' }).listen({
      port: 0,
      handlers: {
        store: async (req) => {
          received.push((await req.dataset()).string('SOPInstanceUID')!);
        },
      },
    });
    let cancelled = false;
    const server = await new ApplicationEntity({ aeTitle: 'QR' }).listen({
      port: 0,
      handlers: {
        async *find(_req, ctx) {
          ctx.signal.addEventListener('abort', () => {
            cancelled = true;
          });
          for (let i = 0; i < 1000 && !ctx.signal.aborted; i++) {
            await new Promise((r) => setTimeout(r, 5));
            const match = new DataSet();
            match.set('PatientID', `P${i}`);
            yield match;
          }
        },
        get: () => instances,
        async *move() {
          yield { count: instances.length };
          yield* instances;
        },
      },
      moveDestinations: { DEST: { host: '127.0.0.1', port: destination.port } },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: [
          { abstractSyntax: QueryRetrieveModels.patient.find, transferSyntaxes: [EXPLICIT] },
          { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
          { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
          ...getStorageContexts([SC]),
        ],
      });
      const controller = new AbortController();
      let matches = 0;
      const query = new DataSet();
      query.set('QueryRetrieveLevel', 'PATIENT');
      query.set('PatientID', '*');
      const finder = assoc.find(query, { model: 'patient', signal: controller.signal });
      let final: number | undefined;
      for (;;) {
        const next = await finder.next();
        if (next.done) {
          final = next.value;
          break;
        }
        if (++matches === 3) controller.abort();
      }
      assert.equal(final, 0xfe00);
      assert.ok(cancelled);
      assert.ok(matches < 10, `${matches} matches`);

      const got: string[] = [];
      const progress: (number | undefined)[] = [];
      const study = new DataSet();
      study.set('QueryRetrieveLevel', 'STUDY');
      study.set('StudyInstanceUID', '2.25.77');
      const getResult = await assoc.get(study, {
        store: async (req) => {
          got.push((await req.dataset()).string('SOPInstanceUID')!);
        },
        onProgress: (p) => progress.push(p.remaining),
      });
      assert.deepEqual([getResult.status, getResult.completed, getResult.failed], [0, 3, 0]);
      assert.deepEqual(got, ['2.25.3.1', '2.25.3.2', '2.25.3.3']);
      assert.deepEqual(progress, [2, 1]);

      const moveResult = await assoc.move(study, 'DEST');
      assert.deepEqual([moveResult.status, moveResult.completed], [0, 3]);
      assert.deepEqual(received, ['2.25.3.1', '2.25.3.2', '2.25.3.3']);
      const unknown = await assoc.move(study, 'NOWHERE').catch((e: unknown) => e);
      assert.ok(unknown instanceof DimseStatusError && unknown.status === 0xa801);
      await assoc.release();
    } finally {
      await server.close({ abort: true });
      await destination.close({ abort: true });
    }
  });

  test('N-services: each request reaches its handler and the response comes back', {
    timeout: 15_000,
  }, async () => {
    const seen: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'NSCP' }).listen({
      port: 0,
      // The requestor may also play the SCP, which invokes N-EVENT-REPORT (PS3.7 §10.1.1).
      contexts: [{ abstractSyntax: COMMITMENT, transferSyntaxes: [EXPLICIT], scpRole: true }],
      handlers: {
        nAction: (req) => {
          seen.push(`action ${req.actionTypeId} ${req.dataset?.string('TransactionUID')}`);
          return { status: 0 };
        },
        nGet: (req) => {
          seen.push(`get ${req.attributes.length}`);
          const reply = new DataSet();
          reply.set('PatientID', 'X');
          return { dataset: reply };
        },
        nSet: () => ({ status: 0x0107 }),
        nCreate: () => ({ sopInstanceUid: '2.25.99' }),
        nDelete: () => ({ status: 0x0112 }),
        nEventReport: (req) => {
          seen.push(`event ${req.eventTypeId}`);
          return {};
        },
      },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: [
          { abstractSyntax: COMMITMENT, transferSyntaxes: [EXPLICIT], scuRole: true, scpRole: true },
        ],
      });
      const info = new DataSet();
      info.set('TransactionUID', '2.25.5');
      assert.equal((await assoc.nAction(COMMITMENT, '1.2.840.10008.1.20.1.1', 1, info)).status, 0);
      assert.equal((await assoc.nGet(COMMITMENT, '2.25.1', [0x00100020])).dataset?.string('PatientID'), 'X');
      assert.equal((await assoc.nSet(COMMITMENT, '2.25.1', new DataSet())).status, 0x0107);
      assert.equal((await assoc.nCreate(COMMITMENT, undefined)).command.AffectedSOPInstanceUID, '2.25.99');
      await assert.rejects(
        assoc.nDelete(COMMITMENT, '2.25.1'),
        (e: unknown) => e instanceof DimseStatusError && e.status === 0x0112,
      );
      assert.equal((await assoc.nEventReport(COMMITMENT, '2.25.1', 2)).status, 0);
      assert.deepEqual(seen, ['action 1 2.25.5', 'get 1', 'event 2']);
      await assoc.release();
    } finally {
      await server.close({ abort: true });
    }
  });

  test('rejections and the association limit', { timeout: 15_000 }, async () => {
    const server = await new ApplicationEntity({ aeTitle: 'LIMITED' }).listen({
      port: 0,
      handlers: {},
      requireCalledAeTitle: true,
      maxAssociations: 1,
    });
    try {
      const wrong = await scu
        .associate({
          host: '127.0.0.1',
          port: server.port,
          calledAeTitle: 'OTHER',
          contexts: [verificationContext()],
        })
        .catch((e: unknown) => e);
      assert.ok(wrong instanceof AssociationRejectedError);
      assert.deepEqual([wrong.result, wrong.source, wrong.reason], [1, 1, 7]);
      const first = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'LIMITED',
        contexts: [verificationContext()],
      });
      const second = await scu
        .associate({
          host: '127.0.0.1',
          port: server.port,
          calledAeTitle: 'LIMITED',
          contexts: [verificationContext()],
        })
        .catch((e: unknown) => e);
      assert.ok(second instanceof AssociationRejectedError);
      assert.deepEqual([second.result, second.source, second.reason], [2, 3, 2]);
      assert.equal(await first.echo(), 0);
      await first.abort();
      assert.ok(!first.isEstablished);
      await assert.rejects(first.echo(), /aborted|closed/);
    } finally {
      await server.close({ abort: true });
    }
  });

  test('the DIMSE timeout runs between responses: slow pending responses are fine, a stall is not', {
    timeout: 15_000,
  }, async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const server = await new ApplicationEntity({ aeTitle: 'PACED' }).listen({
      port: 0,
      handlers: {
        async *find(req) {
          const stall = req.identifier.string('PatientID') === 'STALL';
          for (let n = 1; n <= 4; n++) {
            await pause(stall && n === 2 ? 1500 : 150);
            yield instance(`2.25.9.${n}`);
          }
        },
      },
    });
    try {
      const paced = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { dimse: 400 } });
      const contexts = [{ abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] }];
      const assoc = await paced.associate({ host: '127.0.0.1', port: server.port, contexts });
      // Four responses 150 ms apart: 600 ms in all, more than the timeout, none late.
      const found = [];
      for await (const match of assoc.find(new DataSet())) found.push(match);
      assert.equal(found.length, 4);
      const query = new DataSet();
      query.set('PatientID', 'STALL');
      await assert.rejects(
        (async () => {
          for await (const _ of assoc.find(query)) {
            // drain
          }
        })(),
        (e: unknown) => (e as { code?: string }).code === 'ERR_TIMEOUT',
      );
      await assoc.closed();
    } finally {
      await server.close({ abort: true });
    }
  });

  test("each request's DIMSE timeout counts from its own sending", { timeout: 15_000 }, async () => {
    // Answered after 0 ms, 300 ms, then never in time.
    const delays = [0, 300, 3000];
    const server = await new ApplicationEntity({ aeTitle: 'SLOWER' }).listen({
      port: 0,
      handlers: { echo: () => new Promise((r) => setTimeout(r, delays.shift() ?? 0)) },
    });
    try {
      const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { dimse: 400 } });
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: [verificationContext()],
      });
      const start = performance.now();
      await assoc.echo();
      await new Promise((r) => setTimeout(r, 250));
      // Answered ~550 ms after the first echo went out, 300 ms after its own: in time.
      await assoc.echo();
      assert.ok(performance.now() - start > 450);
      const third = performance.now();
      await assert.rejects(assoc.echo(), (e: unknown) => (e as { code?: string }).code === 'ERR_TIMEOUT');
      const waited = performance.now() - third;
      assert.ok(waited >= 395 && waited < 1500, `timed out after ${waited.toFixed(0)} ms`);
      await assoc.closed();
    } finally {
      await server.close({ abort: true });
    }
  });

  test("the DIMSE timeout counts from a data set's last progress while it is sent, then from its end", {
    timeout: 20_000,
  }, async () => {
    const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let stallFor = 0;
    const server = await new ApplicationEntity({ aeTitle: 'SLOWREADER' }).listen({
      port: 0,
      handlers: {
        store: async (request) => {
          // Reads 64 MB over ~1.6 s, 50 ms pauses every 2 MB; or stops reading for a while.
          let sinceLast = 0;
          if (stallFor > 0) await pause(stallFor);
          for await (const chunk of request.data) {
            sinceLast += chunk.length;
            if (sinceLast >= 2_000_000) {
              sinceLast = 0;
              await pause(50);
            }
          }
          return 0;
        },
      },
    });
    const big = join(work, 'big-dimse.dcm');
    const ds = instance('2.25.12.1');
    ds.set('PixelData', new Uint8Array(64_000_000), 'OB');
    writeFileSync(big, writeDicom(ds, { transferSyntax: EXPLICIT }));
    try {
      const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { dimse: 800 } });
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: storageContexts([SC]),
      });
      const start = performance.now();
      assert.equal((await assoc.store(big)).status, 0);
      const took = performance.now() - start;
      assert.ok(
        took > 1200,
        `sent in ${took.toFixed(0)} ms: the reader was not slow enough to test anything`,
      );
      // The same data set from memory: sent in parts too, not in one write with no progress till its end.
      assert.equal((await assoc.store(ds)).status, 0);
      // A reader that stops for longer than the timeout: the store fails instead of waiting for ever.
      stallFor = 1500;
      await assert.rejects(assoc.store(big), (e: unknown) => (e as { code?: string }).code === 'ERR_TIMEOUT');
      await assoc.closed();
    } finally {
      await server.close({ abort: true });
    }
  });

  test('a DIMSE timeout aborts the association', { timeout: 15_000 }, async () => {
    const server = await new ApplicationEntity({ aeTitle: 'SLOW' }).listen({
      port: 0,
      handlers: { echo: () => new Promise((r) => setTimeout(r, 3000)) },
    });
    try {
      const impatient = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { dimse: 200 } });
      const assoc = await impatient.associate({
        host: '127.0.0.1',
        port: server.port,
        contexts: [verificationContext()],
      });
      await assert.rejects(assoc.echo(), (e: unknown) => (e as { code?: string }).code === 'ERR_TIMEOUT');
      await assoc.closed();
      assert.ok(!assoc.isEstablished);
    } finally {
      await server.close({ abort: true });
    }
  });
});

describe('maxSendPduLength', () => {
  test('caps the PDUs we send below what the peer takes', { timeout: 10_000 }, async () => {
    const fragments: number[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: { store: async (req) => void (await req.dataset()) },
    });
    server.on('pdu-received', (pdu: Pdu) => {
      if (pdu.type === 'P-DATA-TF')
        for (const pdv of pdu.pdvs) if (!pdv.isCommand) fragments.push(pdvLength(pdv));
    });
    try {
      const ds = instance('2.25.9.1');
      ds.set('PixelData', new Uint8Array(100_000), 'OB');
      for (const [cap, largest] of [
        [undefined, 100_000],
        [4096, 4096 - 6],
      ] as const) {
        fragments.length = 0;
        const assoc = await scu.associate({
          host: '127.0.0.1',
          port: server.port,
          calledAeTitle: 'SCP',
          contexts: [...storageContexts([SC], [EXPLICIT])],
          ...(cap ? { maxSendPduLength: cap } : {}),
        });
        // The SCP takes 256 KiB PDUs by default: only our cap makes them small.
        assert.equal(assoc.peerMaxPduLength, 256 * 1024);
        await assoc.store(ds);
        await assoc.release();
        assert.ok(fragments.length > 0);
        if (cap) assert.equal(Math.max(...fragments), largest, `cap ${cap}`);
        else assert.ok(Math.max(...fragments) > largest - 1000, 'one large fragment without a cap');
      }
    } finally {
      await server.close({ abort: true });
    }
  });
});

describe('StoreRequest.writeFile checks the data set against its command (PS3.4 §B.2.3)', () => {
  test('another instance or class is refused with A900 and nothing is kept; no UIDs C000; padding and checkIdentity: false pass', {
    timeout: 15_000,
  }, async () => {
    const dir = join(work, 'identity');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: {
        store: (req) =>
          req.writeFile(join(dir, `${req.sopInstanceUid}.dcm`), {
            checkIdentity: !req.sopInstanceUid.startsWith('2.25.8.9'),
          }),
      },
    });
    try {
      const deflated = '1.2.840.10008.1.2.1.99';
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [
          ...storageContexts([SC], [EXPLICIT]),
          ...storageContexts([CT], [EXPLICIT]),
          { abstractSyntax: '1.2.840.10008.5.1.4.1.1.4', transferSyntaxes: [deflated] },
        ],
      });
      const { DataSetEncoder } = await import('../object/index.ts');
      const { deflateRaw } = await import('../object/deflate.ts');
      const bytesOf = (ds: DataSet) => {
        const parts = new DataSetEncoder().encode(ds, { explicitVR: true, littleEndian: true });
        return Buffer.concat(parts as Uint8Array[]);
      };
      const send = (
        sopClassUid: string,
        sopInstanceUid: string,
        data: Uint8Array,
        transferSyntax = EXPLICIT,
      ) =>
        assoc.store({ sopClassUid, sopInstanceUid, transferSyntax, data }).then(
          (r) => r.status,
          (e: unknown) => (e instanceof DimseStatusError ? e.status : Number.NaN),
        );
      // The data set is 2.25.8.1; the command says 2.25.8.2, or another class.
      assert.equal(await send(SC, '2.25.8.2', bytesOf(instance('2.25.8.1'))), 0xa900);
      assert.equal(await send(CT, '2.25.8.1', bytesOf(instance('2.25.8.1'))), 0xa900);
      const noUids = new DataSet();
      noUids.set('PatientID', 'X');
      assert.equal(await send(SC, '2.25.8.3', bytesOf(noUids)), 0xc000);
      // A deflated data set is checked from the file (MR class in the command, SC inside).
      assert.equal(
        await send(
          '1.2.840.10008.5.1.4.1.1.4',
          '2.25.8.4',
          deflateRaw(bytesOf(instance('2.25.8.4'))),
          deflated,
        ),
        0xa900,
      );
      // Padding is not a difference: a space after the UID in the data set.
      const padded = instance('2.25.8.5');
      padded.set('SOPInstanceUID', '2.25.8.5 ');
      assert.equal(await send(SC, '2.25.8.5', bytesOf(padded)), 0);
      // Unchecked on request.
      assert.equal(await send(SC, '2.25.8.9', bytesOf(instance('2.25.8.1'))), 0);
      await assoc.release();
      assert.deepEqual(
        readdirSync(dir)
          .filter((n) => !n.endsWith('.part'))
          .sort(),
        ['2.25.8.5.dcm', '2.25.8.9.dcm'],
      );
    } finally {
      await server.close({ abort: true });
    }
  });
});

describe('acceptUnknownSopClasses', () => {
  test('a private SOP class is accepted as storage; a known class the SCP does not serve is not', {
    timeout: 10_000,
  }, async () => {
    const PRIVATE = '1.2.826.0.1.3680043.9.7777.1.2';
    const received: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      acceptUnknownSopClasses: true,
      handlers: {
        store: async (req) => {
          await req.dataset();
          received.push(req.sopClassUid);
        },
      },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [
          { abstractSyntax: PRIVATE, transferSyntaxes: [EXPLICIT] },
          // Study Root FIND is in the dictionary, and this SCP has no find handler.
          { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] },
        ],
      });
      assert.deepEqual(
        assoc.contexts.map((c) => c.accepted),
        [true, false],
      );
      const ds = instance('2.25.66.1');
      ds.set('SOPClassUID', PRIVATE);
      assert.equal((await assoc.store(ds)).status, 0);
      await assoc.release();
      assert.deepEqual(received, [PRIVATE]);
    } finally {
      await server.close({ abort: true });
    }
  });
});

describe('acceptNewStorageSopClasses (SOP Class Common Extended Negotiation, PS3.7 §D.3.3.6)', () => {
  test('an unknown SOP class said to be storage is accepted as storage; nothing else is', {
    timeout: 10_000,
  }, async () => {
    const NEW_STORAGE = '1.2.826.0.1.3680043.9.7777.2.1';
    const NEW_RELATED = '1.2.826.0.1.3680043.9.7777.2.2';
    const NEW_OTHER = '1.2.826.0.1.3680043.9.7777.2.3';
    const NEW_SILENT = '1.2.826.0.1.3680043.9.7777.2.4';
    const SR = '1.2.840.10008.5.1.4.1.1.88.22';
    const received: string[] = [];
    const rqs: AssociateRq[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      acceptNewStorageSopClasses: true,
      handlers: {
        store: async (req) => {
          await req.dataset();
          received.push(req.sopClassUid);
        },
      },
    });
    server.on('association-requested', ({ rq }: { rq: AssociateRq }) => rqs.push(rq));
    const storage = '1.2.840.10008.4.2';
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [
          {
            abstractSyntax: NEW_STORAGE,
            transferSyntaxes: [EXPLICIT],
            commonExtendedNegotiation: { serviceClassUid: storage },
          },
          {
            abstractSyntax: NEW_RELATED,
            transferSyntaxes: [EXPLICIT],
            commonExtendedNegotiation: { serviceClassUid: storage, relatedGeneralSopClasses: [SR] },
          },
          // Another service class; no item at all; a known class this SCP does not serve, said to be storage.
          {
            abstractSyntax: NEW_OTHER,
            transferSyntaxes: [EXPLICIT],
            commonExtendedNegotiation: { serviceClassUid: '1.2.840.10008.4.3' },
          },
          { abstractSyntax: NEW_SILENT, transferSyntaxes: [EXPLICIT] },
          {
            abstractSyntax: QueryRetrieveModels.study.find,
            transferSyntaxes: [EXPLICIT],
            commonExtendedNegotiation: { serviceClassUid: storage },
          },
        ],
      });
      assert.deepEqual(
        assoc.contexts.map((c) => c.accepted),
        [true, true, false, false, false],
      );
      // What went on the wire: one 57H item per SOP class that had one.
      assert.deepEqual(
        rqs[0]!.userInformation.commonExtendedNegotiations.map((c) => [
          c.sopClassUid,
          c.serviceClassUid,
          c.relatedGeneralSopClasses,
        ]),
        [
          [NEW_STORAGE, storage, []],
          [NEW_RELATED, storage, [SR]],
          [NEW_OTHER, '1.2.840.10008.4.3', []],
          [QueryRetrieveModels.study.find, storage, []],
        ],
      );
      for (const [uid, n] of [
        [NEW_STORAGE, 1],
        [NEW_RELATED, 2],
      ] as const) {
        const ds = instance(`2.25.67.${n}`);
        ds.set('SOPClassUID', uid);
        assert.equal((await assoc.store(ds)).status, 0);
      }
      await assoc.release();
      assert.deepEqual(received, [NEW_STORAGE, NEW_RELATED]);
    } finally {
      await server.close({ abort: true });
    }
  });

  test('off by default: the same context is refused', { timeout: 10_000 }, async () => {
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: { store: async (req) => void (await req.data.discard()) },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: [
          {
            abstractSyntax: '1.2.826.0.1.3680043.9.7777.2.1',
            transferSyntaxes: [EXPLICIT],
            commonExtendedNegotiation: { serviceClassUid: '1.2.840.10008.4.2' },
          },
          verificationContext(),
        ],
      });
      assert.deepEqual(
        assoc.contexts.map((c) => c.accepted),
        [false, true],
      );
      await assoc.release();
    } finally {
      await server.close({ abort: true });
    }
  });
});

describe('maxDataSetSize', () => {
  test('a larger data set is received, answered 0xA700 and kept nowhere; the association goes on', {
    timeout: 10_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicomkit-max-data-set-'));
    const seen: string[] = [];
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      maxDataSetSize: 20_000,
      handlers: {
        store: async (req) => {
          seen.push(req.sopInstanceUid);
          // One handler writes the file, the other never reads the data.
          if (req.sopInstanceUid.endsWith('.9')) return void (await req.data.discard());
          return req.writeFile(join(dir, `${req.sopInstanceUid}.dcm`));
        },
      },
    });
    try {
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: storageContexts([SC]),
      });
      const sized = (uid: string, pixels: number) => {
        const ds = instance(uid);
        ds.set('PixelData', new Uint8Array(pixels), 'OB');
        return ds;
      };
      const status = async (ds: DataSet) =>
        (await assoc.store(ds).catch((e: { status: number }) => e)).status;
      assert.equal(await status(sized('2.25.71.1', 1_000)), 0);
      assert.equal(await status(sized('2.25.71.2', 100_000)), 0xa700);
      assert.equal(await status(sized('2.25.71.9', 100_000)), 0xa700);
      assert.equal(await status(sized('2.25.71.3', 1_000)), 0);
      await assoc.release();
      assert.deepEqual(seen, ['2.25.71.1', '2.25.71.2', '2.25.71.9', '2.25.71.3']);
      const names = readdirSync(dir).sort();
      assert.deepEqual(
        names.filter((n) => !n.endsWith('.part')),
        ['2.25.71.1.dcm', '2.25.71.3.dcm'],
      );
      // Only the empty spare files the SCP keeps ready for the next instance.
      for (const n of names.filter((n) => n.endsWith('.part')))
        assert.equal(statSync(join(dir, n)).size, 0, n);
    } finally {
      await server.close({ abort: true });
      // A spare .part file for the next instance may still be being made in it (part-file.ts).
      rmSync(dir, { recursive: true, force: true, maxRetries: 5 });
    }
  });
});

describe('the asynchronous operations window (PS3.7 §D.3.3.3)', () => {
  /** An SCP whose store handler takes `ms` and records when each request was served. */
  async function slowScp(ms: number, refuse: (uid: string) => boolean = () => false) {
    const served: { uid: string; messageId: number; start: number; end: number }[] = [];
    let running = 0;
    let mostAtOnce = 0;
    const server = await new ApplicationEntity({ aeTitle: 'SLOW' }).listen({
      port: 0,
      handlers: {
        store: async (req, ctx) => {
          running++;
          mostAtOnce = Math.max(mostAtOnce, running);
          const start = performance.now();
          await req.data.discard();
          await new Promise((resolve) => setTimeout(resolve, ms));
          running--;
          served.push({ uid: req.sopInstanceUid, messageId: ctx.messageId, start, end: performance.now() });
          return refuse(req.sopInstanceUid) ? 0xa700 : 0;
        },
      },
    });
    const associate = () =>
      scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SLOW',
        contexts: [...storageContexts([SC], [EXPLICIT])],
      });
    return { server, served, associate, mostAtOnce: () => mostAtOnce };
  }

  test('stores made at once go out one at a time, in order, each after the previous response', {
    timeout: 15_000,
  }, async () => {
    const scp = await slowScp(15);
    try {
      const assoc = await scp.associate();
      assert.equal(assoc.operationsWindow, 1);
      const uids = [1, 2, 3, 4, 5].map((n) => `2.25.9.${n}`);
      const results = await Promise.all(uids.map((uid) => assoc.store(instance(uid))));
      assert.deepEqual(
        results.map((r) => r.sopInstanceUid),
        uids,
      );
      assert.equal(scp.mostAtOnce(), 1, 'never two requests outstanding');
      assert.deepEqual(
        scp.served.map((s) => s.uid),
        uids,
      );
      const ids = scp.served.map((s) => s.messageId);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
        'message IDs in the order the calls were made',
      );
      await assoc.release();
    } finally {
      await scp.server.close({ abort: true });
    }
  });

  test('failureAborts: a store waiting behind a refused one is not sent', { timeout: 15_000 }, async () => {
    const scp = await slowScp(5, (uid) => uid === '2.25.9.12');
    try {
      const assoc = await scp.associate();
      const halt = new AbortController();
      const outcomes = await Promise.allSettled(
        [11, 12, 13, 14].map((n) =>
          assoc.store(instance(`2.25.9.${n}`), { signal: halt.signal, failureAborts: halt }),
        ),
      );
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'fulfilled' ? 'ok' : (o.reason as { code?: string }).code)),
        ['ok', 'ERR_DIMSE_STATUS', 'ERR_CANCELLED', 'ERR_CANCELLED'],
      );
      assert.deepEqual(
        scp.served.map((s) => s.uid),
        ['2.25.9.11', '2.25.9.12'],
      );
      // The association is still usable: without the aborted signal the next store goes out.
      await assoc.store(instance('2.25.9.15'));
      await assoc.release();
    } finally {
      await scp.server.close({ abort: true });
    }
  });

  test('requests waiting for the window fail when the association is aborted', {
    timeout: 15_000,
  }, async () => {
    const scp = await slowScp(2_000);
    try {
      const assoc = await scp.associate();
      const first = assoc.store(instance('2.25.9.21'));
      const second = assoc.store(instance('2.25.9.22'));
      await new Promise((resolve) => setTimeout(resolve, 50));
      await assoc.abort();
      const outcomes = await Promise.allSettled([first, second]);
      assert.deepEqual(
        outcomes.map((o) => (o.status === 'rejected' ? (o.reason as { code?: string }).code : 'ok')),
        ['ERR_ASSOCIATION_ABORTED', 'ERR_ASSOCIATION_ABORTED'],
      );
    } finally {
      await scp.server.close({ abort: true });
    }
  });

  test('requests sent past the window are served one at a time, in order, all answered', {
    timeout: 15_000,
  }, async () => {
    let serving = 0;
    let most = 0;
    const served: string[] = [];
    await withRawPeer(
      {
        store: async (request) => {
          serving++;
          most = Math.max(most, serving);
          await request.data.discard();
          // The later ones take less time: served together, they would finish first.
          await new Promise((resolve) => setTimeout(resolve, 60 - served.length * 10));
          served.push(request.sopInstanceUid);
          serving--;
          return 0;
        },
      },
      [{ id: 1, abstractSyntax: SC, transferSyntaxes: [EXPLICIT] }],
      async (peer) => {
        // Five C-STOREs, then the release, in one write: no response is waited for.
        const data = writeDicom(instance('2.25.8.1'), { transferSyntax: EXPLICIT, withoutMeta: true });
        const requests = [1, 2, 3, 4, 5].flatMap((id) => [
          commandPData(1, {
            CommandField: 0x0001,
            MessageID: id,
            AffectedSOPClassUID: SC,
            AffectedSOPInstanceUID: `2.25.8.${id}`,
            Priority: 0,
            CommandDataSetType: 0x0000,
          }),
          pData(1, false, true, data),
        ]);
        await peer.write(Buffer.concat([...requests, encodePdu({ type: 'A-RELEASE-RQ' })]));
        const responses = await commandsUntilReleased(peer);
        assert.ok(responses.every((command) => command.Status === 0));
        const answered = responses.map((command) => command.MessageIDBeingRespondedTo);
        assert.deepEqual(answered, [1, 2, 3, 4, 5]);
        assert.deepEqual(served, ['2.25.8.1', '2.25.8.2', '2.25.8.3', '2.25.8.4', '2.25.8.5']);
        assert.equal(most, 1);
      },
    );
  });

  test('a peer pipelining far past the window is read only while a few requests wait; all are answered in order', {
    timeout: 15_000,
  }, async () => {
    const firstServed = gate();
    let echoes = 0;
    let received = 0;
    await withRawPeer(
      {
        echo: async () => {
          if (echoes++ === 0) await firstServed.opened;
        },
      },
      [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }],
      async (peer) => {
        // 2,000 C-ECHO-RQs and the release in one write, while the first is being served.
        const count = 2000;
        const echoRq = (id: number) =>
          commandPData(1, {
            CommandField: 0x0030,
            MessageID: id,
            AffectedSOPClassUID: VERIFICATION,
            CommandDataSetType: 0x0101,
          });
        const requests = Array.from({ length: count }, (_, i) => echoRq(i + 1));
        await peer.write(Buffer.concat([...requests, encodePdu({ type: 'A-RELEASE-RQ' })]));
        await new Promise((resolve) => setTimeout(resolve, 300));
        // The one served and eight waiting were read; the rest wait in the socket.
        assert.equal(received, 9);
        firstServed.open();
        const responses = await commandsUntilReleased(peer);
        assert.ok(responses.every((command) => command.Status === 0));
        const answered = responses.map((command) => command.MessageIDBeingRespondedTo);
        assert.deepEqual(
          answered,
          Array.from({ length: count }, (_, i) => i + 1),
        );
        assert.equal(received, count);
      },
      {
        onServer: (server) =>
          server.on('association', (association: Association) =>
            association.on('request', () => {
              received++;
            }),
          ),
      },
    );
  });

  test('input held for waiting requests is read again when a C-GET sends its sub-operation', {
    timeout: 15_000,
  }, async () => {
    const get = QueryRetrieveModels.study.get;
    await withRawPeer(
      {
        echo: () => {},
        get: async () => {
          // Resolving the matches takes a while: the echoes behind the C-GET are read meanwhile.
          await new Promise((resolve) => setTimeout(resolve, 100));
          return [instance('2.25.10.1')];
        },
      },
      [
        { id: 1, abstractSyntax: get, transferSyntaxes: [EXPLICIT] },
        { id: 3, abstractSyntax: SC, transferSyntaxes: [EXPLICIT] },
        { id: 5, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
      ],
      async (peer) => {
        const query = new DataSet();
        query.set('QueryRetrieveLevel', 'STUDY');
        query.set('StudyInstanceUID', '2.25.77');
        const echoes = 20;
        await peer.write(
          Buffer.concat([
            commandPData(1, {
              CommandField: 0x0010,
              MessageID: 1,
              AffectedSOPClassUID: get,
              Priority: 0,
              CommandDataSetType: 0x0000,
            }),
            pData(1, false, true, writeDicom(query, { transferSyntax: EXPLICIT, withoutMeta: true })),
            ...Array.from({ length: echoes }, (_, i) =>
              commandPData(5, {
                CommandField: 0x0030,
                MessageID: 2 + i,
                AffectedSOPClassUID: VERIFICATION,
                CommandDataSetType: 0x0101,
              }),
            ),
          ]),
        );
        // The sub-operation's C-STORE-RQ: its response is read although eight echoes wait.
        let storeRq = await nextCommand(peer);
        while (storeRq?.CommandField !== 0x0001) storeRq = await nextCommand(peer);
        await peer.write(
          commandPData(3, {
            CommandField: 0x8001,
            MessageIDBeingRespondedTo: storeRq.MessageID!,
            AffectedSOPClassUID: SC,
            AffectedSOPInstanceUID: '2.25.10.1',
            Status: 0,
            CommandDataSetType: 0x0101,
          }),
        );
        const finals: [number, number][] = [];
        while (finals.length < 1 + echoes) {
          const command = await nextCommand(peer);
          assert.ok(command);
          if (command.Status !== 0xff00) finals.push([command.MessageIDBeingRespondedTo!, command.Status!]);
        }
        assert.deepEqual(
          finals,
          Array.from({ length: 1 + echoes }, (_, i) => [i + 1, 0]),
        );
      },
      { roleSelections: [{ sopClassUid: SC, scu: false, scp: true }] },
    );
  });

  test('a C-FIND cancelled while it waits its turn is answered Cancel without being run', {
    timeout: 15_000,
  }, async () => {
    const firstMayEnd = gate();
    const queried: string[] = [];
    const find = QueryRetrieveModels.study.find;
    await withRawPeer(
      {
        async *find(request) {
          const accession = String(request.identifier.get('AccessionNumber') ?? '');
          queried.push(accession);
          if (accession === 'A1') await firstMayEnd.opened;
          const match = new DataSet();
          match.set('QueryRetrieveLevel', 'STUDY');
          match.set('AccessionNumber', accession);
          yield match;
        },
      },
      [{ id: 1, abstractSyntax: find, transferSyntaxes: [IMPLICIT] }],
      async (peer) => {
        const findRq = (id: number) => {
          const query = new DataSet();
          query.set('QueryRetrieveLevel', 'STUDY');
          query.set('AccessionNumber', `A${id}`);
          return [
            commandPData(1, {
              CommandField: 0x0020,
              MessageID: id,
              AffectedSOPClassUID: find,
              Priority: 0,
              CommandDataSetType: 0x0000,
            }),
            pData(1, false, true, writeDicom(query, { transferSyntax: IMPLICIT, withoutMeta: true })),
          ];
        };
        // Three C-FINDs at once, then a C-CANCEL for the second while the first is running.
        await peer.write(
          Buffer.concat([
            ...findRq(1),
            ...findRq(2),
            ...findRq(3),
            commandPData(1, {
              CommandField: 0x0fff,
              MessageIDBeingRespondedTo: 2,
              CommandDataSetType: 0x0101,
            }),
          ]),
        );
        await new Promise((resolve) => setTimeout(resolve, 200));
        firstMayEnd.open();
        const responses: [number, number][] = [];
        while (responses.filter(([, status]) => status !== 0xff00).length < 3) {
          const command = await nextCommand(peer);
          assert.ok(command);
          responses.push([command.MessageIDBeingRespondedTo!, command.Status!]);
        }
        assert.deepEqual(responses, [
          [1, 0xff00],
          [1, 0x0000],
          [2, 0xfe00],
          [3, 0xff00],
          [3, 0x0000],
        ]);
        assert.deepEqual(queried, ['A1', 'A3']);
      },
    );
  });

  test('a C-FIND identifier cut short by the A-RELEASE-RQ gets a failure response, then the release', {
    timeout: 15_000,
  }, async () => {
    let called = false;
    const find = QueryRetrieveModels.study.find;
    await withRawPeer(
      {
        async *find() {
          called = true;
          yield new DataSet();
        },
      },
      [{ id: 1, abstractSyntax: find, transferSyntaxes: [IMPLICIT] }],
      async (peer) => {
        const query = new DataSet();
        query.set('QueryRetrieveLevel', 'STUDY');
        query.set('PatientName', 'DOE^*');
        const identifier = writeDicom(query, { transferSyntax: IMPLICIT, withoutMeta: true });
        await peer.write(
          Buffer.concat([
            commandPData(1, {
              CommandField: 0x0020,
              MessageID: 7,
              AffectedSOPClassUID: find,
              Priority: 0,
              CommandDataSetType: 0x0000,
            }),
            pData(1, false, false, identifier.subarray(0, 10)),
            encodePdu({ type: 'A-RELEASE-RQ' }),
          ]),
        );
        const response = (await peer.expectPdu(5000)).pdu;
        assert.equal(response?.type, 'P-DATA-TF');
        const command = decodeCommand(response.pdvs[0]!.data);
        assert.equal(command.MessageIDBeingRespondedTo, 7);
        assert.equal(command.Status, 0xa900, 'identifier does not match SOP class');
        assert.equal((await peer.expectPdu(5000)).pdu?.type, 'A-RELEASE-RP');
        assert.equal(called, false, 'the handler never saw the half identifier');
      },
    );
  });

  test('the window the requestor may use: 1 unless one was proposed and answered', () => {
    assert.equal(negotiatedWindow(undefined, undefined), 1);
    assert.equal(negotiatedWindow(4, undefined), 1, 'an acceptor that ignores the proposal');
    assert.equal(negotiatedWindow(undefined, 8), 1, 'an answer to nothing proposed');
    assert.equal(negotiatedWindow(4, 2), 2);
    assert.equal(negotiatedWindow(2, 4), 2, 'held to the proposal');
    assert.equal(negotiatedWindow(0, 3), 3);
    assert.equal(negotiatedWindow(3, 0), 3);
    assert.equal(negotiatedWindow(0, 0), 0, 'unlimited');
  });
});
