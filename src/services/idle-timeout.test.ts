// The idle timeout (Timeouts.idle): an association silent that long is aborted, unless a
// request is being worked on, by us or by the peer. Orthanc's DicomScpTimeout, pynetdicom's
// network_timeout.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import type { AbortInfo } from '../net/association/index.ts';
import { DataSet } from '../object/index.ts';
import { ApplicationEntity, type DicomServer } from './application-entity.ts';
import type { Association } from './association.ts';
import { QueryRetrieveModels, storageContexts, verificationContext } from './contexts.ts';

const IDLE = 300;
const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with the abort's details, or with 'released'. */
function ending(association: Association): Promise<AbortInfo | 'released'> {
  return new Promise((resolve) => {
    association.once('aborted', (info: AbortInfo) => resolve(info));
    association.once('released', () => resolve('released'));
  });
}

describe('idle timeout', () => {
  const servers: DicomServer[] = [];
  after(async () => {
    for (const server of servers) await server.close({ abort: true });
  });

  /** An SCP with the idle timeout whose handlers work silently for `workMs` before answering. */
  async function scp(workMs: number): Promise<{ server: DicomServer; aborted: AbortInfo[] }> {
    const server = await new ApplicationEntity({ aeTitle: 'IDLESCP', timeouts: { idle: IDLE } }).listen({
      port: 0,
      handlers: {
        echo: async () => {
          await sleep(workMs);
          return 0;
        },
        async *find() {
          await sleep(workMs);
          const match = new DataSet();
          match.set('PatientID', 'P1');
          yield match;
        },
        store: async (request) => {
          await request.data.discard();
          return 0;
        },
      },
    });
    servers.push(server);
    const aborted: AbortInfo[] = [];
    server.on('aborted', (_association: Association, info: AbortInfo) => aborted.push(info));
    return { server, aborted };
  }

  const contexts = [
    verificationContext(),
    ...storageContexts([SC], [EXPLICIT]),
    { abstractSyntax: QueryRetrieveModels.study.find, transferSyntaxes: [EXPLICIT] },
  ];

  test('an association silent between requests is aborted by the SCP', { timeout: 10_000 }, async () => {
    const { server } = await scp(0);
    const association = await new ApplicationEntity({ aeTitle: 'QUIET' }).associate({
      host: '127.0.0.1',
      port: server.port,
      calledAeTitle: 'IDLESCP',
      contexts,
    });
    const started = performance.now();
    const end = ending(association);
    assert.equal(await association.echo(), 0);
    const info = await end;
    const waited = performance.now() - started;
    assert.notEqual(info, 'released');
    assert.ok(waited >= IDLE - 50 && waited < IDLE + 2000, `aborted after ${waited.toFixed(0)} ms`);
    assert.equal(association.isEstablished, false);
  });

  test('requests the SCP works on silently for longer than the idle time are answered', {
    timeout: 10_000,
  }, async () => {
    const { server, aborted } = await scp(3 * IDLE);
    const association = await new ApplicationEntity({ aeTitle: 'PATIENT' }).associate({
      host: '127.0.0.1',
      port: server.port,
      calledAeTitle: 'IDLESCP',
      contexts,
    });
    assert.equal(await association.echo(), 0);
    const query = new DataSet();
    query.set('QueryRetrieveLevel', 'STUDY');
    query.set('PatientID', '');
    const matches: DataSet[] = [];
    for await (const match of association.find(query, { model: 'study' })) matches.push(match);
    assert.equal(matches.length, 1);
    await association.release();
    assert.deepEqual(aborted, []);
  });

  test('an SCU with the idle timeout waits for a response that takes longer', {
    timeout: 10_000,
  }, async () => {
    const { server } = await scp(3 * IDLE);
    const association = await new ApplicationEntity({
      aeTitle: 'WAITER',
      timeouts: { idle: IDLE, dimse: 10_000 },
    }).associate({ host: '127.0.0.1', port: server.port, calledAeTitle: 'IDLESCP', contexts });
    assert.equal(await association.echo(), 0);
    await association.release();
  });

  test('a data set stopped halfway is a peer gone quiet: the SCP aborts', { timeout: 10_000 }, async () => {
    const { server, aborted } = await scp(0);
    const association = await new ApplicationEntity({ aeTitle: 'STALLS' }).associate({
      host: '127.0.0.1',
      port: server.port,
      calledAeTitle: 'IDLESCP',
      contexts,
    });
    let resume: () => void = () => {};
    const stalled = new Promise<void>((resolve) => (resume = resolve));
    async function* halfThenNothing(): AsyncGenerator<Uint8Array> {
      // More than a send batch, so that it goes out: the handler only discards it.
      yield new Uint8Array(1024 * 1024);
      await stalled;
    }
    const started = performance.now();
    const store = association.store({
      sopClassUid: SC,
      sopInstanceUid: '2.25.4242',
      transferSyntax: EXPLICIT,
      data: halfThenNothing(),
    });
    await assert.rejects(store);
    const waited = performance.now() - started;
    resume();
    assert.ok(waited >= IDLE - 50 && waited < IDLE + 2000, `aborted after ${waited.toFixed(0)} ms`);
    assert.equal(aborted.length, 1);
    assert.match(aborted[0]!.message, /idle/);
  });
});
