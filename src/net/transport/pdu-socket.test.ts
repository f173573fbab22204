import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, Socket } from 'node:net';
import { test } from 'node:test';
import { concatParts } from '../../object/index.ts';
import { encodePdu, pdvPieces } from '../pdu/index.ts';
import { ownedReads, readBufferCounts } from './owned-reads.ts';
import { PduSocket } from './pdu-socket.ts';
import { holdChunk } from './receive-buffers.ts';

test('writesPending: true while written bytes wait in Node for a peer that does not read, false once they left', {
  timeout: 15_000,
}, async () => {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  const [[peer]] = (await Promise.all([once(server, 'connection'), once(client, 'connect')])) as [
    [Socket],
    unknown,
  ];
  server.close();
  try {
    const pdus = new PduSocket(
      client,
      { pdu: () => {}, invalid: () => {}, closed: () => {} },
      { maxPduLength: 16384 },
    );
    assert.equal(pdus.writesPending, false);
    // More than the kernel's loopback buffers take while the peer does not read.
    const drained = pdus.write([new Uint8Array(64 * 1024 * 1024)]);
    assert.equal(pdus.writesPending, true);
    let received = 0;
    peer.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    peer.resume();
    await drained;
    while (pdus.writesPending) await new Promise((resolve) => setTimeout(resolve, 5));
    assert.ok(received > 0);
  } finally {
    client.destroy();
    peer.destroy();
  }
});

test('read buffers come back only when wholly copied: a PDU decoded in place keeps its read buffer', () => {
  // Big PDUs (gathered, their reads given back) alternate with small ones that lie inside one
  // read and are decoded in place, their views kept here as a DataStream would keep them.
  const pdus: Uint8Array[] = [];
  const expected: Uint8Array[] = [];
  for (let n = 0; n < 40; n++) {
    const data = new Uint8Array(n % 2 === 0 ? 300_000 + n : 900 + n);
    for (let i = 0; i < data.length; i++) data[i] = (n * 131 + i * 7) & 0xff;
    expected.push(data);
    pdus.push(
      encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId: 1, isCommand: false, isLast: false, data }] }),
    );
  }
  const stream = concatParts(pdus);
  const received: Uint8Array[][] = [];
  const reads = ownedReads((chunk) => socket.receive(chunk));
  const socket = new PduSocket(
    new Socket(),
    {
      pdu: (pdu) => {
        if (pdu.type !== 'P-DATA-TF') return;
        const pieces = pdu.pdvs.flatMap((pdv) => [...pdvPieces(pdv)]);
        // Held, as a DataStream holds what it queues, and never released.
        for (const piece of pieces) holdChunk(piece);
        received.push(pieces);
      },
      invalid: (error) => assert.fail(error.message),
      closed: () => {},
    },
    { maxPduLength: 512 * 1024 },
  );
  const before = readBufferCounts.reused;
  // Reads of 64 KiB, as Node makes them: each into the buffer ownedReads offers.
  for (let offset = 0; offset < stream.length; ) {
    const target = (reads.buffer as () => Uint8Array)();
    const length = Math.min(target.length, stream.length - offset);
    target.set(stream.subarray(offset, offset + length));
    offset += length;
    reads.callback(length, target as Buffer);
  }
  assert.ok(readBufferCounts.reused - before > 50, 'read buffers were reused');
  assert.equal(received.length, expected.length);
  for (let n = 0; n < expected.length; n++) {
    assert.deepEqual(concatParts(received[n]!), expected[n], `PDU ${n} intact after later reads`);
  }
});
