import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet } from '../../object/index.ts';
import { attributeColumns } from './catalogue.ts';
import { mergeList } from './changes.ts';
import { decodeHeader, levelValues } from './rows.ts';
import { openSqliteIndex } from './sqlite.ts';
import { openDatabase } from './sqlite-driver.ts';
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

// ---------------------------------------------------------------------------------------
// Aggregates kept incrementally, checked against a recomputation from the instance rows.

interface Item {
  sop: string;
  series: string;
  study: string;
  patient: string;
  modality: string;
  sopClass: string;
  size: number;
  studyDescription?: string;
  patientName?: string;
}

const CT = '1.2.840.10008.5.1.4.1.1.2';
const ENHANCED_CT = '1.2.840.10008.5.1.4.1.1.2.1';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const PET = '1.2.840.10008.5.1.4.1.1.128';
const BASIC_SR = '1.2.840.10008.5.1.4.1.1.88.11';
const KO = '1.2.840.10008.5.1.4.1.1.88.59';
const SC = '1.2.840.10008.5.1.4.1.1.7';

function item(i: Item): StoredInstance {
  const h = new DataSet();
  h.set('SpecificCharacterSet', 'ISO_IR 192');
  h.set('SOPClassUID', i.sopClass);
  h.set('SOPInstanceUID', i.sop);
  h.set('PatientID', i.patient);
  h.set('PatientName', i.patientName ?? `NAME^${i.patient}`);
  h.set('StudyInstanceUID', i.study);
  h.set('StudyDate', '20240301');
  h.set('StudyDescription', i.studyDescription ?? `study ${i.study}`);
  h.set('SeriesInstanceUID', i.series);
  h.set('Modality', i.modality);
  h.set('SeriesNumber', Number(i.series.split('.').at(-1)));
  return {
    header: h,
    path: `files/${i.sop}.dcm`,
    size: i.size,
    transferSyntax: '1.2.840.10008.1.2.1',
    receivedAt: 0,
  };
}

/** `n` instances of a series, numbered from `from`. */
function items(n: number, base: Omit<Item, 'sop' | 'size'>, from = 1): Item[] {
  return Array.from({ length: n }, (_, k) => ({
    ...base,
    sop: `${base.series}.${from + k}`,
    size: 100 + from + k,
  }));
}

type Values = Record<string, unknown>;

/**
 * Every derived column of every entity, recomputed from the instances (counts, sizes, lists,
 * newest instance) and from the newest instance's header (attribute columns), beside what the
 * index holds; entities left without instances must be gone.
 */
function audit(path: string): void {
  const db = openDatabase(path, { readonly: true });
  try {
    const list = (values: string[]): string => [...new Set(values.filter((v) => v !== ''))].sort().join('\\');
    const attributes = (level: 'PATIENT' | 'STUDY' | 'SERIES', row: Values): void => {
      const header = db
        .prepare('SELECT header FROM instance_headers WHERE instance = ?')
        .pluck()
        .get(row.last_instance);
      const expected = levelValues(level, decodeHeader(header as Uint8Array));
      const actual = attributeColumns(level).map((c) => row[c]);
      assert.deepEqual(actual, expected, `${level} ${row.id}: attributes of the newest instance`);
    };
    const check = (
      level: 'PATIENT' | 'STUDY' | 'SERIES',
      table: string,
      expected: (id: number) => Values,
    ): void => {
      for (const row of db.prepare(`SELECT * FROM ${table}`).all() as Values[]) {
        const want = expected(row.id as number);
        assert.ok((want.number_of_instances as number) > 0, `${level} ${row.id} is empty and should be gone`);
        const got = Object.fromEntries(Object.keys(want).map((k) => [k, row[k]]));
        assert.deepEqual(got, want, `${level} ${row.id}: aggregates`);
        attributes(level, row);
      }
    };
    const one = (sql: string, id: number): Values => db.prepare(sql).get(id) as Values;
    check('SERIES', 'series', (id) =>
      one(
        `SELECT count(*) AS number_of_instances, coalesce(sum(size), 0) AS total_size, max(id) AS last_instance
         FROM instances WHERE series = ?`,
        id,
      ),
    );
    check('STUDY', 'studies', (id) => {
      const a = one(
        `SELECT count(DISTINCT se.id) AS number_of_series, count(i.id) AS number_of_instances,
         coalesce(sum(i.size), 0) AS total_size, max(i.id) AS last_instance
         FROM series se LEFT JOIN instances i ON i.series = se.id WHERE se.study = ?`,
        id,
      );
      const modalities = db
        .prepare('SELECT modality FROM series WHERE study = ?')
        .pluck()
        .all(id) as string[];
      const classes = db
        .prepare(
          'SELECT i.sop_class_uid FROM series se JOIN instances i ON i.series = se.id WHERE se.study = ?',
        )
        .pluck()
        .all(id) as string[];
      return { ...a, modalities_in_study: list(modalities), sop_classes_in_study: list(classes) };
    });
    check('PATIENT', 'patients', (id) =>
      one(
        `SELECT count(DISTINCT st.id) AS number_of_studies, count(DISTINCT se.id) AS number_of_series,
         count(i.id) AS number_of_instances, coalesce(sum(i.size), 0) AS total_size, max(i.id) AS last_instance
         FROM studies st LEFT JOIN series se ON se.study = st.id LEFT JOIN instances i ON i.series = se.id
         WHERE st.patient = ?`,
        id,
      ),
    );
  } finally {
    db.close();
  }
}

