import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../../object/index.ts';
import { openSqliteIndex } from './sqlite.ts';
import type { StoredInstance } from './types.ts';

interface Spec {
  patient: string;
  name: string;
  study: string;
  date: string;
  time: string;
  accession: string;
  series: string;
  modality: string;
  sop: string;
  procedure?: string;
}

function instance(spec: Spec): StoredInstance {
  const h = new DataSet();
  h.set('SpecificCharacterSet', 'ISO_IR 192');
  h.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  h.set('SOPInstanceUID', spec.sop);
  h.set('PatientID', spec.patient);
  h.set('PatientName', spec.name);
  h.set('StudyInstanceUID', spec.study);
  h.set('StudyDate', spec.date);
  h.set('StudyTime', spec.time);
  h.set('AccessionNumber', spec.accession);
  h.set('SeriesInstanceUID', spec.series);
  h.set('Modality', spec.modality);
  h.set('StudyDescription', `study ${spec.study}`);
  if (spec.procedure) {
    const item = new DataSet(h);
    item.set('CodeValue', spec.procedure);
    item.set('CodingSchemeDesignator', 'LOCAL');
    h.set('ProcedureCodeSequence', [item]);
  }
  return {
    header: h,
    path: `files/${spec.sop}.dcm`,
    size: 100,
    transferSyntax: '1.2.840.10008.1.2.1',
    receivedAt: 0,
  };
}

const SPECS: Spec[] = [
  {
    patient: 'P1',
    name: 'Müller^Anna',
    study: '2.25.1',
    date: '20240105',
    time: '093000',
    accession: 'A1',
    series: '2.25.1.1',
    modality: 'CT',
    sop: '2.25.1.1.1',
    procedure: 'CTHEAD',
  },
  {
    patient: 'P1',
    name: 'Müller^Anna',
    study: '2.25.1',
    date: '20240105',
    time: '093000',
    accession: 'A1',
    series: '2.25.1.2',
    modality: 'SR',
    sop: '2.25.1.2.1',
    procedure: 'CTHEAD',
  },
  {
    patient: 'P1',
    name: 'Müller^Anna',
    study: '2.25.2',
    date: '20240210',
    time: '141500',
    accession: 'A2',
    series: '2.25.2.1',
    modality: 'MR',
    sop: '2.25.2.1.1',
    procedure: 'MRKNEE',
  },
  {
    patient: 'P2',
    name: 'Smith^John',
    study: '2.25.3',
    date: '20231231',
    time: '235959',
    accession: 'A3',
    series: '2.25.3.1',
    modality: 'CT',
    sop: '2.25.3.1.1',
  },
  {
    patient: 'P3',
    name: 'smithers^jo',
    study: '2.25.4',
    date: '20240105',
    time: '080000',
    accession: 'A4',
    series: '2.25.4.1',
    modality: 'US',
    sop: '2.25.4.1.1',
  },
];

function query(keys: Record<string, string>, level = 'STUDY'): DataSet {
  const q = new DataSet();
  q.set('SpecificCharacterSet', 'ISO_IR 192');
  q.set('QueryRetrieveLevel', level);
  for (const [k, v] of Object.entries(keys)) q.set(k as never, v === '' ? undefined : v);
  return q;
}

