import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_CHARACTER_SET, SpecificCharacterSet } from './index.ts';
import { bytes, latin1 } from './test-bytes.ts';

const TERMS = [
  'ISO_IR 100',
  'ISO_IR 101',
  'ISO_IR 109',
  'ISO_IR 110',
  'ISO_IR 126',
  'ISO_IR 127',
  'ISO_IR 138',
  'ISO_IR 144',
  'ISO_IR 148',
  'ISO_IR 166',
  'ISO_IR 203',
  'ISO_IR 13',
];

describe('single-byte sets without code extensions (PS3.3 Table C.12-2)', () => {
  for (const term of TERMS) {
    it(`${term}: every defined byte decodes to one character that encodes back to it`, () => {
      const cs = SpecificCharacterSet.from([term]);
      for (let b = 0; b < 256; b++) {
        const text = cs.decode(Uint8Array.of(b), 'LT');
        assert.equal(text.length, 1);
        if (text !== '\ufffd') assert.deepEqual(cs.encode(text, 'LT'), Uint8Array.of(b), `byte ${b}`);
      }
    });
  }

  it('reads 0x80-0x9F as C1 controls, not as windows-125x characters', () => {
    for (const term of ['ISO_IR 100', 'ISO_IR 148', 'ISO_IR 166']) {
      assert.equal(SpecificCharacterSet.from([term]).decode(bytes('\x80\x9f'), 'LT'), '\u0080\u009f', term);
    }
  });

  it('has the letters that set each part of ISO 8859 apart', () => {
    const decode = (term: string, raw: string) => SpecificCharacterSet.from([term]).decode(bytes(raw), 'LO');
    assert.equal(decode('ISO_IR 101', '\xa1\xb1'), 'Ąą');
    assert.equal(decode('ISO_IR 109', '\xa1\xa5'), 'Ħ\ufffd');
    assert.equal(decode('ISO_IR 110', '\xa2'), 'ĸ');
    assert.equal(decode('ISO_IR 148', '\xd0\xdd\xde\xf0\xfd\xfe'), 'ĞİŞğış');
    assert.equal(decode('ISO_IR 166', '\xa1\xdb\xfc'), 'ก\ufffd\ufffd');
    assert.equal(decode('ISO_IR 203', '\xa4\xbc'), '€Œ');
  });

  it('decodes long all-ASCII values unchanged', () => {
    const text = 'The quick brown fox. '.repeat(2000);
    const raw = new TextEncoder().encode(text);
    for (const term of TERMS.slice(0, -1))
      assert.equal(SpecificCharacterSet.from([term]).decode(raw, 'UT'), text);
    assert.equal(DEFAULT_CHARACTER_SET.decode(raw, 'UT'), text);
  });

  it('decodes long ISO 8859-1 values with bytes above 0x7F', () => {
    const text = 'Jérôme Ä '.repeat(3000);
    const cs = SpecificCharacterSet.from(['ISO_IR 100']);
    assert.equal(cs.decode(cs.encode(text, 'UT'), 'UT'), text);
    assert.equal(cs.encode(text, 'UT').length, text.length);
  });

  it('encodes ASCII in the default repertoire', () => {
    assert.equal(latin1(DEFAULT_CHARACTER_SET.encode('Doe^John\\Roe', 'PN')), 'Doe^John\\Roe');
    assert.equal(DEFAULT_CHARACTER_SET.decode(bytes('Doe^John '), 'PN'), 'Doe^John ');
  });
});
