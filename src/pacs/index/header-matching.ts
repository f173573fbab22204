import {
  DicomError,
  dateKey,
  dateTimeKey,
  parseDateRange,
  parseDateTimeRange,
  parseTimeRange,
  rangeContains,
  type Tag,
  timeKey,
  tryParseDate,
  tryParseDateTime,
  tryParseTime,
  type ValueRange,
  type VR,
  vrInfo,
} from '../../core/index.ts';
import { lookupTag } from '../../dictionary/index.ts';
import { DimseStatusError, Status } from '../../net/dimse/index.ts';
import type { DataSet } from '../../object/index.ts';
import { normalisePersonName, valuesOf } from './rows.ts';

/**
 * Matching of query keys against a stored data set in memory (PS3.4 §C.2.2.2), for what SQL
 * does not see: sequence keys (§C.2.2.2.6), matched item by item, and keys without a column.
 * The index applies these only to the candidates its SQL already selected on every other key
 * (see find() in sqlite.ts). Query values are parsed once, when the matcher is compiled, so a
 * bad value fails the request before any response is sent.
 */

export interface MatchOptions {
  /** PN compared after `normalisePersonName` (upper case). */
  caseInsensitivePN: boolean;
}

/** True when the stored data set (header or item) matches. */
export type Predicate = (stored: DataSet) => boolean;

/** A C-FIND/C-MOVE/C-GET identifier the index cannot use: answered with 0xA900. */
export function identifierError(message: string, command = 'C-FIND'): DimseStatusError {
  return new DimseStatusError(command, Status.IdentifierDoesNotMatchSOPClass, message);
}

/** The VR a key is compared by: the identifier's, or the dictionary's when it came as UN. */
export function keyVR(query: DataSet, tag: Tag): VR {
  const vr = query.element(tag)?.vr ?? 'UN';
  return vr === 'UN' ? (lookupTag(tag)?.vr ?? 'UN') : vr;
}

/** Only `*`: the same as universal matching (PS3.4 §C.2.2.2.4 note 1). */
export function isUniversalPattern(value: string): boolean {
  return /^\*+$/.test(value);
}

/** The non-empty query values of a key, or undefined for universal matching. */
export function queryValues(query: DataSet, tag: Tag): string[] | undefined {
  const values = valuesOf(query, tag);
  if (values.length === 0 || values.some(isUniversalPattern)) return undefined;
  return values;
}

export function hasWildcard(value: string): boolean {
  return value.includes('*') || value.includes('?');
}

/** VRs wildcards apply to (PS3.4 §C.2.2.2.4 excludes dates, times, numbers, binary, AT, UI). */
export function wildcardAllowed(vr: VR): boolean {
  return vrInfo(vr).kind === 'text' && !['DA', 'TM', 'DT', 'DS', 'IS', 'AS', 'UI'].includes(vr);
}

export function wildcardRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`, 'su');
}

/** Parses a DA/TM/DT query value (single or range); a bad one is the identifier's fault. */
export function parseRangeKey(vr: 'DA' | 'TM' | 'DT', value: string): ValueRange<unknown> {
  try {
    if (vr === 'DA') return parseDateRange(value);
    if (vr === 'TM') return parseTimeRange(value);
    return parseDateTimeRange(value);
  } catch (error) {
    const reason = error instanceof DicomError ? error.message : String(error);
    throw identifierError(`bad ${vr} key value '${value}': ${reason}`);
  }
}

/** The key of a stored DA/TM/DT value (start of its interval), or undefined when unparseable. */
function storedKey(vr: 'DA' | 'TM' | 'DT', value: string): string | undefined {
  if (vr === 'DA') {
    const d = tryParseDate(value);
    return d && dateKey(d);
  }
  if (vr === 'TM') {
    const t = tryParseTime(value);
    return t && timeKey(t);
  }
  const dt = tryParseDateTime(value);
  return dt && dateTimeKey(dt);
}

/** One query value compiled to a test on one stored value. */
function valueTest(vr: VR, value: string, options: MatchOptions): (stored: string) => boolean {
  if (vr === 'DA' || vr === 'TM' || vr === 'DT') {
    // Single values read as the interval they name, ranges as given (PS3.4 §C.2.2.2.5).
    const range = parseRangeKey(vr, value);
    return (stored) => {
      const key = storedKey(vr, stored);
      return key !== undefined && rangeContains(range, key);
    };
  }
  const kind = vrInfo(vr).kind;
  if (kind === 'number' || vr === 'IS' || vr === 'DS') {
    const wanted = Number(value);
    if (!Number.isFinite(wanted)) throw identifierError(`bad ${vr} key value '${value}'`);
    return (stored) => Number(stored) === wanted;
  }
  const fold = vr === 'PN' && options.caseInsensitivePN;
  const pattern = fold ? normalisePersonName(value) : value;
  const prepare = fold ? normalisePersonName : (s: string) => s;
  if (wildcardAllowed(vr) && hasWildcard(pattern)) {
    const re = wildcardRegExp(pattern);
    return (stored) => re.test(prepare(stored));
  }
  return (stored) => prepare(stored) === pattern;
}

/**
 * Compiles the matching of key `tag` of `query`; undefined when it matches everything
 * (universal matching, or a sequence key with no item or an item without keys).
 */
export function compileKey(query: DataSet, tag: Tag, options: MatchOptions): Predicate | undefined {
  const element = query.element(tag);
  if (!element) return undefined;
  if (element.items) {
    const item = element.items[0];
    if (!item) return undefined;
    const keys = compileItem(item, options);
    if (keys.length === 0) return undefined;
    // At least one stored item matches every item key (PS3.4 §C.2.2.2.6).
    return (stored) => (stored.sequence(tag) ?? []).some((s) => keys.every((k) => k(s)));
  }
  const values = queryValues(query, tag);
  if (!values) return undefined;
  const vr = keyVR(query, tag);
  // Several values: list of UID matching (§C.2.2.2.2) for UI, and "any of them" for the rest.
  const tests = values.map((v) => valueTest(vr, v, options));
  return (stored) => {
    const have = valuesOf(stored, tag);
    return have.some((s) => tests.some((t) => t(s)));
  };
}

/** The predicates of every key in a query item (or identifier). */
export function compileItem(item: DataSet, options: MatchOptions): Predicate[] {
  const out: Predicate[] = [];
  for (const tag of item.tags()) {
    const p = compileKey(item, tag, options);
    if (p) out.push(p);
  }
  return out;
}

/** The stored items of sequence `tag` that match the query item's keys (all of them for none). */
export function matchingItems(
  queryItem: DataSet | undefined,
  tag: Tag,
  stored: DataSet,
  options: MatchOptions,
): DataSet[] {
  const items = stored.sequence(tag) ?? [];
  if (!queryItem) return items;
  const keys = compileItem(queryItem, options);
  return keys.length === 0 ? items : items.filter((s) => keys.every((k) => k(s)));
}
