// Identifiers the PACS cannot answer (PS3.4 §C.4.1.1.4: 0xA900, "identifier does not match
// SOP Class") carry the reason in the Error Comment; and no identifier, however odd, costs the
// association: a few hundred generated ones (wildcards in UIDs, reversed ranges, unknown keys,
// sequences, text beyond the VR) each get matches or a status, then the PACS still answers.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { associateWithPacs, startLoopbackPacs } from '../../test/helpers/pacs.ts';
import { DimseStatusError } from '../net/dimse/index.ts';
import { DataSet } from '../object/index.ts';
import {
  type Association,
  QueryRetrieveModels,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  verificationContext,
} from '../services/index.ts';
import type { Pacs } from './server.ts';

const SC = '1.2.840.10008.5.1.4.1.1.7';
const work = mkdtempSync(join(tmpdir(), 'dicomkit-query-errors-'));
after(() => rmSync(work, { recursive: true, force: true }));

const contexts = (['patient', 'study'] as const).flatMap((model) =>
  (['find', 'move'] as const).map((op) => ({
    abstractSyntax: QueryRetrieveModels[model][op],
    transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES,
  })),
);

function identifier(keys: Record<string, string | undefined | DataSet[]>): DataSet {
  const ds = new DataSet();
  for (const [key, value] of Object.entries(keys)) {
    if (Array.isArray(value)) ds.set(key as never, value as never, 'SQ');
    else ds.set(key as never, value as never);
  }
  return ds;
}

/** The status and comment a C-FIND ends with (0 when it ends with matches). */
async function findOutcome(
  scu: Association,
  ds: DataSet,
  model: 'patient' | 'study',
): Promise<{ status: number; comment?: string; matches: number }> {
  let matches = 0;
  try {
    for await (const _ of scu.find(ds, { model })) matches++;
    return { status: 0, matches };
  } catch (error) {
    assert.ok(error instanceof DimseStatusError, `not a status: ${(error as Error).message}`);
    return { status: error.status, comment: error.errorComment, matches };
  }
}

describe('Query/Retrieve identifiers the PACS cannot answer', () => {
  let pacs: Pacs;
  let scu: Association;
  before(async () => {
    // A C-MOVE destination that is never reached: the identifiers sent to it are refused first.
    pacs = await startLoopbackPacs(join(work, 'store'), {
      modalities: { back: { aeTitle: 'BACK', host: '127.0.0.1', port: 9 } },
    });
    const store = await associateWithPacs(pacs, [SC]);
    for (let n = 1; n <= 3; n++) {
      const ds = new DataSet();
      ds.set('SOPClassUID', SC);
      ds.set('SOPInstanceUID', `2.25.6600.${n}.1.1`);
      ds.set('PatientID', `E${n}`);
      ds.set('PatientName', `Errors^${n}`);
      ds.set('StudyInstanceUID', `2.25.6600.${n}`);
      ds.set('StudyDate', `2024010${n}`);
      ds.set('SeriesInstanceUID', `2.25.6600.${n}.1`);
      ds.set('Modality', 'OT');
      await store.store(ds);
    }
    await store.release();
    scu = await associateWithPacs(pacs, [...contexts, verificationContext()]);
  });
  after(async () => {
    await scu?.release();
    await pacs?.close();
  });

  test('0xA900 names the problem: no level, an unknown level, PATIENT in Study Root', async () => {
    assert.deepEqual(await findOutcome(scu, identifier({ PatientID: '' }), 'study'), {
      status: 0xa900,
      comment: 'the identifier has no Query/Retrieve Level (0008,0052)',
      matches: 0,
    });
    assert.deepEqual(await findOutcome(scu, identifier({ QueryRetrieveLevel: 'FOO' }), 'patient'), {
      status: 0xa900,
      comment: 'Query/Retrieve Level FOO is not PATIENT, STUDY, SERIES or IMAGE',
      matches: 0,
    });
    const root = await findOutcome(
      scu,
      identifier({ QueryRetrieveLevel: 'PATIENT', PatientID: '' }),
      'study',
    );
    assert.equal(root.status, 0xa900);
    assert.match(root.comment!, /Study Root model has no PATIENT level/);
    await assert.rejects(
      scu.move(identifier({ QueryRetrieveLevel: 'BAR', StudyInstanceUID: '2.25.6600.1' }), 'BACK', {
        model: 'study',
      }),
      (e: unknown) =>
        e instanceof DimseStatusError &&
        e.status === 0xa900 &&
        /BAR is not PATIENT/.test(e.errorComment ?? ''),
    );
    // The level is read as a CS: padding and case do not matter.
    assert.equal((await findOutcome(scu, identifier({ QueryRetrieveLevel: 'study ' }), 'study')).matches, 3);
  });

  test('generated odd identifiers each end with matches or a status; the association and the PACS go on', {
    timeout: 30_000,
  }, async () => {
    // A fixed linear congruential sequence: the same identifiers on every run.
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    const pick = <T>(values: readonly T[]): T => values[Math.floor(next() * values.length)]!;
    const keys = [
      'PatientName',
      'PatientID',
      'PatientBirthDate',
      'StudyDate',
      'StudyTime',
      'AccessionNumber',
      'StudyInstanceUID',
      'SeriesInstanceUID',
      'SOPInstanceUID',
      'Modality',
      'ModalitiesInStudy',
      'SeriesNumber',
      'InstanceNumber',
      'NumberOfStudyRelatedInstances',
      'SOPClassesInStudy',
      'StudyDescription',
      'IssuerOfPatientID',
      'AcquisitionDateTime',
      'PatientAge',
      'ContentDate',
      'SpecificCharacterSet',
    ];
    const values = [
      '',
      '*',
      '?',
      '*A*',
      '19*',
      '2024-',
      '-2024',
      '20240103-20240101',
      'abc',
      '2.25.6600.1\\2.25.6600.2',
      '\\',
      'X'.repeat(80),
      '2.25.1',
      '-1',
      '20240101120000-',
      '1200-1300',
      'Ä^Ö',
      '%',
      '_',
      "'",
      ' ',
      '*\\*',
      'OT\\MR',
    ];
    const levels = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE', 'FOO'];
    const seen = new Map<number, number>();
    for (let q = 0; q < 300; q++) {
      const ds = new DataSet();
      ds.set('QueryRetrieveLevel', pick(levels));
      for (let i = Math.floor(next() * 5); i > 0; i--) {
        const key = pick(keys);
        try {
          if (next() < 0.15) {
            const item = new DataSet(ds);
            item.set(pick(keys) as never, pick(values) as never);
            ds.set('ReferencedStudySequence', [item], 'SQ');
          } else {
            ds.set(key as never, (next() < 0.25 ? undefined : pick(values)) as never);
          }
        } catch {
          // A value the VR cannot hold is not sent.
        }
      }
      const { status } = await findOutcome(scu, ds, pick(['patient', 'study'] as const));
      seen.set(status, (seen.get(status) ?? 0) + 1);
    }
    // Successes and A900s both occur; nothing else does.
    assert.deepEqual([...seen.keys()].sort(), [0, 0xa900]);
    assert.equal(await scu.echo(), 0);
    const fresh = await associateWithPacs(pacs, contexts);
    assert.equal((await findOutcome(fresh, identifier({ QueryRetrieveLevel: 'STUDY' }), 'study')).matches, 3);
    await fresh.release();
  });
});
