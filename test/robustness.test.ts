// Untrusted input (ARCHITECTURE.md "Principles"): thousands of mutated files, PDUs, DIMSE
// command sets and compressed frames, each decoded, must end in a value or a typed DicomError with a code, never a
// TypeError or RangeError, and quickly. Seeds are fixed: a failure names the case to replay.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DicomError, type Logger, SILENT_LOGGER } from '../src/core/index.ts';
import { dataSetToJson, jsonToDataSet } from '../src/json/index.ts';
import { decodeCommand, encodeCommand } from '../src/net/dimse/commands.ts';
import { DimseStatusError } from '../src/net/dimse/index.ts';
import { decodePdu, encodePdu } from '../src/net/pdu/index.ts';
import { DCMTK_ECHO_AC, DCMTK_ECHO_RQ } from '../src/net/pdu/test-buffers.ts';
import { dumpFile } from '../src/object/dump.ts';
import { DataSet } from '../src/object/index.ts';
import { readDicom } from '../src/object/part10.ts';
import { writeDicom } from '../src/object/part10-writer.ts';
import { resolveConfig } from '../src/pacs/config.ts';
import { type Pacs, startPacs } from '../src/pacs/server.ts';
import { COMPRESSED_CODECS } from '../src/pixel/codecs/compressed.ts';
import { CodecRegistry, RLE_LOSSLESS } from '../src/pixel/codecs/registry.ts';
import { rleCodec } from '../src/pixel/codecs/rle.ts';
import { getFrame } from '../src/pixel/frames.ts';
import { ApplicationEntity, QueryRetrieveModels, verificationContext } from '../src/services/index.ts';
import { mutate, random } from './helpers/mutate.ts';
import { associateAc, commandPData, pData } from './helpers/raw-dul-peer.ts';
import { mutateExchange, playExchange, scuExchange } from './helpers/wire-exchange.ts';

const CORPUS = 'test/fixtures/pydicom';
/** Mutations per input; every decode is timed. */
const ROUNDS = Number(process.env.FUZZ_ROUNDS ?? 150);
/** Added to every seed: `npm run fuzz` with another FUZZ_SEED explores other cases. */
const SEED = Number(process.env.FUZZ_SEED ?? 0);
const SLOW_MS = 2_000;
/** Codec decodes are slower: fewer rounds per compressed file. */
const PIXEL_ROUNDS = Math.ceil(ROUNDS / 5);

/** Runs `decode` on `ROUNDS` mutations of `input`; returns how many ended in a DicomError. */
function survive(
  name: string,
  input: Uint8Array,
  seed: number,
  decode: (bytes: Uint8Array) => unknown,
): number {
  const next = random(SEED + seed);
  let typed = 0;
  for (let round = 0; round < ROUNDS; round++) {
    const bytes = mutate(input, next);
    const started = performance.now();
    try {
      decode(bytes);
    } catch (error) {
      if (!(error instanceof DicomError) || typeof error.code !== 'string') {
        assert.fail(`${name}, seed ${seed}, round ${round}: ${(error as Error)?.stack ?? String(error)}`);
      }
      typed++;
    }
    const took = performance.now() - started;
    assert.ok(took < SLOW_MS, `${name}, seed ${seed}, round ${round}: ${took.toFixed(0)} ms`);
  }
  return typed;
}

/** Errors nothing caught while a test ran (a decoder that throws from a socket callback). */
function watchUncaught(): { errors: unknown[]; stop(): void } {
  const errors: unknown[] = [];
  const record = (error: unknown) => errors.push(error);
  process.on('uncaughtException', record);
  process.on('unhandledRejection', record);
  return {
    errors,
    stop() {
      process.off('uncaughtException', record);
      process.off('unhandledRejection', record);
    },
  };
}

/** A C-ECHO command without data set on presentation context 1, in one P-DATA-TF. */
function commandPdu(fields: Parameters<typeof encodeCommand>[0]): Uint8Array {
  const data = encodeCommand({
    CommandDataSetType: 0x0101,
    AffectedSOPClassUID: '1.2.840.10008.1.1',
    ...fields,
  });
  return encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: true, isLast: true, data }] });
}

