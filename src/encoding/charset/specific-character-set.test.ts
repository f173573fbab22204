import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../../core/errors.ts';
import { DEFAULT_CHARACTER_SET, SpecificCharacterSet } from './index.ts';
import { bytes, latin1 } from './test-bytes.ts';

/**
 * Patient's Name (0010,0010) of pydicom's charset test files, as listed in its
 * testdata/charset/FileInfo.txt (without the files' trailing pad space), with the text pydicom
 * 2.3 decodes them to.
 */
const PYDICOM_NAMES: readonly [file: string, charset: string[], raw: string, text: string][] = [
  ['chrArab', ['ISO_IR 127'], '\xe2\xc8\xc7\xe6\xea^\xe4\xe6\xd2\xc7\xd1', 'قباني^لنزار'],
  ['chrFren', ['ISO_IR 100'], 'Buc^J\xe9r\xf4me', 'Buc^Jérôme'],
  ['chrGerm', ['ISO_IR 100'], '\xc4neas^R\xfcdiger', 'Äneas^Rüdiger'],
  ['chrGreek', ['ISO_IR 126'], '\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2', 'Διονυσιος'],
  [
    'chrH31',
    ['', 'ISO 2022 IR 87'],
    'Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B=\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B',
    'Yamada^Tarou=山田^太郎=やまだ^たろう',
  ],
  [
    'chrH32',
    ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
    '\xd4\xcf\xc0\xde^\xc0\xdb\xb3=\x1b$B;3ED\x1b(J^\x1b$BB@O:\x1b(J=\x1b$B$d$^$@\x1b(J^\x1b$B$?$m$&\x1b(J',
    'ﾔﾏﾀﾞ^ﾀﾛｳ=山田^太郎=やまだ^たろう',
  ],
  ['chrHbrw', ['ISO_IR 138'], '\xf9\xf8\xe5\xef^\xe3\xe1\xe5\xf8\xe4', 'שרון^דבורה'],
  [
    'chrI2',
    ['', 'ISO 2022 IR 149'],
    'Hong^Gildong=\x1b$)C\xfb\xf3^\x1b$)C\xd1\xce\xd4\xd7=\x1b$)C\xc8\xab^\x1b$)C\xb1\xe6\xb5\xbf',
    'Hong^Gildong=洪^吉洞=홍^길동',
  ],
  // The Latin 'c', 'e', 'y' and 'p' among the Cyrillic letters are in the file.
  ['chrRuss', ['ISO_IR 144'], '\xbb\xee\xdace\xdc\xd1yp\xd3', 'Люкceмбypг'],
  ['chrX1', ['ISO_IR 192'], 'Wang^XiaoDong=\xe7\x8e\x8b^\xe5\xb0\x8f\xe6\x9d\xb1=', 'Wang^XiaoDong=王^小東='],
  ['chrX2', ['GB18030'], 'Wang^XiaoDong=\xcd\xf5^\xd0\xa1\xb6\xab=', 'Wang^XiaoDong=王^小东='],
];

describe('SpecificCharacterSet with the pydicom charset files', () => {
  for (const [file, charset, raw, text] of PYDICOM_NAMES) {
    it(`decodes Patient's Name of ${file} (${charset.join('\\')})`, () => {
      const cs = SpecificCharacterSet.from(charset);
      assert.deepEqual(cs.warnings, []);
      assert.equal(cs.decode(bytes(raw), 'PN'), text);
    });

    it(`encodes it back to the same bytes (${file})`, () => {
      const cs = SpecificCharacterSet.from(charset);
      assert.equal(latin1(cs.encode(text, 'PN')), raw);
      assert.equal(latin1(cs.encode(cs.decode(bytes(raw), 'PN'), 'PN')), raw);
    });

    it(`keeps the pad space of the stored value (${file})`, () => {
      const cs = SpecificCharacterSet.from(charset);
      assert.equal(cs.decode(bytes(`${raw} `), 'PN'), `${text} `);
    });
  }
});

