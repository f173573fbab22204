// associate({ signal }): a request given up while connecting or negotiating rejects with
// ERR_CANCELLED and lets the connection go; once accepted, the signal no longer matters.

import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { DicomError } from '../core/index.ts';
import { ApplicationEntity } from './application-entity.ts';
import { verificationContext } from './contexts.ts';

describe('associate() with an AbortSignal', () => {
  test('a peer that never answers the A-ASSOCIATE-RQ: the request is given up with an A-ABORT', {
    timeout: 10_000,
  }, async () => {
    // The PDU types the peer receives (PS3.8 §9.3: type, reserved, 4-byte length).
    let received = Buffer.alloc(0);
    let abortSeen!: (types: number[]) => void;
    const aborted = new Promise<number[]>((resolve) => {
      abortSeen = resolve;
    });
    const silent = createServer((socket: Socket) => {
      socket.on('data', (chunk: Buffer) => {
        received = Buffer.concat([received, chunk]);
        const types: number[] = [];
        for (let at = 0; at + 6 <= received.length; at += 6 + received.readUInt32BE(at + 2)) {
          types.push(received[at]!);
        }
        // A peer closes on an A-ABORT (PS3.8 §9.2, AA-3).
        if (types.includes(0x07)) {
          abortSeen(types);
          socket.destroy();
        }
      });
    });
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const controller = new AbortController();
      const started = Date.now();
      const request = new ApplicationEntity({ aeTitle: 'SCU' }).associate({
        host: '127.0.0.1',
        port,
        contexts: [verificationContext()],
        signal: controller.signal,
      });
      setTimeout(() => controller.abort(), 100);
      await assert.rejects(request, (e: unknown) => e instanceof DicomError && e.code === 'ERR_CANCELLED');
      assert.ok(Date.now() - started < 2000, 'given up at once, not at a timeout');
      assert.deepEqual(await aborted, [0x01, 0x07], 'A-ASSOCIATE-RQ, then A-ABORT');
    } finally {
      silent.close();
    }
  });

  test('a signal already aborted: rejected before connecting', async () => {
    let connections = 0;
    const server = createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await assert.rejects(
        new ApplicationEntity({ aeTitle: 'SCU' }).associate({
          host: '127.0.0.1',
          port: (server.address() as { port: number }).port,
          contexts: [verificationContext()],
          signal: AbortSignal.abort(),
        }),
        (e: unknown) => e instanceof DicomError && e.code === 'ERR_CANCELLED',
      );
      assert.equal(connections, 0);
    } finally {
      server.close();
    }
  });

  test('aborted after acceptance: the association stays usable', { timeout: 10_000 }, async () => {
    const scp = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      host: '127.0.0.1',
      handlers: {},
    });
    try {
      const controller = new AbortController();
      const association = await new ApplicationEntity({ aeTitle: 'SCU' }).associate({
        host: '127.0.0.1',
        port: scp.port,
        contexts: [verificationContext()],
        signal: controller.signal,
      });
      controller.abort();
      assert.equal(await association.echo(), 0);
      await association.release();
    } finally {
      await scp.close({ abort: true });
    }
  });
});