/** A PACS in a fresh folder, on loopback, that parses every instance it is sent. */
async function scratchPacs(
  dicom: Record<string, unknown> = {},
  logger: Logger = SILENT_LOGGER,
): Promise<{ pacs: Pacs; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'dicomkit-robust-pacs-'));
  const pacs = await startPacs(
    resolveConfig({
      dicom: { host: '127.0.0.1', port: 0, ...dicom },
      http: { port: 0 },
      storage: { path: dir, fsync: false },
      // A duplicate kept as it is would be answered unread.
      duplicates: 'overwrite',
    }),
    { logger },
  );
  return { pacs, dir };
}

describe('decoders of untrusted input: a value or a typed DicomError, never anything else', () => {
  test('Part 10 files: read whole, read to the pixel data, and dumped', () => {
    const files = readdirSync(CORPUS)
      .filter((name) => name.endsWith('.dcm'))
      .sort();
    let typed = 0;
    files.forEach((name, i) => {
      const bytes = new Uint8Array(readFileSync(join(CORPUS, name)));
      // Large files get fewer bytes of mutation per decode; all are read whole.
      typed += survive(name, bytes, 1000 + i, (b) => dumpFile(readDicom(b)));
      typed += survive(`${name} (stopAtTag)`, bytes, 2000 + i, (b) =>
        readDicom(b, { stopAtTag: 0x7fe00010 }),
      );
    });
    // Most mutations are caught as errors; the rest decoded to something.
    assert.ok(typed > 0);
  });

  test('PDUs: DCMTK echoscu A-ASSOCIATE-RQ/AC, our own, P-DATA, release, abort', () => {
    const pdus = [
      DCMTK_ECHO_RQ,
      DCMTK_ECHO_AC,
      encodePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 }),
      encodePdu({ type: 'A-RELEASE-RQ' }),
      encodePdu({ type: 'A-ABORT', source: 2, reason: 6 }),
      encodePdu({
        type: 'P-DATA-TF',
        pdvs: [{ contextId: 1, isCommand: true, isLast: true, data: new Uint8Array(40).fill(7) }],
      }),
    ];
    for (const [i, pdu] of pdus.entries()) survive(`PDU ${i}`, pdu, 3000 + i, decodePdu);
  });

  test('DIMSE command sets (group 0000, implicit VR little endian)', () => {
    const commands = [
      encodeCommand({
        CommandField: 0x0030,
        MessageID: 1,
        CommandDataSetType: 0x0101,
        AffectedSOPClassUID: '1.2.840.10008.1.1',
      }),
      encodeCommand({
        CommandField: 0x0001,
        MessageID: 7,
        Priority: 0,
        CommandDataSetType: 0x0000,
        AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.1.2',
        AffectedSOPInstanceUID: '1.2.3.4.5.6.7.8.9',
        MoveOriginatorApplicationEntityTitle: 'MOVER',
        MoveOriginatorMessageID: 3,
      }),
    ];
    for (const [i, command] of commands.entries()) survive(`command ${i}`, command, 4000 + i, decodeCommand);
  });

  test('compressed pixel data (JPEG, JPEG-LS, JPEG 2000, RLE): mutated codestreams decode or fail typed', async () => {
    const codecs = new CodecRegistry();
    for (const [uid, codec] of Object.entries(COMPRESSED_CODECS)) codecs.register(uid, codec);
    codecs.register(RLE_LOSSLESS, rleCodec);
    const files = readdirSync(CORPUS)
      .filter((name) => name.endsWith('.dcm'))
      .sort();
    let tried = 0;
    for (const [i, name] of files.entries()) {
      const bytes = new Uint8Array(readFileSync(join(CORPUS, name)));
      let file: ReturnType<typeof readDicom>;
      try {
        file = readDicom(bytes);
      } catch {
        continue;
      }
      const first = file.dataset.element(0x7fe00010)?.fragments?.find((f) => f instanceof Uint8Array);
      if (!(first instanceof Uint8Array) || !codecs.find(file.transferSyntax.uid)) continue;
      tried++;
      // Mutations inside the pixel data only: the header stays readable, the codec gets the damage.
      const start = first.byteOffset - bytes.byteOffset;
      const next = random(SEED + 5000 + i);
      for (let round = 0; round < PIXEL_ROUNDS; round++) {
        const damaged = new Uint8Array(bytes.length);
        damaged.set(bytes);
        const tail = mutate(bytes.subarray(start), next).subarray(0, bytes.length - start);
        damaged.set(tail, start);
        const started = performance.now();
        try {
          await getFrame(readDicom(damaged), 0, { codecs });
        } catch (error) {
          if (!(error instanceof DicomError) || typeof error.code !== 'string') {
            assert.fail(
              `${name}, seed ${5000 + i}, round ${round}: ${(error as Error)?.stack ?? String(error)}`,
            );
          }
        }
        const took = performance.now() - started;
        assert.ok(took < SLOW_MS, `${name}, round ${round}: ${took.toFixed(0)} ms`);
      }
    }
    assert.ok(tried >= 10, `${tried} compressed files`);
  });

  test('DICOM JSON (PS3.18 Annex F): objects with values of the wrong shape', () => {
    const next = random(SEED + 6000);
    const oddities: unknown[] = [null, 0, -1, 1e308, 'x', '', true, [], [null], {}, { vr: 'ZZ' }, [[]], [{}]];
    // Fresh copies: one shared object damaged twice could become circular, which no JSON text is.
    const odd = () => structuredClone(oddities[Math.floor(next() * oddities.length)]);
    for (const name of ['CT_small.dcm', 'rtplan.dcm', 'MR_small.dcm']) {
      const json = dataSetToJson(readDicom(new Uint8Array(readFileSync(join(CORPUS, name)))).dataset);
      const text = JSON.stringify(json);
      for (let round = 0; round < ROUNDS; round++) {
        const copy = JSON.parse(text) as Record<string, Record<string, unknown>>;
        const tags = Object.keys(copy);
        // Damage a few elements: their vr, their Value, a whole element, or a tag.
        for (let n = 0; n < 3; n++) {
          const tag = tags[Math.floor(next() * tags.length)]!;
          const which = Math.floor(next() * 4);
          const element = copy[tag];
          const isObject = typeof element === 'object' && element !== null && !Array.isArray(element);
          if (which === 0 && isObject) element.vr = odd();
          else if (which === 1 && isObject) element.Value = odd();
          else if (which === 2) copy[tag] = odd() as Record<string, unknown>;
          else copy[`${tag}X`] = copy[tag]!;
        }
        try {
          jsonToDataSet(copy as never);
        } catch (error) {
          if (!(error instanceof DicomError)) {
            assert.fail(`${name}, round ${round}: ${(error as Error)?.stack ?? String(error)}`);
          }
        }
      }
    }
  });

  test('an SCP fed mutated association requests and P-DATA keeps serving, leaks no association, and nothing throws', {
    // Batches of 25 connections, each cut off after 500 ms at most.
    timeout: 60_000 + ROUNDS * 40,
  }, async () => {
    const uncaught = watchUncaught();
    const scp = new ApplicationEntity({
      aeTitle: 'ANY-SCP',
      timeouts: { artim: 200, acse: 500, idle: 1000, dimse: 2000 },
    });
    const server = await scp.listen({
      port: 0,
      requireCalledAeTitle: false,
      handlers: { echo: async () => 0, store: async (req) => void (await req.data.discard()) },
    });
    // A valid C-ECHO-RQ in a P-DATA-TF, to follow an accepted association.
    const echo = commandPdu({ CommandField: 0x0030, MessageID: 1 });
    const next = random(SEED + 7000);
    const send = (bytes: Uint8Array) =>
      new Promise<void>((resolve) => {
        const socket = connect(server.port, '127.0.0.1');
        const done = () => {
          socket.destroy();
          resolve();
        };
        socket.on('error', done);
        socket.on('close', done);
        // A peer that goes quiet is cut off by us: the SCP sees the connection reset.
        socket.setTimeout(500, done);
        socket.on('connect', () => socket.write(bytes));
      });
    try {
      for (let batch = 0; batch < Math.ceil(ROUNDS / 25); batch++) {
        await Promise.all(
          Array.from({ length: 25 }, () => {
            // A mutated request alone, or a valid one followed by a mutated P-DATA.
            const bytes =
              next() < 0.5
                ? mutate(DCMTK_ECHO_RQ, next)
                : new Uint8Array([...DCMTK_ECHO_RQ, ...mutate(echo, next)]);
            return send(bytes);
          }),
        );
      }
      const scu = await new ApplicationEntity({ aeTitle: 'ECHOSCU' }).associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'ANY-SCP',
        contexts: [verificationContext()],
      });
      assert.equal(await scu.echo(), 0);
      await scu.release();
      // Every association ended and left the server's set (a leaked one counts against
      // maxAssociations forever, and close() waits for it).
      for (const deadline = Date.now() + 3000; server.associations.size > 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(server.associations.size, 0);
      assert.deepEqual(uncaught.errors, []);
    } finally {
      uncaught.stop();
      await server.close({ abort: true });
    }
  });

  test('an SCU answered with mutated A-ASSOCIATE-ACs and responses fails typed or succeeds, never hangs', {
    // ROUNDS / 5 associations, each ended by a 500 ms timeout at most.
    timeout: 60_000 + ROUNDS * 200,
  }, async () => {
    const uncaught = watchUncaught();
    const response = commandPdu({ CommandField: 0x8030, MessageIDBeingRespondedTo: 1, Status: 0 });
    const next = random(SEED + 8000);
    // Each connection gets the next reply: a mutated AC, or a valid AC and a mutated response.
    let reply: Uint8Array[] = [];
    const peer = createServer((socket) => {
      const parts = reply;
      socket.on('error', () => {});
      socket.once('data', () => {
        socket.write(parts[0]!);
        if (parts[1]) socket.once('data', () => socket.write(parts[1]!));
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as { port: number }).port;
    const scu = new ApplicationEntity({
      aeTitle: 'ECHOSCU',
      timeouts: { connect: 2000, acse: 500, dimse: 500, artim: 200, idle: 1000 },
    });
    let succeeded = 0;
    try {
      for (let round = 0; round < Math.ceil(ROUNDS / 5); round++) {
        reply = next() < 0.5 ? [mutate(DCMTK_ECHO_AC, next)] : [DCMTK_ECHO_AC, mutate(response, next)];
        const started = performance.now();
        try {
          const association = await scu.associate({
            host: '127.0.0.1',
            port,
            calledAeTitle: 'ANY-SCP',
            contexts: [verificationContext()],
          });
          await association.echo();
          succeeded++;
          await association.abort();
        } catch (error) {
          if (!(error instanceof DicomError)) {
            assert.fail(`round ${round}: ${(error as Error)?.stack ?? String(error)}`);
          }
        }
        const took = performance.now() - started;
        assert.ok(took < 3000, `round ${round}: ${took.toFixed(0)} ms`);
      }
      assert.deepEqual(uncaught.errors, []);
      assert.ok(succeeded < Math.ceil(ROUNDS / 5), 'some mutations must fail');
    } finally {
      uncaught.stop();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    }
  });

  test('an SCU whose store, find and move get wrong, repeated, cut or mutated responses settles typed', {
    // ROUNDS / 5 associations, each ended by a 500 ms timeout at most.
    timeout: 60_000 + ROUNDS * 600,
  }, async () => {
    const uncaught = watchUncaught();
    const ct = readDicom(new Uint8Array(readFileSync(join(CORPUS, 'CT_small.dcm'))));
    const match = new DataSet();
    match.set('QueryRetrieveLevel', 'STUDY');
    match.set('StudyInstanceUID', '1.2.3');
    const matchBytes = writeDicom(match, { transferSyntax: '1.2.840.10008.1.2', withoutMeta: true });
    let next = random(SEED + 8500);
    // Answers every request it reads with 1-3 responses of a random command, message id,
    // status and data set presence; some PDUs it writes are mutated.
    let mutateRate = 0;
    const peer = createServer((socket) => {
      let inbox = Buffer.alloc(0);
      const write = (bytes: Uint8Array) => {
        if (!socket.destroyed) socket.write(next() < mutateRate ? mutate(bytes, next) : bytes);
      };
      socket.on('error', () => {});
      socket.on('data', (chunk: Buffer) => {
        inbox = Buffer.concat([inbox, chunk]);
        while (inbox.length >= 6 && inbox.length >= 6 + inbox.readUInt32BE(2)) {
          const raw = inbox.subarray(0, 6 + inbox.readUInt32BE(2));
          inbox = inbox.subarray(raw.length);
          const pdu = decodePdu(raw);
          if (pdu.type === 'A-ASSOCIATE-RQ') {
            const accepted = pdu.presentationContexts.map((c) => ({
              id: c.id,
              result: 0,
              transferSyntax: c.transferSyntaxes[0]!,
            }));
            write(encodePdu({ ...associateAc({ contexts: accepted }), calledAeTitle: pdu.calledAeTitle }));
          } else if (pdu.type === 'A-RELEASE-RQ') {
            write(encodePdu({ type: 'A-RELEASE-RP' }));
          } else if (pdu.type === 'P-DATA-TF') {
            for (const pdv of pdu.pdvs.filter((p) => p.isCommand && p.isLast)) {
              const field = [0x8030, 0x8001, 0x8020, 0x8021, 0x8010, 0x0001][Math.floor(next() * 6)]!;
              const count = 1 + Math.floor(next() * 3);
              for (let n = 1; n <= count; n++) {
                const withData = next() < 0.5;
                const fields = {
                  CommandField: field,
                  MessageIDBeingRespondedTo: next() < 0.75 ? 1 : Math.floor(next() * 65536),
                  Status:
                    n < count
                      ? 0xff00
                      : [0, 0xff00, 0xa700, 0xb000, 0xfe00, 0xc000, Math.floor(next() * 65536)][
                          Math.floor(next() * 7)
                        ]!,
                  CommandDataSetType: withData ? 0x0000 : 0x0101,
                };
                write(commandPData(pdv.contextId, fields));
                if (withData) write(pData(pdv.contextId, false, true, matchBytes));
              }
            }
          }
        }
      });
    });
    await new Promise<void>((resolve) => peer.listen(0, '127.0.0.1', resolve));
    const port = (peer.address() as { port: number }).port;
    const scu = new ApplicationEntity({
      aeTitle: 'SCU',
      timeouts: { connect: 2000, acse: 500, dimse: 500, artim: 200, idle: 1000 },
    });
    const outcomes = new Map<string, number>();
    try {
      for (let round = 0; round < Math.ceil(ROUNDS / 5); round++) {
        next = random(SEED + 8500 + round);
        mutateRate = [0, 0.2, 0.5][Math.floor(next() * 3)]!;
        const operation = ['store', 'find', 'move'][Math.floor(next() * 3)]!;
        const started = performance.now();
        let outcome = 'ok';
        try {
          const association = await scu.associate({
            host: '127.0.0.1',
            port,
            calledAeTitle: 'ANY-SCP',
            contexts: [
              {
                abstractSyntax: ct.dataset.string('SOPClassUID')!,
                transferSyntaxes: [ct.transferSyntax.uid],
              },
              { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: ['1.2.840.10008.1.2'] },
              { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: ['1.2.840.10008.1.2'] },
            ],
          });
          try {
            if (operation === 'store') await association.store(ct);
            else if (operation === 'find') {
              for await (const found of association.find(match, { model: 'study' })) assert.ok(found);
            } else await association.move(match, 'ELSEWHERE', { model: 'study' });
            await association.release();
          } finally {
            await association.abort();
          }
        } catch (error) {
          if (!(error instanceof DicomError)) {
            assert.fail(`round ${round} (${operation}): ${(error as Error)?.stack ?? String(error)}`);
          }
          outcome = error.code;
        }
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
        const took = performance.now() - started;
        assert.ok(took < 4000, `round ${round} (${operation}): ${took.toFixed(0)} ms`);
      }
      assert.deepEqual(uncaught.errors, []);
      // Some calls succeeded, and several kinds of failure were met.
      if (process.env.FUZZ_DEBUG) console.log(JSON.stringify([...outcomes]));
      assert.ok((outcomes.get('ok') ?? 0) > 0 && outcomes.size > 2, JSON.stringify([...outcomes]));
    } finally {
      uncaught.stop();
      await new Promise<void>((resolve) => peer.close(() => resolve()));
    }
  });

  test('the PACS given mutated uploads answers each with a 2xx or 4xx, keeps nothing half-written', {
    timeout: 60_000,
  }, async () => {
    const { pacs, dir } = await scratchPacs();
    const next = random(SEED + 9000);
    const statuses = new Map<number, number>();
    try {
      const inputs = ['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm', 'image_dfl.dcm', 'rtplan.dcm'].map(
        (name) => new Uint8Array(readFileSync(join(CORPUS, name))),
      );
      for (let round = 0; round < ROUNDS; round++) {
        const input = inputs[round % inputs.length]!;
        const body = mutate(input, next);
        const response = await fetch(`${pacs.http!.url}/instances`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/dicom' },
          signal: AbortSignal.timeout(10_000),
        });
        const answer = await response.text();
        statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
        assert.ok(response.status < 500, `round ${round}: ${response.status} ${answer}`);
      }
      // What was stored is whole: every indexed file reads back to its pixel data.
      for (const path of pacs.index.paths()) {
        readDicom(new Uint8Array(readFileSync(pacs.storage.absolute(path))), { stopAtTag: 0x7fe00010 });
      }
      for (const leftover of pacs.storage.scan().leftovers) {
        assert.equal(statSync(pacs.storage.absolute(leftover)).size, 0, leftover);
      }
      assert.ok((statuses.get(400) ?? 0) > 0, JSON.stringify([...statuses]));
    } finally {
      await pacs.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the PACS fed whole conversations with PDUs mutated, cut, lost, repeated or swapped keeps serving', {
    // Batches of 5 conversations, each given up after 600 ms at most.
    timeout: 60_000 + ROUNDS * 200,
  }, async () => {
    const uncaught = watchUncaught();
    // Errors the PACS logs as its own (not the peer's): a response it could not send, say.
    const errors: string[] = [];
    const logger: Logger = {
      debugEnabled: false,
      log: (level, message) => void (level === 'error' && errors.push(message)),
    };
    const { pacs, dir } = await scratchPacs({ idleTimeout: 1 }, logger);
    const ct = readDicom(new Uint8Array(readFileSync(join(CORPUS, 'CT_small.dcm'))));
    const ends = new Map<string, number>();
    try {
      for (let batch = 0; batch < Math.ceil(ROUNDS / 5); batch++) {
        await Promise.all(
          Array.from({ length: 5 }, async (_, slot) => {
            const round = batch * 5 + slot;
            // Each conversation its own sequence: the cases stay the same whatever the timing.
            const next = random(SEED + 9700 + round);
            ct.dataset.set('SOPInstanceUID', `2.25.${9700 + round}`);
            const instance = {
              sopClassUid: ct.dataset.string('SOPClassUID')!,
              sopInstanceUid: ct.dataset.string('SOPInstanceUID')!,
              studyInstanceUid: ct.dataset.string('StudyInstanceUID')!,
              data: writeDicom(ct.dataset, { transferSyntax: '1.2.840.10008.1.2.1', withoutMeta: true }),
            };
            const { pdus, what } = mutateExchange(scuExchange('DICOMKIT', instance, next), next);
            const end = await playExchange(pacs.dicom.port, pdus, next, 600);
            ends.set(end, (ends.get(end) ?? 0) + 1);
            assert.deepEqual(uncaught.errors, [], `round ${round} (${what})`);
            // A round's errors may show under another round of its batch (they run together).
            assert.deepEqual(errors, [], `round ${round} (${what}) or another of its batch`);
          }),
        );
      }
      // Still serving, and every association ended (none left holding a place).
      const scu = await new ApplicationEntity({ aeTitle: 'ECHOSCU' }).associate({
        host: '127.0.0.1',
        port: pacs.dicom.port,
        calledAeTitle: 'DICOMKIT',
        contexts: [verificationContext()],
      });
      assert.equal(await scu.echo(), 0);
      await scu.release();
      for (const deadline = Date.now() + 3000; pacs.dicom.associations.size > 0 && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      assert.equal(pacs.dicom.associations.size, 0);
      // What was stored is whole, and no half-written file is left.
      for (const path of pacs.index.paths()) {
        readDicom(new Uint8Array(readFileSync(pacs.storage.absolute(path))), { stopAtTag: 0x7fe00010 });
      }
      for (const leftover of pacs.storage.scan().leftovers) {
        assert.equal(statSync(pacs.storage.absolute(leftover)).size, 0, leftover);
      }
      // Some conversations survived their mutations to a release; most were aborted.
      assert.ok((ends.get('released') ?? 0) > 0 && (ends.get('aborted') ?? 0) > 0, JSON.stringify([...ends]));
    } finally {
      uncaught.stop();
      await pacs.close({ abort: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the PACS given mutated C-STORE data sets answers each, keeps the association, stores only whole files', {
    timeout: 60_000,
  }, async () => {
    const { pacs, dir } = await scratchPacs();
    const next = random(SEED + 9500);
    const statuses = new Map<number, number>();
    try {
      const files = ['CT_small.dcm', 'MR_small.dcm', 'JPEG2000.dcm'].map((name) => {
        const bytes = new Uint8Array(readFileSync(join(CORPUS, name)));
        return { bytes, ...readDicom(bytes) };
      });
      const association = await new ApplicationEntity({ aeTitle: 'MODALITY' }).associate({
        host: '127.0.0.1',
        port: pacs.dicom.port,
        calledAeTitle: 'DICOMKIT',
        contexts: files.map((f) => ({
          abstractSyntax: f.dataset.string('SOPClassUID')!.trim(),
          transferSyntaxes: [f.transferSyntax.uid],
        })),
      });
      for (let round = 0; round < ROUNDS; round++) {
        const file = files[round % files.length]!;
        const data = mutate(file.bytes.subarray(file.dataSetOffset), next);
        const status = await association
          .store({
            sopClassUid: file.dataset.string('SOPClassUID')!.trim(),
            sopInstanceUid: `${file.dataset.string('SOPInstanceUID')!.trim()}`,
            transferSyntax: file.transferSyntax.uid,
            data,
          })
          .then(
            (r) => r.status,
            (e: unknown) => {
              if (e instanceof DimseStatusError) return e.status;
              throw e;
            },
          );
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
      }
      assert.equal(association.isEstablished, true);
      await association.release();
      for (const path of pacs.index.paths()) {
        readDicom(new Uint8Array(readFileSync(pacs.storage.absolute(path))), { stopAtTag: 0x7fe00010 });
      }
      // Refusals happened, and so did stores (a mutation in the pixel data leaves a valid header).
      assert.ok(statuses.size > 1, JSON.stringify([...statuses]));
    } finally {
      await pacs.close({ abort: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