describe('multi-valued elements', () => {
  it('decodes values on both sides of a backslash (chrFrenMulti, (0010,1001))', () => {
    const cs = SpecificCharacterSet.from(['ISO_IR 100']);
    const raw = 'Buc^J\xe9r\xf4me\\Buc^J\xe9r\xf4me ';
    assert.equal(cs.decode(bytes(raw), 'PN'), 'Buc^Jérôme\\Buc^Jérôme ');
    assert.equal(latin1(cs.encode('Buc^Jérôme\\Buc^Jérôme ', 'PN')), raw);
  });

  it('decodes ISO 2022 values on both sides of a backslash (chrJapMulti, chrKoreanMulti)', () => {
    const jp = SpecificCharacterSet.from(['', 'ISO 2022 IR 87']);
    const jpRaw = '\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B\\\x1b$B$d$^$@\x1b(B^\x1b$B$?$m$&\x1b(B';
    assert.equal(jp.decode(bytes(`${jpRaw} `), 'PN'), 'やまだ^たろう\\やまだ^たろう ');
    assert.equal(latin1(jp.encode('やまだ^たろう\\やまだ^たろう', 'PN')), jpRaw);
    const ko = SpecificCharacterSet.from(['', 'ISO 2022 IR 149']);
    const koRaw = '\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B\\\x1b$)C\xb1\xe8\xc8\xf1\xc1\xdf\x1b(B ';
    assert.equal(ko.decode(bytes(koRaw), 'PN'), '김희중\\김희중 ');
  });

  it('returns to the initial sets before each backslash of an LO', () => {
    const cs = SpecificCharacterSet.from(['', 'ISO 2022 IR 87']);
    assert.equal(latin1(cs.encode('やまだ\\たろう', 'LO')), '\x1b$B$d$^$@\x1b(B\\\x1b$B$?$m$&\x1b(B');
    assert.equal(cs.decode(cs.encode('やまだ\\たろう', 'LO'), 'LO'), 'やまだ\\たろう');
  });

  it('keeps a backslash as text in LT, ST and UT', () => {
    const cs = SpecificCharacterSet.from(['ISO_IR 100']);
    assert.equal(cs.decode(bytes('a\\b'), 'LT'), 'a\\b');
    assert.equal(latin1(cs.encode('C:\\dir', 'UT')), 'C:\\dir');
  });
});

describe('SpecificCharacterSet.from', () => {
  it('gives the default repertoire for an absent or empty value', () => {
    assert.equal(SpecificCharacterSet.from(undefined), DEFAULT_CHARACTER_SET);
    assert.equal(SpecificCharacterSet.from([]), DEFAULT_CHARACTER_SET);
    for (const values of [undefined, [], [''], ['ISO_IR 6'], ['ISO 2022 IR 6'], [' ISO_IR 6 ']]) {
      const cs = SpecificCharacterSet.from(values);
      assert.equal(cs.isDefault, true, String(values));
      assert.deepEqual(cs.warnings, []);
    }
    assert.deepEqual(DEFAULT_CHARACTER_SET.terms, []);
    assert.equal(SpecificCharacterSet.from(['ISO_IR 100']).isDefault, false);
    assert.equal(SpecificCharacterSet.from(['', 'ISO 2022 IR 87']).isDefault, false);
  });

  it('normalises misspelled terms and says so', () => {
    const cases: [string[], string[]][] = [
      [['ISO_IR100'], ['ISO_IR 100']],
      [['ISO-IR 100'], ['ISO_IR 100']],
      [['iso_ir 126'], ['ISO_IR 126']],
      [['ISO IR 144'], ['ISO_IR 144']],
      [['utf8'], ['ISO_IR 192']],
      [['UTF-8'], ['ISO_IR 192']],
      [['ISO-8859-1'], ['ISO_IR 100']],
      [['gb18030'], ['GB18030']],
      [['GB2312'], ['ISO 2022 IR 58']],
      [
        ['', 'ISO_IR 87'],
        ['', 'ISO 2022 IR 87'],
      ],
      [
        ['ISO_IR 100', 'ISO_IR 126'],
        ['ISO 2022 IR 100', 'ISO 2022 IR 126'],
      ],
      [['ISO 2022 IR 192'], ['ISO_IR 192']],
    ];
    for (const [values, terms] of cases) {
      const cs = SpecificCharacterSet.from(values);
      assert.deepEqual(cs.terms, terms, values.join('\\'));
      assert.ok(cs.warnings.length >= 1, values.join('\\'));
    }
    assert.equal(SpecificCharacterSet.from(['ISO-IR 100']).decode(bytes('J\xe9r\xf4me'), 'PN'), 'Jérôme');
    assert.equal(SpecificCharacterSet.from(['utf8']).decode(bytes('\xe7\x8e\x8b'), 'PN'), '王');
  });

  it('falls back to ISO 8859-1 for an unknown term, with a warning', () => {
    const cs = SpecificCharacterSet.from(['ISO_IR 999']);
    assert.deepEqual(cs.terms, ['ISO_IR 100']);
    assert.equal(cs.warnings.length, 1);
    assert.match(cs.warnings[0]!, /ISO_IR 999/);
    assert.equal(cs.decode(bytes('Buc^J\xe9r\xf4me'), 'PN'), 'Buc^Jérôme');
    assert.equal(cs.isDefault, false);
  });

  it('ignores an unknown term after the first, with a warning', () => {
    const cs = SpecificCharacterSet.from(['', 'ISO 2022 IR 87', 'KLINGON']);
    assert.deepEqual(cs.terms, ['', 'ISO 2022 IR 87']);
    assert.equal(cs.warnings.length, 1);
    assert.equal(cs.decode(bytes('\x1b$B;3ED\x1b(B'), 'PN'), '山田');
  });

  it('keeps UTF-8 alone when combined with other terms, with a warning', () => {
    const cs = SpecificCharacterSet.from(['ISO 2022 IR 100', 'ISO_IR 192']);
    assert.deepEqual(cs.terms, ['ISO_IR 192']);
    assert.equal(cs.warnings.length, 1);
    assert.equal(cs.decode(bytes('\xc3\xa9'), 'LO'), 'é');
  });

  it('returns frozen lists', () => {
    const cs = SpecificCharacterSet.from(['ISO_IR100']);
    assert.ok(Object.isFrozen(cs.terms));
    assert.ok(Object.isFrozen(cs.warnings));
  });
});

