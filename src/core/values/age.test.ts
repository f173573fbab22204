import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../errors.ts';
import { ageToDays, formatAge, parseAge, tryParseAge } from './age.ts';

const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

describe('AS', () => {
  it('parses each unit', () => {
    assert.deepEqual(parseAge('045Y'), { value: 45, unit: 'Y' });
    assert.deepEqual(parseAge('018M'), { value: 18, unit: 'M' });
    assert.deepEqual(parseAge('003W'), { value: 3, unit: 'W' });
    assert.deepEqual(parseAge('000D'), { value: 0, unit: 'D' });
    assert.deepEqual(parseAge('045Y '), { value: 45, unit: 'Y' });
  });

  it('rejects anything else', () => {
    for (const bad of ['45Y', '0045Y', '045y', '045', '045X', 'Y045', '04 Y', '', '-45Y']) {
      assert.throws(() => parseAge(bad), invalid, bad);
    }
    assert.equal(tryParseAge('45Y'), undefined);
    assert.deepEqual(tryParseAge('045Y'), { value: 45, unit: 'Y' });
  });

  it('formats with three digits', () => {
    assert.equal(formatAge({ value: 5, unit: 'D' }), '005D');
    assert.equal(formatAge({ value: 999, unit: 'Y' }), '999Y');
    assert.equal(formatAge(parseAge('018M')), '018M');
    assert.throws(() => formatAge({ value: 1000, unit: 'Y' }), invalid);
    assert.throws(() => formatAge({ value: 1.5, unit: 'Y' }), invalid);
    assert.throws(() => formatAge({ value: 1, unit: 'X' as 'Y' }), invalid);
  });

  it('compares ages across units in days', () => {
    assert.equal(ageToDays(parseAge('002W')), 14);
    assert.equal(ageToDays(parseAge('012M')), ageToDays(parseAge('001Y')));
    assert.ok(ageToDays(parseAge('018M')) > ageToDays(parseAge('001Y')));
  });
});
