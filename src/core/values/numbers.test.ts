import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../errors.ts';
import {
  formatDS,
  formatIS,
  IS_MAX,
  IS_MIN,
  parseDS,
  parseDSLenient,
  parseIS,
  parseISLenient,
} from './numbers.ts';

const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

describe('IS', () => {
  it('parses signed integers with space padding', () => {
    assert.equal(parseIS('42'), 42);
    assert.equal(parseIS(' 42 '), 42);
    assert.equal(parseIS('+7'), 7);
    assert.equal(parseIS('-7'), -7);
    assert.equal(parseIS('007'), 7);
    assert.ok(Object.is(parseIS('-0'), 0));
  });

  it('accepts the ends of the range and rejects beyond', () => {
    assert.equal(parseIS('2147483647'), IS_MAX);
    assert.equal(parseIS('-2147483648'), IS_MIN);
    assert.throws(() => parseIS('2147483648'), invalid);
    assert.throws(() => parseIS('-2147483649'), invalid);
  });

  it('rejects garbage, embedded spaces and over-long values', () => {
    for (const bad of ['', ' ', '1.0', '1e3', '1 2', 'abc', '0x10', '+', '--1', '1\0', '0000000000001']) {
      assert.throws(() => parseIS(bad), invalid, bad);
    }
  });

  it('lenient: reads what writers produce, undefined for the rest', () => {
    assert.equal(parseISLenient('12\0'), 12);
    assert.equal(parseISLenient(' 12.0 '), 12);
    assert.equal(parseISLenient('1e3'), 1000);
    assert.equal(parseISLenient('0000000000001'), 1);
    assert.equal(parseISLenient('4294967296'), 4294967296);
    assert.equal(parseISLenient('1.5'), undefined);
    assert.equal(parseISLenient(''), undefined);
    assert.equal(parseISLenient('abc'), undefined);
    assert.ok(Object.is(parseISLenient('-0'), 0));
  });

  it('formats integers in range only', () => {
    assert.equal(formatIS(42), '42');
    assert.equal(formatIS(-2147483648), '-2147483648');
    assert.equal(formatIS(-0), '0');
    assert.throws(() => formatIS(1.5), invalid);
    assert.throws(() => formatIS(2 ** 31), invalid);
    assert.throws(() => formatIS(Number.NaN), invalid);
  });
});

describe('DS', () => {
  it('parses fixed and floating point forms', () => {
    assert.equal(parseDS('1.5'), 1.5);
    assert.equal(parseDS(' 12 '), 12);
    assert.equal(parseDS('1.5e3'), 1500);
    assert.equal(parseDS('1.5E-3'), 0.0015);
    assert.equal(parseDS('-2.5e+2'), -250);
    assert.equal(parseDS('.5'), 0.5);
    assert.equal(parseDS('5.'), 5);
    assert.equal(parseDS('+1'), 1);
    assert.ok(Object.is(parseDS('-0'), -0));
    assert.equal(parseDS('123456789.123456'), 123456789.123456);
  });

  it('rejects garbage, non-finite values and more than 16 characters', () => {
    for (const bad of [
      '',
      '.',
      'e3',
      '1e',
      '1.5.2',
      '1 5',
      'NaN',
      'Infinity',
      '0x1A',
      '1,5',
      '1e999',
      '1.23456789012345678',
    ]) {
      assert.throws(() => parseDS(bad), invalid, bad);
    }
    assert.throws(() => parseDS('  1.234567890123 '), invalid);
  });

  it('lenient: NUL padding and over-long values, undefined for garbage', () => {
    assert.equal(parseDSLenient('1.5\0'), 1.5);
    assert.equal(parseDSLenient('0.33333333333333333333'), 1 / 3);
    assert.equal(parseDSLenient('\t2 '), 2);
    assert.equal(parseDSLenient('NaN'), undefined);
    assert.equal(parseDSLenient('1e999'), undefined);
    assert.equal(parseDSLenient(''), undefined);
  });

  it('formats exactly when 16 characters allow it, plain notation first', () => {
    assert.equal(formatDS(0), '0');
    assert.equal(formatDS(-0), '0');
    assert.equal(formatDS(1.5), '1.5');
    assert.equal(formatDS(-2.5), '-2.5');
    assert.equal(formatDS(0.1), '0.1');
    assert.equal(formatDS(1200), '1200');
    assert.equal(formatDS(1e15), '1000000000000000');
    assert.equal(formatDS(123456789.123456), '123456789.123456');
    assert.equal(formatDS(1234567890.123456), '1234567890.12346');
    assert.equal(formatDS(0.0001), '0.0001');
  });

  it('uses the exponent form only when needed', () => {
    assert.equal(formatDS(1e16), '1e16');
    assert.equal(formatDS(1e20), '1e20');
    assert.equal(formatDS(-1.5e20), '-1.5e20');
    assert.equal(formatDS(1.5e-10), '1.5e-10');
    assert.equal(formatDS(5e-324), '5e-324');
    assert.equal(formatDS(1.234567890123456e-5), '1.23456789012e-5');
    assert.equal(formatDS(12345678901234567000), '1.23456789012e19');
  });

  it('rounds to the most precise 16-character form', () => {
    assert.equal(formatDS(1 / 3), '0.33333333333333');
    assert.equal(formatDS(-1 / 3), '-0.3333333333333');
    assert.equal(formatDS(Math.PI), '3.14159265358979');
    assert.equal(formatDS(Math.PI * 1e13), '31415926535897.9');
    assert.equal(formatDS(123456789.12345679), '123456789.123457');
    assert.equal(formatDS(Number.MAX_VALUE), '1.79769313e308');
  });

  it('always produces a valid DS of at most 16 characters that reads back close', () => {
    const samples = [
      Math.E,
      -Math.E * 1e-7,
      2 ** 53 + 2,
      -(2 ** 60),
      9.999999999999999e22,
      0.1 + 0.2,
      1e-300,
      7e-5,
    ];
    for (let i = 0; i < 200; i++) samples.push((Math.sin(i) * 10 ** ((i % 40) - 20)) / 3);
    for (const n of samples) {
      const text = formatDS(n);
      assert.ok(text.length <= 16, text);
      const back = parseDS(text);
      assert.ok(Math.abs(back - n) <= Math.abs(n) * 1e-9, `${n} -> ${text}`);
    }
  });

  it('refuses NaN and infinities', () => {
    assert.throws(() => formatDS(Number.NaN), invalid);
    assert.throws(() => formatDS(Number.POSITIVE_INFINITY), invalid);
  });
});
