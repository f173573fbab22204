import { invalidValue, pad2, pad4, trimPadding } from './internal.ts';

/**
 * DA, TM and DT (PS3.5 §6.2, Table 6.2-1) as plain objects, and their ranges for query
 * matching (PS3.4 §C.2.2.2.5).
 *
 * Parsed values keep every component as a number, with the components the text left out
 * ("null components", PS3.5 Table 6.2-1 DT) set to the start of their interval (month 1,
 * hour 0, ...) and `precision` saying which component was the last one given. Formatting
 * writes exactly the components up to `precision`, so parse -> format gives back the
 * DICOM form of the input.
 *
 * Padding (trailing space, or NUL from some writers) is ignored on read.
 */

export type DatePrecision = 'year' | 'month' | 'day';
export type TimePrecision = 'hour' | 'minute' | 'second' | 'fraction';
export type DateTimePrecision = DatePrecision | TimePrecision;

/** DA: always a full date (PS3.5 Table 6.2-1: "YYYYMMDD"). */
export interface DicomDate {
  year: number;
  /** 1-12 */
  month: number;
  /** 1-31 */
  day: number;
}

/** TM: HH[MM[SS[.F{1-6}]]]. */
export interface DicomTime {
  hour: number;
  /** 0 when absent */
  minute: number;
  /** 0-60 (60 for a leap second, PS3.5 Table 6.2-1); 0 when absent */
  second: number;
  /** 0-999999; 0 when absent */
  microsecond: number;
  precision: TimePrecision;
  /** Digits of the fraction given (1-6) when precision is 'fraction', else 0. */
  fractionDigits: number;
}

/** DT: YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX]. */
export interface DicomDateTime {
  year: number;
  /** 1 when absent */
  month: number;
  /** 1 when absent */
  day: number;
  hour: number;
  minute: number;
  second: number;
  microsecond: number;
  precision: DateTimePrecision;
  /** Digits of the fraction given (1-6) when precision is 'fraction', else 0. */
  fractionDigits: number;
  /** The &ZZXX suffix as minutes east of UTC (-0500 is -300); undefined when absent. */
  offsetMinutes?: number;
}

const DA_PATTERN = /^(\d{4})(\d{2})(\d{2})$/;
// PS3.5 Table 6.2-1 DA note: ACR-NEMA Standard 300 used "YYYY.MM.DD"; not DICOM, read anyway.
const DA_ACR_NEMA_PATTERN = /^(\d{4})\.(\d{2})\.(\d{2})$/;
const TM_PATTERN = /^(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?$/;
// PS3.5 Table 6.2-1 TM note: ACR-NEMA Standard 300 used "HH:MM:SS.frac"; not DICOM, read anyway.
const TM_ACR_NEMA_PATTERN = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/;
const DT_PATTERN =
  /^(\d{4})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:(\d{2})(?:\.(\d{1,6}))?)?)?)?)?)?(?:([+-])(\d{2})(\d{2}))?$/;

/**
 * The offsets in use on Earth, -12:00 to +14:00: the range PS3.3 gives for Timezone Offset
 * From UTC (0008,0201), which uses the same &ZZXX form.
 */
const MIN_OFFSET_MINUTES = -12 * 60;
const MAX_OFFSET_MINUTES = 14 * 60;

// ---------------------------------------------------------------------------------------
// DA

export function parseDate(text: string): DicomDate {
  const value = trimPadding(text);
  const m = DA_PATTERN.exec(value) ?? DA_ACR_NEMA_PATTERN.exec(value);
  if (!m) throw invalidValue('DA', text, 'expected YYYYMMDD (PS3.5 Table 6.2-1)');
  const date = { year: Number(m[1]), month: Number(m[2]), day: Number(m[3]) };
  checkDate('DA', text, date.year, date.month, date.day);
  return date;
}

export function tryParseDate(text: string): DicomDate | undefined {
  return attempt(() => parseDate(text));
}

/** YYYYMMDD; throws ERR_INVALID_VALUE for a date that does not exist. */
export function formatDate(date: DicomDate): string {
  const text = `${pad4(date.year)}${pad2(date.month)}${pad2(date.day)}`;
  checkInteger('DA', text, date.year, date.month, date.day);
  checkDate('DA', text, date.year, date.month, date.day);
  return text;
}

