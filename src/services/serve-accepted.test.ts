// An SCP serving connections accepted elsewhere (ApplicationEntity.serve, DicomServer.accept):
// what inetd, systemd socket activation or a proxy hands over is served as a listened-for one,
// access control and events included.
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { allowList } from '../net/association/index.ts';
import { ApplicationEntity, AssociationRejectedError } from './application-entity.ts';
import { verificationContext } from './contexts.ts';

/** A plain TCP listener on 127.0.0.1 that hands each connection to `onSocket`. */
async function acceptor(onSocket: (socket: Socket) => void): Promise<{ server: Server; port: number }> {
  const server = createServer({ pauseOnConnect: true }, onSocket);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return { server, port: typeof address === 'object' && address ? address.port : 0 };
}

test('serve(): connections handed to accept() get associations, events and access control', {
  timeout: 20_000,
}, async () => {
  let echoes = 0;
  const scp = new ApplicationEntity({ aeTitle: 'HANDED' }).serve({
    handlers: {
      echo: () => {
        echoes++;
      },
    },
    accessControl: allowList({ callingAeTitles: ['KNOWN'], allowLoopback: false }),
  });
  assert.equal(scp.port, 0, 'serve() does not listen');
  const accepted: string[] = [];
  const rejected: string[] = [];
  scp.on('association', (association: { callingAeTitle: string }) =>
    accepted.push(association.callingAeTitle),
  );
  scp.on('rejected', (event: { rq: { callingAeTitle: string } }) => rejected.push(event.rq.callingAeTitle));
  const { server, port } = await acceptor((socket) => scp.accept(socket));
  try {
    const known = await new ApplicationEntity({ aeTitle: 'KNOWN' }).associate({
      host: '127.0.0.1',
      port,
      calledAeTitle: 'HANDED',
      contexts: [verificationContext()],
    });
    assert.equal(await known.echo(), 0);
    await known.release();
    await assert.rejects(
      new ApplicationEntity({ aeTitle: 'STRANGER' }).associate({
        host: '127.0.0.1',
        port,
        calledAeTitle: 'HANDED',
        contexts: [verificationContext()],
      }),
      (error: unknown) => error instanceof AssociationRejectedError && error.reason === 3,
    );
    assert.equal(echoes, 1);
    assert.deepEqual(accepted, ['KNOWN']);
    assert.deepEqual(rejected, ['STRANGER']);
  } finally {
    // The SCP's abort ends any connection left, which the listener's close waits for.
    await scp.close({ abort: true });
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
