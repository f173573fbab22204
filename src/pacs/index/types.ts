import type { DicomError } from '../../core/index.ts';
import type { DataSet } from '../../object/index.ts';

/** Query/Retrieve levels (PS3.4 §C.3). */
export type QueryLevel = 'PATIENT' | 'STUDY' | 'SERIES' | 'IMAGE';

/** Information models the index answers for (PS3.4 §C.6.1, §C.6.2). */
export type QueryModel = 'patient' | 'study';

/** What the storage layer knows about a stored instance, with its parsed header. */
export interface StoredInstance {
  /** The header of the instance as received (everything before Pixel Data), parsed. */
  header: DataSet;
  /** Path of the file relative to the storage root. */
  path: string;
  /** Size of the file in bytes. */
  size: number;
  /** Transfer syntax the instance is stored in. */
  transferSyntax: string;
  /** AE title that sent it, when known. */
  sourceAeTitle?: string;
  /** When it was received (ms since the epoch). */
  receivedAt: number;
}

/** A C-FIND in index terms: the identifier as received, its level and model. */
export interface FindRequest {
  model: QueryModel;
  level: QueryLevel;
  identifier: DataSet;
  /** Case-insensitive PN matching (PS3.4 §C.2.2.2.1 allows it; Orthanc does it). Default true. */
  caseInsensitivePN?: boolean;
  /** Stop after this many matches. */
  limit?: number;
  /**
   * Relational queries (PS3.4 §C.4.1.2.2.1, granted by extended negotiation; also what REST
   * listings want): the unique keys of the levels above need not be given, and keys of the
   * levels below match too (an entity matches when one of its descendants does). Default
   * false: the hierarchical rules hold, a query breaking them fails with 0xA900, and keys
   * below the query level are ignored.
   */
  relational?: boolean;
}

export interface InstanceLocation {
  sopInstanceUid: string;
  sopClassUid: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  path: string;
  transferSyntax: string;
  size: number;
  /** The AE title of the association it came in on ('' when uploaded over HTTP without one). */
  sourceAeTitle: string;
  /** When it was indexed, ms since the epoch. */
  receivedAt: number;
}

export interface IndexStatistics {
  patients: number;
  studies: number;
  series: number;
  instances: number;
  bytes: number;
}

/**
 * The PACS index: patient/study/series/instance rows for Q/R plus each instance's header.
 * SQLite implements it now, PostgreSQL later (same interface, a SqlDialect underneath).
 */
export interface PacsIndex {
  /**
   * Inserts (or, with `replace`, overwrites) instances in one transaction. Returns how many
   * were new. An instance that contradicts the hierarchy already indexed (see `conflict`) is
   * left out and reported to `onRefused`, the others going in; without `onRefused` it fails
   * the whole call.
   */
  add(
    instances: readonly StoredInstance[],
    options?: { replace?: boolean; onRefused?: (instance: StoredInstance, error: DicomError) => void },
  ): number;
  /**
   * Why an instance cannot join the index as it is, or undefined: its series is indexed
   * under another study, or its study under another patient (Patient ID and issuer). Taking
   * it would move, or rename, what is already there.
   */
  conflict(header: DataSet): string | undefined;
  /** Whether an instance is indexed. */
  has(sopInstanceUid: string): boolean;
  /** C-FIND matching (PS3.4 §C.2.2.2) done in SQL; yields response identifiers with exactly the requested keys. */
  find(request: FindRequest): Iterable<DataSet>;
  /** The instances a C-MOVE/C-GET identifier selects (PS3.4 §C.4.2.2.1: unique keys down to its level). */
  locate(model: QueryModel, level: QueryLevel, identifier: DataSet): InstanceLocation[];
  /** Removes a patient, study, series or instance and what it contains; returns the removed files. */
  remove(level: QueryLevel, uid: string): InstanceLocation[];
  /** Every indexed file path (for reconciliation with the store). */
  paths(): Iterable<string>;
  statistics(): IndexStatistics;
  /** Study Instance UIDs, the study whose newest instance is oldest first (storage recycling). */
  leastRecentStudies(limit: number): string[];
  /**
   * Protects a patient's studies from recycling, or ends it (Orthanc's
   * /patients/{id}/protected); false when no patient has that ID. The mark goes with the
   * patient's row: deleting the patient ends it.
   */
  setProtected(patientId: string, value: boolean): boolean;
  /** Whether the patient is protected; undefined when no patient has that ID. */
  isProtected(patientId: string): boolean | undefined;
  /**
   * The change log (Orthanc's /changes): entries after sequence number `since`, oldest first,
   * at most `limit`; `done` when no more follow. add() and remove() write their entries in
   * their own transactions.
   */
  changeLog(since: number, limit: number): { entries: ChangeLogEntry[]; done: boolean };
  /** The newest entry of the change log, if any. */
  lastChange(): ChangeLogEntry | undefined;
  /** Appends entries written by the PACS itself (the Stable* events), in one transaction. */
  logChanges(entries: readonly NewChangeLogEntry[]): void;
  /**
   * Empties the change log; sequence numbers go on from where they were, or from `through`
   * when that is larger (the index that `--reindex` rebuilds numbers on from the one it
   * replaces, so a client polling `/changes?since=` misses nothing).
   */
  clearChangeLog(through?: number): void;
  close(): void;
}

/**
 * What happened to a resource, in Orthanc's vocabulary: created (New*), no new instance for
 * the PACS's stable age (Stable*), or deleted with everything below it.
 */
export type ChangeType =
  | 'NewPatient'
  | 'NewStudy'
  | 'NewSeries'
  | 'NewInstance'
  | 'StablePatient'
  | 'StableStudy'
  | 'StableSeries'
  | 'Deleted';

export interface NewChangeLogEntry {
  type: ChangeType;
  level: QueryLevel;
  /** The resource's identifier: Patient ID, or Study, Series or SOP Instance UID. */
  resource: string;
}

export interface ChangeLogEntry extends NewChangeLogEntry {
  /** Increasing, never reused (also not after clearChangeLog()). */
  seq: number;
  /** When it was logged, ms since the epoch. */
  at: number;
}
