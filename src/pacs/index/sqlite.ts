import Database from 'better-sqlite3';
import { type Tag, vrInfo } from '../../core/index.ts';
import { tagOf } from '../../dictionary/index.ts';
import { EXPLICIT_LE } from '../../encoding/index.ts';
import { concatParts, DataSet, DataSetEncoder, readDataSet } from '../../object/index.ts';
import type {
  FindRequest,
  IndexStatistics,
  InstanceLocation,
  PacsIndex,
  QueryLevel,
  StoredInstance,
} from './types.ts';

/**
 * The PACS index on SQLite (better-sqlite3, WAL). Rows for patient, study, series and
 * instance carry the attributes Q/R matches on (PS3.4 §C.6); each instance also keeps its
 * header (explicit VR little endian, no pixel data) so any other key can be returned.
 * Matching is SQL over indexed columns (PS3.4 §C.2.2.2), never a scan in JavaScript.
 */

/** Numbered migrations: the index knows its version and upgrades in order. */
const MIGRATIONS: readonly string[] = [
  `CREATE TABLE patients (
     id INTEGER PRIMARY KEY,
     patient_key TEXT NOT NULL UNIQUE,
     patient_id TEXT NOT NULL, issuer TEXT NOT NULL, patient_name TEXT NOT NULL, patient_name_upper TEXT NOT NULL,
     birth_date TEXT NOT NULL, sex TEXT NOT NULL);
   CREATE TABLE studies (
     id INTEGER PRIMARY KEY,
     patient INTEGER NOT NULL REFERENCES patients(id) ON DELETE CASCADE,
     study_uid TEXT NOT NULL UNIQUE, study_date TEXT NOT NULL, study_time TEXT NOT NULL,
     accession TEXT NOT NULL, study_id TEXT NOT NULL, description TEXT NOT NULL,
     referring TEXT NOT NULL, referring_upper TEXT NOT NULL);
   CREATE TABLE series (
     id INTEGER PRIMARY KEY,
     study INTEGER NOT NULL REFERENCES studies(id) ON DELETE CASCADE,
     series_uid TEXT NOT NULL UNIQUE, modality TEXT NOT NULL, series_number TEXT NOT NULL,
     description TEXT NOT NULL, body_part TEXT NOT NULL);
   CREATE TABLE instances (
     id INTEGER PRIMARY KEY,
     series INTEGER NOT NULL REFERENCES series(id) ON DELETE CASCADE,
     sop_uid TEXT NOT NULL UNIQUE, sop_class TEXT NOT NULL, instance_number TEXT NOT NULL,
     path TEXT NOT NULL, size INTEGER NOT NULL, transfer_syntax TEXT NOT NULL,
     source_ae TEXT NOT NULL, received_at INTEGER NOT NULL, header BLOB NOT NULL);
   CREATE INDEX patients_id ON patients(patient_id);
   CREATE INDEX patients_name ON patients(patient_name_upper);
   CREATE INDEX studies_patient ON studies(patient);
   CREATE INDEX studies_date ON studies(study_date, study_time);
   CREATE INDEX studies_accession ON studies(accession);
   CREATE INDEX series_study ON series(study);
   CREATE INDEX series_modality ON series(modality);
   CREATE INDEX instances_series ON instances(series);`,
];

interface Column {
  level: QueryLevel;
  sql: string;
  /** Case-insensitive twin, for PN. */
  upper?: string;
  kind: 'text' | 'uid' | 'date' | 'time' | 'pn' | 'number';
}

