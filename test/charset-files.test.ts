/**
 * The character set samples of the corpus decode to the names their documentation gives
 * (test/fixtures/pydicom/charset/FileInfo.txt, checked against pydicom), including items
 * that declare their own Specific Character Set, and re-encode to the same bytes.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { readDicom } from '../src/object/part10.ts';
import { writeDicom } from '../src/object/part10-writer.ts';

const DIR = 'test/fixtures/pydicom/charset';

/** Patient's Name of each file, as FileInfo.txt lists it, in Unicode. */
const PATIENT_NAMES: Record<string, string> = {
  'chrArab.dcm': 'قباني^لنزار',
  'chrFren.dcm': 'Buc^Jérôme',
  'chrGerm.dcm': 'Äneas^Rüdiger',
  'chrGreek.dcm': 'Διονυσιος',
  'chrH31.dcm': 'Yamada^Tarou=山田^太郎=やまだ^たろう',
  'chrH32.dcm': 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  'chrHbrw.dcm': 'שרון^דבורה',
  'chrI2.dcm': 'Hong^Gildong=洪^吉洞=홍^길동',
  'chrRuss.dcm': 'Люкceмбypг',
  'chrX1.dcm': 'Wang^XiaoDong=王^小東=',
  'chrX2.dcm': 'Wang^XiaoDong=王^小东=',
  'chrJapMulti.dcm': 'やまだ^たろう',
  'chrKoreanMulti.dcm': '김희중',
};

function read(name: string) {
  return readDicom(new Uint8Array(readFileSync(join(DIR, name))));
}

describe('character set sample files', () => {
  for (const [name, expected] of Object.entries(PATIENT_NAMES)) {
    test(`${name}: Patient's Name is ${expected}`, () => {
      assert.equal(read(name).dataset.get('PatientName'), expected);
    });
  }

  test('chrFrenMulti.dcm: multi-valued LO decodes value by value', () => {
    const ds = read('chrFrenMulti.dcm').dataset;
    assert.equal(ds.get('PatientName'), 'Buc^Jérôme');
    assert.deepEqual(ds.strings('OtherPatientIDs'), ['eggs', 'spam']);
  });

  for (const name of ['chrSQEncoding.dcm', 'chrSQEncoding1.dcm']) {
    test(`${name}: a sequence item uses its own (or the enclosing) character set`, () => {
      const ds = read(name).dataset;
      const names: string[] = [];
      const walk = (set: typeof ds): void => {
        for (const element of set) {
          if (element.vr === 'PN') names.push(set.string(element.tag) ?? '');
          for (const item of element.items ?? []) walk(item);
        }
      };
      walk(ds);
      assert.deepEqual(names, ['Doctor^Who^^MD', 'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう']);
    });
  }

  test('names re-encoded with the file character set read back the same', () => {
    for (const name of Object.keys(PATIENT_NAMES)) {
      const file = read(name);
      const original = file.dataset.bytes('PatientName')!;
      const value = file.dataset.strings('PatientName')!;
      file.dataset.set('PatientName', value);
      const reread = readDicom(writeDicom(file)).dataset;
      assert.deepEqual(reread.strings('PatientName'), value, name);
      // Single-byte sets and UTF-8 have one encoding; ISO 2022 may choose other escapes.
      if (!file.dataset.characterSet.terms.some((t) => t.startsWith('ISO 2022'))) {
        assert.deepEqual(file.dataset.bytes('PatientName'), original, name);
      }
    }
  });
});
