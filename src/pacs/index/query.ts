import { SPECIFIC_CHARACTER_SET, type Tag, type VR } from '../../core/index.ts';
import { tagOf } from '../../dictionary/index.ts';
import type { DataSet } from '../../object/index.ts';
import {
  ATTRIBUTE_BY_TAG,
  type AttributeColumn,
  auxiliaryColumn,
  DATE_TIME_PAIRS,
  DEPTH,
  DERIVED_BY_TAG,
  type DerivedAttribute,
  LEVELS,
  TABLES,
  UNIQUE_KEYS,
} from './catalogue.ts';
import { type SqlDialect, SqlParams, type SqlValue } from './dialect.ts';
import {
  compileKey,
  hasWildcard,
  identifierError,
  keyVR,
  type MatchOptions,
  type Predicate,
  parseRangeKey,
  queryValues,
} from './header-matching.ts';
import { normalisePersonName, valuesOf } from './rows.ts';
import type { FindRequest, QueryLevel, QueryModel } from './types.ts';

/**
 * From a C-FIND identifier to SQL (PS3.4 §C.2.2.2), dialect-neutral: which rows match, in
 * which order, and where each requested key's value comes from.
 *
 * Matching, per key of the identifier:
 * - a key with a column at the query level or above is matched in SQL: universal (empty or
 *   only `*`), single value, wildcard (`*`, `?`; PN on the upper-case twin unless
 *   `caseInsensitivePN` is false), list of UIDs, DA/TM/DT ranges on the key twin (closed and
 *   open; a single TM or DT value is the interval it names, '10' is 10:00-10:59:59.999999),
 *   and IS on the integer twin. Several values in one key match when any of them does.
 * - StudyDate+StudyTime (and SeriesDate+SeriesTime, PerformedProcedureStepStartDate+Time,
 *   ContentDate+Time) given both as ranges are matched as one date-time range: from date1 at
 *   time1 to date2 at time2 (PS3.4 §C.2.2.2.5). A stored date without a time matches on any
 *   day of the range.
 * - ModalitiesInStudy and SOPClassesInStudy match when any series/instance of the study has
 *   one of the values (EXISTS on the indexed child rows); the counts match exactly.
 * - sequence keys (§C.2.2.2.6) and keys without a column (including OtherPatientIDs) are
 *   matched against the stored header of the entity's most recently indexed instance, on
 *   the rows the SQL selected with the other keys (header-matching.ts).
 * - keys of levels below the query level come back empty; they are matched only in
 *   relational queries, where an entity matches when one of its descendants meets all of
 *   them (EXISTS on the child tables).
 * An empty stored value does not match a non-universal key.
 *
 * Order (stable, ties broken by insertion): PATIENT by name, ID; STUDY by date and time
 * (oldest first; unknown dates first); SERIES by their study's, then Series Number (missing
 * last); IMAGE by their series', then Instance Number (missing last).
 */

const SPECIFIC_CHARACTER_SET_TAG = SPECIFIC_CHARACTER_SET;
export const QUERY_RETRIEVE_LEVEL = tagOf('QueryRetrieveLevel');
export const RETRIEVE_AE_TITLE = tagOf('RetrieveAETitle');
export const INSTANCE_AVAILABILITY = tagOf('InstanceAvailability');
/** Keys that qualify the request instead of selecting entities; never matched. */
const NOT_MATCHED = new Set<Tag>([
  SPECIFIC_CHARACTER_SET_TAG,
  QUERY_RETRIEVE_LEVEL,
  RETRIEVE_AE_TITLE,
  INSTANCE_AVAILABILITY,
  tagOf('QueryRetrieveView'),
  tagOf('TimezoneOffsetFromUTC'),
]);
/** What the index adds to every response itself. */
export const RESPONSE_EXTRAS = new Set<Tag>([
  SPECIFIC_CHARACTER_SET_TAG,
  QUERY_RETRIEVE_LEVEL,
  RETRIEVE_AE_TITLE,
]);

/** Where a response key's value comes from. */
export type ResponseField =
  | { tag: Tag; vr: VR; source: 'column'; key: string; attribute: AttributeColumn }
  | { tag: Tag; vr: VR; source: 'derived'; key: string; derived: DerivedAttribute }
  | { tag: Tag; vr: VR; source: 'header' }
  | { tag: Tag; vr: VR; source: 'sequence'; item: DataSet | undefined }
  | { tag: Tag; vr: VR; source: 'availability' }
  | { tag: Tag; vr: VR; source: 'empty' };

