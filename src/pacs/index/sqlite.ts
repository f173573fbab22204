import { existsSync } from 'node:fs';
import { DicomError } from '../../core/index.ts';
import type { DataSet } from '../../object/index.ts';
import { attributeColumns, DEPTH, TABLES } from './catalogue.ts';
import {
  ATTRIBUTE_COUNT,
  type Change,
  Changes,
  ENTITY_LEVELS,
  ENTITY_STATEMENTS,
  type EntityLevel,
  MODALITY_COLUMN,
  mergeList,
  SOP_CLASS_COLUMN,
  sameValues,
} from './changes.ts';
import { BackgroundCheckpoints } from './checkpoints.ts';
import { type SqlDialect, type SqlValue, sqliteDialect } from './dialect.ts';
import { type FindPlan, fromClause, ORDER, planFind, planLocate } from './query.ts';
import { buildResponse } from './response.ts';
import {
  decodeHeader,
  encodeHeader,
  type InstanceKeys,
  instanceKeys,
  levelValues,
  patientKey,
} from './rows.ts';
import { MIGRATIONS, MIGRATIONS_TABLE } from './schema.ts';
import { openDatabase, type SqliteDatabase, type SqliteStatement } from './sqlite-driver.ts';
import type {
  ChangeLogEntry,
  FindRequest,
  IndexStatistics,
  InstanceLocation,
  NewChangeLogEntry,
  PacsIndex,
  QueryLevel,
  QueryModel,
  StoredInstance,
} from './types.ts';

/**
 * The PACS index on SQLite (better-sqlite3): WAL journal, synchronous=NORMAL (a commit is
 * durable once the WAL is synced at checkpoint; a power cut may lose the last commits but
 * never corrupts, and the file store, the source of truth, re-indexes them), checkpoints on
 * a worker thread (checkpoints.ts) within ~100 ms of a commit, foreign keys, a busy timeout
 * for other processes (e.g. `dicomkit pacs --reindex` beside a server).
 *
 * Writes: add() and remove() run in one IMMEDIATE transaction each; the PACS batches the rows
 * of concurrent associations into one add(). Derived attributes (counts, ModalitiesInStudy,
 * SOPClassesInStudy) and the entity attributes are written once per touched entity per
 * transaction (changes.ts): incrementally when instances were only added, so an insert costs
 * the same in a study of ten instances as in one of ten thousand; recomputed from the rows
 * below when the entity lost instances (removals, replaced duplicates). Entity attributes
 * follow the most recently indexed instance of the entity ("latest wins"), which is also the
 * one whose header answers the keys without a column; a column is rewritten only when its
 * value changes.
 * A series keeps the study it was first indexed in, and a study its patient, even when a
 * later instance names other parents.
 *
 * Reads: find() selects the matching ids in one statement, then reads rows in chunks, so no
 * statement stays open while the caller awaits between responses (better-sqlite3 refuses
 * writes on a connection with an open iterator).
 */

export interface SqliteIndexOptions {
  /** Retrieve AE Title (0008,0054) of C-FIND responses: the PACS's own AE title. Default empty. */
  retrieveAeTitle?: string;
  /** How long a statement waits for another process's lock, in ms. Default 5000. */
  busyTimeoutMs?: number;
  /** SQLite page cache, in KiB. Default 65536 (64 MiB). */
  cacheSizeKiB?: number;
  /**
   * Checkpoint the WAL on a worker thread (checkpoints.ts) instead of in the commit that fills
   * it. Default true; SQLite's automatic checkpoints when false or when the worker fails.
   */
  backgroundCheckpoints?: boolean;
  /** Told when the checkpoint worker fails (the index then checkpoints as SQLite does). */
  onCheckpointFailure?: (error: Error) => void;
}

export interface SqliteIndex extends PacsIndex {
  readonly path: string;
  /** The highest applied migration. */
  readonly schemaVersion: number;
  /** Refreshes the planner's statistics (PRAGMA optimize); worth calling after a bulk load. */
  optimize(): void;
  /** Whether the checkpoint worker runs, and the checkpoints it has made. */
  readonly backgroundCheckpoints: { running: boolean; checkpoints: number; restarts: number };
}