describe('SQLite index: aggregates kept incrementally', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dicomkit-index-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'index.sqlite');
  const index = openSqliteIndex(path);
  after(() => index.close());
  const add = (list: Item[], replace = false): number => index.add(list.map(item), { replace });
  const study = (uid: string): Values => {
    const db = openDatabase(path, { readonly: true });
    try {
      return db
        .prepare(
          'SELECT modalities_in_study, sop_classes_in_study, number_of_series, number_of_instances, study_description FROM studies WHERE study_instance_uid = ?',
        )
        .get(uid) as Values;
    } finally {
      db.close();
    }
  };

  test('the lists keep their sorted, backslash-joined form', () => {
    assert.equal(mergeList('', ['SR', '', 'CT', 'SR']), 'CT\\SR');
    assert.equal(mergeList('CT\\SR', ['MR']), 'CT\\MR\\SR');
    const stored = 'CT\\SR';
    assert.equal(mergeList(stored, ['SR', '']), stored);
  });

  test('batches of new studies, series and instances', () => {
    const s1 = { study: '9.1', patient: 'P1' };
    assert.equal(
      add([
        ...items(3, { ...s1, series: '9.1.1', modality: 'CT', sopClass: CT }),
        ...items(1, { study: '9.2', patient: 'P1', series: '9.2.1', modality: 'MR', sopClass: MR }),
      ]),
      4,
    );
    audit(path);
    // One new study with two series, several modalities and SOP classes; more instances of an
    // existing series (a new SOP class, a new StudyDescription) and a new series of its study;
    // a new patient whose name changes within the batch.
    const s3 = { study: '9.3', patient: 'P2' };
    assert.equal(
      add([
        ...items(2, { ...s3, series: '9.3.1', modality: 'CT', sopClass: CT }),
        ...items(1, { ...s3, series: '9.3.2', modality: 'SR', sopClass: BASIC_SR }),
        ...items(2, { ...s1, series: '9.1.2', modality: 'PT', sopClass: PET }),
        ...items(
          1,
          { ...s1, series: '9.1.1', modality: 'CT', sopClass: ENHANCED_CT, studyDescription: 'revised' },
          4,
        ),
        ...items(1, { ...s3, series: '9.3.2', modality: 'SR', sopClass: KO }, 2),
        ...items(1, { study: '9.4', patient: 'P3', series: '9.4.1', modality: 'US', sopClass: SC }),
        ...items(
          1,
          {
            study: '9.4',
            patient: 'P3',
            series: '9.4.1',
            modality: 'US',
            sopClass: SC,
            patientName: 'NEW^NAME',
          },
          2,
        ),
      ]),
      9,
    );
    audit(path);
    assert.deepEqual(study('9.3'), {
      modalities_in_study: 'CT\\SR',
      sop_classes_in_study: [CT, BASIC_SR, KO].sort().join('\\'),
      number_of_series: 2,
      number_of_instances: 4,
      study_description: 'study 9.3',
    });
    assert.deepEqual(study('9.1'), {
      modalities_in_study: 'CT\\PT',
      sop_classes_in_study: [CT, ENHANCED_CT, PET].sort().join('\\'),
      number_of_series: 2,
      number_of_instances: 6,
      study_description: 'revised',
    });
    assert.equal(add(items(1, { ...s3, series: '9.3.1', modality: 'CT', sopClass: CT })), 0, 'a duplicate');
    audit(path);
  });

  test('attribute columns are written only when their values change', () => {
    const db = openDatabase(path);
    try {
      db.exec(`CREATE TABLE written (what TEXT);
        CREATE TRIGGER study_written AFTER UPDATE OF study_description ON studies
          BEGIN INSERT INTO written VALUES ('study'); END;
        CREATE TRIGGER series_written AFTER UPDATE OF modality ON series
          BEGIN INSERT INTO written VALUES ('series'); END;
        CREATE TRIGGER patient_written AFTER UPDATE OF patient_name ON patients
          BEGIN INSERT INTO written VALUES ('patient'); END;`);
      const written = (): string[] => db.prepare('SELECT what FROM written').pluck().all() as string[];
      const base = { study: '9.3', patient: 'P2', series: '9.3.1', modality: 'CT', sopClass: CT };
      assert.equal(add(items(1, base, 3)), 1);
      assert.deepEqual(written(), []);
      assert.equal(add(items(1, { ...base, studyDescription: 'other' }, 4)), 1);
      assert.deepEqual(written(), ['study']);
      assert.equal(add(items(1, base, 5)), 1, 'and back');
      assert.deepEqual(written(), ['study', 'study']);
      audit(path);
      index.remove('IMAGE', '9.3.1.3');
      index.remove('IMAGE', '9.3.1.4');
      index.remove('IMAGE', '9.3.1.5');
      audit(path);
      db.exec(
        'DROP TABLE written; DROP TRIGGER study_written; DROP TRIGGER series_written; DROP TRIGGER patient_written',
      );
    } finally {
      db.close();
    }
  });

  test('replacements: counts go down, an emptied series goes, the same instance twice in a batch', () => {
    assert.equal(
      add(
        [
          // Same series, another SOP class and size.
          {
            ...items(1, { study: '9.3', patient: 'P2', series: '9.3.1', modality: 'CT', sopClass: SC })[0]!,
            size: 7,
          },
          // Moved to another series of its study: 9.2.1 is left empty.
          {
            ...items(1, { study: '9.2', patient: 'P1', series: '9.2.1', modality: 'MR', sopClass: MR })[0]!,
            series: '9.2.9',
            modality: 'OT',
          },
          // More of a series, same attributes.
          ...items(1, { study: '9.4', patient: 'P3', series: '9.4.1', modality: 'US', sopClass: SC }, 3),
          // New, then replaced within the batch.
          ...items(1, { study: '9.5', patient: 'P4', series: '9.5.1', modality: 'XA', sopClass: SC }),
          {
            ...items(1, { study: '9.5', patient: 'P4', series: '9.5.1', modality: 'XA', sopClass: SC })[0]!,
            size: 1,
          },
        ],
        true,
      ),
      2,
    );
    audit(path);
    assert.equal(study('9.2').modalities_in_study, 'OT');
    assert.equal(study('9.3').sop_classes_in_study, [CT, BASIC_SR, KO, SC].sort().join('\\'));
    assert.deepEqual(index.statistics(), { patients: 4, studies: 5, series: 7, instances: 15, bytes: 1333 });
  });

  test('a series whose Modality changes leaves ModalitiesInStudy', () => {
    assert.equal(
      add(items(1, { study: '9.1', patient: 'P1', series: '9.1.1', modality: 'OT', sopClass: CT }, 5)),
      1,
    );
    audit(path);
    assert.equal(study('9.1').modalities_in_study, 'OT\\PT');
  });

  test('removals', () => {
    assert.equal(index.remove('IMAGE', '9.3.2.1').length, 1);
    audit(path);
    assert.equal(index.remove('SERIES', '9.1.2').length, 2);
    audit(path);
    assert.equal(study('9.1').modalities_in_study, 'OT');
    assert.equal(index.remove('STUDY', '9.4').length, 3);
    audit(path);
    assert.deepEqual(index.statistics(), { patients: 3, studies: 4, series: 5, instances: 10, bytes: 828 });
  });
});

