import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet, readDicom, writeDicom } from '../object/index.ts';
import { ApplicationEntity } from './application-entity.ts';
import { storageContexts } from './contexts.ts';
import { type PreparedInstance, prepareSource } from './store-source.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-store-source-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** A Part 10 file whose data set ends in `size` bytes of a pattern that differs per file. */
function writeInstance(name: string, uid: string, size: number, seed: number): string {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', uid);
  const filler = new Uint8Array(size);
  for (let i = 0; i < size; i++) filler[i] = (i * 7 + seed * 13) & 0xff;
  ds.set('PixelData', filler, 'OB');
  const path = join(work, name);
  writeFileSync(path, writeDicom(ds, { transferSyntax: EXPLICIT }));
  return path;
}

/** The data set bytes of a Part 10 file, as a C-STORE must carry them. */
function dataSetBytes(path: string, bytes: Uint8Array): Uint8Array {
  const file = readDicom(bytes, { source: path });
  return bytes.subarray(file.dataSetOffset);
}

async function collect(chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const chunk of chunks) parts.push(chunk);
  return Buffer.concat(parts);
}

describe('prepareSource', () => {
  test('a released preload gives its buffer to the next file; the released instance reads from disk again', async () => {
    const first = writeInstance('a.dcm', '2.25.10', 100_000, 1);
    const second = writeInstance('b.dcm', '2.25.11', 100_000, 2);
    const a = await prepareSource(first, { preload: true, blocking: true });
    const aBytes = [...(a.data(EXPLICIT) as Iterable<Uint8Array>)];
    assert.equal(aBytes.length, 1);
    assert.deepEqual(Buffer.from(aBytes[0]!), Buffer.from(dataSetBytes(first, readFileSync(first))));
    a.release?.();
    const b = await prepareSource(second, { preload: true, blocking: true });
    const bBytes = [...(b.data(EXPLICIT) as Iterable<Uint8Array>)];
    // The same memory, now holding the second file.
    assert.equal(bBytes[0]!.buffer, aBytes[0]!.buffer);
    assert.deepEqual(Buffer.from(bBytes[0]!), Buffer.from(dataSetBytes(second, readFileSync(second))));
    // The first instance no longer owns that memory: a second send reads its file.
    assert.deepEqual(await collect(a.data(EXPLICIT)), Buffer.from(dataSetBytes(first, readFileSync(first))));
    b.release?.();
  });

  test('preload with a size limit keeps the files up to that size, each with its own bytes', async () => {
    const small = [0, 1, 2].map((n) => writeInstance(`s${n}.dcm`, `2.25.30.${n}`, 3000 + n * 11, n + 5));
    const big = writeInstance('big.dcm', '2.25.31', 100_000, 9);
    const kept: PreparedInstance[] = [];
    for (const path of small) kept.push(await prepareSource(path, { blocking: true, preload: 16 * 1024 }));
    const notKept = await prepareSource(big, { blocking: true, preload: 16 * 1024 });
    assert.deepEqual(
      kept.map((p) => p.preloaded),
      [true, true, true],
    );
    assert.equal(notKept.preloaded, false);
    const chunks = kept.map((p) => [...(p.data(EXPLICIT) as Iterable<Uint8Array>)]);
    // Small files share memory (one allocation for many), and none overwrote another.
    assert.equal(chunks[0]![0]!.buffer, chunks[1]![0]!.buffer);
    small.forEach((path, n) => {
      assert.deepEqual(Buffer.from(chunks[n]![0]!), Buffer.from(dataSetBytes(path, readFileSync(path))));
      assert.equal(kept[n]!.preloaded, false, 'handed out once');
    });
    assert.deepEqual(
      await collect(notKept.data(EXPLICIT)),
      Buffer.from(dataSetBytes(big, readFileSync(big))),
    );
  });

  test('header reads of many files in turn (one scratch buffer) each report their own UIDs', async () => {
    const paths = [0, 1, 2, 3, 4].map((n) => writeInstance(`h${n}.dcm`, `2.25.20.${n}`, 200 + n * 3000, n));
    const concurrent = await Promise.all(paths.map((path) => prepareSource(path)));
    const blocking = [];
    for (const path of paths) blocking.push(await prepareSource(path, { blocking: true }));
    for (const list of [concurrent, blocking])
      assert.deepEqual(
        list.map((p) => [p.sopInstanceUid, p.fileSize]),
        paths.map((path, n) => [`2.25.20.${n}`, statSync(path).size]),
      );
  });
});

describe('storeMany with reused preload buffers', () => {
  test('every instance arrives with its own bytes', { timeout: 20_000 }, async () => {
    // Sizes that fit each other's buffers (reuse) and some that do not.
    const sizes = [300_000, 300_000, 250_000, 310_000, 40_000, 300_000, 600_000, 290_000, 300_000, 5_000];
    const paths = sizes.map((size, n) => writeInstance(`s${n}.dcm`, `2.25.30.${n}`, size, n + 5));
    const received = new Map<string, Uint8Array>();
    const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
      port: 0,
      handlers: {
        store: async (req) => {
          received.set(req.sopInstanceUid, await req.data.bytes());
        },
      },
    });
    try {
      const scu = new ApplicationEntity({ aeTitle: 'SCU', maxPduLength: 16384 });
      const assoc = await scu.associate({
        host: '127.0.0.1',
        port: server.port,
        calledAeTitle: 'SCP',
        contexts: storageContexts([SC], [EXPLICIT]),
      });
      for (const blocking of [true, false]) {
        received.clear();
        for await (const outcome of assoc.storeMany(paths, { blocking }))
          assert.equal(outcome.error, undefined);
        assert.equal(received.size, paths.length);
        paths.forEach((path, n) => {
          const expected = Buffer.from(dataSetBytes(path, readFileSync(path)));
          assert.ok(expected.equals(Buffer.from(received.get(`2.25.30.${n}`)!)), `${path} arrived intact`);
        });
      }
      await assoc.release();
    } finally {
      await server.close({ abort: true });
    }
  });
});