/** Matching keys by tag: the attributes that have columns (PS3.4 C.6.1.1 / C.6.2.1). */
const COLUMNS = new Map<Tag, Column>([
  [tagOf('PatientID'), { level: 'PATIENT', sql: 'p.patient_id', kind: 'text' }],
  [tagOf('IssuerOfPatientID'), { level: 'PATIENT', sql: 'p.issuer', kind: 'text' }],
  [
    tagOf('PatientName'),
    { level: 'PATIENT', sql: 'p.patient_name', upper: 'p.patient_name_upper', kind: 'pn' },
  ],
  [tagOf('PatientBirthDate'), { level: 'PATIENT', sql: 'p.birth_date', kind: 'date' }],
  [tagOf('PatientSex'), { level: 'PATIENT', sql: 'p.sex', kind: 'text' }],
  [tagOf('StudyInstanceUID'), { level: 'STUDY', sql: 'st.study_uid', kind: 'uid' }],
  [tagOf('StudyDate'), { level: 'STUDY', sql: 'st.study_date', kind: 'date' }],
  [tagOf('StudyTime'), { level: 'STUDY', sql: 'st.study_time', kind: 'time' }],
  [tagOf('AccessionNumber'), { level: 'STUDY', sql: 'st.accession', kind: 'text' }],
  [tagOf('StudyID'), { level: 'STUDY', sql: 'st.study_id', kind: 'text' }],
  [tagOf('StudyDescription'), { level: 'STUDY', sql: 'st.description', kind: 'text' }],
  [
    tagOf('ReferringPhysicianName'),
    { level: 'STUDY', sql: 'st.referring', upper: 'st.referring_upper', kind: 'pn' },
  ],
  [tagOf('SeriesInstanceUID'), { level: 'SERIES', sql: 'se.series_uid', kind: 'uid' }],
  [tagOf('Modality'), { level: 'SERIES', sql: 'se.modality', kind: 'text' }],
  [tagOf('SeriesNumber'), { level: 'SERIES', sql: 'se.series_number', kind: 'number' }],
  [tagOf('SeriesDescription'), { level: 'SERIES', sql: 'se.description', kind: 'text' }],
  [tagOf('BodyPartExamined'), { level: 'SERIES', sql: 'se.body_part', kind: 'text' }],
  [tagOf('SOPInstanceUID'), { level: 'IMAGE', sql: 'i.sop_uid', kind: 'uid' }],
  [tagOf('SOPClassUID'), { level: 'IMAGE', sql: 'i.sop_class', kind: 'uid' }],
  [tagOf('InstanceNumber'), { level: 'IMAGE', sql: 'i.instance_number', kind: 'number' }],
]);

const DEPTH: Record<QueryLevel, number> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };
const SPECIFIC_CHARACTER_SET = 0x00080005;
const QUERY_RETRIEVE_LEVEL = 0x00080052;
const RETRIEVE_AE_TITLE = 0x00080054;
const MODALITIES_IN_STUDY = tagOf('ModalitiesInStudy');

/** Counts and lists derived from the rows below an entity (PS3.4 C.6.1.1.x optional keys). */
const DERIVED = new Map<Tag, { level: QueryLevel; sql: string; list?: boolean }>([
  [
    tagOf('NumberOfPatientRelatedStudies'),
    { level: 'PATIENT', sql: 'SELECT count(*) FROM studies WHERE patient = p.id' },
  ],
  [
    tagOf('NumberOfPatientRelatedSeries'),
    {
      level: 'PATIENT',
      sql: 'SELECT count(*) FROM series JOIN studies ON series.study = studies.id WHERE studies.patient = p.id',
    },
  ],
  [
    tagOf('NumberOfPatientRelatedInstances'),
    {
      level: 'PATIENT',
      sql: 'SELECT count(*) FROM instances JOIN series ON instances.series = series.id JOIN studies ON series.study = studies.id WHERE studies.patient = p.id',
    },
  ],
  [
    tagOf('NumberOfStudyRelatedSeries'),
    { level: 'STUDY', sql: 'SELECT count(*) FROM series WHERE study = st.id' },
  ],
  [
    tagOf('NumberOfStudyRelatedInstances'),
    {
      level: 'STUDY',
      sql: 'SELECT count(*) FROM instances JOIN series ON instances.series = series.id WHERE series.study = st.id',
    },
  ],
  [
    MODALITIES_IN_STUDY,
    {
      level: 'STUDY',
      sql: "SELECT group_concat(DISTINCT modality) FROM series WHERE study = st.id AND modality <> ''",
      list: true,
    },
  ],
  [
    tagOf('SOPClassesInStudy'),
    {
      level: 'STUDY',
      sql: 'SELECT group_concat(DISTINCT sop_class) FROM instances JOIN series ON instances.series = series.id WHERE series.study = st.id',
      list: true,
    },
  ],
  [
    tagOf('NumberOfSeriesRelatedInstances'),
    { level: 'SERIES', sql: 'SELECT count(*) FROM instances WHERE series = se.id' },
  ],
]);