describe('SQLite index: the change log', () => {
  const spec = (patient: string, study: string, series: string, sop: string): StoredInstance =>
    instance({ ...SPECS[0]!, patient, study, series, sop });
  const logged = (index: ReturnType<typeof openSqliteIndex>, since = 0) =>
    index.changeLog(since, 1000).entries.map((e) => `${e.type} ${e.resource}`);

  test('new resources before their instance; a known series logs the instance alone', () => {
    const index = openSqliteIndex(':memory:');
    index.add([
      spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1'),
      spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.2'),
    ]);
    index.add([spec('P1', '2.25.1', '2.25.1.2', '2.25.1.2.1'), spec('', '2.25.2', '2.25.2.1', '2.25.2.1.1')]);
    assert.deepEqual(logged(index), [
      'NewPatient P1',
      'NewStudy 2.25.1',
      'NewSeries 2.25.1.1',
      'NewInstance 2.25.1.1.1',
      'NewInstance 2.25.1.1.2',
      'NewSeries 2.25.1.2',
      'NewInstance 2.25.1.2.1',
      // A patient without an ID has no name to log.
      'NewStudy 2.25.2',
      'NewSeries 2.25.2.1',
      'NewInstance 2.25.2.1.1',
    ]);
    const entries = index.changeLog(0, 1000).entries;
    assert.deepEqual(
      entries.map((e) => e.seq),
      entries.map((_, i) => i + 1),
    );
    assert.deepEqual(
      entries.slice(0, 4).map((e) => e.level),
      ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'],
    );
    // Paging: `done` only on the last page.
    assert.deepEqual(
      [index.changeLog(0, 4).entries.length, index.changeLog(0, 4).done, index.changeLog(8, 4).done],
      [4, false, true],
    );
    assert.equal(index.lastChange()?.resource, '2.25.2.1.1');
    index.close();
  });

  test('deletions log everything removed, deepest first, then the parents they emptied', () => {
    const index = openSqliteIndex(':memory:');
    index.add([
      spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1'),
      spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.2'),
      spec('P1', '2.25.1', '2.25.1.2', '2.25.1.2.1'),
      spec('P2', '2.25.2', '2.25.2.1', '2.25.2.1.1'),
    ]);
    const last = index.lastChange()!.seq;
    index.remove('IMAGE', '2.25.1.1.1');
    assert.deepEqual(logged(index, last), ['Deleted 2.25.1.1.1']);
    index.remove('IMAGE', '2.25.1.2.1');
    assert.deepEqual(logged(index, last + 1), ['Deleted 2.25.1.2.1', 'Deleted 2.25.1.2']);
    index.remove('STUDY', '2.25.1');
    assert.deepEqual(logged(index, last + 3), [
      'Deleted 2.25.1.1.2',
      'Deleted 2.25.1.1',
      'Deleted 2.25.1',
      'Deleted P1',
    ]);
    index.remove('PATIENT', 'P2');
    assert.deepEqual(logged(index, last + 7), [
      'Deleted 2.25.2.1.1',
      'Deleted 2.25.2.1',
      'Deleted 2.25.2',
      'Deleted P2',
    ]);
    index.close();
  });

  test('cleared, it numbers on; Stable* entries come from logChanges()', () => {
    const index = openSqliteIndex(':memory:');
    index.add([spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1')]);
    const last = index.lastChange()!.seq;
    index.clearChangeLog();
    assert.deepEqual(index.changeLog(0, 10), { entries: [], done: true });
    assert.equal(index.lastChange(), undefined);
    index.logChanges([{ type: 'StableSeries', level: 'SERIES', resource: '2.25.1.1' }]);
    const [entry] = index.changeLog(0, 10).entries;
    assert.equal(entry!.seq, last + 1);
    assert.deepEqual([entry!.type, entry!.level, entry!.resource], ['StableSeries', 'SERIES', '2.25.1.1']);
    // Again, with nothing new in between, then with something.
    index.clearChangeLog();
    index.clearChangeLog();
    assert.equal(index.lastChange(), undefined);
    index.add([spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.2')]);
    assert.deepEqual(
      index.changeLog(0, 10).entries.map((e) => [e.seq, e.resource]),
      [[last + 2, '2.25.1.1.2']],
    );
    index.close();
  });

  test('an index of schema version 1 gains the change log when opened', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dicomkit-index-'));
    try {
      const path = join(dir, 'index.sqlite');
      // What a version-1 dicomkit left: its tables, its migration row, one instance.
      const old = openSqliteIndex(path);
      old.add([spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1')]);
      old.close();
      const db = openDatabase(path);
      db.exec(
        'DROP TABLE changes; DROP TABLE change_log_state; ALTER TABLE patients DROP COLUMN protected; DELETE FROM migrations WHERE version >= 2;',
      );
      db.close();
      const index = openSqliteIndex(path);
      assert.equal(index.schemaVersion, 3);
      assert.equal(index.isProtected('P1'), false);
      assert.equal(index.has('2.25.1.1.1'), true);
      index.add([spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.2')]);
      assert.deepEqual(logged(index), ['NewInstance 2.25.1.1.2']);
      index.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQLite index: patients protected from recycling', () => {
  const spec = (patient: string, study: string, series: string, sop: string): StoredInstance =>
    instance({ ...SPECS[0]!, patient, study, series, sop });

  test("a protected patient's studies are never offered for recycling; deleting the patient ends it", () => {
    const index = openSqliteIndex(':memory:');
    index.add([spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1')]);
    index.add([spec('P2', '2.25.2', '2.25.2.1', '2.25.2.1.1')]);
    index.add([spec('P1', '2.25.3', '2.25.3.1', '2.25.3.1.1')]);
    assert.deepEqual(index.leastRecentStudies(10), ['2.25.1', '2.25.2', '2.25.3']);
    assert.equal(index.isProtected('P1'), false);
    assert.equal(index.setProtected('P1', true), true);
    assert.equal(index.isProtected('P1'), true);
    assert.deepEqual(index.leastRecentStudies(10), ['2.25.2']);
    assert.equal(index.setProtected('NOBODY', true), false);
    assert.equal(index.isProtected('NOBODY'), undefined);
    assert.equal(index.setProtected('P1', false), true);
    assert.deepEqual(index.leastRecentStudies(10), ['2.25.1', '2.25.2', '2.25.3']);
    // The mark is the patient row's: a patient deleted and stored again starts unprotected.
    index.setProtected('P2', true);
    index.remove('PATIENT', 'P2');
    index.add([spec('P2', '2.25.2', '2.25.2.1', '2.25.2.1.1')]);
    assert.equal(index.isProtected('P2'), false);
    index.close();
  });
});

describe('SQLite index: a hierarchy that contradicts the one indexed', () => {
  const spec = (patient: string, study: string, series: string, sop: string): StoredInstance =>
    instance({ ...SPECS[0]!, patient, study, series, sop });

  test('an instance naming another study for a known series, or another patient for a known study, is refused alone', () => {
    const index = openSqliteIndex(':memory:');
    index.add([
      spec('P1', '2.25.1', '2.25.1.1', '2.25.1.1.1'),
      spec('P2', '2.25.2', '2.25.2.1', '2.25.2.1.1'),
    ]);
    const series = spec('P1', '2.25.9', '2.25.1.1', '2.25.9.1.1');
    const patient = spec('P3', '2.25.1', '2.25.1.7', '2.25.1.7.1');
    assert.equal(index.conflict(series.header), 'series 2.25.1.1 is in study 2.25.1, not 2.25.9');
    assert.equal(
      index.conflict(patient.header),
      'study 2.25.1 belongs to another patient (Patient ID P1) than this instance (Patient ID P3)',
    );
    // In one batch with a good instance, and with a conflict made inside the batch itself.
    const fine = spec('P1', '2.25.1', '2.25.1.2', '2.25.1.2.1');
    const early = spec('P4', '2.25.4', '2.25.4.1', '2.25.4.1.1');
    const late = spec('P4', '2.25.5', '2.25.4.1', '2.25.5.1.1');
    const refused: string[] = [];
    const added = index.add([series, fine, patient, early, late], {
      onRefused: (i, e) => refused.push(`${i.header.string('SOPInstanceUID')}: ${e.message}`),
    });
    assert.equal(added, 2);
    assert.deepEqual(refused, [
      '2.25.9.1.1: series 2.25.1.1 is in study 2.25.1, not 2.25.9',
      '2.25.1.7.1: study 2.25.1 belongs to another patient (Patient ID P1) than this instance (Patient ID P3)',
      '2.25.5.1.1: series 2.25.4.1 is in study 2.25.4, not 2.25.5',
    ]);
    // Nothing moved or renamed.
    const studies = (patientId: string) =>
      [
        ...index.find({
          model: 'patient',
          level: 'STUDY',
          identifier: query({ PatientID: patientId, StudyInstanceUID: '' }),
          relational: true,
        }),
      ]
        .map((d) => d.string('StudyInstanceUID'))
        .sort();
    assert.deepEqual(studies('P1'), ['2.25.1']);
    assert.deepEqual(studies('P3'), []);
    assert.equal(index.has('2.25.9.1.1'), false);
    // Without onRefused the call fails whole.
    assert.throws(() => index.add([series]), /series 2\.25\.1\.1 is in study 2\.25\.1/);
    index.close();
  });
});

describe('SQLite index: long lists in identifiers', () => {
  test('UID lists of any length match (bound as one value past 200); other keys take 500 alternatives at most', () => {
    const index = openSqliteIndex(':memory:');
    index.add(SPECS.map(instance));
    const stored = [...new Set(SPECS.map((s) => s.study))].sort();
    const decoys = Array.from({ length: 50_000 }, (_, i) => `2.25.999.${i}`);
    const studies = (uids: string[]) =>
      [
        ...index.find({
          model: 'study',
          level: 'STUDY',
          identifier: query({ StudyInstanceUID: uids.join('\\') }),
        }),
      ]
        .map((d) => d.string('StudyInstanceUID'))
        .sort();
    assert.deepEqual(studies([...decoys, ...stored]), stored);
    assert.deepEqual(studies([stored[0]!, '2.25.999.1']), [stored[0]]);
    // C-MOVE and C-GET locate by the same lists.
    const sops = SPECS.map((s) => s.sop);
    const locate = new DataSet();
    locate.set('QueryRetrieveLevel', 'IMAGE');
    locate.set('StudyInstanceUID', SPECS[0]!.study);
    locate.set('SeriesInstanceUID', SPECS[0]!.series);
    locate.set('SOPInstanceUID', [...decoys, ...sops]);
    assert.deepEqual(
      index.locate('study', 'IMAGE', locate).map((l) => l.sopInstanceUid),
      SPECS.filter((s) => s.series === SPECS[0]!.series).map((s) => s.sop),
    );
    const names = Array.from({ length: 501 }, (_, i) => `Doe${i}*`).join('\\');
    assert.throws(
      () => [
        ...index.find({
          model: 'study',
          level: 'STUDY',
          identifier: query({ PatientName: names, StudyInstanceUID: '' }),
        }),
      ],
      /a key with 501 values: at most 500/,
    );
    index.close();
  });
});
