import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeDicomFile } from '../object/file.node.ts';
import { DataSet } from '../object/index.ts';
import { ApplicationEntity } from './application-entity.ts';
import type { Association } from './association.ts';
import { getStorageContexts, QueryRetrieveModels } from './contexts.ts';
import type { RequestContext } from './handlers.ts';
import { prepareSource, type StoredFileSource } from './store-source.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-retrieve-'));
after(() => rmSync(work, { recursive: true, force: true }));

async function writeInstance(uid: string): Promise<StoredFileSource> {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', uid);
  ds.set('StudyInstanceUID', '2.25.90');
  ds.set('PixelData', new Uint8Array(64).fill(7), 'OB');
  const path = join(work, `${uid}.dcm`);
  await writeDicomFile(path, ds, { transferSyntax: EXPLICIT });
  return { path, sopClassUid: SC, sopInstanceUid: uid, transferSyntax: EXPLICIT };
}

function studyQuery(): DataSet {
  const query = new DataSet();
  query.set('QueryRetrieveLevel', 'STUDY');
  query.set('StudyInstanceUID', '2.25.90');
  return query;
}

describe('files of known identity (StoredFileSource)', () => {
  test('are prepared without reading the file; sending reads it and checks what it holds', async () => {
    const missing = await prepareSource({
      path: join(work, 'not-there.dcm'),
      sopClassUid: SC,
      sopInstanceUid: '2.25.91',
      transferSyntax: EXPLICIT,
      size: 1234,
    });
    assert.equal(missing.sopInstanceUid, '2.25.91');
    assert.equal(missing.fileSize, 1234);
    assert.ok(missing.canSendAs(EXPLICIT));
    const read = async (source: Parameters<typeof prepareSource>[0]) => {
      for await (const _ of (await prepareSource(source)).data(EXPLICIT)) {
        // drained
      }
    };
    await assert.rejects(read({ ...(await writeInstance('2.25.92')), path: join(work, 'not-there.dcm') }), {
      code: 'ERR_IO',
    });
    const other = await writeInstance('2.25.93');
    await assert.rejects(read({ ...other, sopInstanceUid: '2.25.94' }), (error: Error) => {
      assert.match(error.message, /holds .*2\.25\.93.*not the .*2\.25\.94/);
      return true;
    });
    await assert.rejects(
      prepareSource({ ...other, transferSyntax: '1.2.840.10008.1.2' }, { preload: true }),
      {
        code: 'ERR_INVALID_VALUE',
      },
    );
  });
});

/**
 * A Q/R SCP serving `sources` to C-MOVE and C-GET, its C-MOVE destination DEST storing with
 * `destinationStore` (which records what arrives by default), and an association with the SCP;
 * `run` gets the association and the SOP Instance UIDs DEST received. All closed afterwards.
 */
async function withRetrieval(
  sources: StoredFileSource[],
  run: (assoc: Association, received: string[]) => Promise<void>,
  destinationStore?: (uid: string, ctx: RequestContext) => Promise<void>,
): Promise<void> {
  const received: string[] = [];
  const destination = await new ApplicationEntity({ aeTitle: 'DEST' }).listen({
    port: 0,
    handlers: {
      store: async (req, ctx) => {
        const uid = (await req.dataset()).string('SOPInstanceUID')!;
        received.push(uid);
        await destinationStore?.(uid, ctx);
      },
    },
  });
  const server = await new ApplicationEntity({ aeTitle: 'QR' }).listen({
    port: 0,
    handlers: {
      async *move() {
        yield { count: sources.length };
        yield* sources;
      },
      get: () => sources,
    },
    moveDestinations: { DEST: { host: '127.0.0.1', port: destination.port } },
  });
  try {
    const assoc = await new ApplicationEntity({ aeTitle: 'SCU' }).associate({
      host: '127.0.0.1',
      port: server.port,
      contexts: [
        { abstractSyntax: QueryRetrieveModels.study.move, transferSyntaxes: [EXPLICIT] },
        { abstractSyntax: QueryRetrieveModels.study.get, transferSyntaxes: [EXPLICIT] },
        ...getStorageContexts([SC]),
      ],
    });
    await run(assoc, received);
    assert.ok(assoc.isEstablished, 'the requestor keeps its association');
    await assoc.release();
  } finally {
    await server.close({ abort: true });
    await destination.close({ abort: true });
  }
}