// ---------------------------------------------------------------------------------------
// TM

export function parseTime(text: string): DicomTime {
  const value = trimPadding(text);
  const m = TM_PATTERN.exec(value) ?? TM_ACR_NEMA_PATTERN.exec(value);
  if (!m) throw invalidValue('TM', text, 'expected HH[MM[SS[.F{1-6}]]] (PS3.5 Table 6.2-1)');
  const time = timeFromMatch(m[1]!, m[2], m[3], m[4]);
  checkTime('TM', text, time.hour, time.minute, time.second);
  return time;
}

export function tryParseTime(text: string): DicomTime | undefined {
  return attempt(() => parseTime(text));
}

/** The components up to `precision`; the fraction gets `fractionDigits` digits (truncated). */
export function formatTime(time: DicomTime): string {
  const text = formatTimePart(time.hour, time.minute, time.second, time.microsecond, time, 'TM');
  checkInteger('TM', text, time.hour, time.minute, time.second, time.microsecond);
  checkTime('TM', text, time.hour, time.minute, time.second);
  return text;
}

// ---------------------------------------------------------------------------------------
// DT

export function parseDateTime(text: string): DicomDateTime {
  const value = trimPadding(text);
  const m = DT_PATTERN.exec(value);
  if (!m) {
    throw invalidValue('DT', text, 'expected YYYY[MM[DD[HH[MM[SS[.F{1-6}]]]]]][&ZZXX] (PS3.5 Table 6.2-1)');
  }
  const precision: DateTimePrecision =
    m[7] !== undefined
      ? 'fraction'
      : m[6] !== undefined
        ? 'second'
        : m[5] !== undefined
          ? 'minute'
          : m[4] !== undefined
            ? 'hour'
            : m[3] !== undefined
              ? 'day'
              : m[2] !== undefined
                ? 'month'
                : 'year';
  const dt: DicomDateTime = {
    year: Number(m[1]),
    month: m[2] === undefined ? 1 : Number(m[2]),
    day: m[3] === undefined ? 1 : Number(m[3]),
    hour: m[4] === undefined ? 0 : Number(m[4]),
    minute: m[5] === undefined ? 0 : Number(m[5]),
    second: m[6] === undefined ? 0 : Number(m[6]),
    microsecond: m[7] === undefined ? 0 : Number(m[7].padEnd(6, '0')),
    precision,
    fractionDigits: m[7]?.length ?? 0,
  };
  checkDate('DT', text, dt.year, dt.month, dt.day);
  checkTime('DT', text, dt.hour, dt.minute, dt.second);
  if (m[8] !== undefined) {
    // PS3.5 Table 6.2-1 DT: "&ZZXX ... & = '+' or '-', ZZ = Hours and XX = Minutes of offset";
    // it may follow any precision ("2007-0500 is a legal value").
    const hours = Number(m[9]);
    const minutes = Number(m[10]);
    if (minutes > 59) throw invalidValue('DT', text, `offset minutes ${m[10]} out of range 00-59`);
    // `|| 0`: '-0000' is UTC, not a negative zero.
    const offset = (m[8] === '-' ? -1 : 1) * (hours * 60 + minutes) || 0;
    if (offset < MIN_OFFSET_MINUTES || offset > MAX_OFFSET_MINUTES) {
      throw invalidValue('DT', text, `offset ${m[8]}${m[9]}${m[10]} out of range -1200 to +1400`);
    }
    dt.offsetMinutes = offset;
  }
  return dt;
}

export function tryParseDateTime(text: string): DicomDateTime | undefined {
  return attempt(() => parseDateTime(text));
}

