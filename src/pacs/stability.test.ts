import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SILENT_LOGGER } from '../core/index.ts';
import { DataSet } from '../object/index.ts';
import { openSqliteIndex } from './index/sqlite.ts';
import type { StoredInstance } from './index/types.ts';
import { StabilityWatch } from './stability.ts';

function stored(patient: string, study: string, series: string, sop: string): StoredInstance {
  const header = new DataSet();
  header.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  header.set('SOPInstanceUID', sop);
  header.set('PatientID', patient);
  header.set('StudyInstanceUID', study);
  header.set('SeriesInstanceUID', series);
  return { header, path: `files/${sop}`, size: 1, transferSyntax: '1.2.840.10008.1.2.1', receivedAt: 0 };
}

describe('StabilityWatch', () => {
  test('a resource is logged stable once, the stable age after its last instance', () => {
    const index = openSqliteIndex(':memory:');
    let now = 1_000_000;
    const watch = new StabilityWatch(index, 60, SILENT_LOGGER, () => now);
    const stable = () =>
      index
        .changeLog(0, 100)
        .entries.filter((e) => e.type.startsWith('Stable'))
        .map((e) => `${e.type} ${e.resource}`);
    try {
      watch.indexed([stored('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1')]);
      now += 30_000;
      watch.indexed([stored('P1', '2.25.1', '2.25.1.2', '2.25.1.2.1')]);
      now += 30_000;
      watch.check();
      // Series 1 has been quiet for 60 s; its study and patient got an instance 30 s ago.
      assert.deepEqual(stable(), ['StableSeries 2.25.1.1']);
      now += 29_999;
      watch.check();
      assert.deepEqual(stable(), ['StableSeries 2.25.1.1']);
      now += 1;
      watch.check();
      assert.deepEqual(stable(), [
        'StableSeries 2.25.1.1',
        'StableSeries 2.25.1.2',
        'StableStudy 2.25.1',
        'StablePatient P1',
      ]);
      now += 120_000;
      watch.check();
      assert.equal(stable().length, 4, 'logged once');
    } finally {
      watch.stop();
      index.close();
    }
  });

  test('deleted resources, and what was below them, are forgotten', () => {
    const index = openSqliteIndex(':memory:');
    let now = 0;
    const watch = new StabilityWatch(index, 1, SILENT_LOGGER, () => now);
    try {
      watch.indexed([
        stored('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1'),
        stored('P2', '2.25.2', '2.25.2.1', '2.25.2.1.1'),
        stored('P2', '2.25.3', '2.25.3.1', '2.25.3.1.1'),
      ]);
      watch.forget('STUDY', '2.25.1');
      watch.forget('PATIENT', 'P2');
      now += 1000;
      watch.check();
      assert.deepEqual(
        index.changeLog(0, 100).entries.map((e) => `${e.type} ${e.resource}`),
        ['StablePatient P1'],
      );
    } finally {
      watch.stop();
      index.close();
    }
  });
});
