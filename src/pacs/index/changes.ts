import type { DataSet } from '../../object/index.ts';
import { AGGREGATE_COLUMNS, attributeColumns, TABLES } from './catalogue.ts';
import type { SqlValue } from './dialect.ts';
import type { NewChangeLogEntry, QueryLevel } from './types.ts';

/**
 * What one write transaction does to the entities above the instances, collected while it
 * inserts and deletes instances, then written with one UPDATE per touched entity.
 *
 * New instances are added to their series, study and patient incrementally: counts and
 * sizes grow by what was added, the lists of a study (ModalitiesInStudy, SOPClassesInStudy)
 * gain the values they lack, `last_instance` becomes the newest instance, and the attribute
 * columns take the newest header's values when these differ from the row's. An entity that
 * lost an instance (a removal, a replaced duplicate) is "stale": its counts and lists are
 * recomputed from the rows below it, which also covers what was added to it.
 *
 * Stale is closed upwards (an instance's series, study and patient go stale together), so
 * the entities updated incrementally have only added rows below them.
 */

export type EntityLevel = Exclude<QueryLevel, 'IMAGE'>;

/** Written deepest first, since a study's recomputation reads its series' rows. */
export const ENTITY_LEVELS: readonly EntityLevel[] = ['SERIES', 'STUDY', 'PATIENT'];

/** What the instances added in one transaction bring to one entity. */
export interface Change {
  /** The row of the level above (SERIES: its study; STUDY: its patient). */
  readonly parent: number;
  /** The header of the newest instance added below the entity: its attributes win. */
  header: DataSet | undefined;
  instances: number;
  bytes: number;
  /** The newest instance added below the entity (ids only grow). */
  last: number;
  /** Series created below the entity (STUDY, PATIENT). */
  series: number;
  /** Studies created below the entity (PATIENT). */
  studies: number;
  /** STUDY: the Modality of each series with added instances, as written to the series. */
  readonly modalities: Set<string>;
  /** STUDY: the SOP Class UIDs of the added instances. */
  readonly sopClasses: Set<string>;
  /** STUDY: a series' Modality changed, so ModalitiesInStudy may lose a value: recompute it. */
  modalityChanged: boolean;
}

type PerLevel<T> = Record<EntityLevel, T>;

export class Changes {
  readonly added: PerLevel<Map<number, Change>> = { SERIES: new Map(), STUDY: new Map(), PATIENT: new Map() };
  readonly stale: PerLevel<Set<number>> = { SERIES: new Set(), STUDY: new Set(), PATIENT: new Set() };
  /** Entities inserted in this transaction, with the attribute values they were inserted with. */
  readonly created: PerLevel<Map<number, SqlValue[]>> = {
    SERIES: new Map(),
    STUDY: new Map(),
    PATIENT: new Map(),
  };
  /** Change log entries of the transaction, written with its other rows. */
  readonly log: NewChangeLogEntry[] = [];

  change(level: EntityLevel, id: number, parent: number): Change {
    let change = this.added[level].get(id);
    if (!change) {
      change = {
        parent,
        header: undefined,
        instances: 0,
        bytes: 0,
        last: 0,
        series: 0,
        studies: 0,
        modalities: new Set(),
        sopClasses: new Set(),
        modalityChanged: false,
      };
      this.added[level].set(id, change);
    }
    return change;
  }

  /** An instance added below a series (its study and patient given). */
  instance(
    ids: { series: number; study: number; patient: number },
    id: number,
    size: number,
    header: DataSet,
    sopClassUid: string,
  ): void {
    grow(this.change('SERIES', ids.series, ids.study), id, size, header);
    const study = grow(this.change('STUDY', ids.study, ids.patient), id, size, header);
    grow(this.change('PATIENT', ids.patient, 0), id, size, header);
    if (sopClassUid !== '') study.sopClasses.add(sopClassUid);
  }

  seriesCreated(ids: { series: number; study: number; patient: number }, values: SqlValue[]): void {
    this.created.SERIES.set(ids.series, values);
    this.change('STUDY', ids.study, ids.patient).series++;
    this.change('PATIENT', ids.patient, 0).series++;
  }