export interface FindPlan {
  readonly level: QueryLevel;
  readonly model: QueryModel;
  /** `SELECT <entity id> ... WHERE ... ORDER BY ... [LIMIT]`. */
  readonly idsSql: string;
  readonly params: SqlValue[];
  /** The row query for `count` ids: `... WHERE <entity id> IN (<count placeholders>)`. */
  rowsSql(count: number): string;
  /** Checks on the representative header, after SQL. */
  readonly residual: Predicate[];
  readonly fields: ResponseField[];
  /** Whether any response field reads the header. */
  readonly needsHeader: boolean;
  readonly limit: number | undefined;
  readonly options: MatchOptions;
}

/** Table aliases, each joined to its parent, down to `level`. */
export function fromClause(level: QueryLevel): string {
  let sql = `${TABLES[level].table} ${TABLES[level].alias}`;
  for (let d = DEPTH[level]; d > 0; d--) {
    const child = TABLES[LEVELS[d]!];
    const parent = TABLES[LEVELS[d - 1]!];
    sql += ` JOIN ${parent.table} ${parent.alias} ON ${parent.alias}.id = ${child.alias}.${child.parent}`;
  }
  return sql;
}

export const ORDER: Readonly<Record<QueryLevel, string>> = {
  PATIENT: 'p.patient_name, p.patient_id, p.id',
  STUDY: 'st.study_date_key, st.study_time_key, st.id',
  SERIES:
    'st.study_date_key, st.study_time_key, st.id, se.series_number_int IS NULL, se.series_number_int, se.id',
  IMAGE:
    'st.study_date_key, st.study_time_key, st.id, se.series_number_int IS NULL, se.series_number_int, se.id, ' +
    'i.instance_number_int IS NULL, i.instance_number_int, i.id',
};

/** The row property a column is selected as. */
export function rowKey(alias: string, column: string): string {
  return `${alias}__${column}`;
}

/** Skipped entirely: group lengths, command and file meta groups. */
function ignoredTag(tag: Tag): boolean {
  return (tag & 0xffff) === 0 || tag >>> 16 <= 0x0002;
}

/**
 * Hierarchical queries (PS3.4 §C.4.1.2.1, §C.4.1.3.1.1): below the top level of the model,
 * the identifier carries the unique key of each level above, with a value and no wildcard
 * (one value, or a list of UIDs). Study Root has no PATIENT level.
 *
 * An upper unique key that is absent or empty is read as universal matching rather than
 * refused: dcmqrscp and Orthanc answer such queries, and DCMTK command lines in the wild
 * produce them (a later `-k PatientID` empties an earlier `-k 0010,0020=X`). Wildcards and
 * several PatientIDs are still refused: their meaning would be a guess.
 */
export function checkHierarchy(
  model: QueryModel,
  level: QueryLevel,
  identifier: DataSet,
  relational: boolean,
  command = 'C-FIND',
): void {
  if (model === 'study' && level === 'PATIENT') {
    throw identifierError('the Study Root model has no PATIENT level', command);
  }
  if (relational) return;
  for (let d = model === 'study' ? 1 : 0; d < DEPTH[level]; d++) {
    const above = LEVELS[d]!;
    const keyword = UNIQUE_KEYS[above];
    const values = valuesOf(identifier, tagOf(keyword));
    if (values.length === 0) continue;
    if (values.some(hasWildcard)) {
      throw identifierError(
        `a hierarchical ${level} query in the ${model} root needs ${keyword} of its ${above} (single value)`,
        command,
      );
    }
    if (above === 'PATIENT' && values.length > 1) {
      throw identifierError(`a hierarchical ${level} query needs one PatientID`, command);
    }
  }
}