describe('SQLite index', () => {
  const index = openSqliteIndex(':memory:', { retrieveAeTitle: 'DICOMKIT' });
  assert.equal(index.add(SPECS.map(instance)), 5);
  const studies = (keys: Record<string, string>, caseInsensitivePN = true) =>
    [
      ...index.find({
        model: 'study',
        level: 'STUDY',
        identifier: query({ StudyInstanceUID: '', ...keys }),
        caseInsensitivePN,
      }),
    ]
      .map((d) => d.string('StudyInstanceUID'))
      .sort();

  test('single value, universal, wildcard (PN case-insensitive, or not), UID list', () => {
    assert.deepEqual(studies({ PatientID: 'P1' }), ['2.25.1', '2.25.2']);
    assert.deepEqual(studies({}), ['2.25.1', '2.25.2', '2.25.3', '2.25.4']);
    assert.deepEqual(studies({ PatientName: 'smith*' }), ['2.25.3', '2.25.4']);
    assert.deepEqual(studies({ PatientName: 'smith*' }, false), ['2.25.4']);
    assert.deepEqual(studies({ PatientName: 'MÜLLER^*' }), ['2.25.1', '2.25.2']);
    assert.deepEqual(studies({ PatientName: 'Sm?th^John' }), ['2.25.3']);
    assert.deepEqual(studies({ StudyInstanceUID: '2.25.1\\2.25.4' }), ['2.25.1', '2.25.4']);
  });

  test('date and time ranges, open and combined', () => {
    assert.deepEqual(studies({ StudyDate: '20240101-20240131' }), ['2.25.1', '2.25.4']);
    assert.deepEqual(studies({ StudyDate: '-20231231' }), ['2.25.3']);
    assert.deepEqual(studies({ StudyDate: '20240201-' }), ['2.25.2']);
    // DA+TM combined (PS3.4 §C.2.2.2.5.1): from 5 Jan 09:00 to 10 Feb 14:00.
    assert.deepEqual(studies({ StudyDate: '20240105-20240210', StudyTime: '0900-1400' }), ['2.25.1']);
    assert.deepEqual(studies({ StudyTime: '0800-0930' }), ['2.25.1', '2.25.4']);
  });

  test('ModalitiesInStudy and the derived counts', () => {
    assert.deepEqual(studies({ ModalitiesInStudy: 'SR' }), ['2.25.1']);
    const [row] = index.find({
      model: 'study',
      level: 'STUDY',
      identifier: query({
        StudyInstanceUID: '2.25.1',
        ModalitiesInStudy: '',
        NumberOfStudyRelatedInstances: '',
      }),
    });
    assert.deepEqual(row!.strings('ModalitiesInStudy')?.sort(), ['CT', 'SR']);
    assert.equal(row!.string('NumberOfStudyRelatedInstances'), '2');
  });

  test('responses carry exactly the requested keys and the three the standard adds', () => {
    const [row] = index.find({
      model: 'study',
      level: 'STUDY',
      identifier: query({ AccessionNumber: 'A2', StudyDescription: '', PatientName: '' }),
    });
    assert.deepEqual(
      row!.tags().map((t) => t.toString(16).padStart(8, '0')),
      ['00080005', '00080050', '00080052', '00080054', '00081030', '00100010'],
    );
    assert.equal(row!.string('StudyDescription'), 'study 2.25.2');
    assert.equal(row!.string('PatientName'), 'Müller^Anna');
  });

  test('sequence matching (PS3.4 §C.2.2.2.6) returns the matching items with the requested keys', () => {
    const identifier = query({ StudyInstanceUID: '' });
    const item = new DataSet(identifier);
    item.set('CodeValue', 'MR*');
    identifier.set('ProcedureCodeSequence', [item]);
    const rows = [...index.find({ model: 'study', level: 'STUDY', identifier })];
    assert.deepEqual(
      rows.map((r) => r.string('StudyInstanceUID')),
      ['2.25.2'],
    );
    const returned = rows[0]!.sequence('ProcedureCodeSequence')!;
    assert.equal(returned.length, 1);
    assert.deepEqual(returned[0]!.tags(), [0x00080100]);
    assert.equal(returned[0]!.string('CodeValue'), 'MRKNEE');
  });

  test('hierarchical levels, locate, remove, statistics', () => {
    const series = [
      ...index.find({
        model: 'study',
        level: 'SERIES',
        identifier: query({ StudyInstanceUID: '2.25.1', SeriesInstanceUID: '', Modality: '' }, 'SERIES'),
      }),
    ];
    assert.deepEqual(series.map((s) => s.string('Modality')).sort(), ['CT', 'SR']);
    const located = index.locate('patient', 'PATIENT', query({ PatientID: 'P1' }, 'PATIENT'));
    assert.deepEqual(located.map((l) => l.sopInstanceUid).sort(), ['2.25.1.1.1', '2.25.1.2.1', '2.25.2.1.1']);
    assert.deepEqual(index.statistics(), { patients: 3, studies: 4, series: 5, instances: 5, bytes: 500 });
    assert.equal(index.add([instance(SPECS[0]!)]), 0, 'a duplicate adds nothing');
    assert.equal(index.remove('STUDY', '2.25.1').length, 2);
    assert.deepEqual(index.statistics(), { patients: 3, studies: 3, series: 3, instances: 3, bytes: 300 });
    assert.equal(index.has('2.25.1.1.1'), false);
  });
});
