import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../errors.ts';
import {
  combineDateAndTime,
  dateFromJsDate,
  dateKey,
  dateTimeFromJsDate,
  dateTimeKey,
  dateTimeToJsDate,
  dateToJsDate,
  formatDate,
  formatDateTime,
  formatOffset,
  formatTime,
  parseDate,
  parseDateRange,
  parseDateTime,
  parseDateTimeRange,
  parseOffset,
  parseTime,
  parseTimeRange,
  rangeContains,
  timeFromJsDate,
  timeKey,
  timeToMicroseconds,
  tryParseDate,
  tryParseDateTime,
  tryParseTime,
} from './date-time.ts';

const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';
const invalidMatching =
  (pattern: RegExp) =>
  (e: unknown): boolean =>
    invalid(e) && pattern.test((e as Error).message);

describe('DA', () => {
  it('parses and formats YYYYMMDD', () => {
    assert.deepEqual(parseDate('20240229'), { year: 2024, month: 2, day: 29 });
    assert.equal(formatDate(parseDate('20240229')), '20240229');
    assert.deepEqual(parseDate('00010101 '), { year: 1, month: 1, day: 1 });
  });

  it('tolerates the ACR-NEMA form YYYY.MM.DD on read and writes DICOM', () => {
    assert.deepEqual(parseDate('1993.08.22'), { year: 1993, month: 8, day: 22 });
    assert.equal(formatDate(parseDate('1993.08.22')), '19930822');
  });

  it('rejects impossible and malformed dates with a clear message', () => {
    assert.throws(() => parseDate('20230229'), invalidMatching(/day 29 out of range 01-28/));
    assert.throws(() => parseDate('19000229'), invalid);
    assert.throws(() => parseDate('20201301'), invalidMatching(/month 13/));
    assert.throws(() => parseDate('20200100'), invalid);
    assert.throws(() => parseDate('20200431'), invalid);
    assert.throws(() => parseDate('2020011'), invalidMatching(/expected YYYYMMDD/));
    assert.throws(() => parseDate('2020-01-01'), invalid);
    assert.throws(() => parseDate(''), invalid);
    assert.equal(tryParseDate('abc'), undefined);
    assert.deepEqual(parseDate('20000229'), { year: 2000, month: 2, day: 29 });
  });

  it('refuses to format a date that does not exist', () => {
    assert.throws(() => formatDate({ year: 2021, month: 2, day: 30 }), invalid);
    assert.throws(() => formatDate({ year: 2021, month: 1.5, day: 3 }), invalid);
  });

  it('converts to and from JS Date', () => {
    assert.equal(dateToJsDate(parseDate('20200315')).toISOString(), '2020-03-15T00:00:00.000Z');
    assert.equal(dateToJsDate(parseDate('00500101')).getUTCFullYear(), 50);
    assert.equal(
      dateToJsDate(parseDate('20200315'), { assumeOffsetMinutes: 60 }).toISOString(),
      '2020-03-14T23:00:00.000Z',
    );
    assert.deepEqual(dateFromJsDate(new Date('2020-03-15T23:30:00Z'), { utc: true }), {
      year: 2020,
      month: 3,
      day: 15,
    });
  });
});

