import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../errors.ts';
import { PersonName } from './person-name.ts';

const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

describe('PersonName', () => {
  it('parses all three component groups (PS3.5 §6.2.1, Annex H)', () => {
    const pn = PersonName.parse('Yamada^Tarou=山田^太郎=やまだ^たろう');
    assert.equal(pn.alphabetic, 'Yamada^Tarou');
    assert.equal(pn.ideographic, '山田^太郎');
    assert.equal(pn.phonetic, 'やまだ^たろう');
    assert.deepEqual(pn.components('ideographic'), {
      familyName: '山田',
      givenName: '太郎',
      middleName: '',
      namePrefix: '',
      nameSuffix: '',
    });
    assert.equal(pn.group('phonetic'), 'やまだ^たろう');
    assert.equal(pn.toString(), 'Yamada^Tarou=山田^太郎=やまだ^たろう');
  });

  it('splits five components, alphabetic by default', () => {
    const pn = PersonName.parse('Adams^John Robert Quincy^^Rev.^B.A. M.Div.');
    assert.deepEqual(pn.components(), {
      familyName: 'Adams',
      givenName: 'John Robert Quincy',
      middleName: '',
      namePrefix: 'Rev.',
      nameSuffix: 'B.A. M.Div.',
    });
    assert.deepEqual(pn.components('phonetic'), {
      familyName: '',
      givenName: '',
      middleName: '',
      namePrefix: '',
      nameSuffix: '',
    });
  });

  it('strips trailing empty components and groups, keeps interior ones', () => {
    assert.equal(PersonName.parse('Doe^John^^^').toString(), 'Doe^John');
    assert.equal(PersonName.parse('Doe^John^^^==').toString(), 'Doe^John');
    assert.equal(PersonName.parse('Doe^^^^Jr').toString(), 'Doe^^^^Jr');
    assert.equal(PersonName.parse('=山田^太郎').toString(), '=山田^太郎');
    assert.equal(PersonName.parse('==やまだ^たろう').toString(), '==やまだ^たろう');
    assert.equal(PersonName.parse('Yamada^Tarou^=山田^太郎^^=').toString(), 'Yamada^Tarou=山田^太郎');
    assert.equal(PersonName.parse('^^^^=^=').toString(), '');
    assert.equal(PersonName.parse('^^^^=^=').isEmpty, true);
  });

  it('drops padding but keeps spaces that belong to the name', () => {
    assert.equal(PersonName.parse('Doe^John ').toString(), 'Doe^John');
    assert.equal(PersonName.parse('Doe^John\0').toString(), 'Doe^John');
    assert.equal(PersonName.parse('van der Berg^Anna Maria').components().familyName, 'van der Berg');
  });

  it('handles the empty value', () => {
    const pn = PersonName.parse('');
    assert.equal(pn.isEmpty, true);
    assert.equal(pn.toString(), '');
    assert.deepEqual(pn.toGroups(), {});
  });

  it('rejects more than three groups, more than five components, and backslashes', () => {
    assert.throws(() => PersonName.parse('a=b=c=d'), invalid);
    assert.throws(() => PersonName.parse('a^b^c^d^e^f'), invalid);
    assert.throws(() => PersonName.parse('Doe^John\\Roe^Jane'), invalid);
    assert.equal(PersonName.tryParse('a=b=c=d'), undefined);
    // Surplus trailing delimiters carry no data and are not a sixth component.
    assert.equal(PersonName.parse('a^b^c^d^e^').toString(), 'a^b^c^d^e');
  });

  it('converts to and from DICOM JSON groups (PS3.18 §F.2.2)', () => {
    const pn = PersonName.parse('Yamada^Tarou=山田^太郎=やまだ^たろう');
    assert.deepEqual(pn.toGroups(), {
      Alphabetic: 'Yamada^Tarou',
      Ideographic: '山田^太郎',
      Phonetic: 'やまだ^たろう',
    });
    assert.deepEqual(JSON.parse(JSON.stringify(pn)), pn.toGroups());
    assert.deepEqual(PersonName.parse('=山田^太郎').toGroups(), { Ideographic: '山田^太郎' });
    assert.equal(PersonName.fromGroups({ Ideographic: '山田^太郎' }).toString(), '=山田^太郎');
    assert.equal(PersonName.fromGroups({ Phonetic: 'やまだ' }).toString(), '==やまだ');
    assert.equal(PersonName.fromGroups({ Alphabetic: 'Doe^John^^', Ideographic: '' }).toString(), 'Doe^John');
    assert.ok(PersonName.fromGroups(pn.toGroups()).equals(pn));
    assert.throws(() => PersonName.fromGroups({ Alphabetic: 'a=b' }), invalid);
  });

  it('builds from components', () => {
    const pn = PersonName.fromComponents({
      alphabetic: { familyName: 'Doe', givenName: 'John', nameSuffix: 'Jr' },
      phonetic: { familyName: 'dou' },
    });
    assert.equal(pn.toString(), 'Doe^John^^^Jr==dou');
    assert.throws(() => PersonName.fromComponents({ alphabetic: { familyName: 'a^b' } }), invalid);
  });

  it('compares by canonical form', () => {
    assert.ok(PersonName.parse('Doe^John^^').equals(PersonName.parse('Doe^John')));
    assert.ok(!PersonName.parse('Doe^John').equals(PersonName.parse('Doe^Jane')));
  });
});