/** Builds the matching of one identifier in SQL (see the module comment). */
export function planFind(request: FindRequest, dialect: SqlDialect): FindPlan {
  const { identifier, level, model } = request;
  checkHierarchy(model, level, identifier, request.relational ?? false);
  const options: MatchOptions = { caseInsensitivePN: request.caseInsensitivePN ?? true };
  const params = new SqlParams(dialect);
  const where: string[] = [];
  const residual: Predicate[] = [];
  const fields: ResponseField[] = [];
  const depth = DEPTH[level];
  const consumed = new Set<Tag>();

  const relational = request.relational ?? false;
  // Conditions on levels below the query level (relational queries only), and the deepest.
  const below: string[] = [];
  let deepest = depth;
  const add = (level: QueryLevel, condition: string | undefined): void => {
    if (condition === undefined) return;
    if (DEPTH[level] <= depth) {
      where.push(condition);
      return;
    }
    below.push(condition);
    deepest = Math.max(deepest, DEPTH[level]);
  };

  for (const [dateTag, timeTag] of DATE_TIME_PAIRS) {
    const date = ATTRIBUTE_BY_TAG.get(dateTag)!;
    const time = ATTRIBUTE_BY_TAG.get(timeTag)!;
    if (DEPTH[date.level] > depth && !relational) continue;
    const dates = queryValues(identifier, dateTag);
    const times = queryValues(identifier, timeTag);
    if (dates?.length !== 1 || times?.length !== 1 || !dates[0]!.includes('-') || !times[0]!.includes('-')) {
      continue;
    }
    add(date.level, combinedRange(date, time, dates[0]!, times[0]!, params));
    consumed.add(dateTag).add(timeTag);
  }

  for (const tag of identifier.tags()) {
    if (ignoredTag(tag)) continue;
    const vr = keyVR(identifier, tag);
    if (!RESPONSE_EXTRAS.has(tag)) fields.push(responseField(tag, vr, identifier, depth));
    if (NOT_MATCHED.has(tag) || consumed.has(tag)) continue;
    const attribute = ATTRIBUTE_BY_TAG.get(tag);
    const derived = DERIVED_BY_TAG.get(tag);
    if (attribute && attribute.kind !== 'multi') {
      if (DEPTH[attribute.level] > depth && !relational) continue;
      add(attribute.level, columnCondition(attribute, identifier, options, params, dialect));
      continue;
    }
    if (derived) {
      if (DEPTH[derived.level] > depth) continue;
      const condition = derivedCondition(derived, identifier, params, dialect);
      if (condition) where.push(condition);
      continue;
    }
    if (attribute && DEPTH[attribute.level] > depth) continue;
    const predicate = compileKey(identifier, tag, options);
    if (predicate) residual.push(predicate);
  }

  if (below.length > 0) where.push(descendantExists(level, LEVELS[deepest]!, below));
  const entity = TABLES[level].alias;
  const from = fromClause(level);
  const limit = request.limit !== undefined && request.limit > 0 ? Math.floor(request.limit) : undefined;
  const whereSql = where.length > 0 ? ` WHERE ${where.join(' AND ')}` : '';
  // With checks left for the headers, the limit counts what passes them.
  const limitSql = limit !== undefined && residual.length === 0 ? ` LIMIT ${limit}` : '';
  const idsSql = `SELECT ${entity}.id FROM ${from}${whereSql} ORDER BY ${ORDER[level]}${limitSql}`;

  const selected = new Set<string>();
  for (let d = 0; d <= depth; d++) {
    const alias = TABLES[LEVELS[d]!].alias;
    selected.add(`${alias}.id AS ${rowKey(alias, 'id')}`);
    if (d < 3) selected.add(`${alias}.last_instance AS ${rowKey(alias, 'last_instance')}`);
  }
  for (const field of fields) {
    if (field.source === 'column') {
      const alias = TABLES[field.attribute.level].alias;
      selected.add(`${alias}.${field.attribute.column} AS ${field.key}`);
    } else if (field.source === 'derived') {
      const alias = TABLES[field.derived.level].alias;
      selected.add(`${alias}.${field.derived.column} AS ${field.key}`);
    }
  }
  const selectList = [...selected].join(', ');
  const rowsSql = (count: number): string =>
    `SELECT ${selectList} FROM ${from} WHERE ${entity}.id IN (${Array.from({ length: count }, (_, i) => dialect.placeholder(i + 1)).join(', ')})`;

  return {
    level,
    model,
    idsSql,
    params: params.values,
    rowsSql,
    residual,
    fields,
    needsHeader: fields.some((f) => f.source === 'header' || f.source === 'sequence'),
    limit,
    options,
  };
}

