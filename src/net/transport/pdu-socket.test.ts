import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { PduSocket } from './pdu-socket.ts';

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
