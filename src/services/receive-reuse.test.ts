// Receive buffers are used again (owned-reads.ts, receive-buffers.ts): read buffers once the
// PDU reader copied them out, gather buffers once a consumer released every chunk on them.
// This checks that reuse never overwrites bytes still in use: random pixel data over the
// default 256 KiB PDUs, two associations at once sharing the pools, and three consumers side
// by side: writeFile (releases), a handler that keeps every chunk (never releases) and one
// that releases each chunk after hashing it.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { gatherBufferCounts, readBufferCounts } from '../net/transport/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { concatParts, DataSet, DataSetEncoder, readDataSet, writeDicom } from '../object/index.ts';
import { ApplicationEntity } from './application-entity.ts';
import { storageContexts } from './contexts.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const EXPLICIT = '1.2.840.10008.1.2.1';
const SIDE = 2048; // 4 MiB of pixel data per instance: 16 PDUs of 256 KiB
const work = mkdtempSync(join(tmpdir(), 'dicomkit-reuse-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(uid: string, pixels: Uint8Array): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', uid);
  ds.set('PatientID', 'REUSE');
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', SIDE);
  ds.set('Columns', SIDE);
  ds.set('BitsAllocated', 8);
  ds.set('BitsStored', 8);
  ds.set('HighBit', 7);
  ds.set('PixelRepresentation', 0);
  ds.set('PixelData', pixels, 'OB');
  return ds;
}

const md5 = (bytes: Uint8Array): string => createHash('md5').update(bytes).digest('hex');

// 256 KiB: PDUs gathered into pooled buffers, read buffers given back. 100,000 bytes: PDUs
// decoded in place across reads (their read buffers must not come back), ending at odd offsets.
for (const maxPduLength of [256 * 1024, 100_000]) {
  test(`reused receive buffers never overwrite bytes in use (max PDU ${maxPduLength}): three consumers, two associations at once`, {
    timeout: 60_000,
  }, async () => {
    await exchange(maxPduLength);
  });
}

async function exchange(maxPduLength: number): Promise<void> {
  const pixels = new Map<string, Uint8Array>();
  for (let a = 1; a <= 2; a++) {
    for (let i = 1; i <= 6; i++) pixels.set(`2.25.9${a}.${i}`, randomBytes(SIDE * SIDE));
  }
  // Chunks of the "keep" instances, compared only once every transfer is over.
  const kept = new Map<string, Uint8Array[]>();
  const hashed = new Map<string, string>();
  const before = { reads: readBufferCounts.reused, gathers: gatherBufferCounts.reused };
  const server = await new ApplicationEntity({ aeTitle: 'SCP', maxPduLength }).listen({
    port: 0,
    handlers: {
      store: async (req) => {
        const kind = Number(req.sopInstanceUid.split('.').pop()) % 3;
        if (kind === 0) {
          await req.writeFile(join(work, `${req.sopInstanceUid}.dcm`));
        } else if (kind === 1) {
          const chunks: Uint8Array[] = [];
          for await (const chunk of req.data) chunks.push(chunk);
          kept.set(req.sopInstanceUid, chunks);
        } else {
          const hash = createHash('md5');
          for await (const chunk of req.data) {
            hash.update(chunk);
            req.data.release(chunk);
          }
          hashed.set(req.sopInstanceUid, hash.digest('hex'));
        }
      },
    },
  });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { acse: 5000, dimse: 20_000 } });
  const encodedHashes = new Map<string, string>();
  try {
    await Promise.all(
      [1, 2].map(async (a) => {
        const assoc = await scu.associate({
          host: '127.0.0.1',
          port: server.port,
          calledAeTitle: 'SCP',
          contexts: [...storageContexts([SC], [EXPLICIT])],
        });
        for (let i = 1; i <= 6; i++) {
          const uid = `2.25.9${a}.${i}`;
          const ds = instance(uid, pixels.get(uid)!);
          const encoded = concatParts(
            new DataSetEncoder().encode(ds, { explicitVR: true, littleEndian: true }),
          );
          encodedHashes.set(uid, md5(encoded));
          const result = await assoc.store(ds);
          assert.equal(result.status, 0, uid);
        }
        await assoc.release();
      }),
    );
  } finally {
    // Aborting: a broken transfer must fail the test, not leave it waiting.
    await server.close({ abort: true });
  }
  for (const [uid, expected] of pixels) {
    const kind = Number(uid.split('.').pop()) % 3;
    if (kind === 0) {
      const stored = (await readDicomFile(join(work, `${uid}.dcm`))).dataset;
      assert.equal(md5(stored.bytes('PixelData')!), md5(expected), `${uid} written`);
    } else if (kind === 1) {
      const bytes = concatParts(kept.get(uid)!);
      assert.equal(md5(bytes), encodedHashes.get(uid), `${uid} kept`);
      assert.equal(md5(readDataSet(bytes, EXPLICIT).bytes('PixelData')!), md5(expected));
    } else {
      assert.equal(hashed.get(uid), encodedHashes.get(uid), `${uid} hashed`);
    }
  }
  // With gathered PDUs the pools were used, or this test proves nothing.
  if (maxPduLength > 256 * 1024 - 6) {
    const reads = readBufferCounts.reused - before.reads;
    assert.ok(reads > 100, `read buffers reused: ${reads}`);
    const gathers = gatherBufferCounts.reused - before.gathers;
    assert.ok(gathers > 20, `gather buffers reused: ${gathers}`);
  }
}

test('a file over 8 MiB sent from disk (4 MiB pieces, read again into buffers given back) arrives intact', {
  timeout: 60_000,
}, async () => {
  const side = 4200; // ~17 MiB of pixel data: streamed (not preloaded) in five pieces
  const path = join(work, 'big-source.dcm');
  const pixels = randomBytes(side * side);
  const ds = instance('2.25.95.1', pixels);
  ds.set('Rows', side);
  ds.set('Columns', side);
  writeFileSync(path, writeDicom(ds, { transferSyntax: EXPLICIT }));
  let count = 0;
  const server = await new ApplicationEntity({ aeTitle: 'SCP' }).listen({
    port: 0,
    handlers: {
      store: (req) => req.writeFile(join(work, `received-${++count}.dcm`)),
    },
  });
  const scu = new ApplicationEntity({ aeTitle: 'SCU', timeouts: { acse: 5000, dimse: 20_000 } });
  try {
    const assoc = await scu.associate({
      host: '127.0.0.1',
      port: server.port,
      calledAeTitle: 'SCP',
      contexts: [...storageContexts([SC], [EXPLICIT])],
    });
    for (let i = 0; i < 3; i++) assert.equal((await assoc.store(path)).status, 0);
    await assoc.release();
  } finally {
    await server.close({ abort: true });
  }
  const received = readdirSync(work).filter((name) => name.startsWith('received-'));
  assert.equal(received.length, 3);
  for (const name of received) {
    const stored = (await readDicomFile(join(work, name))).dataset;
    assert.equal(md5(stored.bytes('PixelData')!), md5(pixels), name);
  }
});
