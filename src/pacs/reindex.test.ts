// `dicomkit pacs --reindex` (issue 5: "the file store is the source of truth"): the index is
// rebuilt from the stored files alone, with every instance, count and query answer it had,
// and the change log numbers on from the replaced index, so that a client polling
// /changes?since=N sees the rebuilt resources instead of nothing. An index that cannot be
// read at all is rebuilt too, with a warning. Patients protected from recycling stay protected.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import type { Logger } from '../core/index.ts';
import { DataSet } from '../object/index.ts';
import type { ChangeLogEntry } from './index/types.ts';
import type { Pacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-reindex-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(study: number, series: number, n: number): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', `2.25.7700.${study}.${series}.${n}`);
  ds.set('PatientID', `R${study}`);
  ds.set('PatientName', `Reindex^${study}`);
  ds.set('StudyInstanceUID', `2.25.7700.${study}`);
  ds.set('StudyDate', `2024010${study}`);
  ds.set('SeriesInstanceUID', `2.25.7700.${study}.${series}`);
  ds.set('Modality', series === 1 ? 'OT' : 'SC');
  ds.set('InstanceNumber', n);
  return ds;
}

const INSTANCES = [1, 2].flatMap((study) =>
  [1, 2].flatMap((series) => [1, 2, 3].map((n) => instance(study, series, n))),
);

/** What a C-FIND at each level answers, as sorted JSON lines: the index's whole view. */
function snapshot(pacs: Pacs): string[] {
  const lines: string[] = [];
  for (const [level, keys] of [
    ['STUDY', ['StudyInstanceUID', 'PatientID', 'PatientName', 'StudyDate', 'ModalitiesInStudy']],
    ['SERIES', ['StudyInstanceUID', 'SeriesInstanceUID', 'Modality', 'NumberOfSeriesRelatedInstances']],
    ['IMAGE', ['SeriesInstanceUID', 'SOPInstanceUID', 'InstanceNumber']],
  ] as const) {
    const identifier = new DataSet();
    identifier.set('QueryRetrieveLevel', level);
    for (const key of keys) identifier.set(key, undefined);
    for (const row of pacs.index.find({ model: 'study', level, identifier, relational: true }))
      lines.push(`${level} ${JSON.stringify(keys.map((k) => row.strings(k)))}`);
  }
  return lines.sort();
}

function allChanges(pacs: Pacs, since = 0): ChangeLogEntry[] {
  return pacs.index.changeLog(since, 10_000).entries;
}

describe('dicomkit pacs --reindex', () => {
  test('rebuilds the index from the files; the change log numbers on', { timeout: 30_000 }, async () => {
    const storage = join(work, 'store');
    const first = await startLoopbackPacs(storage);
    const scu = await associateWithPacs(first, [SC]);
    for (const ds of INSTANCES) assert.equal((await scu.store(ds)).status, 0);
    await scu.release();
    const before = snapshot(first);
    const statistics = first.index.statistics();
    const lastSeq = first.index.lastChange()!.seq;
    assert.ok(lastSeq >= INSTANCES.length);
    // Protection from recycling is not in the files: it is carried over from the old index.
    assert.equal(first.index.setProtected('R2', true), true);
    await first.close();

    const rebuilt = await startLoopbackPacs(storage, {}, { reindex: true });
    try {
      assert.deepEqual(snapshot(rebuilt), before);
      assert.deepEqual(rebuilt.index.statistics(), statistics);
      assert.equal(rebuilt.index.isProtected('R2'), true);
      assert.equal(rebuilt.index.isProtected('R1'), false);
      // Every entry of the rebuilt log comes after the old one's last.
      const changes = allChanges(rebuilt);
      assert.ok(changes.length > 0);
      assert.ok(
        changes.every((c) => c.seq > lastSeq),
        `first seq ${changes[0]!.seq} after ${lastSeq}`,
      );
      const since = allChanges(rebuilt, lastSeq);
      assert.deepEqual(
        since
          .filter((c) => c.type === 'NewInstance')
          .map((c) => c.resource)
          .sort(),
        INSTANCES.map((ds) => ds.string('SOPInstanceUID')!).sort(),
      );
      assert.equal(since.filter((c) => c.type === 'NewStudy').length, 2);
      assert.equal(since.filter((c) => c.type === 'NewSeries').length, 4);
    } finally {
      await rebuilt.close();
    }
  });

  test('an index that cannot be read is rebuilt, with a warning', { timeout: 30_000 }, async () => {
    const storage = join(work, 'store');
    writeFileSync(join(storage, 'index.sqlite'), 'not a database, of any kind'.repeat(200));
    for (const suffix of ['-wal', '-shm']) rmSync(join(storage, `index.sqlite${suffix}`), { force: true });
    const warnings: string[] = [];
    const logger: Logger = {
      debugEnabled: false,
      log(level, message) {
        if (level === 'warn') warnings.push(message);
      },
    };
    const rebuilt = await startLoopbackPacs(storage, {}, { reindex: true, logger });
    try {
      assert.ok(
        warnings.some((w) => /--reindex: the old index cannot be read/.test(w)),
        warnings.join('\n'),
      );
      assert.equal(rebuilt.index.statistics().instances, INSTANCES.length);
      assert.equal(allChanges(rebuilt)[0]!.seq, 1);
    } finally {
      await rebuilt.close();
    }
  });
});
