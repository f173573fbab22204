// Durable stores make one flush, not two (PartFile's marked files): the rename of a stored
// file is left to the file system's next journal commit. After a power cut that lost the
// rename, the complete file is still in files/.incoming under its temporary name, with its
// permission bits set; start-up must put it in place and index it, and must still remove
// what was unfinished. kill -9 cannot lose a rename (the page cache survives it), so the
// files a power cut would leave are made here by hand.

import assert from 'node:assert/strict';
import { chmodSync, copyFileSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import type { Logger } from '../core/index.ts';
import { writeDicomFile } from '../object/file.node.ts';
import { DataSet } from '../object/index.ts';
import { completeModeIn, MARKED_SUFFIX } from '../services/part-file.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = await mkdtemp(join(tmpdir(), 'dicomkit-recovery-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(n: number, instanceNumber = n): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', `2.25.8800.1.1.${n}`);
  ds.set('PatientID', 'REC1');
  ds.set('PatientName', 'Recovery^Test');
  ds.set('StudyInstanceUID', '2.25.8800.1');
  ds.set('SeriesInstanceUID', '2.25.8800.1.1');
  ds.set('Modality', 'OT');
  ds.set('InstanceNumber', instanceNumber);
  ds.set(
    'PixelData',
    new Uint8Array(4000).map((_, i) => (i * n) & 0xff),
    'OB',
  );
  return ds;
}

async function part10(ds: DataSet, name: string): Promise<string> {
  const path = join(work, name);
  await writeDicomFile(path, ds, { transferSyntax: '1.2.840.10008.1.2.1' });
  return path;
}

function recordingLogger(lines: string[]): Logger {
  return { debugEnabled: false, log: (level, message) => lines.push(`${level} ${message}`) };
}

function instanceNumberOf(
  pacs: Awaited<ReturnType<typeof startLoopbackPacs>>,
  sopInstanceUid: string,
): string | undefined {
  const identifier = new DataSet();
  identifier.set('QueryRetrieveLevel', 'IMAGE');
  identifier.set('SOPInstanceUID', sopInstanceUid);
  identifier.set('InstanceNumber', undefined);
  const [row] = [...pacs.index.find({ model: 'patient', level: 'IMAGE', identifier, relational: true })];
  return row?.string('InstanceNumber')?.trim();
}

describe('recovery of stores a crash left before their rename', () => {
  test('a durable store writes a marked file: no permission bits until complete, then the usual ones', {
    timeout: 30_000,
  }, async () => {
    const storage = join(work, 'marked');
    const pacs = await startLoopbackPacs(storage, { storage: { fsync: true } });
    try {
      const incoming = join(storage, 'files', '.incoming');
      const scu = await associateWithPacs(pacs, [SC]);
      assert.equal((await scu.store(instance(1))).status, 0);
      await scu.release();
      const stored = pacs.storage.absolute(pacs.storage.relativePath('2.25.8800.1.1.1'));
      const mode = completeModeIn(incoming);
      assert.notEqual(mode, undefined, 'the test folder keeps permission bits');
      assert.equal(statSync(stored).mode & 0o777, mode);
      const spares = readdirSync(incoming);
      assert.ok(spares.length > 0 && spares.every((n) => n.endsWith(MARKED_SUFFIX)), spares.join());
      for (const spare of spares) assert.equal(statSync(join(incoming, spare)).mode & 0o777, 0, spare);
    } finally {
      await pacs.close();
    }
  });

  test('complete files are put in place and indexed; unfinished and unreadable ones removed', {
    timeout: 30_000,
  }, async () => {
    const storage = join(work, 'crashed');
    const first = await startLoopbackPacs(storage, { storage: { fsync: true } });
    const scu = await associateWithPacs(first, [SC]);
    assert.equal((await scu.store(instance(1))).status, 0);
    await scu.release();
    await first.close();
    rmSync(join(storage, 'clean-shutdown'), { force: true });

    const incoming = join(storage, 'files', '.incoming');
    const leave = async (ds: DataSet, name: string, mode: number, keepBytes?: number): Promise<Buffer> => {
      const bytes = readFileSync(await part10(ds, `${name}.dcm`));
      const path = join(incoming, `.4242.${name}${MARKED_SUFFIX}`);
      writeFileSync(path, keepBytes === undefined ? bytes : bytes.subarray(0, keepBytes));
      chmodSync(path, mode);
      return bytes;
    };
    const newInstance = await leave(instance(2), 'complete', 0o644);
    // A newer copy of instance 1 (duplicates: overwrite), acknowledged, its rename lost.
    const newerCopy = await leave(instance(1, 11), 'newer', 0o640);
    await leave(instance(3), 'unwritten', 0);
    await leave(instance(4), 'being-read-back', 0o400);
    const cut = await leave(instance(5), 'cut', 0o644, 3000);
    assert.ok(cut.length > 3000);
    // A spare of an older version, unmarked: never taken for complete.
    copyFileSync(await part10(instance(6), 'old.dcm'), join(incoming, '.4242.old.part'));

    const lines: string[] = [];
    const second = await startLoopbackPacs(
      storage,
      { storage: { fsync: true } },
      { logger: recordingLogger(lines) },
    );
    try {
      const pathOf = (uid: string): string => second.storage.absolute(second.storage.relativePath(uid));
      assert.deepEqual(readFileSync(pathOf('2.25.8800.1.1.2')), newInstance);
      assert.deepEqual(readFileSync(pathOf('2.25.8800.1.1.1')), newerCopy);
      assert.equal(statSync(pathOf('2.25.8800.1.1.1')).mode & 0o777, 0o640, 'the mode it was given');
      assert.equal(instanceNumberOf(second, '2.25.8800.1.1.2'), '2');
      assert.equal(instanceNumberOf(second, '2.25.8800.1.1.1'), '11', 'indexed afresh from the file');
      for (const n of [3, 4, 5, 6])
        assert.equal(second.index.has(`2.25.8800.1.1.${n}`), false, `instance ${n}`);
      assert.deepEqual(
        readdirSync(incoming).filter((n) => n.startsWith('.4242.')),
        [],
        'nothing of the crash is left',
      );
      assert.ok(
        lines.some((l) => /^info put in place 2 instance/.test(l)),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) =>
          /^warn removed .*\.4242\.cut\.marked\.part, left by a crash and unreadable/.test(l),
        ),
        lines.join('\n'),
      );
      assert.ok(
        lines.some((l) => /removed 3 unfinished file/.test(l)),
        lines.join('\n'),
      );
    } finally {
      await second.close();
    }
  });
});
