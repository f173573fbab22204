import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodePdu } from '../pdu/index.ts';
import { DimseChannel, type IncomingMessage } from './channel.ts';
import {
  commandInfo,
  DIMSE_COMMANDS,
  decodeCommand,
  describeCommand,
  encodeCommand,
  NO_DATA_SET,
} from './commands.ts';
import { DataStream } from './data-stream.ts';
import { describeStatus, statusCategory } from './status.ts';

/** A C-GET-RSP using every field type a command set has (US, UL, UI, LO, AT list, AE). */
const C_GET_RESPONSE = {
  CommandField: 0x8021,
  MessageIDBeingRespondedTo: 9,
  AffectedSOPClassUID: '1.2.840.10008.5.1.4.1.2.2.2',
  Status: 0xb000,
  OffendingElement: [0x00100010, 0x00100020],
  NumberOfRemainingSuboperations: 0,
  NumberOfCompletedSuboperations: 3,
  NumberOfFailedSuboperations: 1,
  NumberOfWarningSuboperations: 0,
  MoveOriginatorApplicationEntityTitle: 'ABC',
  CommandDataSetType: 0x0102,
};

describe('command sets', () => {
  test('every command field of PS3.7 is in the table once, requests and responses paired', () => {
    const fields = DIMSE_COMMANDS.map((c) => c.commandField);
    assert.equal(new Set(fields).size, fields.length);
    assert.equal(DIMSE_COMMANDS.length, 23);
    for (const c of DIMSE_COMMANDS) {
      if (c.isResponse) assert.ok(commandInfo(c.commandField & 0x7fff), `${c.name} has a request`);
    }
  });

  test('encodes group 0000 in implicit VR LE with the group length first', () => {
    const bytes = encodeCommand({
      CommandField: 0x0030,
      MessageID: 7,
      AffectedSOPClassUID: '1.2.840.10008.1.1',
    });
    // (0000,0000) UL 4 = length of the rest
    assert.deepEqual([...bytes.subarray(0, 8)], [0, 0, 0, 0, 4, 0, 0, 0]);
    assert.equal(new DataView(bytes.buffer, bytes.byteOffset).getUint32(8, true), bytes.length - 12);
    const command = decodeCommand(bytes);
    assert.equal(command.info.name, 'C-ECHO-RQ');
    assert.equal(command.MessageID, 7);
    assert.equal(command.AffectedSOPClassUID, '1.2.840.10008.1.1');
    assert.equal(command.CommandDataSetType, NO_DATA_SET);
    assert.equal(command.hasDataSet, false);
  });

  test('a C-MOVE response keeps its sub-operation counts; describeCommand names the status', () => {
    const command = decodeCommand(
      encodeCommand({
        CommandField: 0x8021,
        MessageIDBeingRespondedTo: 3,
        Status: 0xff00,
        NumberOfRemainingSuboperations: 4,
        NumberOfCompletedSuboperations: 2,
        NumberOfFailedSuboperations: 1,
        NumberOfWarningSuboperations: 0,
        CommandDataSetType: 0x0102,
      }),
    );
    assert.equal(command.NumberOfRemainingSuboperations, 4);
    assert.equal(command.hasDataSet, true);
    const text = describeCommand(command, 5);
    assert.match(text, /C-MOVE-RSP/);
    assert.match(text, /0xFF00 \(Pending: sub-operations are continuing\)/);
    assert.match(text, /remaining 4, completed 2, failed 1, warning 0/);
  });

  test('the direct encoder writes what the generic data set encoder writes', async () => {
    const { DataSet, DataSetEncoder, concatParts } = await import('../../object/index.ts');
    const { IMPLICIT_LE } = await import('../../encoding/index.ts');
    const fields = { ...C_GET_RESPONSE, ErrorComment: 'odd' };
    const ds = new DataSet();
    ds.set('CommandGroupLength', 0);
    for (const [key, value] of Object.entries(fields)) ds.set(key as never, value as never);
    assert.deepEqual(encodeCommand(fields), concatParts(new DataSetEncoder().encode(ds, IMPLICIT_LE)));
  });

  test('the direct decoder reads what the generic parser reads; damaged command sets are refused', () => {
    const fields = { ...C_GET_RESPONSE, ErrorComment: 'odd one' };
    const bytes = encodeCommand(fields);
    const command = decodeCommand(bytes);
    for (const [key, value] of Object.entries(fields)) {
      assert.deepEqual(command[key as keyof typeof fields], value, key);
    }
    // The whole set, parsed on demand, holds the same values.
    assert.equal(command.dataset.string('ErrorComment')?.trim(), 'odd one');
    assert.deepEqual(command.dataset.numbers('OffendingElement'), [0x00100010, 0x00100020]);
    for (const cut of [3, 10, bytes.length - 1]) {
      assert.throws(
        () => decodeCommand(bytes.subarray(0, cut)),
        (e: unknown) => e instanceof Error && (e as { code?: string }).code === 'ERR_DIMSE',
        `cut at ${cut}`,
      );
    }
  });

  test('a command without its mandatory elements or with an unknown field is refused', () => {
    assert.throws(
      () => decodeCommand(encodeCommand({ CommandField: 0x0001, MessageID: 1 })),
      /lacks mandatory/,
    );
    assert.throws(
      () => decodeCommand(encodeCommand({ CommandField: 0x0999, MessageID: 1 })),
      /unknown Command Field/,
    );
  });

  test('status categories and meanings', () => {
    assert.equal(statusCategory(0x0000), 'success');
    assert.equal(statusCategory(0xff01), 'pending');
    assert.equal(statusCategory(0xfe00), 'cancel');
    assert.equal(statusCategory(0xb000), 'warning');
    assert.equal(statusCategory(0xa700), 'failure');
    assert.equal(statusCategory(0xc123), 'failure');
    assert.equal(describeStatus(0xa801, 'C-MOVE-RSP'), '0xA801 (Refused: move destination unknown)');
    assert.equal(describeStatus(0xa900, 'C-STORE-RSP'), '0xA900 (Error: data set does not match SOP Class)');
  });
});

