import Database from 'better-sqlite3';
import { DicomError } from '../../core/index.ts';
import type { DataSet } from '../../object/index.ts';
import { AGGREGATE_COLUMNS, attributeColumns, DEPTH, TABLES } from './catalogue.ts';
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
import type {
  FindRequest,
  IndexStatistics,
  InstanceLocation,
  PacsIndex,
  QueryLevel,
  QueryModel,
  StoredInstance,
} from './types.ts';

/**
 * The PACS index on SQLite (better-sqlite3): WAL journal, synchronous=NORMAL (a commit is
 * durable once the WAL is synced at checkpoint; a power cut may lose the last commits but
 * never corrupts, and the file store, the source of truth, re-indexes them), foreign keys,
 * a busy timeout for other processes (e.g. `dicomkit pacs --reindex` beside a server).
 *
 * Writes: add() and remove() run in one IMMEDIATE transaction each; the PACS batches the rows
 * of concurrent associations into one add(). Derived attributes (counts, ModalitiesInStudy,
 * SOPClassesInStudy) and the entity attributes are refreshed once per touched entity per
 * transaction. Entity attributes follow the most recently indexed instance of the entity
 * ("latest wins"), which is also the one whose header answers the keys without a column.
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
}

export interface SqliteIndex extends PacsIndex {
  readonly path: string;
  /** The highest applied migration. */
  readonly schemaVersion: number;
  /** Refreshes the planner's statistics (PRAGMA optimize); worth calling after a bulk load. */
  optimize(): void;
}

export function openSqliteIndex(path: string, options: SqliteIndexOptions = {}): SqliteIndex {
  return new SqlitePacsIndex(path, options);
}