function responseField(tag: Tag, vr: VR, identifier: DataSet, depth: number): ResponseField {
  if (tag === INSTANCE_AVAILABILITY) return { tag, vr, source: 'availability' };
  const attribute = ATTRIBUTE_BY_TAG.get(tag);
  if (attribute) {
    if (DEPTH[attribute.level] > depth) return { tag, vr, source: 'empty' };
    return {
      tag,
      vr,
      source: 'column',
      key: rowKey(TABLES[attribute.level].alias, attribute.column),
      attribute,
    };
  }
  const derived = DERIVED_BY_TAG.get(tag);
  if (derived) {
    if (DEPTH[derived.level] > depth) return { tag, vr, source: 'empty' };
    return { tag, vr, source: 'derived', key: rowKey(TABLES[derived.level].alias, derived.column), derived };
  }
  const element = identifier.element(tag)!;
  if (element.items || vr === 'SQ') return { tag, vr, source: 'sequence', item: element.items?.[0] };
  return { tag, vr, source: 'header' };
}

/** A column's condition for the identifier's values, or undefined for universal matching. */
function columnCondition(
  a: AttributeColumn,
  identifier: DataSet,
  options: MatchOptions,
  params: SqlParams,
  dialect: SqlDialect,
): string | undefined {
  const values = queryValues(identifier, a.tag);
  if (!values) return undefined;
  const alias = TABLES[a.level].alias;
  const column = `${alias}.${a.column}`;
  const twin = `${alias}.${auxiliaryColumn(a) ?? a.column}`;
  const bind = params.bind;
  switch (a.kind) {
    case 'uid':
      // List of UID matching (PS3.4 §C.2.2.2.2); UIDs have no wildcards.
      return values.length === 1 ? `${column} = ${bind(values[0]!)}` : `${column} ${params.in(values)}`;
    case 'integer': {
      const numbers = values.map((v) => {
        const n = Number(v);
        if (!Number.isInteger(n)) throw identifierError(`bad IS key value '${v}' for ${a.keyword}`);
        return n;
      });
      return numbers.length === 1 ? `${twin} = ${bind(numbers[0]!)}` : `${twin} ${params.in(numbers)}`;
    }
    case 'date':
    case 'time':
    case 'datetime': {
      const vr = a.kind === 'date' ? 'DA' : a.kind === 'time' ? 'TM' : 'DT';
      return any(
        values.map((value) => {
          const range = parseRangeKey(vr, value);
          if (range.lower && range.upper && range.lower.key === range.upper.key) {
            return `${twin} = ${bind(range.lower.key)}`;
          }
          const parts = [`${twin} <> ''`];
          if (range.lower) parts.push(`${twin} >= ${bind(range.lower.key)}`);
          if (range.upper) parts.push(`${twin} <= ${bind(range.upper.key)}`);
          return parts.join(' AND ');
        }),
      );
    }
    case 'pn':
    case 'text': {
      const fold = a.kind === 'pn' && options.caseInsensitivePN;
      const target = fold ? twin : column;
      return any(
        values.map((value) => {
          const pattern = fold ? normalisePersonName(value) : value;
          return hasWildcard(pattern)
            ? dialect.wildcard(target, pattern, bind)
            : `${target} = ${bind(pattern)}`;
        }),
      );
    }
    default:
      return undefined;
  }
}

function derivedCondition(
  d: DerivedAttribute,
  identifier: DataSet,
  params: SqlParams,
  dialect: SqlDialect,
): string | undefined {
  const values = queryValues(identifier, d.tag);
  if (!values) return undefined;
  const alias = TABLES[d.level].alias;
  if (d.kind === 'count') {
    const numbers = values.map((v) => {
      const n = Number(v);
      if (!Number.isInteger(n)) throw identifierError(`bad IS key value '${v}' for ${d.keyword}`);
      return n;
    });
    return `${alias}.${d.column} ${params.in(numbers)}`;
  }
  if (d.column === 'modalities_in_study') {
    const tests = values.map((v) =>
      hasWildcard(v) ? dialect.wildcard('m.modality', v, params.bind) : `m.modality = ${params.bind(v)}`,
    );
    return `EXISTS (SELECT 1 FROM series m WHERE m.study = ${alias}.id AND ${any(tests)})`;
  }
  return (
    `EXISTS (SELECT 1 FROM series ms JOIN instances mi ON mi.series = ms.id ` +
    `WHERE ms.study = ${alias}.id AND mi.sop_class_uid ${params.in(values)})`
  );
}

/**
 * DA and TM ranges matched as one range of instants (PS3.4 §C.2.2.2.5): from the lower date
 * at the lower time to the upper date at the upper time. An open time bound is the start or
 * end of its day; a stored value without a time matches on any day of the range.
 */
