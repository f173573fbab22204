// Fault tests of the network stack (issue: network core acceptance). A dicomkit SCP faces a
// raw node:net peer that writes hand-made bytes: half PDUs, garbage, oversized and unknown PDUs,
// PDUs in the wrong state, silence, release collisions, an abort in the middle of a C-STORE,
// rejected associations. For each case the test checks what PS3.8 requires (the DUL state table,
// Table 9-10, and the A-ABORT / A-ASSOCIATE-RJ fields of §9.3.4 and §9.3.8), that the server
// survives, and that it then still serves a normal association. The last group turns it round:
// a dicomkit SCU against a raw acceptor that misbehaves. Everything listens on 127.0.0.1, port 0.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createLogger, DicomError } from '../../src/core/index.ts';
import { allowList } from '../../src/net/association/index.ts';
import { DATA_SET_PRESENT, decodeCommand, encodeCommand } from '../../src/net/dimse/index.ts';
import { type Abort, type AssociateRj, encodePdu, type PDataTf, type Pdu } from '../../src/net/pdu/index.ts';
import {
  ApplicationEntity,
  type Association,
  AssociationRejectedError,
  type DicomServer,
  prepareSource,
  verificationContext,
} from '../../src/services/index.ts';
import {
  associateAc,
  associateRq,
  commandPData,
  delay,
  eventually,
  pData,
  pseudoRandomBytes,
  type RawAcceptor,
  type RawPdu,
  RawPeer,
  rawAcceptor,
  within,
} from '../helpers/raw-dul-peer.ts';
import { storedNames } from '../helpers/stored-files.ts';

const VERIFICATION = '1.2.840.10008.1.1';
const CT_IMAGE = '1.2.840.10008.5.1.4.1.1.2';
const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const CT_SMALL = 'test/fixtures/pydicom/CT_small.dcm';

const ARTIM = 300;
const IDLE = 1000;
/** The SCP's maximum PDU length (DCMTK's default), so that oversized PDUs are cheap to make. */
const SCP_MAX_PDU = 16384;
/** The SCP's wait for an A-RELEASE-RP. */
const SCP_ACSE = 1000;
/** Slack for timers on a loaded 2-core machine. */
const SLACK = 1000;
const T = { timeout: 15_000 };

const debug = process.env.DEBUG_NET !== undefined;
const logLines: string[] = [];
const logger = createLogger(debug ? 'debug' : 'info', (line) => {
  logLines.push(line);
  if (debug) console.log(line);
});

const storeDir = mkdtempSync(join(tmpdir(), 'dicomkit-faults-'));
interface StoreCall {
  uid: string;
  /** Settles with the error writeFile() threw, or undefined when the file was written. */
  outcome: Promise<Error | undefined>;
}
const storeCalls: StoreCall[] = [];
const serverErrors: Error[] = [];
const openPeers: RawPeer[] = [];

const scpAe = new ApplicationEntity({
  aeTitle: 'FAULTSCP',
  maxPduLength: SCP_MAX_PDU,
  timeouts: { artim: ARTIM, acse: SCP_ACSE, idle: IDLE, dimse: 5000, connect: 2000 },
  logger,
});
const scuAe = new ApplicationEntity({
  aeTitle: 'FAULTSCU',
  timeouts: { artim: ARTIM, acse: 2000, dimse: 5000, connect: 2000 },
  logger,
});
let server: DicomServer;

before(async () => {
  server = await scpAe.listen({
    port: 0,
    handlers: {
      echo: () => 0,
      store: async (request) => {
        let settle!: (e: Error | undefined) => void;
        storeCalls.push({ uid: request.sopInstanceUid, outcome: new Promise((r) => (settle = r)) });
        try {
          await request.writeFile(join(storeDir, `${request.sopInstanceUid}.dcm`));
          settle(undefined);
        } catch (error) {
          settle(error as Error);
          throw error;
        }
      },
    },
  });
  server.on('error', (error: Error) => serverErrors.push(error));
});

after(async () => {
  for (const p of openPeers) p.destroy();
  await within(server.close({ abort: true }), 5000, 'closing the SCP');
  rmSync(storeDir, { recursive: true, force: true });
});

afterEach(() => {
  for (const p of openPeers.splice(0)) p.destroy();
});

async function openRaw(port = server.port): Promise<RawPeer> {
  const peer = await RawPeer.connect(port);
  openPeers.push(peer);
  return peer;
}