describe('C-MOVE and C-GET sub-operations', () => {
  test('a file that is missing or holds another instance fails alone; the rest are sent, in order', {
    timeout: 20_000,
  }, async () => {
    const good1 = await writeInstance('2.25.90.1');
    const missing = { ...(await writeInstance('2.25.90.2')), path: join(work, 'gone.dcm') };
    const mislabelled = { ...(await writeInstance('2.25.90.3')), sopInstanceUid: '2.25.90.33' };
    const good2 = await writeInstance('2.25.90.4');
    await withRetrieval([good1, missing, mislabelled, good2], async (assoc, received) => {
      const progress: number[] = [];
      const moved = await assoc.move(studyQuery(), 'DEST', {
        onProgress: (p) => progress.push(p.completed + p.failed),
      });
      assert.deepEqual(
        [moved.status, moved.completed, moved.failed, moved.warning],
        [0xb000, 2, 2, 0],
        'sub-operations complete, with failures',
      );
      assert.deepEqual(moved.failedSopInstanceUids, ['2.25.90.2', '2.25.90.33']);
      assert.deepEqual(received, ['2.25.90.1', '2.25.90.4']);
      assert.deepEqual(progress, [1, 2, 3], 'a pending response after each sub-operation but the last');

      const got: string[] = [];
      const gotten = await assoc.get(studyQuery(), {
        store: async (req) => {
          got.push((await req.dataset()).string('SOPInstanceUID')!);
        },
      });
      assert.deepEqual([gotten.status, gotten.completed, gotten.failed], [0xb000, 2, 2]);
      assert.deepEqual(got, ['2.25.90.1', '2.25.90.4']);
    });
  });

  test('a destination that aborts: the rest count as failed and the C-MOVE answers on its own association', {
    timeout: 20_000,
  }, async () => {
    const sources: StoredFileSource[] = [];
    for (let i = 1; i <= 10; i++) sources.push(await writeInstance(`2.25.90.6.${i}`));
    let stores = 0;
    await withRetrieval(
      sources,
      async (assoc) => {
        const moved = await assoc.move(studyQuery(), 'DEST');
        assert.deepEqual([moved.status, moved.completed, moved.failed], [0xb000, 2, 8]);
        assert.deepEqual(
          moved.failedSopInstanceUids,
          sources.slice(2).map((s) => s.sopInstanceUid),
          'the aborted one and every one after it',
        );
      },
      async (_uid, ctx) => {
        if (++stores === 3) await ctx.association.abort();
      },
    );
  });

  test('C-CANCEL stops a C-MOVE: what waits behind the current sub-operation is not sent', {
    timeout: 20_000,
  }, async () => {
    const sources: StoredFileSource[] = [];
    for (let i = 1; i <= 20; i++) sources.push(await writeInstance(`2.25.90.5.${i}`));
    await withRetrieval(
      sources,
      async (assoc, received) => {
        const controller = new AbortController();
        const moved = await assoc.move(studyQuery(), 'DEST', {
          signal: controller.signal,
          onProgress: (p) => {
            if (p.completed === 3) controller.abort();
          },
        });
        assert.equal(moved.status, 0xfe00, 'cancelled');
        assert.ok(moved.completed >= 3 && moved.completed <= 5, `${moved.completed} completed`);
        assert.equal(moved.failed, 0, 'a request held back by the cancel is not a failure');
        assert.equal(moved.remaining, 20 - moved.completed, 'the rest are still remaining');
        // Everything that reached the destination was counted, and no more came after.
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(received.length, moved.completed);
      },
      // A slow destination: the cancel arrives while a store is on the wire.
      () => new Promise((r) => setTimeout(r, 50)),
    );
  });
});