/** Applies the pending migrations; returns the schema version. Exported for tests. */
export function migrate(db: Database.Database, dialect: SqlDialect = sqliteDialect): number {
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
/** Entities whose aggregates and attributes need refreshing, with the header to take them from. */
interface Touched {
  series: Map<number, DataSet | undefined>;
  studies: Map<number, DataSet | undefined>;
  patients: Map<number, DataSet | undefined>;
}
interface Prepared {
  instance: StoredInstance;
  keys: InstanceKeys;
}

const LOCATION_COLUMNS =
  'i.sop_instance_uid, i.sop_class_uid, st.study_instance_uid, se.series_instance_uid, i.path, i.transfer_syntax_uid, i.size';

function location(row: Row): InstanceLocation {
  return {
    sopInstanceUid: row.sop_instance_uid as string,
    sopClassUid: row.sop_class_uid as string,
    studyInstanceUid: row.study_instance_uid as string,
    seriesInstanceUid: row.series_instance_uid as string,
    path: row.path as string,
    transferSyntax: row.transfer_syntax_uid as string,
    size: row.size as number,
  };
}

function sameValues(a: readonly SqlValue[], b: readonly SqlValue[]): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

class SqlitePacsIndex implements SqliteIndex {
  readonly path: string;
  readonly schemaVersion: number;
  readonly #db: Database.Database;
  readonly #dialect = sqliteDialect;
  readonly #retrieveAeTitle: string;
  readonly #statements = new Map<string, Database.Statement>();

  constructor(path: string, options: SqliteIndexOptions) {
    this.path = path;
    this.#retrieveAeTitle = options.retrieveAeTitle ?? '';
    const db = new Database(path);
    try {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      db.pragma('foreign_keys = ON');
      db.pragma(`busy_timeout = ${Math.max(0, Math.floor(options.busyTimeoutMs ?? 5000))}`);
      db.pragma(`cache_size = -${Math.max(2048, Math.floor(options.cacheSizeKiB ?? 65536))}`);
      db.pragma('temp_store = MEMORY');
      this.schemaVersion = migrate(db, this.#dialect);
    } catch (error) {
      db.close();
      throw error;
    }
    this.#db = db;
  }

  #stmt(sql: string): Database.Statement {
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

  add(instances: readonly StoredInstance[], options: { replace?: boolean } = {}): number {
    // Every instance is checked before anything is written.
    const prepared: Prepared[] = instances.map((instance) => ({
      instance,
      keys: instanceKeys(instance.header),
    }));
    const replace = options.replace ?? false;
    return this.#db.transaction(() => this.#addAll(prepared, replace)).immediate();
  }

  #addAll(prepared: readonly Prepared[], replace: boolean): number {
    const touched: Touched = { series: new Map(), studies: new Map(), patients: new Map() };
    const created = new Map<string, SqlValue[]>();
    const cache = new Map<string, Ancestors>();
    const imageColumns = attributeColumns('IMAGE');
    const insertInstance = this.#stmt(
      `INSERT INTO instances (series, ${imageColumns.join(', ')}, path, size, transfer_syntax_uid, source_ae_title, received_at)
       VALUES (${Array(imageColumns.length + 6)
         .fill('?')
         .join(', ')})`,
    );
    const insertHeader = this.#stmt('INSERT INTO instance_headers (instance, header) VALUES (?, ?)');
    const existing = this.#stmt('SELECT id, series FROM instances WHERE sop_instance_uid = ?');
    const deleteInstance = this.#stmt('DELETE FROM instances WHERE id = ?');
    let added = 0;
    for (const { instance, keys } of prepared) {
      const header = instance.header;
      const old = existing.get(keys.sopInstanceUid) as { id: number; series: number } | undefined;
      if (old) {
        if (!replace) continue;
        this.#touchAncestors(old.series, touched);
        deleteInstance.run(old.id);
      }
      const ids = this.#resolveSeries(keys, header, cache, created);
      const result = insertInstance.run(
        ids.series,
        ...levelValues('IMAGE', header),
        instance.path,
        instance.size,
        instance.transferSyntax,
        instance.sourceAeTitle ?? '',
        instance.receivedAt,
      );
      insertHeader.run(result.lastInsertRowid, encodeHeader(header));
      touched.series.set(ids.series, header);
      touched.studies.set(ids.study, header);
      touched.patients.set(ids.patient, header);
      if (!old) added++;
    }
    this.#refresh(touched, created);
    return added;
  }

  /** Marks a series and its parents for refreshing, without a header of their own. */
  #touchAncestors(seriesId: number, touched: Touched): void {
    const row = this.#stmt(
      'SELECT se.id AS series, se.study AS study, st.patient AS patient FROM series se JOIN studies st ON st.id = se.study WHERE se.id = ?',
    ).get(seriesId) as Ancestors | undefined;
    if (!row) return;
    if (!touched.series.has(row.series)) touched.series.set(row.series, undefined);
    if (!touched.studies.has(row.study)) touched.studies.set(row.study, undefined);
    if (!touched.patients.has(row.patient)) touched.patients.set(row.patient, undefined);
  }

  /** The series (and study, patient) rows of an instance, created when new. */
  #resolveSeries(
    keys: InstanceKeys,
    header: DataSet,
    cache: Map<string, Ancestors>,
    created: Map<string, SqlValue[]>,
  ): Ancestors {
    const cached = cache.get(`se:${keys.seriesInstanceUid}`);
    if (cached) return cached;
    let ids = this.#stmt(
      'SELECT se.id AS series, se.study AS study, st.patient AS patient FROM series se JOIN studies st ON st.id = se.study WHERE se.series_instance_uid = ?',
    ).get(keys.seriesInstanceUid) as Ancestors | undefined;
    if (!ids) {
      const { study, patient } = this.#resolveStudy(keys, header, cache, created);
      const values = levelValues('SERIES', header);
      const series = Number(this.#insert('SERIES', study, values));
      created.set(`SERIES:${series}`, values);
      ids = { series, study, patient };
    }
    cache.set(`se:${keys.seriesInstanceUid}`, ids);
    return ids;
  }

  #resolveStudy(
    keys: InstanceKeys,
    header: DataSet,
    cache: Map<string, Ancestors>,
    created: Map<string, SqlValue[]>,
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
        const columns = attributeColumns('PATIENT');
        patient = Number(
          this.#stmt(
            `INSERT INTO patients (patient_key, ${columns.join(', ')}) VALUES (?, ${columns.map(() => '?').join(', ')})`,
          ).run(identity, ...values).lastInsertRowid,
        );
        created.set(`PATIENT:${patient}`, values);
      }
      const values = levelValues('STUDY', header);
      const study = Number(this.#insert('STUDY', patient, values));
      created.set(`STUDY:${study}`, values);
      ids = { study, patient };
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
   * Recomputes counts, sizes, lists and the representative instance of every touched entity,
   * deepest first, deleting those left empty; sets their attributes from the given header or,
   * when none (after a removal), from the new representative instance's header.
   */
  #refresh(touched: Touched, created: ReadonlyMap<string, SqlValue[]> = new Map()): void {
    for (const [id, header] of touched.series) {
      const a = this.#stmt(
        'SELECT count(*) AS n, coalesce(sum(size), 0) AS bytes, max(id) AS last FROM instances WHERE series = ?',
      ).get(id) as { n: number; bytes: number; last: number | null };
      if (a.n === 0) {
        this.#stmt('DELETE FROM series WHERE id = ?').run(id);
        continue;
      }
      this.#update('SERIES', id, [a.n, a.bytes, a.last], header, a.last, created);
    }
    for (const [id, header] of touched.studies) {
      const a = this.#stmt(
        `SELECT count(*) AS n, coalesce(sum(number_of_instances), 0) AS instances, coalesce(sum(total_size), 0) AS bytes,
         max(last_instance) AS last FROM series WHERE study = ?`,
      ).get(id) as { n: number; instances: number; bytes: number; last: number | null };
      if (a.n === 0) {
        this.#stmt('DELETE FROM studies WHERE id = ?').run(id);
        continue;
      }
      const list = (sql: string): string =>
        (this.#stmt(sql).pluck().all(id) as string[])
          .filter((v) => v !== '')
          .sort()
          .join('\\');
      const modalities = list('SELECT DISTINCT modality FROM series WHERE study = ?');
      const sopClasses = list(
        'SELECT DISTINCT i.sop_class_uid FROM series se JOIN instances i ON i.series = se.id WHERE se.study = ?',
      );
      this.#update(
        'STUDY',
        id,
        [modalities, sopClasses, a.n, a.instances, a.bytes, a.last],
        header,
        a.last,
        created,
      );
    }
    for (const [id, header] of touched.patients) {
      const a = this.#stmt(
        `SELECT count(*) AS n, coalesce(sum(number_of_series), 0) AS series, coalesce(sum(number_of_instances), 0) AS instances,
         coalesce(sum(total_size), 0) AS bytes, max(last_instance) AS last FROM studies WHERE patient = ?`,
      ).get(id) as { n: number; series: number; instances: number; bytes: number; last: number | null };
      if (a.n === 0) {
        this.#stmt('DELETE FROM patients WHERE id = ?').run(id);
        continue;
      }
      this.#update('PATIENT', id, [a.n, a.series, a.instances, a.bytes, a.last], header, a.last, created);
    }
  }

  /** Writes an entity's aggregates, and its attributes unless they are what it was just created with. */
  #update(
    level: Exclude<QueryLevel, 'IMAGE'>,
    id: number,
    aggregates: SqlValue[],
    header: DataSet | undefined,
    last: number | null,
    created: ReadonlyMap<string, SqlValue[]>,
  ): void {
    const table = TABLES[level].table;
    const aggregateColumns = AGGREGATE_COLUMNS[level];
    let source = header;
    if (!source && last !== null) source = this.#header(last);
    const values = source ? levelValues(level, source) : undefined;
    const initial = created.get(`${level}:${id}`);
    const columns = values && !(initial && sameValues(initial, values)) ? attributeColumns(level) : [];
    const set = [...columns, ...aggregateColumns].map((c) => `${c} = ?`).join(', ');
    this.#stmt(`UPDATE ${table} SET ${set} WHERE id = ?`).run(
      ...(columns.length > 0 ? values! : []),
      ...aggregates,
      id,
    );
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
    return this.#db
      .transaction(() => {
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
        const touched: Touched = { series: new Map(), studies: new Map(), patients: new Map() };
        for (const r of rows) {
          if (DEPTH[level] > 2) touched.series.set(r.se_id as number, undefined);
          if (DEPTH[level] > 1) touched.studies.set(r.st_id as number, undefined);
          if (DEPTH[level] > 0) touched.patients.set(r.p_id as number, undefined);
        }
        this.#refresh(touched);
        return rows.map(location);
      })
      .immediate();
  }

  // -------------------------------------------------------------------------------------
  // Reads

  has(sopInstanceUid: string): boolean {
    return (
      this.#stmt('SELECT 1 FROM instances WHERE sop_instance_uid = ?').get(sopInstanceUid.trim()) !==
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
    this.#db.close();
  }
}