export interface SqliteIndexOptions {
  /** RetrieveAETitle (0008,0054) in responses. */
  retrieveAeTitle?: string;
}

function text(ds: DataSet, keyword: string): string {
  return ds.string(tagOf(keyword as never))?.trim() ?? '';
}

/** TM as HHMMSS.FFFFFF so that strings sort as times do (PS3.5 §6.2: TM may omit trailing parts). */
function normaliseTime(value: string): string {
  const t = value.replace(/:/g, '').trim();
  if (t === '') return '';
  const [whole = '', fraction = ''] = t.split('.');
  return `${whole.padEnd(6, '0')}.${fraction.padEnd(6, '0')}`;
}

/** The last instant a partial upper bound covers: '1230' is up to 12:30:59.999999. */
function upperTime(value: string): string {
  const [whole = '', fraction = ''] = value.replace(/:/g, '').trim().split('.');
  const padded = whole.length <= 2 ? `${whole.padEnd(2, '9')}5959` : whole.length <= 4 ? `${whole}59` : whole;
  return `${padded}.${fraction.padEnd(6, '9')}`;
}

function upper(value: string): string {
  return value.toUpperCase();
}

/** Escapes a GLOB pattern's own metacharacters, then maps DICOM's * and ? (PS3.4 §C.2.2.2.4). */
function globPattern(value: string): string {
  return value.replace(/[[\]]/g, (c) => `[${c}]`);
}