describe('DataStream', () => {
  test('pushes beyond the mark wait for the consumer; bytes() joins the chunks', async () => {
    const stream = new DataStream(8);
    assert.equal(stream.push(new Uint8Array([1, 2, 3, 4])), undefined);
    const wait = stream.push(new Uint8Array([5, 6, 7, 8, 9]));
    assert.ok(wait instanceof Promise);
    const all = stream.bytes();
    await wait;
    stream.end();
    assert.deepEqual([...(await all)], [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('over its limit: the reader fails with ERR_VALUE_TOO_LARGE, the rest is received and dropped', async () => {
    const stream = new DataStream(1024, 10);
    stream.push(new Uint8Array(6));
    const reading = stream.bytes();
    // Over the mark of 1024 nothing waits any more: what comes is dropped.
    assert.equal(stream.push(new Uint8Array(6)), undefined);
    assert.equal(stream.push(new Uint8Array(5000)), undefined);
    await assert.rejects(reading, { code: 'ERR_VALUE_TOO_LARGE' });
    assert.equal(stream.tooLarge, true);
    assert.equal(stream.received, 5012);
    stream.end();
    await stream.whenEnded();
    const exact = new DataStream(1024, 10);
    exact.push(new Uint8Array(10));
    exact.end();
    assert.equal((await exact.bytes()).length, 10);
    assert.equal(exact.tooLarge, false);
  });

  test('fail() reaches the reader; discard() releases a waiting producer', async () => {
    const failing = new DataStream();
    failing.push(new Uint8Array(2));
    failing.fail(new Error('gone'));
    await assert.rejects(failing.bytes(), /gone/);
    const discarded = new DataStream(1);
    const wait = discarded.push(new Uint8Array(4));
    discarded.discard();
    await wait;
    discarded.end();
    await discarded.whenEnded();
  });

  test('several pushes over the mark share one wait, released once the reader catches up', async () => {
    // The pieces of one PDU received across socket reads are pushed one after the other.
    const stream = new DataStream(4);
    stream.push(new Uint8Array(4));
    const first = stream.push(new Uint8Array(4));
    const second = stream.push(new Uint8Array(4));
    assert.ok(first instanceof Promise);
    assert.equal(second, first);
    const all = stream.bytes();
    await Promise.all([first, second]);
    stream.end();
    assert.equal((await all).length, 12);
  });
});

/** A C-STORE-RQ's command fields, for the sends below. */
const STORE_FIELDS = {
  CommandField: 0x0001,
  MessageID: 1,
  AffectedSOPClassUID: '1.2',
  AffectedSOPInstanceUID: '1.3',
  Priority: 0,
};

describe('DimseChannel', () => {
  function pair(maxPdu: number) {
    const sentPdus: Uint8Array[] = [];
    const writes: number[] = [];
    const received: IncomingMessage[] = [];
    const errors: Error[] = [];
    const receiver = new DimseChannel({
      send: () => {},
      peerMaxPduLength: 0,
      message: (m) => {
        received.push(m);
      },
      protocolError: (e) => errors.push(e),
    });
    const sender = new DimseChannel({
      // Split the batch back into whole PDUs (each P-DATA-TF header + its parts).
      send: (parts) => {
        const joined = Buffer.concat(parts.map((p) => Buffer.from(p)));
        writes.push(joined.length);
        for (let at = 0; at < joined.length; ) {
          const length = joined.readUInt32BE(at + 2);
          const pdu = new Uint8Array(joined.subarray(at, at + 6 + length));
          sentPdus.push(pdu);
          at += 6 + length;
          const decoded = decodePdu(pdu);
          if (decoded.type === 'P-DATA-TF') void receiver.receive(decoded);
        }
      },
      peerMaxPduLength: maxPdu,
      message: () => {},
      protocolError: (e) => errors.push(e),
    });
    return { sender, receiver, sentPdus, received, errors, writes };
  }

  test('fragments to the peer maximum, marks command/last, and reassembles', async () => {
    const { sender, sentPdus, received, errors } = pair(1000);
    const data = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const chunks = [data.subarray(0, 1234), data.subarray(1234, 1235), data.subarray(1235)];
    await sender.send(1, STORE_FIELDS, chunks);
    assert.deepEqual(errors, []);
    assert.ok(
      sentPdus.every((p) => p.length <= 1000 + 6),
      'no PDU over the peer maximum',
    );
    const pdvs = sentPdus.map((p) => decodePdu(p)).flatMap((p) => (p.type === 'P-DATA-TF' ? p.pdvs : []));
    assert.equal(pdvs.filter((p) => p.isCommand && p.isLast).length, 1);
    assert.equal(pdvs.filter((p) => !p.isCommand && p.isLast).length, 1);
    assert.equal(pdvs.filter((p) => !p.isCommand).length, Math.ceil(5000 / 994));
    assert.equal(received.length, 1);
    assert.equal(received[0]!.command.info.name, 'C-STORE-RQ');
    assert.deepEqual([...(await received[0]!.data!.bytes())], [...data]);
  });

  test('a data set in memory goes out in one write with its command; a streamed one in batches', async () => {
    const fields = STORE_FIELDS;
    const data = Uint8Array.from({ length: 1024 * 1024 }, (_, i) => (i * 7) & 0xff);
    const inMemory = pair(16384);
    await inMemory.sender.send(1, fields, [data]);
    assert.equal(inMemory.writes.length, 1, 'command and 65 data PDUs in one write');
    assert.equal(inMemory.sentPdus.length, 1 + Math.ceil(data.length / 16378));
    assert.deepEqual(Buffer.from(await inMemory.received[0]!.data!.bytes()), Buffer.from(data));

    const streamed = pair(16384);
    await streamed.sender.send(
      1,
      fields,
      (async function* () {
        for (let at = 0; at < data.length; at += 65536) yield data.subarray(at, at + 65536);
      })(),
    );
    assert.ok(
      streamed.writes.length >= 4,
      `a 1 MiB stream in 256 KiB batches (${streamed.writes.length} writes)`,
    );
    assert.ok(streamed.writes.every((bytes) => bytes < 300 * 1024));
    assert.deepEqual(Buffer.from(await streamed.received[0]!.data!.bytes()), Buffer.from(data));
  });

  test('an odd-length data set gets one NUL of padding', async () => {
    const { sender, received } = pair(0);
    await sender.send(
      1,
      { CommandField: 0x8020, MessageIDBeingRespondedTo: 1, Status: 0xff00 },
      new Uint8Array([1, 2, 3]),
    );
    assert.deepEqual([...(await received[0]!.data!.bytes())], [1, 2, 3, 0]);
  });

  test('protocol errors: data without a command, a command in the middle of a data set', () => {
    const { receiver, errors } = pair(0);
    receiver.receive({
      type: 'P-DATA-TF',
      pdvs: [{ contextId: 1, isCommand: false, isLast: true, data: new Uint8Array(2) }],
    });
    assert.match(errors[0]!.message, /without a command/);
    const second = pair(0);
    const command = encodeCommand({
      CommandField: 0x0001,
      MessageID: 1,
      AffectedSOPClassUID: '1.2',
      AffectedSOPInstanceUID: '1.3',
      Priority: 0,
      CommandDataSetType: 1,
    });
    second.receiver.receive({
      type: 'P-DATA-TF',
      pdvs: [
        { contextId: 1, isCommand: true, isLast: true, data: command },
        { contextId: 1, isCommand: false, isLast: false, data: new Uint8Array(2) },
        { contextId: 1, isCommand: true, isLast: true, data: command },
      ],
    });
    assert.match(second.errors[0]!.message, /before the previous data set was complete/);
  });
});

describe('DimseChannel with a source that takes its chunks back (ReleasableData)', () => {
  test('each chunk comes back once, only after the write that carried its last byte', async () => {
    const received: IncomingMessage[] = [];
    const receiver = new DimseChannel({
      send: () => {},
      peerMaxPduLength: 0,
      message: (m) => {
        received.push(m);
      },
      protocolError: (e) => assert.fail(e.message),
    });
    // Like a kernel queue: the parts are read only later, then `written` says so.
    const sender = new DimseChannel({
      send: (parts, written) => {
        setImmediate(() => {
          const joined = Buffer.concat(parts.map((p) => Buffer.from(p)));
          for (let at = 0; at < joined.length; ) {
            const length = joined.readUInt32BE(at + 2);
            const decoded = decodePdu(new Uint8Array(joined.subarray(at, at + 6 + length)));
            if (decoded.type === 'P-DATA-TF') void receiver.receive(decoded);
            at += 6 + length;
          }
          written?.();
        });
      },
      peerMaxPduLength: 10_007,
      message: () => {},
      protocolError: (e) => assert.fail(e.message),
    });
    const sizes = [300_000, 5_000, 123_457, 1, 290_000, 77_777, 300_000, 999];
    const expected = Buffer.concat(sizes.map((size, n) => Buffer.alloc(size, n + 1)));
    const spare: Uint8Array[] = [];
    const released = new Map<Uint8Array, number>();
    let yielded = 0;
    let reused = 0;
    const source = {
      release(chunk: Uint8Array) {
        released.set(chunk, (released.get(chunk) ?? 0) + 1);
        spare.push(chunk);
      },
      async *[Symbol.asyncIterator]() {
        for (const [n, size] of sizes.entries()) {
          // Reuse a released buffer at once when one is big enough: early release would show.
          const index = spare.findIndex((b) => b.buffer.byteLength >= size);
          const buffer = index >= 0 ? spare.splice(index, 1)[0]!.buffer : new ArrayBuffer(size);
          if (index >= 0) {
            reused++;
            // All of it scribbled over, as a read into it might: any byte still unsent would show.
            new Uint8Array(buffer).fill(0xee);
          }
          const chunk = new Uint8Array(buffer, 0, size).fill(n + 1);
          released.delete(chunk);
          yielded++;
          yield chunk;
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    };
    await sender.send(1, STORE_FIELDS, source);
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(received.length, 1);
    const bytes = await received[0]!.data!.bytes();
    assert.ok(Buffer.from(bytes).equals(expected), 'every byte as the source yielded it');
    assert.ok(reused > 0, 'released buffers were used again');
    assert.equal(yielded, sizes.length);
    assert.ok(
      [...released.values()].every((count) => count === 1),
      'released once each',
    );
  });
});
