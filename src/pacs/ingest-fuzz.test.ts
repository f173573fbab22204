// Damaged data sets over C-STORE ("bad input gets a clear, typed error and loses nothing; it
// never crashes a server"): real instances in six transfer syntaxes, with bytes overwritten
// or cut short, are sent as they are (no re-encoding by the SCU). Each must get a status: a
// Success (the damage was in a value) or a refusal with the reason; the association goes on;
// every file kept reads to its end; and the index says what the files say, also after a
// restart.

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet, readDicom } from '../object/index.ts';
import { type Association, type StreamSource, verificationContext } from '../services/index.ts';
import type { Pacs } from './server.ts';

const FIXTURES = 'test/fixtures/pydicom';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-ingest-fuzz-'));
after(() => rmSync(work, { recursive: true, force: true }));

type Source = StreamSource & { data: Uint8Array };

/** A fixture's data set bytes as a C-STORE stream, with the UIDs of its command. */
function source(name: string): Source {
  const bytes = readFileSync(join(FIXTURES, name));
  const file = readDicom(bytes);
  return {
    sopClassUid: file.dataset.string('SOPClassUID')!.trim(),
    sopInstanceUid: file.dataset.string('SOPInstanceUID')!.trim(),
    transferSyntax: file.transferSyntax.uid,
    data: bytes.subarray(file.dataSetOffset),
  };
}

/** 400 damaged copies of the sources: each must end with Success or a refusal that says why. */
async function sendDamaged(scu: Association, sources: readonly Source[]): Promise<void> {
  const outcomes = { success: 0, refused: 0 };
  // A fixed linear congruential sequence: the same damage on every run.
  let seed = 11;
  const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  for (let i = 0; i < 400; i++) {
    const original = sources[Math.floor(next() * sources.length)]!;
    const bytes = Buffer.from(original.data);
    for (let k = 1 + Math.floor(next() * 6); k > 0; k--) {
      bytes[Math.floor(next() * bytes.length)] = Math.floor(next() * 256);
    }
    const data = next() < 0.25 ? bytes.subarray(0, Math.floor(next() * bytes.length)) : bytes;
    try {
      assert.equal((await scu.store({ ...original, data })).status, 0);
      outcomes.success++;
    } catch (error) {
      assert.ok(error instanceof DimseStatusError, `not a status: ${(error as Error).message}`);
      assert.ok([0xa900, 0xc000].includes(error.status), error.message);
      assert.ok(error.errorComment, 'a refusal says why');
      outcomes.refused++;
    }
  }
  assert.ok(outcomes.success > 50 && outcomes.refused > 50, JSON.stringify(outcomes));
  assert.equal(await scu.echo(), 0);
}

test('damaged data sets each get Success or a refusal with its reason; the association and the index hold', {
  timeout: 60_000,
}, async () => {
  const sources = [
    'CT_small.dcm',
    'MR_small_implicit.dcm',
    'MR_small_bigendian.dcm',
    'JPEG2000.dcm',
    'SC_rgb_rle_2frame.dcm',
    'rtplan.dcm',
    'image_dfl.dcm',
  ].map(source);
  // One context per (class, syntax): each stream is sent in the syntax it is in.
  const contexts = [...new Set(sources.map((s) => s.sopClassUid))].flatMap((abstractSyntax) =>
    [...new Set(sources.map((s) => s.transferSyntax))].map((ts) => ({
      abstractSyntax,
      transferSyntaxes: [ts],
    })),
  );
  const storage = join(work, 'pacs');
  // Overwrite: every damaged copy is parsed and indexed again, not skipped as a duplicate.
  const pacs = await startLoopbackPacs(storage, { duplicates: 'overwrite' });
  let scu: Association | undefined;
  let statistics: ReturnType<Pacs['index']['statistics']>;
  try {
    scu = await associateWithPacs(pacs, [...contexts, verificationContext()]);
    await sendDamaged(scu, sources);
    // Every indexed instance's file is there, reads to its end, and is the instance indexed.
    for (const { sopInstanceUid } of sources) {
      if (!pacs.index.has(sopInstanceUid)) continue;
      const file = await readDicomFile(pacs.storage.absolute(pacs.storage.relativePath(sopInstanceUid)));
      assert.equal(file.dataset.string('SOPInstanceUID')?.trim(), sopInstanceUid);
    }
    statistics = pacs.index.statistics();
  } finally {
    await scu?.release();
    await pacs.close();
  }
  assert.ok(statistics.instances > 0);
  const again = await startLoopbackPacs(storage, { duplicates: 'overwrite' });
  try {
    assert.deepEqual(again.index.statistics(), statistics);
  } finally {
    await again.close();
  }
});

test('Float Pixel Data (a parametric map) is stored as sent and passed over like Pixel Data', {
  timeout: 30_000,
}, async () => {
  const PARAMETRIC_MAP = '1.2.840.10008.5.1.4.1.1.30';
  const ds = new DataSet();
  ds.set('SOPClassUID', PARAMETRIC_MAP);
  ds.set('SOPInstanceUID', '2.25.4242.1.1.1');
  ds.set('PatientID', 'FLOAT');
  ds.set('StudyInstanceUID', '2.25.4242');
  ds.set('SeriesInstanceUID', '2.25.4242.1');
  ds.set('Modality', 'OT');
  ds.set('Rows', 512);
  ds.set('Columns', 512);
  ds.set('SamplesPerPixel', 1);
  ds.set('BitsAllocated', 32);
  const values = new Float32Array(512 * 512 * 4).map((_, i) => i / 7);
  ds.set('FloatPixelData', new Uint8Array(values.buffer), 'OF');
  const pacs = await startLoopbackPacs(join(work, 'float'));
  try {
    const scu = await associateWithPacs(pacs, [PARAMETRIC_MAP]);
    assert.equal((await scu.store(ds)).status, 0);
    await scu.release();
    const stored = await readDicomFile(pacs.storage.absolute(pacs.storage.relativePath('2.25.4242.1.1.1')));
    assert.ok(
      Buffer.from(stored.dataset.element(0x7fe00008)!.bytes!).equals(Buffer.from(values.buffer)),
      'the float values as sent',
    );
    assert.equal(pacs.index.statistics().instances, 1);
  } finally {
    await pacs.close();
  }
});