describe('TM', () => {
  it('parses each precision', () => {
    assert.deepEqual(parseTime('10'), {
      hour: 10,
      minute: 0,
      second: 0,
      microsecond: 0,
      precision: 'hour',
      fractionDigits: 0,
    });
    assert.equal(parseTime('1030').precision, 'minute');
    assert.equal(parseTime('103015').precision, 'second');
    const t = parseTime('103015.5');
    assert.equal(t.precision, 'fraction');
    assert.equal(t.microsecond, 500000);
    assert.equal(t.fractionDigits, 1);
    assert.equal(parseTime('235959.999999').microsecond, 999999);
  });

  it('round-trips the text it parsed', () => {
    for (const text of ['10', '1030', '103015', '103015.5', '103015.050', '000000.000001', '235960']) {
      assert.equal(formatTime(parseTime(text)), text);
    }
    assert.equal(formatTime(parseTime('1030 ')), '1030');
  });

  it('tolerates the ACR-NEMA form HH:MM:SS.frac on read', () => {
    assert.equal(formatTime(parseTime('10:30:15.25')), '103015.25');
    assert.equal(formatTime(parseTime('10:30')), '1030');
  });

  it('rejects invalid times', () => {
    assert.throws(() => parseTime('24'), invalidMatching(/hour 24/));
    assert.throws(() => parseTime('1060'), invalidMatching(/minute 60/));
    assert.throws(() => parseTime('105961'), invalidMatching(/second 61/));
    assert.throws(() => parseTime('103015.1234567'), invalid);
    assert.throws(() => parseTime('103015.'), invalid);
    assert.throws(() => parseTime('1'), invalid);
    assert.throws(() => parseTime('103'), invalid);
    assert.throws(() => parseTime('10:3'), invalid);
    assert.equal(tryParseTime('xx'), undefined);
  });

  it('formats with the requested fraction digits, truncating', () => {
    const t = {
      hour: 1,
      minute: 2,
      second: 3,
      microsecond: 456789,
      precision: 'fraction' as const,
      fractionDigits: 3,
    };
    assert.equal(formatTime(t), '010203.456');
    assert.throws(() => formatTime({ ...t, fractionDigits: 7 }), invalid);
    assert.throws(() => formatTime({ ...t, hour: 25 }), invalid);
  });

  it('converts to microseconds and from JS Date', () => {
    assert.equal(timeToMicroseconds(parseTime('010203.5')), 3723500000);
    const d = new Date('2020-03-15T08:09:10.123Z');
    assert.equal(formatTime(timeFromJsDate(d, { utc: true })), '080910.123000');
    assert.equal(formatTime(timeFromJsDate(d, { utc: true, fractionDigits: 3 })), '080910.123');
    assert.equal(formatTime(timeFromJsDate(d, { utc: true, fractionDigits: 0 })), '080910');
  });
});

describe('DT', () => {
  it('parses every precision, with and without offset', () => {
    const dt = parseDateTime('20200315103015.123456+0130');
    assert.deepEqual(dt, {
      year: 2020,
      month: 3,
      day: 15,
      hour: 10,
      minute: 30,
      second: 15,
      microsecond: 123456,
      precision: 'fraction',
      fractionDigits: 6,
      offsetMinutes: 90,
    });
    assert.equal(parseDateTime('2020').precision, 'year');
    assert.equal(parseDateTime('202003').precision, 'month');
    assert.equal(parseDateTime('20200315').precision, 'day');
    assert.equal(parseDateTime('2020031510').precision, 'hour');
    assert.equal(parseDateTime('202003151030').precision, 'minute');
    assert.equal(parseDateTime('20200315103015').precision, 'second');
    // PS3.5 Table 6.2-1: "2007-0500 is a legal value".
    assert.equal(parseDateTime('2007-0500').offsetMinutes, -300);
    assert.equal(parseDateTime('2007').offsetMinutes, undefined);
  });

  it('round-trips the text it parsed', () => {
    for (const text of [
      '2020',
      '202003',
      '20200315',
      '2020031510',
      '202003151030',
      '20200315103015',
      '20200315103015.1',
      '20200315103015.000100-0500',
      '2007-0500',
      '19991231235960+1400',
    ]) {
      assert.equal(formatDateTime(parseDateTime(text)), text);
    }
  });

  it('rejects invalid values', () => {
    assert.throws(() => parseDateTime('20200230'), invalidMatching(/day 30/));
    assert.throws(() => parseDateTime('2020031524'), invalidMatching(/hour 24/));
    assert.throws(() => parseDateTime('20200315+1500'), invalidMatching(/offset/));
    assert.throws(() => parseDateTime('20200315-1300'), invalid);
    assert.throws(() => parseDateTime('20200315+0160'), invalid);
    assert.throws(() => parseDateTime('20200315+05'), invalid);
    assert.throws(() => parseDateTime('202'), invalid);
    assert.throws(() => parseDateTime('2020031'), invalid);
    assert.throws(() => parseDateTime('2020.03.15'), invalid);
    assert.equal(tryParseDateTime(''), undefined);
  });

  it('converts to JS Date using its own offset first', () => {
    assert.equal(
      dateTimeToJsDate(parseDateTime('20200315103015.123456+0130')).toISOString(),
      '2020-03-15T09:00:15.123Z',
    );
    assert.equal(dateTimeToJsDate(parseDateTime('2020')).toISOString(), '2020-01-01T00:00:00.000Z');
    assert.equal(
      dateTimeToJsDate(parseDateTime('2020031510'), { assumeOffsetMinutes: -300 }).toISOString(),
      '2020-03-15T15:00:00.000Z',
    );
    const d = new Date('2020-03-15T08:09:10.123Z');
    assert.equal(formatDateTime(dateTimeFromJsDate(d, { utc: true })), '20200315080910.123000+0000');
    assert.equal(dateTimeToJsDate(dateTimeFromJsDate(d)).getTime(), d.getTime());
  });

  it('combines DA and TM', () => {
    const dt = combineDateAndTime(parseDate('20200315'), parseTime('1030'), 60);
    assert.equal(formatDateTime(dt), '202003151030+0100');
    assert.equal(formatDateTime(combineDateAndTime(parseDate('20200315'))), '20200315');
  });

  it('formats and parses bare offsets', () => {
    assert.equal(formatOffset(-300), '-0500');
    assert.equal(formatOffset(0), '+0000');
    assert.equal(formatOffset(345), '+0545');
    assert.equal(parseOffset('+0545'), 345);
    assert.ok(Object.is(parseOffset('-0000'), 0));
    assert.ok(Object.is(parseDateTime('2020-0000').offsetMinutes, 0));
    assert.throws(() => parseOffset('0500'), invalid);
    assert.throws(() => parseOffset('+1500'), invalid);
  });
});