/** The components up to `precision`, then the offset suffix when `offsetMinutes` is set. */
export function formatDateTime(dt: DicomDateTime): string {
  const p = DT_PRECISIONS.indexOf(dt.precision);
  if (p < 0) throw invalidValue('DT', String(dt.precision), 'unknown precision');
  let text = pad4(dt.year);
  if (p >= 1) text += pad2(dt.month);
  if (p >= 2) text += pad2(dt.day);
  if (p >= 3) text += formatTimePart(dt.hour, dt.minute, dt.second, dt.microsecond, dt, 'DT');
  if (dt.offsetMinutes !== undefined) text += formatOffset(dt.offsetMinutes);
  checkInteger('DT', text, dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, dt.microsecond);
  checkDate('DT', text, dt.year, dt.month, dt.day);
  checkTime('DT', text, dt.hour, dt.minute, dt.second);
  if (
    dt.offsetMinutes !== undefined &&
    (!Number.isInteger(dt.offsetMinutes) ||
      dt.offsetMinutes < MIN_OFFSET_MINUTES ||
      dt.offsetMinutes > MAX_OFFSET_MINUTES)
  ) {
    throw invalidValue('DT', text, 'offset out of range -1200 to +1400');
  }
  return text;
}

/** '+0100', '-0500': the &ZZXX suffix of DT and the value of Timezone Offset From UTC (0008,0201). */
export function formatOffset(offsetMinutes: number): string {
  const abs = Math.abs(offsetMinutes);
  return `${offsetMinutes < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
}

/** Parses a bare '&ZZXX' such as Timezone Offset From UTC (0008,0201) into minutes east of UTC. */
export function parseOffset(text: string): number {
  const value = trimPadding(text);
  const m = /^([+-])(\d{2})(\d{2})$/.exec(value);
  if (!m) throw invalidValue('offset', text, 'expected &ZZXX, e.g. -0500');
  const offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3])) || 0;
  if (Number(m[3]) > 59 || offset < MIN_OFFSET_MINUTES || offset > MAX_OFFSET_MINUTES) {
    throw invalidValue('offset', text, 'out of range -1200 to +1400');
  }
  return offset;
}

/**
 * Joins a DA and an optional TM (e.g. Study Date and Study Time) into one DT, the usual way
 * to get one moment from a pair of attributes.
 */
export function combineDateAndTime(date: DicomDate, time?: DicomTime, offsetMinutes?: number): DicomDateTime {
  const dt: DicomDateTime = {
    year: date.year,
    month: date.month,
    day: date.day,
    hour: time?.hour ?? 0,
    minute: time?.minute ?? 0,
    second: time?.second ?? 0,
    microsecond: time?.microsecond ?? 0,
    precision: time?.precision ?? 'day',
    fractionDigits: time?.fractionDigits ?? 0,
  };
  if (offsetMinutes !== undefined) dt.offsetMinutes = offsetMinutes;
  return dt;
}

// ---------------------------------------------------------------------------------------
// JS Date conversion. A Date is one instant; DA and DT without an offset are wall-clock
// values in an unknown zone, so the caller says which zone to assume (default UTC, which
// gives the same answer on every machine).

export interface ToJsDateOptions {
  /** Minutes east of UTC assumed when the value carries no offset. Default 0 (UTC). */
  assumeOffsetMinutes?: number;
}

/** Midnight at the start of the date, in the assumed zone (UTC by default). */
export function dateToJsDate(date: DicomDate, options: ToJsDateOptions = {}): Date {
  return instant(date.year, date.month, date.day, 0, 0, 0, 0, options.assumeOffsetMinutes ?? 0);
}

/**
 * The start of the DT's interval as an instant; its own offset wins over the assumed one.
 * Microseconds are truncated to milliseconds, and a leap second (60) becomes the next
 * minute's second 0, as JS Date has neither.
 */
export function dateTimeToJsDate(dt: DicomDateTime, options: ToJsDateOptions = {}): Date {
  const offset = dt.offsetMinutes ?? options.assumeOffsetMinutes ?? 0;
  return instant(
    dt.year,
    dt.month,
    dt.day,
    dt.hour,
    dt.minute,
    dt.second,
    Math.floor(dt.microsecond / 1000),
    offset,
  );
}

/** Microseconds since midnight, for arithmetic on TM values (which have no date to make a Date). */
export function timeToMicroseconds(time: DicomTime): number {
  return ((time.hour * 60 + time.minute) * 60 + time.second) * 1_000_000 + time.microsecond;
}

export interface FromJsDateOptions {
  /** Use UTC fields instead of the machine's local ones. Default false (local). */
  utc?: boolean;
  /** Digits of fraction written for times (0-6; 0 stops at seconds). Default 6, like DCMTK. */
  fractionDigits?: number;
}

export function dateFromJsDate(value: Date, options: FromJsDateOptions = {}): DicomDate {
  return options.utc
    ? { year: value.getUTCFullYear(), month: value.getUTCMonth() + 1, day: value.getUTCDate() }
    : { year: value.getFullYear(), month: value.getMonth() + 1, day: value.getDate() };
}

export function timeFromJsDate(value: Date, options: FromJsDateOptions = {}): DicomTime {
  const digits = fractionDigitsOption(options);
  const ms = options.utc ? value.getUTCMilliseconds() : value.getMilliseconds();
  return {
    hour: options.utc ? value.getUTCHours() : value.getHours(),
    minute: options.utc ? value.getUTCMinutes() : value.getMinutes(),
    second: options.utc ? value.getUTCSeconds() : value.getSeconds(),
    microsecond: digits === 0 ? 0 : ms * 1000,
    precision: digits === 0 ? 'second' : 'fraction',
    fractionDigits: digits,
  };
}

/** With the offset of the zone used (+0000 for `utc`, the machine's for local). */
export function dateTimeFromJsDate(value: Date, options: FromJsDateOptions = {}): DicomDateTime {
  return combineDateAndTime(
    dateFromJsDate(value, options),
    timeFromJsDate(value, options),
    options.utc ? 0 : -value.getTimezoneOffset() || 0,
  );
}

// ---------------------------------------------------------------------------------------
// Ranges (PS3.4 §C.2.2.2.5)
//
// Rules implemented, quoting PS3.4 §C.2.2.2.5 (DA; TM and DT read the same with "times"
// and "moments in time"):
//   "<date1>-<date2>", where <date1> is less or equal to <date2>, matches the dates between
//     them inclusive; a range with <date1> after <date2> is rejected, and for TM this means
//     a range crossing midnight is rejected, as the standard does not support one;
//   "-<date1>" matches dates prior to and including <date1>: no lower bound;
//   "<date1>-" matches <date1> and subsequent dates: no upper bound;
//   a single value (single value matching, §C.2.2.2.1) gives both bounds, so it reads as
//     the interval the value covers.
// A partial TM or DT value stands for the whole interval it names, so a lower bound takes
// the start of that interval and an upper bound its end: TM '10' as an upper bound includes
// 10:59:59.999999, DT '2020' includes 20201231235959.999999, and a fraction '.5' includes
// .599999. Each bound carries a `key`, a fixed-width string that sorts like the instants:
//   DA 'YYYYMMDD', TM 'HHMMSS.FFFFFF', DT 'YYYYMMDDHHMMSS.FFFFFF' (in UTC when an offset is
//   known, see `DateTimeRangeOptions`).
// A stored value is matched by computing its key the same way (`dateKey`, `timeKey`,
// `dateTimeKey`, which take the start of a partial stored value) and comparing strings, in
// memory with `rangeContains` or in SQL on a key column.
// Not implemented: combined Date and Time range matching (PS3.4 §C.2.2.2.5, enabled by
// extended negotiation), which callers can build from `combineDateAndTime` and `dateTimeKey`.

export type Bound = 'lower' | 'upper';

export interface RangeBound<T> {
  /** The value as parsed from the query. */
  value: T;
  /** Comparable key of the start (lower bound) or end (upper bound) of the value's interval. */
  key: string;
}

/** An absent bound is open. */
export interface ValueRange<T> {
  lower?: RangeBound<T>;
  upper?: RangeBound<T>;
}

export type DateRange = ValueRange<DicomDate>;
export type TimeRange = ValueRange<DicomTime>;
export type DateTimeRange = ValueRange<DicomDateTime>;

export interface DateTimeRangeOptions {
  /**
   * Minutes east of UTC assumed for a DT without its own offset, e.g. from the query's
   * Timezone Offset From UTC (0008,0201) or the SCP's own zone. With it (or with an offset
   * in the value) keys are in UTC, so values from different zones compare as instants
   * ("moments in time", PS3.4 §C.2.2.2.5); without it such keys stay in local wall-clock time.
   */
  defaultOffsetMinutes?: number;
}

/** DA keys are the date itself: a DA is always complete. */
export function dateKey(date: DicomDate): string {
  return `${pad4(date.year)}${pad2(date.month)}${pad2(date.day)}`;
}

/** 'HHMMSS.FFFFFF' of the start (default) or end of the time's interval. */
export function timeKey(time: DicomTime, bound: Bound = 'lower'): string {
  const p = TM_PRECISIONS.indexOf(time.precision);
  const upper = bound === 'upper';
  const minute = p >= 1 ? time.minute : upper ? 59 : 0;
  const second = p >= 2 ? time.second : upper ? 59 : 0;
  return `${pad2(time.hour)}${pad2(minute)}${pad2(second)}.${fractionKey(time, p >= 3, upper)}`;
}

/**
 * 'YYYYMMDDHHMMSS.FFFFFF' of the start (default) or end of the DT's interval, in UTC when an
 * offset is known (the value's own, else `defaultOffsetMinutes`).
 */
export function dateTimeKey(
  dt: DicomDateTime,
  bound: Bound = 'lower',
  options: DateTimeRangeOptions = {},
): string {
  const p = DT_PRECISIONS.indexOf(dt.precision);
  const upper = bound === 'upper';
  let year = dt.year;
  let month = p >= 1 ? dt.month : upper ? 12 : 1;
  let day = p >= 2 ? dt.day : upper ? daysInMonth(year, month) : 1;
  let hour = p >= 3 ? dt.hour : upper ? 23 : 0;
  let minute = p >= 4 ? dt.minute : upper ? 59 : 0;
  const second = p >= 5 ? dt.second : upper ? 59 : 0;
  const fraction = fractionKey(dt, p >= 6, upper);
  const offset = dt.offsetMinutes ?? options.defaultOffsetMinutes;
  if (offset) {
    // Offsets are whole minutes, so seconds (including a leap second 60) are unaffected.
    const shifted = instant(year, month, day, hour, minute, 0, 0, offset);
    year = shifted.getUTCFullYear();
    if (year < 0) return '00000101000000.000000';
    if (year > 9999) return '99991231235959.999999';
    month = shifted.getUTCMonth() + 1;
    day = shifted.getUTCDate();
    hour = shifted.getUTCHours();
    minute = shifted.getUTCMinutes();
  }
  return `${pad4(year)}${pad2(month)}${pad2(day)}${pad2(hour)}${pad2(minute)}${pad2(second)}.${fraction}`;
}

export function parseDateRange(text: string): DateRange {
  return parseRange('DA', text, parseDate, (value) => {
    const key = dateKey(value);
    return [key, key];
  });
}

export function parseTimeRange(text: string): TimeRange {
  return parseRange('TM', text, parseTime, (value) => [timeKey(value, 'lower'), timeKey(value, 'upper')]);
}

/**
 * DT needs more care than DA and TM: '-' also starts a negative offset, so '2020-0500' could
 * be the year 2020 at -05:00 or the years 2020 to 500. Every split at a '-' is tried and the
 * one reading that parses (and is not an inverted range) wins; if two remain, the value is
 * rejected as ambiguous rather than guessed.
 */
export function parseDateTimeRange(text: string, options: DateTimeRangeOptions = {}): DateTimeRange {
  const value = trimPadding(text);
  const keys = (dt: DicomDateTime): [string, string] => [
    dateTimeKey(dt, 'lower', options),
    dateTimeKey(dt, 'upper', options),
  ];
  if (!value.includes('-')) {
    // No separator: a single value, and parseDateTime gives the precise complaint.
    const single = parseDateTime(value);
    return boundsOf(single, single, keys);
  }
  const readings: DateTimeRange[] = [];
  let inverted = false;
  const single = tryParseDateTime(value);
  if (single) readings.push(boundsOf(single, single, keys));
  for (let i = value.indexOf('-'); i >= 0; i = value.indexOf('-', i + 1)) {
    const reading = tryRange(value.slice(0, i), value.slice(i + 1), tryParseDateTime, keys);
    if (reading === 'inverted') inverted = true;
    else if (reading) readings.push(reading);
  }
  if (readings.length === 1) return readings[0]!;
  if (readings.length > 1) {
    throw invalidValue('DT', text, 'ambiguous range: give full precision or explicit offsets');
  }
  if (inverted) {
    throw invalidValue('DT', text, 'the lower bound is after the upper bound (PS3.4 §C.2.2.2.5)');
  }
  throw invalidValue('DT', text, 'expected <datetime>, <datetime>-, -<datetime> or <datetime>-<datetime>');
}

/** Whether a key (from `dateKey`, `timeKey`, `dateTimeKey`) lies within the range, bounds included. */
export function rangeContains(range: ValueRange<unknown>, key: string): boolean {
  return (
    (range.lower === undefined || key >= range.lower.key) &&
    (range.upper === undefined || key <= range.upper.key)
  );
}

// ---------------------------------------------------------------------------------------
// Internals

type TimeFields = { precision: DateTimePrecision; fractionDigits: number };

const TM_PRECISIONS: readonly TimePrecision[] = ['hour', 'minute', 'second', 'fraction'];
const DT_PRECISIONS: readonly DateTimePrecision[] = [
  'year',
  'month',
  'day',
  'hour',
  'minute',
  'second',
  'fraction',
];

function timeFromMatch(hh: string, mm?: string, ss?: string, frac?: string): DicomTime {
  return {
    hour: Number(hh),
    minute: mm === undefined ? 0 : Number(mm),
    second: ss === undefined ? 0 : Number(ss),
    microsecond: frac === undefined ? 0 : Number(frac.padEnd(6, '0')),
    precision:
      frac !== undefined ? 'fraction' : ss !== undefined ? 'second' : mm !== undefined ? 'minute' : 'hour',
    fractionDigits: frac?.length ?? 0,
  };
}

function formatTimePart(
  hour: number,
  minute: number,
  second: number,
  microsecond: number,
  fields: TimeFields,
  vr: string,
): string {
  // DT precisions run 'year'..'fraction'; only the time part is written here.
  const p = TM_PRECISIONS.indexOf(fields.precision as TimePrecision);
  if (p < 0) throw invalidValue(vr, String(fields.precision), 'unknown precision');
  let text = pad2(hour);
  if (p >= 1) text += pad2(minute);
  if (p >= 2) text += pad2(second);
  if (p >= 3) {
    const digits = fields.fractionDigits;
    if (!Number.isInteger(digits) || digits < 1 || digits > 6) {
      throw invalidValue(vr, text, `fractionDigits ${digits} out of range 1-6`);
    }
    if (!Number.isInteger(microsecond) || microsecond < 0 || microsecond > 999_999) {
      throw invalidValue(vr, text, `microsecond ${microsecond} out of range 0-999999`);
    }
    text += `.${String(microsecond).padStart(6, '0').slice(0, digits)}`;
  }
  return text;
}

/** Six digits; the digits not given are 0 for a lower bound and 9 for an upper bound. */
function fractionKey(value: TimeFields & { microsecond: number }, given: boolean, upper: boolean): string {
  if (!given) return upper ? '999999' : '000000';
  const digits = String(value.microsecond).padStart(6, '0').slice(0, value.fractionDigits);
  return digits.padEnd(6, upper ? '9' : '0');
}

function parseRange<T>(
  vr: string,
  text: string,
  parse: (text: string) => T,
  keys: (value: T) => [string, string],
): ValueRange<T> {
  const value = trimPadding(text);
  const dash = value.indexOf('-');
  if (dash < 0) {
    const single = parse(value);
    return boundsOf(single, single, keys);
  }
  if (value.indexOf('-', dash + 1) >= 0) throw invalidValue(vr, text, "more than one '-' in a range");
  const lowerText = trimPadding(value.slice(0, dash));
  const upperText = trimPadding(value.slice(dash + 1));
  if (lowerText === '' && upperText === '')
    throw invalidValue(vr, text, "a range needs at least one bound, '-' alone is not one");
  const range = boundsOf(
    lowerText === '' ? undefined : parse(lowerText),
    upperText === '' ? undefined : parse(upperText),
    keys,
  );
  checkOrder(vr, text, range);
  return range;
}

function tryRange<T>(
  lowerText: string,
  upperText: string,
  tryParse: (text: string) => T | undefined,
  keys: (value: T) => [string, string],
): ValueRange<T> | 'inverted' | undefined {
  lowerText = trimPadding(lowerText);
  upperText = trimPadding(upperText);
  if (lowerText === '' && upperText === '') return undefined;
  const lower = lowerText === '' ? undefined : tryParse(lowerText);
  const upper = upperText === '' ? undefined : tryParse(upperText);
  if ((lowerText !== '' && lower === undefined) || (upperText !== '' && upper === undefined))
    return undefined;
  const range = boundsOf(lower, upper, keys);
  if (range.lower && range.upper && range.lower.key > range.upper.key) return 'inverted';
  return range;
}

function boundsOf<T>(
  lower: T | undefined,
  upper: T | undefined,
  keys: (value: T) => [string, string],
): ValueRange<T> {
  const range: ValueRange<T> = {};
  if (lower !== undefined) range.lower = { value: lower, key: keys(lower)[0] };
  if (upper !== undefined) range.upper = { value: upper, key: keys(upper)[1] };
  return range;
}

function checkOrder(vr: string, text: string, range: ValueRange<unknown>): void {
  if (range.lower && range.upper && range.lower.key > range.upper.key) {
    // PS3.4 §C.2.2.2.5 defines "<a>-<b>" only "where <a> is less or equal to <b>"; for TM
    // this also rules out a range crossing midnight.
    throw invalidValue(vr, text, 'the lower bound is after the upper bound (PS3.4 §C.2.2.2.5)');
  }
}

function checkDate(vr: string, text: string, year: number, month: number, day: number): void {
  if (year < 0 || year > 9999) throw invalidValue(vr, text, `year ${year} out of range 0000-9999`);
  if (month < 1 || month > 12) throw invalidValue(vr, text, `month ${month} out of range 01-12`);
  const last = daysInMonth(year, month);
  if (day < 1 || day > last) throw invalidValue(vr, text, `day ${day} out of range 01-${last}`);
}

function checkTime(vr: string, text: string, hour: number, minute: number, second: number): void {
  if (hour > 23 || hour < 0) throw invalidValue(vr, text, `hour ${hour} out of range 00-23`);
  if (minute > 59 || minute < 0) throw invalidValue(vr, text, `minute ${minute} out of range 00-59`);
  // PS3.5 Table 6.2-1 TM: "SS ... 00-60", 60 being a leap second.
  if (second > 60 || second < 0) throw invalidValue(vr, text, `second ${second} out of range 00-60`);
}

function checkInteger(vr: string, text: string, ...values: number[]): void {
  for (const v of values) {
    if (!Number.isInteger(v)) throw invalidValue(vr, text, `component ${v} is not an integer`);
  }
}

/** Gregorian leap years (every 4th year, not centuries unless divisible by 400). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * The instant of a wall-clock time at an offset. setUTCFullYear instead of Date.UTC, which
 * would read years 0-99 as 1900-1999.
 */
function instant(
  year: number,
  month: number,
  day: number,
  hour: number,
  minute: number,
  second: number,
  ms: number,
  offsetMinutes: number,
): Date {
  const d = new Date(0);
  d.setUTCFullYear(year, month - 1, day);
  d.setUTCHours(hour, minute - offsetMinutes, second, ms);
  return d;
}

function fractionDigitsOption(options: FromJsDateOptions): number {
  const digits = options.fractionDigits ?? 6;
  if (!Number.isInteger(digits) || digits < 0 || digits > 6) {
    throw invalidValue('TM', String(digits), 'fractionDigits must be 0-6');
  }
  return digits;
}

function attempt<T>(fn: () => T): T | undefined {
  try {
    return fn();
  } catch {
    return undefined;
  }
}