export function openSqliteIndex(path: string, options: SqliteIndexOptions = {}): SqliteIndex {
  return new SqlitePacsIndex(path, options);
}

/**
 * The newest change log sequence number of the index at `path` (0 when it has none), read
 * without changing it: what an index rebuilt in its place numbers on from. Throws when the
 * file is not a readable index.
 */
export function lastChangeSeqOf(path: string): number {
  return readOldIndex(
    path,
    (db) => (db.prepare('SELECT max(seq) FROM changes').pluck().get() as number | null) ?? 0,
    0,
  );
}

/**
 * The Patient IDs protected from recycling in the index at `path`, read without changing it:
 * what files cannot tell an index rebuilt in its place. Throws when the file is not a
 * readable index; an index from before migration 3 has none.
 */
export function protectedPatientsOf(path: string): string[] {
  return readOldIndex(
    path,
    (db) => {
      const columns = db.prepare('PRAGMA table_info(patients)').all() as { name: string }[];
      if (!columns.some((c) => c.name === 'protected')) return [];
      return db.prepare('SELECT patient_id FROM patients WHERE protected = 1').pluck().all() as string[];
    },
    [],
  );
}

function readOldIndex<T>(path: string, read: (db: SqliteDatabase) => T, absent: T): T {
  if (!existsSync(path)) return absent;
  const db = openDatabase(path, { readonly: true, fileMustExist: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

/** Applies the pending migrations; returns the schema version. Exported for tests. */
export function migrate(db: SqliteDatabase, dialect: SqlDialect = sqliteDialect): number {
  db.exec(MIGRATIONS_TABLE(dialect));
  const version = (): number =>
    (db.prepare('SELECT max(version) AS v FROM migrations').get() as { v: number | null }).v ?? 0;
  const latest = MIGRATIONS[MIGRATIONS.length - 1]?.version ?? 0;
  if (version() > latest) {
    throw new DicomError(
      'ERR_IO',
      `the index has schema version ${version()}, newer than this dicomkit knows (${latest})`,
    );
  }
  for (const migration of MIGRATIONS) {
    db.transaction(() => {
      // Checked again inside the lock: another process may have applied it meanwhile.
      if (version() >= migration.version) return;
      for (const statement of migration.statements(dialect)) db.exec(statement);
      db.prepare('INSERT INTO migrations (version, description, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.description,
        new Date().toISOString(),
      );
    }).immediate();
  }
  return version();
}

/** Rows read per statement while answering a C-FIND. */
const CHUNK = 200;
const STATEMENT_CACHE = 256;

type Row = Record<string, unknown>;
interface Ancestors {
  series: number;
  study: number;
  patient: number;
}
interface Prepared {
  instance: StoredInstance;
  keys: InstanceKeys;
}

/** A patient key (see `patientKey`) as a person reads it. */
function describePatientKey(key: string): string {
  if (key.startsWith('\u0001')) return 'no Patient ID';
  const [id, issuer] = key.split('\u0000');
  return issuer ? `Patient ID ${id}, issuer ${issuer}` : `Patient ID ${id}`;
}

/** The column naming each entity (the resource of its change log entries). */
const UID_COLUMN: Record<EntityLevel, string> = {
  PATIENT: 'patient_id',
  STUDY: 'study_instance_uid',
  SERIES: 'series_instance_uid',
};

/** Change log rows not hidden by clearChangeLog() (see migration 2). */
const VISIBLE = 'seq > (SELECT cleared_through FROM change_log_state)';

interface ChangeRow {
  seq: number;
  change_type: ChangeLogEntry['type'];
  level: ChangeLogEntry['level'];
  resource: string;
  at: number;
}

function changeEntry(row: ChangeRow): ChangeLogEntry {
  return { seq: row.seq, type: row.change_type, level: row.level, resource: row.resource, at: row.at };
}

const LOCATION_COLUMNS =
  'i.sop_instance_uid, i.sop_class_uid, st.study_instance_uid, se.series_instance_uid, i.path, i.transfer_syntax_uid, i.size, i.source_ae_title, i.received_at';

function location(row: Row): InstanceLocation {
  return {
    sopInstanceUid: row.sop_instance_uid as string,
    sopClassUid: row.sop_class_uid as string,
    studyInstanceUid: row.study_instance_uid as string,
    seriesInstanceUid: row.series_instance_uid as string,
    path: row.path as string,
    transferSyntax: row.transfer_syntax_uid as string,
    size: row.size as number,
    sourceAeTitle: (row.source_ae_title as string | null) ?? '',
    receivedAt: row.received_at as number,
  };
}

const IMAGE_COLUMNS = attributeColumns('IMAGE');
const INSERT_INSTANCE = `INSERT INTO instances (series, ${IMAGE_COLUMNS.join(', ')}, path, size, transfer_syntax_uid, source_ae_title, received_at)
  VALUES (${Array(IMAGE_COLUMNS.length + 6)
    .fill('?')
    .join(', ')})`;
const PATIENT_COLUMNS = attributeColumns('PATIENT');
const INSERT_PATIENT = `INSERT INTO patients (patient_key, ${PATIENT_COLUMNS.join(', ')}) VALUES (?, ${PATIENT_COLUMNS.map(() => '?').join(', ')})`;

/** SQLite's default wal_autocheckpoint, restored if the checkpoint worker fails. */
const SQLITE_AUTOCHECKPOINT_PAGES = 1000;

class SqlitePacsIndex implements SqliteIndex {
  readonly path: string;
  readonly schemaVersion: number;
  readonly #db: SqliteDatabase;
  readonly #dialect = sqliteDialect;
  readonly #retrieveAeTitle: string;
  readonly #statements = new Map<string, SqliteStatement>();
  readonly #checkpoints: BackgroundCheckpoints | undefined;

  constructor(path: string, options: SqliteIndexOptions) {
    this.path = path;
    this.#retrieveAeTitle = options.retrieveAeTitle ?? '';
    const db = openDatabase(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      const busyTimeoutMs = Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000));
      db.pragma(`busy_timeout = ${busyTimeoutMs}`);
      db.pragma(`cache_size = -${Math.max(2048, Math.floor(options.cacheSizeKiB ?? 65536))}`);
      db.pragma('temp_store = MEMORY');
      this.schemaVersion = migrate(db, this.#dialect);
      if ((options.backgroundCheckpoints ?? true) && !db.memory) {
        this.#checkpoints = new BackgroundCheckpoints(path, {
          // A RESTART holds new writers back while it waits: never for long.
          busyTimeoutMs: Math.min(1000, busyTimeoutMs),
          onFailure: (error) => {
            if (db.open) db.pragma(`wal_autocheckpoint = ${SQLITE_AUTOCHECKPOINT_PAGES}`);
            options.onCheckpointFailure?.(error);
          },
        });
        db.pragma('wal_autocheckpoint = 0');
      }
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
  }

  /** Checkpoints the worker has run (zeros without one): for tests. */
  get backgroundCheckpoints(): { running: boolean; checkpoints: number; restarts: number } {
    return {
      running: this.#checkpoints?.running ?? false,
      ...(this.#checkpoints?.counts ?? { checkpoints: 0, restarts: 0 }),
    };
  }

  /** Runs `write` in an IMMEDIATE transaction; once committed, the checkpoint worker hears of it. */
  #writing<T>(write: () => T): T {
    const result = this.#db.transaction(write).immediate();
    this.#checkpoints?.committed();
    return result;
  }

  #stmt(sql: string): SqliteStatement {
    let statement = this.#statements.get(sql);
    if (!statement) {
      if (this.#statements.size >= STATEMENT_CACHE) this.#statements.clear();
      statement = this.#db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }

  // -------------------------------------------------------------------------------------
  // Writes

  add(
    instances: readonly StoredInstance[],
    options: { replace?: boolean; onRefused?: (instance: StoredInstance, error: DicomError) => void } = {},
  ): number {
    // Every instance is checked before anything is written.
    const prepared: Prepared[] = instances.map((instance) => ({
      instance,
      keys: instanceKeys(instance.header),
    }));
    const replace = options.replace ?? false;
    return this.#writing(() => this.#addAll(prepared, replace, options.onRefused));
  }

  conflict(header: DataSet): string | undefined {
    const keys = instanceKeys(header);
    const identity = patientKey(header);
    const series = this.#stmt(
      `SELECT st.study_instance_uid AS study, p.patient_key AS patient FROM series se
       JOIN studies st ON st.id = se.study JOIN patients p ON p.id = st.patient WHERE se.series_instance_uid = ?`,
    ).get(keys.seriesInstanceUid) as { study: string; patient: string } | undefined;
    if (series && series.study !== keys.studyInstanceUid) {
      return `series ${keys.seriesInstanceUid} is in study ${series.study}, not ${keys.studyInstanceUid}`;
    }
    const study =
      series ??
      (this.#stmt(
        `SELECT st.study_instance_uid AS study, p.patient_key AS patient FROM studies st
         JOIN patients p ON p.id = st.patient WHERE st.study_instance_uid = ?`,
      ).get(keys.studyInstanceUid) as { study: string; patient: string } | undefined);
    if (study && study.patient !== identity) {
      return `study ${keys.studyInstanceUid} belongs to another patient (${describePatientKey(study.patient)}) than this instance (${describePatientKey(identity)})`;
    }
    return undefined;
  }

  #addAll(
    prepared: readonly Prepared[],
    replace: boolean,
    onRefused: ((instance: StoredInstance, error: DicomError) => void) | undefined,
  ): number {
    const changes = new Changes();
    const cache = new Map<string, Ancestors>();
    const insertInstance = this.#stmt(INSERT_INSTANCE);
    const insertHeader = this.#stmt('INSERT INTO instance_headers (instance, header) VALUES (?, ?)');
    const existing = this.#stmt('SELECT id, series FROM instances WHERE sop_instance_uid = ?');
    const deleteInstance = this.#stmt('DELETE FROM instances WHERE id = ?');
    let added = 0;
    for (const { instance, keys } of prepared) {
      const header = instance.header;
      const old = existing.get(keys.sopInstanceUid) as { id: number; series: number } | undefined;
      if (old && !replace) continue;
      // Checked before anything of this instance is written; rows of earlier instances of
      // the batch are seen (same transaction).
      const conflict = this.conflict(header);
      if (conflict !== undefined) {
        const error = new DicomError('ERR_INVALID_VALUE', conflict);
        // Without someone to tell, the whole transaction fails rather than drop it silently.
        if (!onRefused) throw error;
        onRefused(instance, error);
        continue;
      }
      if (old) {
        // Counts go down: the old instance's series, study and patient are recomputed.
        const ancestors = this.#ancestors(old.series);
        if (ancestors) changes.lost(ancestors);
        deleteInstance.run(old.id);
      }
      const ids = this.#resolveSeries(keys, header, cache, changes);
      const values = levelValues('IMAGE', header);
      const id = insertInstance.run(
        ids.series,
        ...values,
        instance.path,
        instance.size,
        instance.transferSyntax,
        instance.sourceAeTitle ?? '',
        instance.receivedAt,
      ).lastInsertRowid;
      insertHeader.run(id, encodeHeader(header));
      changes.log.push({ type: 'NewInstance', level: 'IMAGE', resource: keys.sopInstanceUid });
      changes.instance(ids, Number(id), instance.size, header, values[SOP_CLASS_COLUMN] as string);
      if (!old) added++;
    }
    this.#write(changes);
    return added;
  }

  #ancestors(seriesId: number): Ancestors | undefined {
    return this.#stmt(
      'SELECT se.id AS series, se.study AS study, st.patient AS patient FROM series se JOIN studies st ON st.id = se.study WHERE se.id = ?',
    ).get(seriesId) as Ancestors | undefined;
  }

  /** The series (and study, patient) rows of an instance, created when new. */
  #resolveSeries(
    keys: InstanceKeys,
    header: DataSet,
    cache: Map<string, Ancestors>,
    changes: Changes,
  ): Ancestors {
    const cached = cache.get(`se:${keys.seriesInstanceUid}`);
    if (cached) return cached;
    let ids = this.#stmt(
      'SELECT se.id AS series, se.study AS study, st.patient AS patient FROM series se JOIN studies st ON st.id = se.study WHERE se.series_instance_uid = ?',
    ).get(keys.seriesInstanceUid) as Ancestors | undefined;
    if (!ids) {
      const { study, patient } = this.#resolveStudy(keys, header, cache, changes);
      const values = levelValues('SERIES', header);
      const series = Number(this.#insert('SERIES', study, values));
      ids = { series, study, patient };
      changes.seriesCreated(ids, values);
      changes.log.push({ type: 'NewSeries', level: 'SERIES', resource: keys.seriesInstanceUid });
    }
    cache.set(`se:${keys.seriesInstanceUid}`, ids);
    return ids;
  }

  #resolveStudy(
    keys: InstanceKeys,
    header: DataSet,
    cache: Map<string, Ancestors>,
    changes: Changes,
  ): { study: number; patient: number } {
    const key = `st:${keys.studyInstanceUid}`;
    const cached = cache.get(key);
    if (cached) return cached;
    let ids = this.#stmt('SELECT id AS study, patient FROM studies WHERE study_instance_uid = ?').get(
      keys.studyInstanceUid,
    ) as { study: number; patient: number } | undefined;
    if (!ids) {
      const identity = patientKey(header);
      let patient = (
        this.#stmt('SELECT id FROM patients WHERE patient_key = ?').get(identity) as
          | { id: number }
          | undefined
      )?.id;
      if (patient === undefined) {
        const values = levelValues('PATIENT', header);
        patient = Number(this.#stmt(INSERT_PATIENT).run(identity, ...values).lastInsertRowid);
        changes.patientCreated(patient, values);
        // A patient without an ID has no resource name (REST names patients by ID): not logged.
        const patientId = header.string('PatientID')?.trim() ?? '';
        if (patientId !== '') changes.log.push({ type: 'NewPatient', level: 'PATIENT', resource: patientId });
      }
      const values = levelValues('STUDY', header);
      const study = Number(this.#insert('STUDY', patient, values));
      ids = { study, patient };
      changes.studyCreated(ids, values);
      changes.log.push({ type: 'NewStudy', level: 'STUDY', resource: keys.studyInstanceUid });
    }
    cache.set(key, { ...ids, series: 0 });
    return ids;
  }

  #insert(level: 'STUDY' | 'SERIES', parent: number, values: SqlValue[]): number | bigint {
    const { table, parent: parentColumn } = TABLES[level];
    const columns = attributeColumns(level);
    return this.#stmt(
      `INSERT INTO ${table} (${parentColumn}, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
    ).run(parent, ...values).lastInsertRowid;
  }

  /**
   * Writes what a transaction changed above the instances, deepest level first, one UPDATE
   * per touched entity: stale entities are recomputed, the others grow by what was added.
   */
  #write(changes: Changes): void {
    for (const level of ENTITY_LEVELS) {
      const stale = changes.stale[level];
      for (const id of stale) this.#recompute(level, id, changes.added[level].get(id)?.header, changes);
      for (const [id, change] of changes.added[level]) {
        if (!stale.has(id)) this.#increment(level, id, change, changes);
      }
    }
    this.#log(changes.log);
  }

  #log(entries: readonly NewChangeLogEntry[]): void {
    if (entries.length === 0) return;
    const insert = this.#stmt('INSERT INTO changes (change_type, level, resource, at) VALUES (?, ?, ?, ?)');
    const at = Date.now();
    for (const entry of entries) insert.run(entry.type, entry.level, entry.resource, at);
  }

  /**
   * The stored attribute columns of an entity (then, for a study, its two lists): the values
   * it was created with in this transaction, or its row.
   */
  #stored(level: EntityLevel, id: number, changes: Changes): unknown[] | undefined {
    const created = changes.created[level].get(id);
    if (created) return level === 'STUDY' ? [...created, '', ''] : created;
    return this.#stmt(ENTITY_STATEMENTS[level].read).raw().get(id) as unknown[] | undefined;
  }

  /** Adds a transaction's new instances to an entity that lost none. */
  #increment(level: EntityLevel, id: number, change: Change, changes: Changes): void {
    const row = this.#stored(level, id, changes);
    if (!row || !change.header) return;
    const values = levelValues(level, change.header);
    const changed = !sameValues(values, row);
    let aggregates: SqlValue[];
    if (level === 'SERIES') {
      const study = changes.change('STUDY', change.parent, 0);
      const modality = values[MODALITY_COLUMN] as string;
      study.modalities.add(modality);
      const before = row[MODALITY_COLUMN] as string;
      if (before !== modality && before !== '' && !changes.created.SERIES.has(id))
        study.modalityChanged = true;
      aggregates = [change.instances, change.bytes, change.last];
    } else if (level === 'STUDY') {
      const n = ATTRIBUTE_COUNT.STUDY;
      const modalities = change.modalityChanged
        ? this.#modalities(id)
        : mergeList(row[n] as string, change.modalities);
      const sopClasses = mergeList(row[n + 1] as string, change.sopClasses);
      aggregates = [modalities, sopClasses, change.series, change.instances, change.bytes, change.last];
    } else {
      aggregates = [change.studies, change.series, change.instances, change.bytes, change.last];
    }
    const statement = ENTITY_STATEMENTS[level].increment[changed ? 1 : 0];
    if (changed) this.#stmt(statement).run(...values, ...aggregates, id);
    else this.#stmt(statement).run(...aggregates, id);
  }

  /** ModalitiesInStudy from the study's series rows. */
  #modalities(study: number): string {
    return this.#list('SELECT DISTINCT modality FROM series WHERE study = ?', study);
  }

  #list(sql: string, id: number): string {
    return (this.#stmt(sql).pluck().all(id) as string[])
      .filter((v) => v !== '')
      .sort()
      .join('\\');
  }

  /**
   * Recomputes the counts, sizes, lists and representative instance of an entity that lost
   * instances from the rows below it (deleting it when left empty), and sets its attributes
   * from the given header or, when none, from the new representative instance's header.
   */
  #recompute(level: EntityLevel, id: number, header: DataSet | undefined, changes: Changes): void {
    let a: { n: number; last: number | null };
    let aggregates: SqlValue[];
    if (level === 'SERIES') {
      const s = this.#stmt(
        'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, max(id) AS last FROM instances WHERE series = ?',
      ).get(id) as { n: number; bytes: number; last: number | null };
      a = s;
      aggregates = [s.n, s.bytes, s.last];
    } else if (level === 'STUDY') {
      const s = this.#stmt(
        `SELECT count(*) AS n, coalesce(sum(number_of_instances), 0) AS instances, coalesce(sum(total_size), 0) AS bytes,
         max(last_instance) AS last FROM series WHERE study = ?`,
      ).get(id) as { n: number; instances: number; bytes: number; last: number | null };
      a = s;
      aggregates =
        s.n === 0
          ? []
          : [
              this.#modalities(id),
              this.#list(
                'SELECT DISTINCT i.sop_class_uid FROM series se JOIN instances i ON i.series = se.id WHERE se.study = ?',
                id,
              ),
              s.n,
              s.instances,
              s.bytes,
              s.last,
            ];
    } else {
      const s = this.#stmt(
        `SELECT count(*) AS n, coalesce(sum(number_of_series), 0) AS series, coalesce(sum(number_of_instances), 0) AS instances,
         coalesce(sum(total_size), 0) AS bytes, max(last_instance) AS last FROM studies WHERE patient = ?`,
      ).get(id) as { n: number; series: number; instances: number; bytes: number; last: number | null };
      a = s;
      aggregates = [s.n, s.series, s.instances, s.bytes, s.last];
    }
    if (a.n === 0) {
      const resource = this.#stmt(`SELECT ${UID_COLUMN[level]} FROM ${TABLES[level].table} WHERE id = ?`)
        .pluck()
        .get(id) as string | undefined;
      this.#stmt(`DELETE FROM ${TABLES[level].table} WHERE id = ?`).run(id);
      if (resource) changes.log.push({ type: 'Deleted', level, resource });
      return;
    }
    const source = header ?? (a.last === null ? undefined : this.#header(a.last));
    const values = source ? levelValues(level, source) : undefined;
    const row = values ? this.#stored(level, id, changes) : undefined;
    const changed = values !== undefined && row !== undefined && !sameValues(values, row);
    const statement = ENTITY_STATEMENTS[level].assign[changed ? 1 : 0];
    if (changed) this.#stmt(statement).run(...values, ...aggregates, id);
    else this.#stmt(statement).run(...aggregates, id);
  }
  #header(instanceId: number): DataSet | undefined {
    const row = this.#stmt('SELECT header FROM instance_headers WHERE instance = ?').get(instanceId) as
      | { header: Uint8Array }
      | undefined;
    if (!row) return undefined;
    try {
      return decodeHeader(row.header);
    } catch {
      return undefined;
    }
  }

  remove(level: QueryLevel, uid: string): InstanceLocation[] {
    const value = uid.trim();
    if (value === '') return [];
    const column = {
      PATIENT: 'p.patient_id',
      STUDY: 'st.study_instance_uid',
      SERIES: 'se.series_instance_uid',
      IMAGE: 'i.sop_instance_uid',
    }[level];
    return this.#writing(() => {
      const rows = this.#stmt(
        `SELECT ${LOCATION_COLUMNS}, i.id AS i_id, se.id AS se_id, st.id AS st_id, p.id AS p_id
           FROM ${fromClause('IMAGE')} WHERE ${column} = ? ORDER BY ${ORDER.IMAGE}`,
      ).all(value) as Row[];
      if (rows.length === 0) return [];
      const { alias, table } = TABLES[level];
      const doomed = new Set(rows.map((r) => r[`${alias}_id`] as number));
      const remove = this.#stmt(`DELETE FROM ${table} WHERE id = ?`);
      for (const id of doomed) remove.run(id);
      // Parents of what was deleted: their aggregates and attributes change.
      const changes = new Changes();
      // Everything deleted, deepest first; emptied parents follow from #write.
      for (const [below, key] of [
        ['IMAGE', 'sop_instance_uid'],
        ['SERIES', 'series_instance_uid'],
        ['STUDY', 'study_instance_uid'],
      ] as const) {
        if (DEPTH[below] < DEPTH[level]) continue;
        for (const resource of new Set(rows.map((r) => r[key] as string))) {
          changes.log.push({ type: 'Deleted', level: below, resource });
        }
      }
      if (level === 'PATIENT') changes.log.push({ type: 'Deleted', level, resource: value });
      for (const r of rows) {
        if (DEPTH[level] > 2) changes.stale.SERIES.add(r.se_id as number);
        if (DEPTH[level] > 1) changes.stale.STUDY.add(r.st_id as number);
        if (DEPTH[level] > 0) changes.stale.PATIENT.add(r.p_id as number);
      }
      this.#write(changes);
      return rows.map(location);
    });
  }

  // -------------------------------------------------------------------------------------
  // Reads

  has(sopInstanceUid: string): boolean {
    return (
      this.#stmt('SELECT 1 FROM instances WHERE sop_instance_uid = ?').pluck().get(sopInstanceUid.trim()) !==
      undefined
    );
  }

  find(request: FindRequest): Iterable<DataSet> {
    // Planned now, so a bad identifier throws here, before any response.
    const plan = planFind(request, this.#dialect);
    return this.#answers(plan);
  }

  *#answers(plan: FindPlan): Generator<DataSet> {
    const ids = this.#stmt(plan.idsSql)
      .pluck()
      .all(...plan.params) as number[];
    const entity = TABLES[plan.level].alias;
    const entityKey = `${entity}__id`;
    const representativeKey = plan.level === 'IMAGE' ? 'i__id' : `${entity}__last_instance`;
    let yielded = 0;
    for (let start = 0; start < ids.length; start += CHUNK) {
      const chunk = ids.slice(start, start + CHUNK);
      const rows = new Map<number, Row>();
      for (const row of this.#stmt(plan.rowsSql(chunk.length)).all(...chunk) as Row[]) {
        rows.set(row[entityKey] as number, row);
      }
      for (const id of chunk) {
        const row = rows.get(id);
        if (!row) continue; // removed while the caller was busy with earlier responses
        let loaded = false;
        let header: DataSet | undefined;
        const headerOf = (): DataSet | undefined => {
          if (!loaded) {
            loaded = true;
            const instance = row[representativeKey] as number | null;
            header = instance === null ? undefined : this.#header(instance);
          }
          return header;
        };
        if (plan.residual.length > 0) {
          const h = headerOf();
          if (!h || !plan.residual.every((matches) => matches(h))) continue;
        }
        yield buildResponse(plan, { row, header: headerOf }, this.#retrieveAeTitle);
        if (plan.limit !== undefined && ++yielded >= plan.limit) return;
      }
    }
  }

  locate(model: QueryModel, level: QueryLevel, identifier: DataSet): InstanceLocation[] {
    const { where, params } = planLocate(model, level, identifier, this.#dialect);
    const rows = this.#stmt(
      `SELECT ${LOCATION_COLUMNS} FROM ${fromClause('IMAGE')} WHERE ${where} ORDER BY ${ORDER.IMAGE}`,
    ).all(...params) as Row[];
    return rows.map(location);
  }

  *paths(): Generator<string> {
    // Pages by id, so no statement stays open between the caller's steps.
    let after = 0;
    for (;;) {
      const rows = this.#stmt('SELECT id, path FROM instances WHERE id > ? ORDER BY id LIMIT 1000').all(
        after,
      ) as {
        id: number;
        path: string;
      }[];
      if (rows.length === 0) return;
      for (const row of rows) yield row.path;
      after = rows[rows.length - 1]!.id;
    }
  }

  statistics(): IndexStatistics {
    const row = this.#stmt(
      `SELECT count(*) AS patients, coalesce(sum(number_of_studies), 0) AS studies, coalesce(sum(number_of_series), 0) AS series,
       coalesce(sum(number_of_instances), 0) AS instances, coalesce(sum(total_size), 0) AS bytes FROM patients`,
    ).get() as IndexStatistics;
    return { ...row };
  }

  leastRecentStudies(limit: number): string[] {
    // last_instance only grows: the largest instance id below the study, i.e. its newest arrival.
    return this.#stmt(
      `SELECT st.study_instance_uid FROM studies st JOIN patients p ON p.id = st.patient
       WHERE p.protected = 0 ORDER BY st.last_instance LIMIT ?`,
    )
      .pluck()
      .all(limit) as string[];
  }

  setProtected(patientId: string, value: boolean): boolean {
    return this.#writing(
      () =>
        this.#stmt('UPDATE patients SET protected = ? WHERE patient_id = ?').run(value ? 1 : 0, patientId)
          .changes > 0,
    );
  }

  isProtected(patientId: string): boolean | undefined {
    const rows = this.#stmt('SELECT protected FROM patients WHERE patient_id = ?')
      .pluck()
      .all(patientId) as number[];
    return rows.length === 0 ? undefined : rows.some((p) => p === 1);
  }

  changeLog(since: number, limit: number): { entries: ChangeLogEntry[]; done: boolean } {
    const rows = this.#stmt(
      `SELECT seq, change_type, level, resource, at FROM changes WHERE seq > ? AND ${VISIBLE} ORDER BY seq LIMIT ?`,
    ).all(since, limit + 1) as ChangeRow[];
    return { entries: rows.slice(0, limit).map(changeEntry), done: rows.length <= limit };
  }

  lastChange(): ChangeLogEntry | undefined {
    const row = this.#stmt(
      `SELECT seq, change_type, level, resource, at FROM changes WHERE ${VISIBLE} ORDER BY seq DESC LIMIT 1`,
    ).get() as ChangeRow | undefined;
    return row && changeEntry(row);
  }

  logChanges(entries: readonly NewChangeLogEntry[]): void {
    this.#writing(() => this.#log(entries));
  }

  clearChangeLog(through = 0): void {
    this.#writing(() => {
      const logged = (this.#stmt('SELECT max(seq) FROM changes').pluck().get() as number | null) ?? 0;
      const newest = Math.max(logged, through);
      if (newest === 0) return;
      // The newest row stays, hidden, so that the integer key goes on from it.
      if (newest > logged)
        this.#stmt(
          "INSERT INTO changes (seq, change_type, level, resource, at) VALUES (?, 'Deleted', 'PATIENT', '', ?)",
        ).run(newest, Date.now());
      this.#stmt('DELETE FROM changes WHERE seq < ?').run(newest);
      this.#stmt('UPDATE change_log_state SET cleared_through = ?').run(newest);
    });
  }

  optimize(): void {
    this.#db.pragma('optimize');
  }

  close(): void {
    if (!this.#db.open) return;
    try {
      this.#db.pragma('optimize');
    } catch {
      // best effort
    }
    this.#statements.clear();
    // The worker's connection goes first, so that this last one can checkpoint and drop the WAL.
    this.#checkpoints?.stop();
    this.#db.close();
  }
}