function combinedRange(
  date: AttributeColumn,
  time: AttributeColumn,
  dateValue: string,
  timeValue: string,
  params: SqlParams,
): string {
  const dates = parseRangeKey('DA', dateValue);
  const times = parseRangeKey('TM', timeValue);
  const d = `${TABLES[date.level].alias}.${auxiliaryColumn(date)}`;
  const t = `${TABLES[time.level].alias}.${auxiliaryColumn(time)}`;
  const bind = params.bind;
  const parts = [`${d} <> ''`];
  if (dates.lower) {
    parts.push(`${d} >= ${bind(dates.lower.key)}`);
    if (times.lower) {
      parts.push(`(${d} > ${bind(dates.lower.key)} OR ${t} = '' OR ${t} >= ${bind(times.lower.key)})`);
    }
  }
  if (dates.upper) {
    parts.push(`${d} <= ${bind(dates.upper.key)}`);
    if (times.upper) {
      parts.push(`(${d} < ${bind(dates.upper.key)} OR ${t} = '' OR ${t} <= ${bind(times.upper.key)})`);
    }
  }
  return parts.join(' AND ');
}

/**
 * Relational matching below the query level: some descendant (down to `deepest`) meets every
 * condition. The subquery uses the levels' usual aliases, which the outer query lacks.
 */
function descendantExists(level: QueryLevel, deepest: QueryLevel, conditions: string[]): string {
  const first = TABLES[LEVELS[DEPTH[level] + 1]!];
  let from = `${first.table} ${first.alias}`;
  for (let d = DEPTH[level] + 2; d <= DEPTH[deepest]; d++) {
    const child = TABLES[LEVELS[d]!];
    const parent = TABLES[LEVELS[d - 1]!];
    from += ` JOIN ${child.table} ${child.alias} ON ${child.alias}.${child.parent} = ${parent.alias}.id`;
  }
  const link = `${first.alias}.${first.parent} = ${TABLES[level].alias}.id`;
  return `EXISTS (SELECT 1 FROM ${from} WHERE ${link} AND ${conditions.join(' AND ')})`;
}

/**
 * Any of the conditions, one per value of a key with several (ranges, patterns). Keys with
 * more values than MAX_ALTERNATIVES are refused: each binds up to three values, and an
 * engine's limits on bound values and expression size would fail the query less clearly.
 */
function any(conditions: string[]): string {
  if (conditions.length > MAX_ALTERNATIVES) {
    throw identifierError(
      `a key with ${conditions.length} values: at most ${MAX_ALTERNATIVES} (UID lists have no limit)`,
    );
  }
  return conditions.length === 1 ? conditions[0]! : `(${conditions.map((c) => `(${c})`).join(' OR ')})`;
}

/** Values of one range or pattern key matched as alternatives, at most. */
const MAX_ALTERNATIVES = 500;

/**
 * The WHERE clause of a C-MOVE/C-GET (PS3.4 §C.4.2.2.1, §C.4.3.2.1): the unique key of the
 * retrieve level is required (one value or a list; a wildcard or an empty value would select
 * a whole archive and is refused); unique keys of the levels above narrow it when present.
 * Patient Root PATIENT level: PatientID, and IssuerOfPatientID when given.
 */
export function planLocate(
  model: QueryModel,
  level: QueryLevel,
  identifier: DataSet,
  dialect: SqlDialect,
): { where: string; params: SqlValue[] } {
  const command = 'C-MOVE/C-GET';
  checkHierarchy(model, level, identifier, true, command);
  const params = new SqlParams(dialect);
  const where: string[] = [];
  for (let d = model === 'study' ? 1 : 0; d <= DEPTH[level]; d++) {
    const at = LEVELS[d]!;
    const keyword = UNIQUE_KEYS[at];
    const values = valuesOf(identifier, tagOf(keyword));
    if (values.length === 0) {
      if (at === level) throw identifierError(`a ${level} retrieve needs ${keyword}`, command);
      continue;
    }
    if (values.some(hasWildcard)) throw identifierError(`${keyword} must not have wildcards`, command);
    const a = ATTRIBUTE_BY_TAG.get(tagOf(keyword))!;
    where.push(`${TABLES[at].alias}.${a.column} ${params.in(values)}`);
    if (at === 'PATIENT') {
      const issuer = valuesOf(identifier, tagOf('IssuerOfPatientID'))[0];
      if (issuer) where.push(`p.issuer_of_patient_id = ${params.bind(issuer)}`);
    }
  }
  return { where: where.join(' AND '), params: params.values };
}