describe('encode errors', () => {
  const rejects = (
    charset: string[] | undefined,
    text: string,
    vr: 'PN' | 'LO' | 'LT' | 'CS',
    cp: string,
  ) => {
    const cs = SpecificCharacterSet.from(charset);
    assert.throws(
      () => cs.encode(text, vr),
      (err: unknown) => err instanceof DicomError && err.code === 'ERR_CHARSET' && err.message.includes(cp),
      `${charset?.join('\\')}: ${text}`,
    );
  };

  it('throws ERR_CHARSET naming the character outside the repertoire', () => {
    rejects(['ISO_IR 100'], 'Ωmega', 'LO', "'Ω' (U+03A9) at index 0");
    rejects(undefined, 'Jérôme', 'PN', "'é' (U+00E9) at index 1");
    rejects(['ISO_IR 126'], 'Jérôme', 'PN', 'U+00E9');
    rejects(['', 'ISO 2022 IR 87'], 'ﾔﾏﾀﾞ', 'PN', 'U+FF94');
    rejects(['', 'ISO 2022 IR 149'], '山田 ก', 'PN', "'ก' (U+0E01) at index 3");
    rejects(['GBK'], '𠀀', 'LO', 'U+20000');
    rejects(['ISO_IR 192'], 'a\ud800b', 'LO', 'U+D800');
  });

  it('rejects ESC in ISO 2022 text, where it would start an escape sequence', () => {
    rejects(['', 'ISO 2022 IR 87'], 'a\x1bb', 'LT', 'U+001B');
  });

  it('writes VRs outside PS3.5 §6.1.2.3 (CS, DA, UI...) in the default repertoire only', () => {
    rejects(['ISO_IR 100'], 'É', 'CS', 'U+00C9');
    assert.equal(latin1(SpecificCharacterSet.from(['ISO_IR 100']).encode('ORIGINAL', 'CS')), 'ORIGINAL');
  });
});

describe('decode never throws', () => {
  const charsets = [
    undefined,
    ['ISO_IR 100'],
    ['ISO_IR 101'],
    ['ISO_IR 109'],
    ['ISO_IR 110'],
    ['ISO_IR 126'],
    ['ISO_IR 127'],
    ['ISO_IR 138'],
    ['ISO_IR 144'],
    ['ISO_IR 148'],
    ['ISO_IR 166'],
    ['ISO_IR 203'],
    ['ISO_IR 13'],
    ['ISO_IR 192'],
    ['GB18030'],
    ['GBK'],
    ['', 'ISO 2022 IR 87', 'ISO 2022 IR 159'],
    ['ISO 2022 IR 13', 'ISO 2022 IR 87'],
    ['', 'ISO 2022 IR 149'],
    ['', 'ISO 2022 IR 58'],
    ['ISO 2022 IR 100', 'ISO 2022 IR 126', 'ISO 2022 IR 144'],
  ];

  it('on random bytes, for every kind of set and VR', () => {
    let seed = 12345;
    const random = () => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (const charset of charsets) {
      const cs = SpecificCharacterSet.from(charset);
      for (let n = 0; n < 200; n++) {
        const data = new Uint8Array(random() % 40);
        for (let i = 0; i < data.length; i++) data[i] = random() % 7 === 0 ? 0x1b : random() & 0xff;
        for (const vr of ['PN', 'LO', 'LT'] as const) assert.equal(typeof cs.decode(data, vr), 'string');
      }
    }
  });

  it('replaces what the set does not define with U+FFFD', () => {
    assert.equal(SpecificCharacterSet.from(['ISO_IR 127']).decode(bytes('a\xa1b'), 'LO'), 'a\ufffdb');
    assert.equal(SpecificCharacterSet.from(['ISO_IR 192']).decode(bytes('a\xffb'), 'LO'), 'a\ufffdb');
    const jp = SpecificCharacterSet.from(['', 'ISO 2022 IR 87']);
    assert.equal(jp.decode(bytes('\x1b$B;'), 'LO'), '\ufffd', 'half a character');
    assert.equal(jp.decode(bytes('a\x1b'), 'LO'), 'a\ufffd', 'a cut escape sequence');
    assert.equal(jp.decode(bytes('a\x1b(Zb'), 'LO'), 'a\ufffdb', 'an unknown escape sequence');
  });

  it('reads bytes above 0x7F of the default repertoire as ISO 8859-1, like pydicom and DCMTK', () => {
    assert.equal(DEFAULT_CHARACTER_SET.decode(bytes('J\xe9r\xf4me'), 'PN'), 'Jérôme');
  });
});