export function openSqliteIndex(path: string, options: SqliteIndexOptions = {}): PacsIndex {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  migrate(db);
  const retrieveAeTitle = options.retrieveAeTitle;

  const insertPatient = db.prepare(
    `INSERT INTO patients (patient_key, patient_id, issuer, patient_name, patient_name_upper, birth_date, sex)
     VALUES (?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(patient_key) DO UPDATE SET patient_name = excluded.patient_name,
       patient_name_upper = excluded.patient_name_upper, birth_date = excluded.birth_date, sex = excluded.sex
     RETURNING id`,
  );
  const insertStudy = db.prepare(
    `INSERT INTO studies (patient, study_uid, study_date, study_time, accession, study_id, description, referring, referring_upper)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT(study_uid) DO UPDATE SET study_uid = excluded.study_uid RETURNING id`,
  );
  const insertSeries = db.prepare(
    `INSERT INTO series (study, series_uid, modality, series_number, description, body_part)
     VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(series_uid) DO UPDATE SET series_uid = excluded.series_uid RETURNING id`,
  );
  const existing = db.prepare('SELECT id FROM instances WHERE sop_uid = ?');
  const deleteInstance = db.prepare('DELETE FROM instances WHERE sop_uid = ?');
  const insertInstance = db.prepare(
    `INSERT INTO instances (series, sop_uid, sop_class, instance_number, path, size, transfer_syntax, source_ae, received_at, header)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );

  const addBatch = db.transaction((instances: readonly StoredInstance[], replace: boolean): number => {
    let added = 0;
    for (const instance of instances) {
      const h = instance.header;
      const sopUid = text(h, 'SOPInstanceUID');
      if (existing.get(sopUid)) {
        if (!replace) continue;
        deleteInstance.run(sopUid);
      } else {
        added++;
      }
      const patientId = text(h, 'PatientID');
      const issuer = text(h, 'IssuerOfPatientID');
      const name = text(h, 'PatientName');
      // Patient identity: Patient ID with its issuer (PS3.3 C.7.1.1); no ID at all means one
      // patient per study, so unrelated anonymous studies are not merged.
      const patientKey = patientId ? `${issuer}\u0000${patientId}` : `\u0001${text(h, 'StudyInstanceUID')}`;
      const patient = insertPatient.get(
        patientKey,
        patientId,
        issuer,
        name,
        upper(name),
        text(h, 'PatientBirthDate'),
        text(h, 'PatientSex'),
      ) as { id: number };
      const referring = text(h, 'ReferringPhysicianName');
      const study = insertStudy.get(
        patient.id,
        text(h, 'StudyInstanceUID'),
        text(h, 'StudyDate'),
        normaliseTime(text(h, 'StudyTime')),
        text(h, 'AccessionNumber'),
        text(h, 'StudyID'),
        text(h, 'StudyDescription'),
        referring,
        upper(referring),
      ) as { id: number };
      const series = insertSeries.get(
        study.id,
        text(h, 'SeriesInstanceUID'),
        text(h, 'Modality'),
        text(h, 'SeriesNumber'),
        text(h, 'SeriesDescription'),
        text(h, 'BodyPartExamined'),
      ) as { id: number };
      insertInstance.run(
        series.id,
        sopUid,
        text(h, 'SOPClassUID'),
        text(h, 'InstanceNumber'),
        instance.path,
        instance.size,
        instance.transferSyntax,
        instance.sourceAeTitle ?? '',
        instance.receivedAt,
        encodeHeader(h),
      );
    }
    return added;
  });

  const index: PacsIndex = {
    add(instances, addOptions = {}) {
      return addBatch(instances, addOptions.replace ?? false);
    },
    has(sopInstanceUid) {
      return existing.get(sopInstanceUid) !== undefined;
    },
    *find(request) {
      const { sql, params } = buildFind(
        sequenceKeys(request.identifier).length > 0 ? { ...request, limit: undefined } : request,
      );
      const rows = db.prepare(sql).iterate(...params) as IterableIterator<Record<string, unknown>>;
      const keys = sequenceKeys(request.identifier);
      const caseInsensitive = request.caseInsensitivePN ?? true;
      let yielded = 0;
      for (const row of rows) {
        if (keys.length > 0) {
          if (
            !sequencesMatch(
              request.identifier,
              keys,
              representativeHeader(db, request.level, row),
              caseInsensitive,
            )
          )
            continue;
        }
        yield responseFor(db, request, row, retrieveAeTitle);
        if (request.limit && ++yielded >= request.limit) return;
      }
    },
    locate(model, level, identifier) {
      const { where, params } = conditions({ model, level, identifier, caseInsensitivePN: false }, 'IMAGE');
      const rows = db
        .prepare(
          `SELECT i.sop_uid, i.sop_class, st.study_uid, se.series_uid, i.path, i.transfer_syntax, i.size
           FROM instances i JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id
           JOIN patients p ON st.patient = p.id ${where} ORDER BY st.study_uid, se.series_uid, CAST(i.instance_number AS INTEGER), i.sop_uid`,
        )
        .all(...params) as Record<string, string | number>[];
      return rows.map(location);
    },
    remove(level, uid) {
      const column = {
        PATIENT: 'p.patient_id',
        STUDY: 'st.study_uid',
        SERIES: 'se.series_uid',
        IMAGE: 'i.sop_uid',
      }[level];
      const removed = (
        db
          .prepare(
            `SELECT i.sop_uid, i.sop_class, st.study_uid, se.series_uid, i.path, i.transfer_syntax, i.size
             FROM instances i JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id
             JOIN patients p ON st.patient = p.id WHERE ${column} = ?`,
          )
          .all(uid) as Record<string, string | number>[]
      ).map(location);
      db.transaction(() => {
        for (const r of removed) deleteInstance.run(r.sopInstanceUid);
        // Entities left without instances go too.
        db.exec('DELETE FROM series WHERE id NOT IN (SELECT DISTINCT series FROM instances)');
        db.exec('DELETE FROM studies WHERE id NOT IN (SELECT DISTINCT study FROM series)');
        db.exec('DELETE FROM patients WHERE id NOT IN (SELECT DISTINCT patient FROM studies)');
      })();
      return removed;
    },
    *paths() {
      for (const row of db.prepare('SELECT path FROM instances').iterate() as IterableIterator<{
        path: string;
      }>) {
        yield row.path;
      }
    },
    statistics(): IndexStatistics {
      const count = (table: string): number =>
        (db.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number }).n;
      const bytes = (db.prepare('SELECT coalesce(sum(size), 0) AS n FROM instances').get() as { n: number })
        .n;
      return {
        patients: count('patients'),
        studies: count('studies'),
        series: count('series'),
        instances: count('instances'),
        bytes,
      };
    },
    close() {
      db.close();
    },
  };
  return index;
}

function migrate(db: Database.Database): void {
  db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)');
  const row = db.prepare('SELECT max(version) AS v FROM migrations').get() as { v: number | null };
  const current = row.v ?? 0;
  for (let version = current + 1; version <= MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(MIGRATIONS[version - 1]!);
      db.prepare('INSERT INTO migrations (version, applied_at) VALUES (?, ?)').run(
        version,
        new Date().toISOString(),
      );
    })();
  }
}

function encodeHeader(header: DataSet): Uint8Array {
  const copy = new DataSet();
  for (const element of header) if (element.tag < 0x7fe00000) copy.add(element);
  return concatParts(new DataSetEncoder().encode(copy, EXPLICIT_LE));
}

function location(row: Record<string, string | number>): InstanceLocation {
  return {
    sopInstanceUid: row.sop_uid as string,
    sopClassUid: row.sop_class as string,
    studyInstanceUid: row.study_uid as string,
    seriesInstanceUid: row.series_uid as string,
    path: row.path as string,
    transferSyntax: row.transfer_syntax as string,
    size: row.size as number,
  };
}

/** WHERE clause for the identifier's keys down to `level` (PS3.4 §C.2.2.2 matching types). */
function conditions(request: FindRequest, level: QueryLevel): { where: string; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const { identifier } = request;
  const caseInsensitive = request.caseInsensitivePN ?? true;
  const dateRange = identifier.string('StudyDate')?.trim() ?? '';
  const timeRange = identifier.string('StudyTime')?.trim() ?? '';
  const combined = dateRange.includes('-') && timeRange.includes('-');
  for (const tag of identifier.tags()) {
    const column = COLUMNS.get(tag);
    if (!column || DEPTH[column.level] > DEPTH[level]) {
      if (tag === MODALITIES_IN_STUDY && DEPTH.STUDY <= DEPTH[level]) {
        const wanted = (identifier.strings(tag) ?? []).map((v) => v.trim()).filter(Boolean);
        if (wanted.length > 0) {
          clauses.push(
            `EXISTS (SELECT 1 FROM series m WHERE m.study = st.id AND m.modality IN (${wanted.map(() => '?').join(',')}))`,
          );
          params.push(...wanted);
        }
      }
      continue;
    }
    const raw = identifier.string(tag) ?? '';
    const value = raw.trim();
    if (value === '' || value === '*') continue; // universal matching
    if (
      combined &&
      (column.kind === 'date' || column.kind === 'time') &&
      column.sql.startsWith('st.study_')
    ) {
      if (column.kind === 'time') continue; // handled with the date (PS3.4 §C.2.2.2.5.1)
      const [dLo = '', dHi = ''] = dateRange.split('-');
      const [tLo = '', tHi = ''] = timeRange.split('-').map(normaliseTime);
      if (dLo) {
        clauses.push('(st.study_date > ? OR (st.study_date = ? AND st.study_time >= ?))');
        params.push(dLo, dLo, tLo);
      }
      if (dHi) {
        clauses.push('(st.study_date < ? OR (st.study_date = ? AND st.study_time <= ?))');
        params.push(dHi, dHi, tHi ? upperTime(timeRange.split('-')[1]!) : '999999.999999');
      }
      continue;
    }
    if (column.kind === 'uid') {
      // List of UID matching (PS3.4 §C.2.2.2.2): every value of the element.
      const list = (identifier.strings(tag) ?? []).map((v) => v.trim()).filter(Boolean);
      clauses.push(
        list.length === 1 ? `${column.sql} = ?` : `${column.sql} IN (${list.map(() => '?').join(',')})`,
      );
      params.push(...list);
      continue;
    }
    if ((column.kind === 'date' || column.kind === 'time') && value.includes('-')) {
      const norm = column.kind === 'time' ? normaliseTime : (v: string) => v;
      const [lo = '', hi = ''] = value.split('-');
      if (lo) {
        clauses.push(`${column.sql} >= ?`);
        params.push(norm(lo));
      }
      if (hi) {
        clauses.push(`${column.sql} <= ?`);
        params.push(column.kind === 'time' ? upperTime(hi) : hi);
        clauses.push(`${column.sql} <> ''`);
      }
      continue;
    }
    if (column.kind === 'time') {
      clauses.push(`${column.sql} = ?`);
      params.push(normaliseTime(value));
      continue;
    }
    const useUpper = column.kind === 'pn' && caseInsensitive && column.upper;
    const target = useUpper ? column.upper! : column.sql;
    const pattern = useUpper ? upper(value) : value;
    if (/[*?]/.test(value)) {
      clauses.push(`${target} GLOB ?`);
      params.push(globPattern(pattern));
    } else {
      clauses.push(`${target} = ?`);
      params.push(pattern);
    }
  }
  return { where: clauses.length > 0 ? `WHERE ${clauses.join(' AND ')}` : '', params };
}

function buildFind(request: FindRequest): { sql: string; params: unknown[] } {
  const { where, params } = conditions(request, request.level);
  const select: Record<QueryLevel, string> = {
    PATIENT: 'SELECT p.*, p.id AS pid FROM patients p',
    STUDY:
      'SELECT p.*, st.*, p.id AS pid, st.id AS stid FROM studies st JOIN patients p ON st.patient = p.id',
    SERIES:
      'SELECT p.*, st.*, se.*, p.id AS pid, st.id AS stid, se.id AS seid FROM series se JOIN studies st ON se.study = st.id JOIN patients p ON st.patient = p.id',
    IMAGE:
      'SELECT p.*, st.*, se.*, i.sop_uid, i.sop_class, i.instance_number, i.header, p.id AS pid, st.id AS stid, se.id AS seid FROM instances i JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id JOIN patients p ON st.patient = p.id',
  };
  const order: Record<QueryLevel, string> = {
    PATIENT: 'ORDER BY p.patient_name, p.patient_id',
    STUDY: 'ORDER BY st.study_date, st.study_time, st.study_uid',
    SERIES: 'ORDER BY CAST(se.series_number AS INTEGER), se.series_uid',
    IMAGE: 'ORDER BY CAST(i.instance_number AS INTEGER), i.sop_uid',
  };
  const limit = request.limit ? ` LIMIT ${Math.max(1, Math.floor(request.limit))}` : '';
  return { sql: `${select[request.level]} ${where} ${order[request.level]}${limit}`, params };
}

/** The header of the first instance below a matched entity (the row's own at IMAGE level). */
function representativeHeader(
  db: Database.Database,
  level: QueryLevel,
  row: Record<string, unknown>,
): DataSet | undefined {
  const blob =
    (row.header as Uint8Array | undefined) ??
    (
      db
        .prepare(
          `SELECT i.header FROM instances i JOIN series se ON i.series = se.id JOIN studies st ON se.study = st.id
           WHERE ${level === 'PATIENT' ? 'st.patient = ?' : level === 'STUDY' ? 'st.id = ?' : 'se.id = ?'} LIMIT 1`,
        )
        .get(level === 'PATIENT' ? row.pid : level === 'STUDY' ? row.stid : row.seid) as
        | { header: Uint8Array }
        | undefined
    )?.header;
  return blob ? readDataSet(new Uint8Array(blob), EXPLICIT_LE) : undefined;
}

/** Sequence keys of the identifier that carry matching keys in their item (PS3.4 §C.2.2.2.6). */
function sequenceKeys(identifier: DataSet): Tag[] {
  return identifier.tags().filter((tag) => {
    const item = identifier.sequence(tag)?.[0];
    return item?.tags().some((t) => (item.strings(t) ?? []).some((v) => v.trim() !== ''));
  });
}

function valueMatches(wanted: string[], have: string[], vr: string, caseInsensitive: boolean): boolean {
  const norm = (v: string) => (vr === 'PN' && caseInsensitive ? v.trim().toUpperCase() : v.trim());
  const values = have.map(norm);
  return wanted.some((w) => {
    const pattern = norm(w);
    if (pattern === '' || pattern === '*') return true;
    if (/[*?]/.test(pattern)) {
      const re = new RegExp(
        `^${pattern
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*/g, '.*')
          .replace(/\?/g, '.')}$`,
        's',
      );
      return values.some((v) => re.test(v));
    }
    return values.includes(pattern);
  });
}

/** An item of the stored sequence that matches every key of the query item. */
function matchingItems(query: DataSet, stored: DataSet[] | undefined, caseInsensitive: boolean): DataSet[] {
  return (stored ?? []).filter((item) =>
    query.tags().every((tag) => {
      const wanted = query.strings(tag) ?? [];
      if (wanted.every((w) => w.trim() === '')) return true;
      const element = query.element(tag)!;
      return valueMatches(wanted, item.strings(tag) ?? [], element.vr, caseInsensitive);
    }),
  );
}

/**
 * Sequence matching (PS3.4 §C.2.2.2.6) on the entity's stored header: the SQL filter has
 * already applied every other key, so this runs on candidates only.
 */
function sequencesMatch(
  identifier: DataSet,
  keys: Tag[],
  header: DataSet | undefined,
  caseInsensitive: boolean,
): boolean {
  if (!header) return false;
  return keys.every(
    (tag) => matchingItems(identifier.sequence(tag)![0]!, header.sequence(tag), caseInsensitive).length > 0,
  );
}

/** A response identifier: exactly the requested keys, plus the three the standard adds. */
function responseFor(
  db: Database.Database,
  request: FindRequest,
  row: Record<string, unknown>,
  retrieveAeTitle: string | undefined,
): DataSet {
  const response = new DataSet();
  // Values are stored as Unicode: answer in UTF-8 (PS3.5 §6.1.2.5.3, ISO_IR 192).
  response.set(SPECIFIC_CHARACTER_SET, 'ISO_IR 192');
  response.set(QUERY_RETRIEVE_LEVEL, request.level);
  if (retrieveAeTitle) response.set(RETRIEVE_AE_TITLE, retrieveAeTitle);
  let header: DataSet | undefined;
  const headerOf = (): DataSet | undefined => {
    header ??= representativeHeader(db, request.level, row);
    return header;
  };
  for (const tag of request.identifier.tags()) {
    if (tag === SPECIFIC_CHARACTER_SET || tag === QUERY_RETRIEVE_LEVEL || tag === RETRIEVE_AE_TITLE) continue;
    const asked = request.identifier.element(tag)!;
    const column = COLUMNS.get(tag);
    if (column && DEPTH[column.level] <= DEPTH[request.level]) {
      const name = column.sql.split('.')[1]!;
      let value = String(row[name] ?? '');
      if (column.kind === 'time' && value) value = value.replace(/\.?0*$/, '').replace(/^(\d{6})$/, '$1');
      response.set(tag, value === '' ? undefined : value, asked.vr === 'UN' ? undefined : asked.vr);
      continue;
    }
    const derived = DERIVED.get(tag);
    if (derived && DEPTH[derived.level] <= DEPTH[request.level]) {
      const scope = derived.level === 'PATIENT' ? 'p.id' : derived.level === 'STUDY' ? 'st.id' : 'se.id';
      const id = derived.level === 'PATIENT' ? row.pid : derived.level === 'STUDY' ? row.stid : row.seid;
      const sql = derived.sql.replace(new RegExp(`\\b${scope.replace('.', '\\.')}\\b`, 'g'), '?');
      const result = (db.prepare(`SELECT (${sql}) AS v`).get(id) as { v: unknown }).v;
      const value = derived.list
        ? String(result ?? '')
            .split(',')
            .filter(Boolean)
        : [Number(result ?? 0)];
      response.set(
        tag,
        value.length > 0 ? (derived.list ? (value as string[]) : String(value[0])) : undefined,
      );
      continue;
    }
    const source = headerOf();
    const fromHeader = source?.element(tag);
    if (asked.vr === 'SQ') {
      const query = request.identifier.sequence(tag)?.[0] ?? new DataSet();
      const items = matchingItems(query, source?.sequence(tag), request.caseInsensitivePN ?? true).map(
        (item) => {
          const out = new DataSet(response);
          for (const key of query.tags()) {
            const values = item.values(key);
            const vr = item.element(key)?.vr ?? query.element(key)!.vr;
            if (values === undefined) out.set(key, undefined, vr);
            else if (vrInfo(vr).usesCharset) out.set(key, values as string[], vr);
            else out.add(item.element(key)!);
          }
          return out;
        },
      );
      response.set(tag, items, 'SQ');
      continue;
    }
    if (fromHeader && vrInfo(fromHeader.vr).usesCharset) {
      // Re-encoded: the header's character set may differ from the response's UTF-8.
      response.set(tag, source!.values(tag) as string[], fromHeader.vr);
    } else if (fromHeader) {
      response.add(fromHeader);
    } else {
      response.set(tag, undefined, asked.vr === 'UN' ? undefined : asked.vr);
    }
  }
  return response;
}