describe('ranges (PS3.4 §C.2.2.2.5)', () => {
  it('DA: closed, open and single-value ranges', () => {
    const closed = parseDateRange('20200101-20201231');
    assert.equal(closed.lower?.key, '20200101');
    assert.equal(closed.upper?.key, '20201231');
    assert.deepEqual(closed.lower?.value, { year: 2020, month: 1, day: 1 });
    const upTo = parseDateRange('-20201231');
    assert.equal(upTo.lower, undefined);
    assert.equal(upTo.upper?.key, '20201231');
    const from = parseDateRange('20200101-');
    assert.equal(from.lower?.key, '20200101');
    assert.equal(from.upper, undefined);
    const single = parseDateRange('20200101');
    assert.equal(single.lower?.key, '20200101');
    assert.equal(single.upper?.key, '20200101');
    // Padding to even length, spaces around the '-', ACR-NEMA dates.
    assert.equal(parseDateRange('20200101-20201231 ').upper?.key, '20201231');
    assert.equal(parseDateRange('20200101 - 20201231').lower?.key, '20200101');
    assert.equal(parseDateRange('1993.01.01-1993.12.31').upper?.key, '19931231');
  });

  it('DA: matching with rangeContains', () => {
    const range = parseDateRange('20200101-20201231');
    assert.ok(rangeContains(range, dateKey(parseDate('20200101'))));
    assert.ok(rangeContains(range, '20201231'));
    assert.ok(!rangeContains(range, '20191231'));
    assert.ok(!rangeContains(range, '20210101'));
    assert.ok(rangeContains(parseDateRange('-20201231'), '18000101'));
    assert.ok(rangeContains(parseDateRange('20200101-'), '99991231'));
  });

  it('DA: rejects inverted, empty and malformed ranges', () => {
    assert.throws(() => parseDateRange('20201231-20200101'), invalidMatching(/lower bound is after/));
    assert.throws(() => parseDateRange('-'), invalid);
    assert.throws(() => parseDateRange('20200101-20200102-20200103'), invalid);
    assert.throws(() => parseDateRange('2020-2021'), invalid);
    assert.throws(() => parseDateRange('20200230-'), invalid);
  });

  it('TM: partial upper bounds cover their whole interval', () => {
    const range = parseTimeRange('08-10');
    assert.equal(range.lower?.key, '080000.000000');
    assert.equal(range.upper?.key, '105959.999999');
    assert.ok(rangeContains(range, timeKey(parseTime('105959.999999'))));
    assert.ok(rangeContains(range, timeKey(parseTime('1059'))));
    assert.ok(!rangeContains(range, timeKey(parseTime('11'))));
    assert.ok(!rangeContains(range, timeKey(parseTime('075959.999999'))));
    assert.equal(parseTimeRange('-1030').upper?.key, '103059.999999');
    assert.equal(parseTimeRange('103015-').lower?.key, '103015.000000');
    assert.equal(parseTimeRange('-103015').upper?.key, '103015.999999');
    // A fraction given to fewer than 6 digits is partial too.
    assert.equal(parseTimeRange('-103015.5').upper?.key, '103015.599999');
    assert.equal(parseTimeRange('103015.5-').lower?.key, '103015.500000');
    const single = parseTimeRange('10');
    assert.equal(single.lower?.key, '100000.000000');
    assert.equal(single.upper?.key, '105959.999999');
  });

  it('TM: a range crossing midnight is rejected', () => {
    assert.throws(() => parseTimeRange('2200-0200'), invalidMatching(/PS3.4/));
    assert.throws(() => parseTimeRange('1031-1030'), invalid);
    // Equal partial bounds are fine: '10-10' is all of 10 o'clock.
    assert.equal(parseTimeRange('10-10').upper?.key, '105959.999999');
  });

  it('DT: partial bounds, open ends and offsets', () => {
    const years = parseDateTimeRange('2019-2020');
    assert.equal(years.lower?.key, '20190101000000.000000');
    assert.equal(years.upper?.key, '20201231235959.999999');
    assert.equal(parseDateTimeRange('-202002').upper?.key, '20200229235959.999999');
    assert.equal(parseDateTimeRange('20200315103015.5-').lower?.key, '20200315103015.500000');
    assert.equal(parseDateTimeRange('20200315').upper?.key, '20200315235959.999999');
    // Offsets normalise to UTC so bounds compare as instants.
    const zoned = parseDateTimeRange('20200101-0500-20200102+0100');
    assert.equal(zoned.lower?.key, '20200101050000.000000');
    assert.equal(zoned.upper?.key, '20200102225959.999999');
    assert.equal(parseDateTimeRange('-20200101-0500').upper?.key, '20200102045959.999999');
    assert.equal(parseDateTimeRange('20200101-0500-').lower?.key, '20200101050000.000000');
  });

  it('DT: a value with an offset is not mistaken for a range', () => {
    const range = parseDateTimeRange('2020-0500');
    assert.equal(range.lower?.value.offsetMinutes, -300);
    assert.equal(range.lower?.key, '20200101050000.000000');
    assert.equal(range.upper?.key, '20210101045959.999999');
  });

  it('DT: default offset for values without one', () => {
    const range = parseDateTimeRange('2020031510-2020031511', { defaultOffsetMinutes: 120 });
    assert.equal(range.lower?.key, '20200315080000.000000');
    assert.equal(range.upper?.key, '20200315095959.999999');
    const stored = parseDateTime('20200315093000+0000');
    assert.ok(rangeContains(range, dateTimeKey(stored)));
    assert.ok(!rangeContains(range, dateTimeKey(parseDateTime('20200315103000+0000'))));
    assert.ok(
      rangeContains(range, dateTimeKey(parseDateTime('2020031510'), 'lower', { defaultOffsetMinutes: 120 })),
    );
  });

  it('DT: keys cross day, year and clamp at the ends', () => {
    assert.equal(dateTimeKey(parseDateTime('20200101003000+0100')), '20191231233000.000000');
    assert.equal(dateTimeKey(parseDateTime('0050+0100')), '00491231230000.000000');
    assert.equal(dateTimeKey(parseDateTime('0000+0100')), '00000101000000.000000');
    assert.equal(dateTimeKey(parseDateTime('9999-0100'), 'upper'), '99991231235959.999999');
    // A leap second keeps its 60 through the offset shift.
    assert.equal(dateTimeKey(parseDateTime('20161231235960+0100')), '20161231225960.000000');
  });

  it('DT: rejects inverted, ambiguous and malformed ranges', () => {
    assert.throws(() => parseDateTimeRange('2021-2020'), invalidMatching(/lower bound is after/));
    assert.throws(() => parseDateTimeRange('0100-0200'), invalidMatching(/ambiguous/));
    assert.throws(() => parseDateTimeRange('-'), invalid);
    assert.throws(() => parseDateTimeRange('2020x'), invalidMatching(/expected YYYY/));
    assert.throws(() => parseDateTimeRange('2020-20x'), invalid);
  });
});
