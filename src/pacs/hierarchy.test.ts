// An instance whose series the PACS holds under another study, or whose study under another
// patient, is refused with 0xC000 and its reason, before its file takes its name: taking it
// would move or rename what is stored. Found by sending an inconsistent set (a series UID
// reused across studies): the index answered "UNIQUE constraint failed", or, where no UID
// collided, renamed the stored study.

import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DataSet } from '../object/index.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-hierarchy-'));
after(() => rmSync(work, { recursive: true, force: true }));

function instance(patient: string, study: string, series: string, sop: string): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', SC);
  ds.set('SOPInstanceUID', sop);
  ds.set('PatientID', patient);
  ds.set('StudyInstanceUID', study);
  ds.set('SeriesInstanceUID', series);
  return ds;
}

describe('dicomkit pacs: instances that contradict the stored hierarchy', () => {
  test('refused with 0xC000 and the reason; nothing stored is moved, renamed or replaced', {
    timeout: 20_000,
  }, async () => {
    const pacs = await startLoopbackPacs(join(work, 'store'));
    const scu = await associateWithPacs(pacs, [SC]);
    try {
      const store = async (ds: DataSet) =>
        scu.store(ds).then(
          (r) => ({ status: r.status, comment: '' }),
          (e: { status: number; errorComment?: string }) => ({
            status: e.status,
            comment: e.errorComment ?? '',
          }),
        );
      assert.equal((await store(instance('P1', '2.25.61', '2.25.61.1', '2.25.61.1.1'))).status, 0);
      // The series under a new study (no UID collides: the stored study used to be renamed).
      assert.deepEqual(await store(instance('P1', '2.25.62', '2.25.61.1', '2.25.62.1.1')), {
        status: 0xc000,
        comment: 'series 2.25.61.1 is in study 2.25.61, not 2.25.62',
      });
      // The study under another Patient ID (the stored patient's ID used to be overwritten).
      const other = await store(instance('P2', '2.25.61', '2.25.61.2', '2.25.61.2.1'));
      assert.equal(other.status, 0xc000);
      assert.match(other.comment, /^study 2\.25\.61 belongs to another patient/);
      assert.equal(pacs.index.has('2.25.62.1.1'), false);
      assert.equal(pacs.index.has('2.25.61.2.1'), false);
      const studies = [...pacs.index.find({ model: 'study', level: 'STUDY', identifier: studyQuery() })].map(
        (d) => [d.string('StudyInstanceUID'), d.string('PatientID')],
      );
      assert.deepEqual(studies, [['2.25.61', 'P1']]);
      // Only the first instance's file (and empty spares) in the store.
      const files = readdirSync(join(work, 'store'), { recursive: true }).filter((n) =>
        String(n).endsWith('.dcm'),
      );
      assert.equal(files.length, 1);
    } finally {
      await scu.release();
      await pacs.close();
    }
  });
});

function studyQuery(): DataSet {
  const q = new DataSet();
  q.set('QueryRetrieveLevel', 'STUDY');
  q.set('StudyInstanceUID', '');
  q.set('PatientID', '');
  return q;
}