/** A raw requestor with an established association: Verification on 1, CT Image Storage on 3. */
async function rawAssociation(): Promise<RawPeer> {
  const peer = await openRaw();
  await peer.send(
    associateRq({
      calledAeTitle: 'FAULTSCP',
      contexts: [
        { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
        { id: 3, abstractSyntax: CT_IMAGE, transferSyntaxes: [EXPLICIT] },
      ],
    }),
  );
  const reply = await peer.expectPdu(2000);
  assert.equal(reply.pdu?.type, 'A-ASSOCIATE-AC', 'the SCP accepts the raw association');
  return peer;
}

function assertAbort(got: RawPdu | undefined, source: number, reason: number, why: string): void {
  assert.ok(got, `${why}: expected an A-ABORT, the SCP closed without one`);
  assert.equal(got.type, 0x07, `${why}: expected an A-ABORT PDU, got type 0x${got.type.toString(16)}`);
  const abort = got.pdu as Abort;
  assert.deepEqual({ source: abort.source, reason: abort.reason }, { source, reason }, why);
}

function assertRejected(got: RawPdu | undefined, result: number, source: number, reason: number): void {
  assert.ok(got, 'expected an A-ASSOCIATE-RJ, the SCP closed without one');
  assert.equal(got.pdu?.type, 'A-ASSOCIATE-RJ');
  const rj = got.pdu as AssociateRj;
  assert.deepEqual({ result: rj.result, source: rj.source, reason: rj.reason }, { result, source, reason });
}

/** The SCP survived: nothing reported on 'error', no association left over, and a normal echo works. */
async function assertStillServes(target: DicomServer = server, calledAeTitle = 'FAULTSCP'): Promise<void> {
  assert.deepEqual(serverErrors, [], 'the server emitted no error');
  await eventually(() => target.associations.size === 0, 3000, 'the faulty association to be cleaned up');
  const association = await scuAe.associate({
    host: '127.0.0.1',
    port: target.port,
    calledAeTitle,
    contexts: [verificationContext()],
  });
  assert.equal(await association.echo(), 0);
  await within(association.release(), 3000, 'releasing the check association');
}

function nextServerAssociation(): Promise<Association> {
  return within(
    new Promise<Association>((resolve) => server.once('association', resolve)),
    3000,
    'the SCP accepting the association',
  );
}

describe('dicomkit SCP against a raw-bytes requestor', () => {
  test(
    '1. the peer closes in the middle of an A-ASSOCIATE-RQ (FIN): no answer, connection closed',
    T,
    async () => {
      const peer = await openRaw();
      const rq = encodePdu(associateRq());
      await peer.write(rq.subarray(0, rq.length >> 1));
      peer.end();
      // Sta2 + Evt17 -> AA-5: stop ARTIM, back to Sta1; nothing is sent.
      assert.equal(await peer.nextPdu(2000), undefined, 'the SCP sends nothing back');
      assert.equal(peer.pending.length, 0, 'not even a partial PDU');
      await assertStillServes();
    },
  );

  test('1b. the peer resets the connection in the middle of an A-ASSOCIATE-RQ (RST)', T, async () => {
    const peer = await openRaw();
    const rq = encodePdu(associateRq());
    await peer.write(rq.subarray(0, 40));
    peer.socket.resetAndDestroy();
    await delay(50);
    await assertStillServes();
  });

  test('2. garbage instead of an A-ASSOCIATE-RQ: A-ABORT (AA-1) and the connection closes', T, async () => {
    await Promise.all(
      [1, 7, 42].map(async (seed) => {
        const garbage = pseudoRandomBytes(512, seed);
        garbage[0] = 0x80 | garbage[0]!; // an unrecognised PDU type, whatever the seed gives
        const peer = await openRaw();
        await peer.write(garbage);
        // Sta2 + Evt19 is AA-1: A-ABORT with the service-user source (PS3.8 Table 9-9: "Send
        // A-ABORT PDU (service-user source)"), reason 0 as Table 9-26 requires for that source.
        assertAbort(await peer.nextPdu(2000), 0, 0, `garbage seed ${seed} in Sta2`);
        // Sta13: ARTIM runs; the SCP closes even though the peer does not.
        await peer.waitClosed(ARTIM + SLACK);
      }),
    );
    await assertStillServes();
  });

  test(
    '2b. random bytes (any first byte) before the association: abort or close, never a hang',
    T,
    async () => {
      await Promise.all(
        [3, 99, 2024, 65537, 8, 13].map(async (seed) => {
          const peer = await openRaw();
          await peer.write(pseudoRandomBytes(300, seed));
          // A valid-looking type with a length beyond 300 bytes waits for the rest: ARTIM ends it.
          const got = await peer.nextPdu(ARTIM + SLACK);
          if (got) assert.equal(got.type, 0x07, `seed ${seed}: only an A-ABORT may come back`);
          await peer.waitClosed(ARTIM + SLACK);
        }),
      );
      await assertStillServes();
    },
  );

  test('2c. garbage after the association is established: A-ABORT source 2 reason 1 (AA-8)', T, async () => {
    const peer = await rawAssociation();
    const aborted = new Promise((resolve) => server.once('aborted', (_a, info) => resolve(info)));
    const garbage = pseudoRandomBytes(256, 5);
    garbage[0] = 0xc3;
    await peer.write(garbage);
    assertAbort(await peer.nextPdu(2000), 2, 1, 'garbage in Sta6');
    assert.equal(
      ((await within(aborted, 2000, "the SCP's 'aborted' event")) as { by: string }).by,
      'provider',
    );
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test('3. a P-DATA-TF longer than the maximum PDU length we advertised: A-ABORT reason 6', T, async () => {
    const peer = await rawAssociation();
    // Only the header: the SCP must judge the length before buffering the body.
    const header = Uint8Array.of(0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    new DataView(header.buffer).setUint32(2, SCP_MAX_PDU + 1);
    await peer.write(header);
    // Sta6 + Evt19 -> AA-8: A-ABORT, service-provider source, "invalid PDU parameter value".
    assertAbort(await peer.nextPdu(2000), 2, 6, 'oversized P-DATA-TF');
    // Sta13 + ARTIM expiry -> AA-2: the SCP closes without waiting for us.
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test('3b. a data set fragment with no command before it: the DIMSE layer aborts', T, async () => {
    const peer = await rawAssociation();
    await peer.write(pData(1, false, true, new Uint8Array(64)));
    // A DIMSE protocol error (PS3.7 §9.1): the DUL's user aborts, so the source is 0.
    assertAbort(await peer.nextPdu(2000), 0, 0, 'data set PDV without a command');
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test('3c. an A-ASSOCIATE-RQ longer than the maximum P-DATA length is read (that limit is for P-DATA-TF)', {
    ...T,
  }, async () => {
    // 128 presentation contexts with 6 transfer syntaxes each: about 23 KB, as a storescu
    // proposing many classes and syntaxes sends. PS3.8 Annex D.1 bounds only P-DATA-TF PDUs.
    const syntaxes = [EXPLICIT, IMPLICIT, '1.2.840.10008.1.2.2', '1.2.840.10008.1.2.4.50'];
    syntaxes.push('1.2.840.10008.1.2.4.70', '1.2.840.10008.1.2.5');
    const contexts = [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] }];
    for (let id = 3; id <= 255; id += 2)
      contexts.push({ id, abstractSyntax: CT_IMAGE, transferSyntaxes: syntaxes });
    const rq = encodePdu(associateRq({ calledAeTitle: 'FAULTSCP', contexts }));
    assert.ok(rq.length > SCP_MAX_PDU + 6, `the request is ${rq.length} bytes`);
    const peer = await openRaw();
    await peer.write(rq);
    const got = await peer.nextPdu(2000);
    assert.equal(got?.pdu?.type, 'A-ASSOCIATE-AC', `got ${JSON.stringify(got?.pdu)}`);
    await peer.send({ type: 'A-RELEASE-RQ' });
    assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RP');
    peer.end();
    await assertStillServes();
  });

  test(
    '4a. PDU length larger than the data, before the association: ARTIM closes the connection',
    T,
    async () => {
      const peer = await openRaw();
      // An A-ASSOCIATE-RQ header announcing 1000 bytes, and 4 of them.
      await peer.write(Uint8Array.of(0x01, 0, 0, 0, 0x03, 0xe8, 0, 1, 0, 0));
      // Sta2, ARTIM running: Evt18 -> AA-2, close; nothing is sent.
      const waited = await peer.waitClosed(ARTIM + SLACK);
      assert.ok(waited >= ARTIM - 100, `closed after ${waited.toFixed(0)} ms, ARTIM is ${ARTIM}`);
      assert.equal(peer.bytesReceived, 0, 'no PDU is sent when ARTIM expires in Sta2');
      await assertStillServes();
    },
  );

  test(
    '4b. PDU length larger than the data, established association: the idle timeout aborts',
    T,
    async () => {
      const peer = await rawAssociation();
      const aborted = new Promise((resolve) => server.once('aborted', (_a, info) => resolve(info)));
      await peer.write(Uint8Array.of(0x04, 0, 0, 0, 0x03, 0xe8, 0, 0, 0x03, 0xe4));
      const start = performance.now();
      // What happens: after `idle` ms without a byte the SCP aborts as its own user (Evt15 ->
      // AA-1: A-ABORT source 0, reason 0), then waits in Sta13 for our close under ARTIM.
      const got = await peer.nextPdu(IDLE + SLACK);
      const waited = performance.now() - start;
      assertAbort(got, 0, 0, 'idle timeout in Sta6');
      assert.ok(waited >= IDLE - 100, `aborted after ${waited.toFixed(0)} ms, the idle timeout is ${IDLE}`);
      const info = (await within(aborted, 1000, "the SCP's 'aborted' event")) as {
        by: string;
        message: string;
      };
      assert.equal(info.by, 'local');
      assert.match(info.message, /idle/);
      await peer.waitClosed(ARTIM + SLACK);
      await assertStillServes();
    },
  );

  test('4c. PDU length larger than the data, then a half-close: the SCP closes too', T, async () => {
    const peer = await rawAssociation();
    const aborted = new Promise((resolve) => server.once('aborted', (_a, info) => resolve(info)));
    await peer.write(Uint8Array.of(0x04, 0, 0, 0, 0x03, 0xe8, 0, 0, 0x03, 0xe4));
    peer.end();
    // Sta6 + Evt17 -> AA-4: A-P-ABORT indication to the user; the socket is closed, no PDU sent.
    assert.equal(await peer.nextPdu(2000), undefined, 'no PDU after our FIN');
    assert.ok(peer.peerClosed);
    const info = (await within(aborted, 2000, "the SCP's 'aborted' event")) as { by: string };
    assert.equal(info.by, 'provider');
    await assertStillServes();
  });

  test(
    '5. an unknown PDU type (0x08) on an established association: A-ABORT source 2 reason 1',
    T,
    async () => {
      const peer = await rawAssociation();
      await peer.write(Uint8Array.of(0x08, 0, 0, 0, 0, 4, 0, 0, 0, 0));
      assertAbort(await peer.nextPdu(2000), 2, 1, 'PDU type 0x08 in Sta6');
      await peer.waitClosed(ARTIM + SLACK);
      await assertStillServes();
    },
  );

  test('5b. an unknown PDU type (0x08) before the association: A-ABORT (AA-1)', T, async () => {
    const peer = await openRaw();
    await peer.write(Uint8Array.of(0x08, 0, 0, 0, 0, 4, 0, 0, 0, 0));
    assertAbort(await peer.nextPdu(2000), 0, 0, 'PDU type 0x08 in Sta2');
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  /** PDUs that are well formed but have no business arriving on an established association. */
  const unexpectedInSta6: [string, Uint8Array][] = [
    ['A-ASSOCIATE-RQ', encodePdu(associateRq({ calledAeTitle: 'FAULTSCP' }))],
    ['A-ASSOCIATE-RJ', encodePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 })],
    ['A-RELEASE-RP', encodePdu({ type: 'A-RELEASE-RP' })],
  ];

  test('5c. unexpected PDUs on an established association: A-ABORT from the provider (AA-8)', T, async () => {
    await Promise.all(
      unexpectedInSta6.map(async ([name, bytes]) => {
        const peer = await rawAssociation();
        await peer.write(bytes);
        const got = await peer.nextPdu(2000);
        assert.ok(got && got.type === 0x07, `${name} in Sta6: A-ABORT expected`);
        assert.equal((got.pdu as Abort).source, 2, `${name} in Sta6: service-provider source`);
        await peer.waitClosed(ARTIM + SLACK);
      }),
    );
    await assertStillServes();
  });

  test('5d. the A-ABORT for an unexpected PDU says reason 2, unexpected-PDU (PS3.8 Table 9-26)', {
    ...T,
  }, async () => {
    const reasons: Record<string, number | undefined> = {};
    for (const [name, bytes] of unexpectedInSta6) {
      const peer = await rawAssociation();
      await peer.write(bytes);
      reasons[`${name} in Sta6`] = ((await peer.nextPdu(2000))?.pdu as Abort | undefined)?.reason;
      peer.destroy();
    }
    // Sta13 (after an A-ASSOCIATE-RJ) + Evt6 -> AA-7.
    const peer = await openRaw();
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP', applicationContext: '1.2.3.4' }));
    await peer.expectPdu(2000);
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP' }));
    reasons['A-ASSOCIATE-RQ in Sta13'] = ((await peer.nextPdu(2000))?.pdu as Abort | undefined)?.reason;
    peer.destroy();
    await delay(50);
    assert.deepEqual(reasons, {
      'A-ASSOCIATE-RQ in Sta6': 2,
      'A-ASSOCIATE-RJ in Sta6': 2,
      'A-RELEASE-RP in Sta6': 2,
      'A-ASSOCIATE-RQ in Sta13': 2,
    });
    await assertStillServes();
  });

  test('5e. a second A-ASSOCIATE-RQ after an A-ASSOCIATE-RJ (Sta13 + Evt6): A-ABORT (AA-7)', T, async () => {
    const peer = await openRaw();
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP', applicationContext: '1.2.3.4' }));
    assertRejected(await peer.nextPdu(2000), 1, 1, 2);
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP' }));
    const got = await peer.nextPdu(2000);
    assert.ok(got && got.type === 0x07, 'A-ABORT expected');
    assert.equal((got.pdu as Abort).source, 2);
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test(
    '6. P-DATA-TF and other PDUs before the association (Sta2): A-ABORT (AA-1), then close',
    T,
    async () => {
      const cases: [string, Uint8Array][] = [
        ['P-DATA-TF', pData(1, true, true, new Uint8Array(8))],
        ['A-RELEASE-RQ', encodePdu({ type: 'A-RELEASE-RQ' })],
        ['A-RELEASE-RP', encodePdu({ type: 'A-RELEASE-RP' })],
        ['A-ASSOCIATE-AC', encodePdu(associateAc())],
        ['A-ASSOCIATE-RJ', encodePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 1 })],
      ];
      await Promise.all(
        cases.map(async ([name, bytes]) => {
          const peer = await openRaw();
          await peer.write(bytes);
          assertAbort(await peer.nextPdu(2000), 0, 0, `${name} in Sta2`);
          // AA-1 starts ARTIM; its expiry in Sta13 closes the connection (AA-2).
          const waited = await peer.waitClosed(ARTIM + SLACK);
          assert.ok(waited <= ARTIM + SLACK);
        }),
      );
      await assertStillServes();
    },
  );

  test('6b. an A-ABORT before the association (Sta2 + Evt16 -> AA-2): closed, no answer', T, async () => {
    const peer = await openRaw();
    await peer.send({ type: 'A-ABORT', source: 0, reason: 0 });
    assert.equal(await peer.nextPdu(1000), undefined, 'no PDU answers an A-ABORT');
    await assertStillServes();
  });

  test('7. a peer that connects and says nothing: ARTIM closes the connection', T, async () => {
    const peer = await openRaw();
    const waited = await peer.waitClosed(ARTIM + SLACK);
    assert.ok(waited >= ARTIM - 100 && waited <= ARTIM + SLACK, `closed after ${waited.toFixed(0)} ms`);
    assert.equal(peer.bytesReceived, 0, 'ARTIM expiry in Sta2 sends nothing (AA-2)');
    await assertStillServes();
  });

  test('8a. release collision between two dicomkit peers: both release() resolve', T, async () => {
    const scpSide = nextServerAssociation();
    const requestor = await scuAe.associate({
      host: '127.0.0.1',
      port: server.port,
      calledAeTitle: 'FAULTSCP',
      contexts: [verificationContext()],
    });
    const acceptor = await scpSide;
    const seen: string[] = [];
    const onSent = (pdu: Pdu, a: Association | undefined): void => {
      if (a === acceptor) seen.push(`sent ${pdu.type}`);
    };
    const onReceived = (pdu: Pdu, a: Association | undefined): void => {
      if (a === acceptor) seen.push(`received ${pdu.type}`);
    };
    server.on('pdu-sent', onSent);
    server.on('pdu-received', onReceived);
    try {
      await within(Promise.all([requestor.release(), acceptor.release()]), 5000, 'the colliding releases');
    } finally {
      server.off('pdu-sent', onSent);
      server.off('pdu-received', onReceived);
    }
    // Acceptor side of PS3.8 §9.2: Sta7 + Evt12 -> AR-8 (Sta10); Evt13 -> AR-10 (Sta12); the
    // user's response -> AR-4 (A-RELEASE-RP, Sta13).
    assert.deepEqual(seen, [
      'sent A-RELEASE-RQ',
      'received A-RELEASE-RQ',
      'received A-RELEASE-RP',
      'sent A-RELEASE-RP',
    ]);
    assert.equal(requestor.isEstablished, false);
    assert.equal(acceptor.isEstablished, false);
    await within(Promise.all([requestor.closed(), acceptor.closed()]), 3000, 'both connections closing');
    await assertStillServes();
  });

  test(
    '8b. release collision, raw requestor against the dicomkit acceptor: exact PDU sequence',
    T,
    async () => {
      const scpSide = nextServerAssociation();
      const peer = await rawAssociation();
      const acceptor = await scpSide;
      // Both sides ask at once: the SCP's A-RELEASE-RQ is on the wire before ours arrives.
      const released = acceptor.release();
      await peer.send({ type: 'A-RELEASE-RQ' });
      // We are the requestor: Sta7 + Evt12 (its RQ) -> AR-8 -> Sta9.
      const first = await peer.expectPdu(2000);
      assert.equal(first.pdu?.type, 'A-RELEASE-RQ');
      // The acceptor went to Sta10 and must wait for our A-RELEASE-RP: nothing more yet.
      await assert.rejects(peer.nextPdu(300), /waited/, 'the acceptor answers only after our A-RELEASE-RP');
      // Sta9 + our response -> AR-9: send A-RELEASE-RP, Sta11.
      await peer.send({ type: 'A-RELEASE-RP' });
      // Acceptor: Sta10 + Evt13 -> AR-10 (Sta12), its response -> AR-4: A-RELEASE-RP, Sta13.
      const second = await peer.expectPdu(2000);
      assert.equal(second.pdu?.type, 'A-RELEASE-RP');
      // In Sta13 the acceptor waits for the requestor to close (AR-3 on our side).
      await delay(100);
      assert.equal(peer.peerClosed, false, 'the acceptor leaves closing to the requestor');
      peer.end();
      await within(released, 3000, "the acceptor's release()");
      assert.equal(acceptor.isEstablished, false);
      await peer.waitClosed(2000);
      assert.equal(peer.pending.length, 0, 'nothing after the A-RELEASE-RP');
      await assertStillServes();
    },
  );

  test('8c. the requestor never answers the SCP A-RELEASE-RQ: the ACSE timer aborts', T, async () => {
    const scpSide = nextServerAssociation();
    const peer = await rawAssociation();
    const acceptor = await scpSide;
    const start = performance.now();
    const released = acceptor.release();
    assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RQ');
    // Sta7, the ACSE timer running: its expiry is a local abort (Evt15 -> AA-1).
    assertAbort(await peer.nextPdu(SCP_ACSE + SLACK), 0, 0, 'ACSE timeout in Sta7');
    const waited = performance.now() - start;
    assert.ok(waited >= SCP_ACSE - 100, `aborted after ${waited.toFixed(0)} ms, ACSE is ${SCP_ACSE}`);
    await assert.rejects(within(released, 2000, 'release()'), (error: unknown) => {
      assert.ok(error instanceof DicomError);
      assert.equal(error.code, 'ERR_ASSOCIATION_ABORTED');
      return true;
    });
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test('8d. after its A-RELEASE-RP the acceptor waits under ARTIM only (AR-4)', T, async () => {
    const peer = await rawAssociation();
    await peer.send({ type: 'A-RELEASE-RQ' });
    assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RP');
    // We do not close: ARTIM expiry in Sta13 -> AA-2 closes the connection.
    const waited = await peer.waitClosed(ARTIM + SLACK);
    assert.ok(waited <= ARTIM + SLACK, `closed after ${waited.toFixed(0)} ms`);
    assert.equal(peer.pending.length, 0);
    await assertStillServes();
  });

  test('9. A-ABORT in the middle of a C-STORE: the handler sees an error, no file is left', T, async () => {
    const instance = await prepareSource(CT_SMALL);
    const chunks: Uint8Array[] = [];
    for await (const c of instance.data(EXPLICIT)) chunks.push(c);
    const dataset = Buffer.concat(chunks);
    assert.ok(dataset.length > 20_000, 'CT_small is big enough to be cut in half');
    const peer = await rawAssociation();
    const aborted = new Promise((resolve) => server.once('aborted', (_a, info) => resolve(info)));
    const uid = '2.25.900000000000000000000000001';
    const command = encodeCommand({
      CommandField: 0x0001,
      MessageID: 7,
      AffectedSOPClassUID: CT_IMAGE,
      AffectedSOPInstanceUID: uid,
      Priority: 0,
      CommandDataSetType: DATA_SET_PRESENT,
    });
    await peer.write(pData(3, true, true, command));
    const half = dataset.subarray(0, dataset.length >> 1);
    for (let at = 0; at < half.length; at += 8000) {
      await peer.write(pData(3, false, false, half.subarray(at, Math.min(at + 8000, half.length))));
    }
    // Wait until the handler is receiving (a small data set is written only once complete,
    // so there may be no .part file yet), then abort.
    await eventually(() => storeCalls.some((c) => c.uid === uid), 3000, 'the store handler to be called');
    await new Promise((resolve) => setTimeout(resolve, 50));
    await peer.send({ type: 'A-ABORT', source: 0, reason: 0 });
    // Sta6 + Evt16 -> AA-3: A-ABORT indication, close; an A-ABORT is never answered.
    assert.equal(await peer.nextPdu(2000), undefined, 'no PDU answers an A-ABORT');
    const info = (await within(aborted, 2000, "the SCP's 'aborted' event")) as Record<string, unknown>;
    assert.deepEqual({ by: info.by, source: info.source }, { by: 'peer', source: 0 });
    const call = storeCalls.find((c) => c.uid === uid);
    assert.ok(call, 'the store handler was called');
    const error = await within(call.outcome, 3000, 'the store handler');
    assert.ok(error, 'writeFile() rejects: the data stream failed');
    assert.equal((error as DicomError).code, 'ERR_ASSOCIATION_ABORTED');
    assert.deepEqual(storedNames(storeDir), [], 'neither the .part file nor the final file remains');
    await assertStillServes();
  });

  test('9b. the connection drops (RST) in the middle of a C-STORE: no file is left', T, async () => {
    const peer = await rawAssociation();
    const uid = '2.25.900000000000000000000000002';
    const command = encodeCommand({
      CommandField: 0x0001,
      MessageID: 8,
      AffectedSOPClassUID: CT_IMAGE,
      AffectedSOPInstanceUID: uid,
      Priority: 0,
      CommandDataSetType: DATA_SET_PRESENT,
    });
    await peer.write(pData(3, true, true, command));
    await peer.write(pData(3, false, false, pseudoRandomBytes(6000, 11)));
    await eventually(() => storeCalls.some((c) => c.uid === uid), 3000, 'the store handler to be called');
    peer.socket.resetAndDestroy();
    const error = await within(storeCalls.find((c) => c.uid === uid)!.outcome, 3000, 'the store handler');
    assert.ok(error, 'writeFile() rejects');
    assert.deepEqual(storedNames(storeDir), []);
    await assertStillServes();
  });

  test(
    '9c. a whole C-STORE in PDUs of exactly the maximum length (control for 9, boundary for 3)',
    T,
    async () => {
      const instance = await prepareSource(CT_SMALL);
      const chunks: Uint8Array[] = [];
      for await (const c of instance.data(EXPLICIT)) chunks.push(c);
      const dataset = Buffer.concat(chunks);
      const peer = await rawAssociation();
      const uid = instance.sopInstanceUid;
      await peer.write(
        commandPData(3, {
          CommandField: 0x0001,
          MessageID: 9,
          AffectedSOPClassUID: CT_IMAGE,
          AffectedSOPInstanceUID: uid,
          Priority: 0,
          CommandDataSetType: DATA_SET_PRESENT,
        }),
      );
      // PDU length = 6 (PDV header) + fragment: SCP_MAX_PDU exactly, the largest the SCP accepts.
      const fragment = SCP_MAX_PDU - 6;
      assert.equal(pData(3, false, false, dataset.subarray(0, fragment)).length, 6 + SCP_MAX_PDU);
      for (let at = 0; at < dataset.length; at += fragment) {
        const end = Math.min(at + fragment, dataset.length);
        await peer.write(pData(3, false, end === dataset.length, dataset.subarray(at, end)));
      }
      const response = await peer.expectPdu(3000);
      assert.equal(response.pdu?.type, 'P-DATA-TF');
      assert.equal(await within(storeCalls.find((c) => c.uid === uid)!.outcome, 3000, 'store'), undefined);
      assert.deepEqual(storedNames(storeDir), [`${uid}.dcm`]);
      rmSync(join(storeDir, `${uid}.dcm`));
      await peer.send({ type: 'A-RELEASE-RQ' });
      assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RP');
      peer.end();
      await assertStillServes();
    },
  );
});

function fragments(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size)
    out.push(bytes.subarray(at, Math.min(at + size, bytes.length)));
  return out;
}

/** The command set of a P-DATA-TF holding one whole command PDV. */
function commandOf(got: RawPdu): ReturnType<typeof decodeCommand> {
  assert.equal(got.pdu?.type, 'P-DATA-TF', `expected a P-DATA-TF, got type 0x${got.type.toString(16)}`);
  const pdv = (got.pdu as PDataTf).pdvs[0]!;
  assert.ok(pdv.isCommand && pdv.isLast, 'one whole command PDV');
  return decodeCommand(pdv.data);
}

describe('A-RELEASE-RQ right behind requests (PS3.8 Table 9-10: AR-7 in Sta8, AR-6 in Sta7)', () => {
  test('9d. requests sent just before the A-RELEASE-RQ are answered, then the release', T, async () => {
    const instance = await prepareSource(CT_SMALL);
    const chunks: Uint8Array[] = [];
    for await (const c of instance.data(EXPLICIT)) chunks.push(c);
    const dataset = Buffer.concat(chunks);
    const uid = instance.sopInstanceUid;
    const peer = await rawAssociation();
    // All in one write: the requests and the release reach the SCP together, as from a peer
    // that releases without waiting (or that negotiated no window and ignores it).
    await peer.write(
      Buffer.concat([
        commandPData(1, { CommandField: 0x0030, MessageID: 21, AffectedSOPClassUID: VERIFICATION }),
        commandPData(3, {
          CommandField: 0x0001,
          MessageID: 22,
          AffectedSOPClassUID: CT_IMAGE,
          AffectedSOPInstanceUID: uid,
          Priority: 0,
          CommandDataSetType: DATA_SET_PRESENT,
        }),
        ...fragments(dataset, 8000).map((part, i, all) => pData(3, false, i === all.length - 1, part)),
        encodePdu({ type: 'A-RELEASE-RQ' }),
      ]),
    );
    const responses = [commandOf(await peer.expectPdu(3000)), commandOf(await peer.expectPdu(3000))];
    assert.deepEqual(
      responses.map((c) => [c.MessageIDBeingRespondedTo, c.Status]).sort(),
      [
        [21, 0],
        [22, 0],
      ],
      'the C-ECHO-RSP and the C-STORE-RSP, both Success',
    );
    assert.equal((await peer.expectPdu(3000)).pdu?.type, 'A-RELEASE-RP', 'then the release');
    peer.end();
    assert.equal(await within(storeCalls.find((c) => c.uid === uid)!.outcome, 3000, 'store'), undefined);
    assert.deepEqual(storedNames(storeDir), [`${uid}.dcm`]);
    rmSync(join(storeDir, `${uid}.dcm`));
    await assertStillServes();
  });

  test(
    '9e. an A-RELEASE-RQ in the middle of a data set: the store fails, nothing is kept, then the release',
    T,
    async () => {
      const peer = await rawAssociation();
      const uid = '2.25.900000000000000000000000003';
      await peer.write(
        Buffer.concat([
          commandPData(3, {
            CommandField: 0x0001,
            MessageID: 23,
            AffectedSOPClassUID: CT_IMAGE,
            AffectedSOPInstanceUID: uid,
            Priority: 0,
            CommandDataSetType: DATA_SET_PRESENT,
          }),
          pData(3, false, false, pseudoRandomBytes(6000, 12)),
          encodePdu({ type: 'A-RELEASE-RQ' }),
        ]),
      );
      const response = commandOf(await peer.expectPdu(3000));
      assert.equal(response.MessageIDBeingRespondedTo, 23);
      assert.notEqual(response.Status, 0, 'the cut-short store is not a Success');
      assert.equal((await peer.expectPdu(3000)).pdu?.type, 'A-RELEASE-RP');
      peer.end();
      const call = storeCalls.find((c) => c.uid === uid);
      assert.ok(call, 'the store handler was called');
      const error = await within(call.outcome, 3000, 'the store handler');
      assert.ok(error, 'writeFile() rejects: the data set never ended');
      assert.deepEqual(storedNames(storeDir), [], 'neither the .part file nor the final file remains');
      await assertStillServes();
    },
  );
});

describe('association rejection (A-ASSOCIATE-RJ, PS3.8 §9.3.4 Table 9-21)', () => {
  test('10a. unsupported application context: RJ result 1 source 1 reason 2', T, async () => {
    const rejected = new Promise((resolve) => server.once('rejected', resolve));
    const peer = await openRaw();
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP', applicationContext: '1.2.3.4.5.6' }));
    assertRejected(await peer.nextPdu(2000), 1, 1, 2);
    await within(rejected, 1000, "the 'rejected' event");
    // AE-8: after the RJ the acceptor waits (Sta13) under ARTIM for the requestor to close.
    const waited = await peer.waitClosed(ARTIM + SLACK);
    assert.ok(waited <= ARTIM + SLACK);
    await assertStillServes();
  });

  test('10b. protocol version without bit 0: RJ result 1 source 2 reason 2 (AE-6)', T, async () => {
    const peer = await openRaw();
    await peer.send(associateRq({ calledAeTitle: 'FAULTSCP', protocolVersion: 2 }));
    assertRejected(await peer.nextPdu(2000), 1, 2, 2);
    await peer.waitClosed(ARTIM + SLACK);
    await assertStillServes();
  });

  test('10c. calling AE title not allowed (allowList, no loopback): RJ reason 3', T, async () => {
    const guarded = await scpAe.listen({
      port: 0,
      handlers: { echo: () => 0 },
      accessControl: allowList({ allowLoopback: false, callingAeTitles: ['TRUSTED'] }),
    });
    try {
      await assert.rejects(
        scuAe.associate({ host: '127.0.0.1', port: guarded.port, contexts: [verificationContext()] }),
        (error: unknown) => {
          assert.ok(error instanceof AssociationRejectedError);
          assert.deepEqual([error.result, error.source, error.reason], [1, 1, 3]);
          return true;
        },
      );
      const trusted = new ApplicationEntity({ aeTitle: 'TRUSTED', timeouts: { acse: 2000 } });
      const a = await trusted.associate({
        host: '127.0.0.1',
        port: guarded.port,
        contexts: [verificationContext()],
      });
      assert.equal(await a.echo(), 0);
      await a.release();
    } finally {
      await within(guarded.close({ abort: true }), 3000, 'closing');
    }
  });

  test('10d. wrong called AE title with requireCalledAeTitle: RJ reason 7', T, async () => {
    const strict = await scpAe.listen({ port: 0, handlers: { echo: () => 0 }, requireCalledAeTitle: true });
    try {
      await assert.rejects(
        scuAe.associate({
          host: '127.0.0.1',
          port: strict.port,
          calledAeTitle: 'SOMEONE-ELSE',
          contexts: [verificationContext()],
        }),
        (error: unknown) => {
          assert.ok(error instanceof AssociationRejectedError);
          assert.deepEqual([error.result, error.source, error.reason], [1, 1, 7]);
          return true;
        },
      );
      await assertStillServes(strict, 'FAULTSCP');
    } finally {
      await within(strict.close({ abort: true }), 3000, 'closing');
    }
  });

  test('10e. maxAssociations 1 with one open: RJ result 2 source 3 reason 2', T, async () => {
    const small = await scpAe.listen({ port: 0, handlers: { echo: () => 0 }, maxAssociations: 1 });
    try {
      const first = await scuAe.associate({
        host: '127.0.0.1',
        port: small.port,
        contexts: [verificationContext()],
      });
      await assert.rejects(
        scuAe.associate({ host: '127.0.0.1', port: small.port, contexts: [verificationContext()] }),
        (error: unknown) => {
          assert.ok(error instanceof AssociationRejectedError);
          assert.deepEqual([error.result, error.source, error.reason], [2, 3, 2]);
          return true;
        },
      );
      assert.equal(await first.echo(), 0, 'the open association is not disturbed');
      await first.release();
      await assertStillServes(small);
    } finally {
      await within(small.close({ abort: true }), 3000, 'closing');
    }
  });

  test('10f. maxAssociations holds when requests arrive together and access control is asynchronous', {
    ...T,
  }, async () => {
    const slow = await scpAe.listen({
      port: 0,
      handlers: { echo: () => 0 },
      maxAssociations: 1,
      accessControl: { check: () => delay(50).then(() => ({ allowed: true as const })) },
    });
    try {
      const attempts = await Promise.allSettled(
        [1, 2, 3].map(() =>
          scuAe.associate({ host: '127.0.0.1', port: slow.port, contexts: [verificationContext()] }),
        ),
      );
      for (const a of attempts) if (a.status === 'fulfilled') await a.value.release();
      const accepted = attempts.filter((a) => a.status === 'fulfilled').length;
      const rejected = attempts.filter(
        (a) =>
          a.status === 'rejected' &&
          a.reason instanceof AssociationRejectedError &&
          a.reason.result === 2 &&
          a.reason.source === 3 &&
          a.reason.reason === 2,
      ).length;
      assert.deepEqual({ accepted, rejected }, { accepted: 1, rejected: 2 });
    } finally {
      await within(slow.close({ abort: true }), 3000, 'closing');
    }
  });
});

describe('dicomkit SCU against a raw-bytes acceptor', () => {
  let acceptor: RawAcceptor;
  before(async () => {
    acceptor = await rawAcceptor();
  });
  after(async () => {
    await acceptor.close();
  });

  const shortAcse = new ApplicationEntity({
    aeTitle: 'FAULTSCU',
    timeouts: { acse: 500, artim: ARTIM, connect: 2000 },
    logger,
  });

  test(
    'the acceptor never answers the A-ASSOCIATE-RQ: associate() fails within the ACSE timeout',
    T,
    async () => {
      const start = performance.now();
      const attempt = shortAcse.associate({
        host: '127.0.0.1',
        port: acceptor.port,
        contexts: [verificationContext()],
      });
      const peer = await acceptor.nextPeer(2000);
      assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-ASSOCIATE-RQ');
      await assert.rejects(within(attempt, 500 + SLACK + 500, 'associate()'), (error: unknown) => {
        assert.ok(error instanceof DicomError);
        assert.ok(['ERR_TIMEOUT', 'ERR_ASSOCIATION_ABORTED'].includes(error.code), error.code);
        return true;
      });
      const waited = performance.now() - start;
      assert.ok(waited >= 450 && waited <= 500 + SLACK, `failed after ${waited.toFixed(0)} ms`);
      // The requestor aborts (Sta5 + Evt15 -> AA-1) and then closes under ARTIM.
      assertAbort(await peer.nextPdu(2000), 0, 0, 'ACSE timeout in Sta5');
      await peer.waitClosed(ARTIM + SLACK);
    },
  );

  test('the acceptor answers with garbage: associate() fails, A-ABORT source 2 reason 1', T, async () => {
    const attempt = shortAcse.associate({
      host: '127.0.0.1',
      port: acceptor.port,
      contexts: [verificationContext()],
    });
    const peer = await acceptor.nextPeer(2000);
    await peer.expectPdu(2000);
    const garbage = pseudoRandomBytes(64, 77);
    garbage[0] = 0xee;
    await peer.write(garbage);
    await assert.rejects(within(attempt, 2000, 'associate()'), (error: unknown) => {
      assert.ok(error instanceof DicomError);
      assert.equal(error.code, 'ERR_ASSOCIATION_ABORTED');
      return true;
    });
    // Sta5 + Evt19 -> AA-8.
    assertAbort(await peer.nextPdu(2000), 2, 1, 'garbage in Sta5');
    await peer.waitClosed(ARTIM + SLACK);
  });

  test(
    'the acceptor sends a P-DATA-TF instead of an A-ASSOCIATE-AC: associate() fails (AA-8)',
    T,
    async () => {
      const attempt = shortAcse.associate({
        host: '127.0.0.1',
        port: acceptor.port,
        contexts: [verificationContext()],
      });
      const peer = await acceptor.nextPeer(2000);
      await peer.expectPdu(2000);
      await peer.write(pData(1, true, true, new Uint8Array(8)));
      await assert.rejects(within(attempt, 2000, 'associate()'), (error: unknown) => {
        assert.ok(error instanceof DicomError);
        assert.equal(error.code, 'ERR_ASSOCIATION_ABORTED');
        return true;
      });
      const got = await peer.nextPdu(2000);
      assert.ok(got && got.type === 0x07, 'A-ABORT expected');
      // Source 2 (service provider); the reason should be 2 (unexpected PDU), see test 5d.
      assert.equal((got.pdu as Abort).source, 2);
      await peer.waitClosed(ARTIM + SLACK);
    },
  );

  test('the acceptor answers with a truncated A-ASSOCIATE-AC and closes: associate() fails', T, async () => {
    const attempt = shortAcse.associate({
      host: '127.0.0.1',
      port: acceptor.port,
      contexts: [verificationContext()],
    });
    const peer = await acceptor.nextPeer(2000);
    await peer.expectPdu(2000);
    await peer.write(Uint8Array.of(0x02, 0, 0, 0, 0, 200, 0, 1, 0, 0));
    peer.end();
    await assert.rejects(within(attempt, 2000, 'associate()'), (error: unknown) => {
      assert.ok(error instanceof DicomError);
      assert.ok(['ERR_NETWORK', 'ERR_ASSOCIATION_ABORTED'].includes(error.code), error.code);
      return true;
    });
  });

  test('the acceptor closes the connection at once: associate() fails', T, async () => {
    const attempt = shortAcse.associate({
      host: '127.0.0.1',
      port: acceptor.port,
      contexts: [verificationContext()],
    });
    const peer = await acceptor.nextPeer(2000);
    peer.end();
    await assert.rejects(within(attempt, 2000, 'associate()'), (error: unknown) => {
      assert.ok(error instanceof DicomError);
      assert.ok(['ERR_NETWORK', 'ERR_ASSOCIATION_ABORTED'].includes(error.code), error.code);
      return true;
    });
  });

  test('release collision with a raw acceptor: the dicomkit requestor answers first (AR-9)', T, async () => {
    const attempt = shortAcse.associate({
      host: '127.0.0.1',
      port: acceptor.port,
      contexts: [verificationContext()],
    });
    const peer = await acceptor.nextPeer(2000);
    const rq = await peer.expectPdu(2000);
    assert.equal(rq.pdu?.type, 'A-ASSOCIATE-RQ');
    await peer.send(associateAc({ callingAeTitle: 'FAULTSCU' }));
    const association = await within(attempt, 2000, 'associate()');
    // Both ask at once: our A-RELEASE-RQ is on the wire before the requestor's arrives.
    await peer.send({ type: 'A-RELEASE-RQ' });
    const released = association.release();
    // We are the acceptor (Sta7 + Evt12 -> Sta10): first the requestor's RQ, then its RP (AR-9).
    assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RQ');
    assert.equal((await peer.expectPdu(2000)).pdu?.type, 'A-RELEASE-RP');
    // Sta10 + Evt13 -> AR-10 -> Sta12; our response -> AR-4: A-RELEASE-RP, Sta13.
    await peer.send({ type: 'A-RELEASE-RP' });
    // Requestor: Sta11 + Evt13 -> AR-3: confirmation and close.
    await within(released, 2000, 'release()');
    await peer.waitClosed(2000);
    assert.equal(peer.pending.length, 0);
  });

  test('connection refused: associate() fails with ERR_NETWORK', T, async () => {
    const closed = await rawAcceptor();
    const port = closed.port;
    await closed.close();
    await assert.rejects(
      within(
        scuAe.associate({ host: '127.0.0.1', port, contexts: [verificationContext()] }),
        3000,
        'associate()',
      ),
      (error: unknown) => {
        assert.ok(error instanceof DicomError);
        assert.equal(error.code, 'ERR_NETWORK');
        return true;
      },
    );
  });
});