  studyCreated(ids: { study: number; patient: number }, values: SqlValue[]): void {
    this.created.STUDY.set(ids.study, values);
    this.change('PATIENT', ids.patient, 0).studies++;
  }

  patientCreated(id: number, values: SqlValue[]): void {
    this.created.PATIENT.set(id, values);
  }

  /** A series lost an instance: it and its parents are recomputed. */
  lost(ids: { series?: number; study?: number; patient: number }): void {
    if (ids.series !== undefined) this.stale.SERIES.add(ids.series);
    if (ids.study !== undefined) this.stale.STUDY.add(ids.study);
    this.stale.PATIENT.add(ids.patient);
  }
}

function grow(change: Change, id: number, size: number, header: DataSet): Change {
  change.header = header;
  change.instances++;
  change.bytes += size;
  change.last = Math.max(change.last, id);
  return change;
}

/**
 * A backslash-joined sorted list of distinct values (as ModalitiesInStudy and
 * SOPClassesInStudy are stored, and matched) with the given values added; the same string
 * when none is new.
 */
export function mergeList(stored: string, added: Iterable<string>): string {
  let values: Set<string> | undefined;
  for (const value of added) {
    if (value === '') continue;
    values ??= new Set(stored === '' ? [] : stored.split('\\'));
    values.add(value);
  }
  if (!values) return stored;
  const list = [...values].sort().join('\\');
  return list.length === stored.length ? stored : list;
}

/** The count and size columns grow by what was added; lists and `last_instance` are set. */
const SET_ABSOLUTE = new Set(['modalities_in_study', 'sop_classes_in_study', 'last_instance']);

export interface EntityStatements {
  /** The attribute columns, then (STUDY) the two lists, by id. */
  readonly read: string;
  /** Index 0: aggregates only; 1: attribute columns, then aggregates. Bound: values, then id. */
  readonly increment: readonly [string, string];
  readonly assign: readonly [string, string];
}

function entityStatements(level: EntityLevel): EntityStatements {
  const { table } = TABLES[level];
  const attributes = attributeColumns(level);
  const aggregates = AGGREGATE_COLUMNS[level];
  const lists = level === 'STUDY' ? ', modalities_in_study, sop_classes_in_study' : '';
  const update = (set: string[]): string => `UPDATE ${table} SET ${set.join(', ')} WHERE id = ?`;
  const assigned = attributes.map((c) => `${c} = ?`);
  const increments = aggregates.map((c) => (SET_ABSOLUTE.has(c) ? `${c} = ?` : `${c} = ${c} + ?`));
  const absolutes = aggregates.map((c) => `${c} = ?`);
  return {
    read: `SELECT ${attributes.join(', ')}${lists} FROM ${table} WHERE id = ?`,
    increment: [update(increments), update([...assigned, ...increments])],
    assign: [update(absolutes), update([...assigned, ...absolutes])],
  };
}

export const ENTITY_STATEMENTS: Readonly<PerLevel<EntityStatements>> = {
  SERIES: entityStatements('SERIES'),
  STUDY: entityStatements('STUDY'),
  PATIENT: entityStatements('PATIENT'),
};

/** How many attribute columns each level has (the row read by `read` starts with them). */
export const ATTRIBUTE_COUNT: Readonly<PerLevel<number>> = {
  SERIES: attributeColumns('SERIES').length,
  STUDY: attributeColumns('STUDY').length,
  PATIENT: attributeColumns('PATIENT').length,
};

/** Where Modality is among the series' attribute columns. */
export const MODALITY_COLUMN = attributeColumns('SERIES').indexOf('modality');
/** Where SOP Class UID is among the instance's attribute columns. */
export const SOP_CLASS_COLUMN = attributeColumns('IMAGE').indexOf('sop_class_uid');

/** Whether `values` equals `row` over the first values.length columns. */
export function sameValues(values: readonly SqlValue[], row: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (values[i] !== row[i]) return false;
  return true;
}
