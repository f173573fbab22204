import assert from 'node:assert/strict';
import { connect, createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { ownedReads } from './owned-reads.ts';

/** Distinct bytes for message `n`, so that a chunk overwritten by a later read shows. */
function message(n: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) bytes[i] = (n * 31 + i) & 0xff;
  return bytes;
}

test('owned reads: every chunk keeps its bytes after later reads, short ones copied, long ones handed on', {
  timeout: 30_000,
}, async () => {
  const sent: Buffer[] = [];
  for (let n = 0; n < 200; n++) sent.push(message(n, n % 10 === 9 ? 100_000 : 50 + (n % 7) * 300));
  const server = createServer((socket: Socket) => {
    let n = 0;
    // One write per turn, so that most messages arrive as reads of their own.
    const next = (): void => {
      if (n === sent.length) {
        socket.end();
        return;
      }
      socket.write(sent[n++]!, () => setImmediate(next));
    };
    next();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  const received: Uint8Array[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      const socket = connect({
        host: '127.0.0.1',
        port,
        onread: ownedReads((chunk) => received.push(chunk)),
      });
      socket.on('error', reject);
      socket.on('end', resolve);
    });
  } finally {
    server.close();
  }
  assert.deepEqual(Buffer.concat(received), Buffer.concat(sent));
  const short = received.filter((chunk) => chunk.length < 16 * 1024);
  assert.ok(short.length > 100, `${short.length} short reads`);
  for (const chunk of short)
    assert.equal(chunk.byteLength, chunk.buffer.byteLength, 'a short read owns its memory');
  assert.equal(
    new Set(received.map((chunk) => chunk.buffer)).size,
    received.length,
    'no two chunks share memory',
  );
});
