import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecificCharacterSet } from './index.ts';
import { bytes, latin1 } from './test-bytes.ts';

const LATIN_GREEK = SpecificCharacterSet.from(['ISO 2022 IR 100', 'ISO 2022 IR 126']);
const JAPANESE = SpecificCharacterSet.from(['', 'ISO 2022 IR 87', 'ISO 2022 IR 159']);
const JAPANESE_KATAKANA = SpecificCharacterSet.from(['ISO 2022 IR 13', 'ISO 2022 IR 87']);
const KOREAN = SpecificCharacterSet.from(['', 'ISO 2022 IR 149']);
const CHINESE = SpecificCharacterSet.from(['', 'ISO 2022 IR 58']);

describe('ISO 2022 resets (PS3.5 §6.1.2.5.3)', () => {
  it("returns to the initial sets at '^' and '=' in PN only", () => {
    const raw = bytes('Buc^\x1b-F\xc4\xe9^\xc4=\xc4');
    assert.equal(LATIN_GREEK.decode(raw, 'PN'), 'Buc^Δι^Ä=Ä');
    assert.equal(LATIN_GREEK.decode(raw, 'LO'), 'Buc^Δι^Δ=Δ');
  });

  it('returns to the initial sets at CR, LF, TAB and FF in any VR', () => {
    const raw = bytes('\x1b-F\xc4\r\n\xc4\x1b-F\xc4\t\xc4\x1b-F\xc4\f\xc4');
    assert.equal(LATIN_GREEK.decode(raw, 'LT'), 'Δ\r\nÄΔ\tÄΔ\fÄ');
  });

  it("designates the initial sets again before '^' and '=' of a PN and at its end", () => {
    assert.equal(
      latin1(LATIN_GREEK.encode('Jérôme^Διονυσιος=Δ', 'PN')),
      'J\xe9r\xf4me^\x1b-F\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2\x1b-A=\x1b-F\xc4\x1b-A',
    );
    assert.equal(
      latin1(LATIN_GREEK.encode('Jérôme^Διονυσιος=Δ', 'LO')),
      'J\xe9r\xf4me^\x1b-F\xc4\xe9\xef\xed\xf5\xf3\xe9\xef\xf2=\xc4\x1b-A',
    );
  });

  it('designates again before CR LF of an LT', () => {
    assert.equal(latin1(JAPANESE.encode('山\r\n田', 'LT')), '\x1b$B;3\x1b(B\r\n\x1b$BED\x1b(B');
  });

  it('keeps each PN component group readable on its own', () => {
    const encoded = JAPANESE.encode('Yamada^Tarou=山田^太郎=やまだ^たろう', 'PN');
    const groups = latin1(encoded).split('=');
    assert.deepEqual(
      groups.map((g) => JAPANESE.decode(bytes(g), 'PN')),
      ['Yamada^Tarou', '山田^太郎', 'やまだ^たろう'],
    );
  });
});

describe('two-byte G0 sets (JIS X 0208, JIS X 0212)', () => {
  it("reads 0x5C, '^' and '=' inside a two-byte character as half of it, not as delimiters", () => {
    // 'ま' is 0x24 0x5E and 'ぼ' is 0x24 0x5C in JIS X 0208.
    assert.equal(JAPANESE.decode(bytes('\x1b$B$^$\\\x1b(B'), 'PN'), 'まぼ');
    assert.equal(JAPANESE.decode(bytes('\x1b$B$^$\\\x1b(B\\a'), 'LO'), 'まぼ\\a');
    assert.equal(latin1(JAPANESE.encode('まぼ', 'PN')), '\x1b$B$^$\\\x1b(B');
  });

  it('encodes JIS X 0212 characters that JIS X 0208 lacks', () => {
    assert.equal(latin1(JAPANESE.encode('A丂B', 'LO')), 'A\x1b$(D0!\x1b(BB');
    assert.equal(JAPANESE.decode(bytes('A\x1b$(D0!\x1b(BB'), 'LO'), 'A丂B');
  });

  it('writes SPACE in a single-byte G0 set', () => {
    assert.equal(latin1(JAPANESE.encode('山 田', 'PN')), '\x1b$B;3\x1b(B \x1b$BED\x1b(B');
    // ...but reads a SPACE met in two-byte mode as a space.
    assert.equal(JAPANESE.decode(bytes('\x1b$B;3 ED\x1b(B'), 'PN'), '山 田');
  });

  it('uses the JIS mapping of iconv and Python, and accepts the Windows one when encoding', () => {
    // 0x2141 is WAVE DASH in JIS X 0208; Windows and the WHATWG decoder say FULLWIDTH TILDE.
    assert.equal(JAPANESE.decode(bytes('\x1b$B!A\x1b(B'), 'LO'), '\u301c');
    assert.equal(latin1(JAPANESE.encode('\u301c', 'LO')), '\x1b$B!A\x1b(B');
    assert.equal(latin1(JAPANESE.encode('\uff5e', 'LO')), '\x1b$B!A\x1b(B');
    assert.equal(JAPANESE.decode(bytes('\x1b$B!]\x1b(B'), 'LO'), '\u2212');
  });

  it('accepts the older designations of JIS X 0208 when decoding', () => {
    assert.equal(JAPANESE.decode(bytes('\x1b$@;3\x1b(B'), 'LO'), '山');
    assert.equal(JAPANESE.decode(bytes('\x1b$(B;3\x1b(B'), 'LO'), '山');
  });
});

describe('JIS X 0201 (ISO 2022 IR 13)', () => {
  it('starts with Romaji in G0 and katakana in G1', () => {
    assert.equal(JAPANESE_KATAKANA.decode(bytes('\xd4\xcf\xc0\xde^Abc'), 'PN'), 'ﾔﾏﾀﾞ^Abc');
  });

  it('reads 0x5C as YEN SIGN and 0x7E as OVERLINE, except 0x5C as the value delimiter', () => {
    assert.equal(JAPANESE_KATAKANA.decode(bytes('100\\ ~'), 'LT'), '100¥ ‾');
    assert.equal(JAPANESE_KATAKANA.decode(bytes('a\\b'), 'LO'), 'a\\b');
    assert.equal(latin1(JAPANESE_KATAKANA.encode('100¥ ‾', 'LT')), '100\\ ~');
    assert.throws(() => JAPANESE_KATAKANA.encode('100¥', 'LO'), { code: 'ERR_CHARSET' });
    assert.throws(() => JAPANESE_KATAKANA.encode('a~b', 'LT'), { code: 'ERR_CHARSET' });
  });

  it('repeats the katakana designation after a JIS X 0208 run, for decoders that read runs', () => {
    const raw = '\xd4\xcf\xc0\xde\x1b$B;3ED\x1b)I\xc0\xdb\xb3\x1b(J';
    assert.equal(latin1(JAPANESE_KATAKANA.encode('ﾔﾏﾀﾞ山田ﾀﾛｳ', 'PN')), raw);
    assert.equal(JAPANESE_KATAKANA.decode(bytes(raw), 'PN'), 'ﾔﾏﾀﾞ山田ﾀﾛｳ');
    // ISO 2022 itself needs no escape there: G1 still holds the katakana.
    assert.equal(JAPANESE_KATAKANA.decode(bytes('\x1b$B;3\xc0\x1b(J'), 'PN'), '山ﾀ');
  });

  it('works the same without code extensions (ISO_IR 13)', () => {
    const cs = SpecificCharacterSet.from(['ISO_IR 13']);
    assert.equal(cs.decode(bytes('\xd4\xcf\xc0\xde^\xc0\xdb\xb3\\~'), 'LT'), 'ﾔﾏﾀﾞ^ﾀﾛｳ¥‾');
    assert.equal(cs.decode(bytes('\xd4\\\xc0'), 'LO'), 'ﾔ\\ﾀ');
    assert.equal(latin1(cs.encode('ﾔﾏﾀﾞ^ﾀﾛｳ¥‾', 'LT')), '\xd4\xcf\xc0\xde^\xc0\xdb\xb3\\~');
  });
});

describe('two-byte G1 sets (KS X 1001, GB 2312)', () => {
  it('mixes ASCII and Hangul after one designation (PS3.5 Example I.3-1)', () => {
    const raw = bytes('\x1b$)CThe first line includes \xc7\xd1\xb1\xdb.\r\n');
    assert.equal(KOREAN.decode(raw, 'LT'), 'The first line includes 한글.\r\n');
    assert.equal(latin1(KOREAN.encode('한 글', 'LT')), '\x1b$)C\xc7\xd1 \xb1\xdb');
  });

  it('reads Hangul without a designation after a reset as KS X 1001, the declared G1 set', () => {
    assert.equal(KOREAN.decode(bytes('Hong^\x1b$)C\xfb\xf3^\xd1\xce'), 'PN'), 'Hong^洪^吉');
  });

  it('takes a single ISO 2022 IR 149 value as KS X 1001 in G1 from the start', () => {
    const cs = SpecificCharacterSet.from(['ISO 2022 IR 149']);
    assert.equal(cs.decode(bytes('\xb1\xe8\xc8\xf1\xc1\xdf'), 'PN'), '김희중');
    assert.equal(latin1(cs.encode('김희중^A', 'PN')), '\xb1\xe8\xc8\xf1\xc1\xdf^A');
  });

  it('encodes GB 2312 names like PS3.5 Example K.2-1', () => {
    const raw = 'Wang^XiaoDong=\x1b$)A\xcd\xf5^\x1b$)A\xd0\xa1\xb6\xab=';
    assert.equal(latin1(CHINESE.encode('Wang^XiaoDong=王^小东=', 'PN')), raw);
    assert.equal(CHINESE.decode(bytes(raw), 'PN'), 'Wang^XiaoDong=王^小东=');
  });
});

describe('choosing among declared sets', () => {
  it('takes the first declared set that has the character', () => {
    const jk = SpecificCharacterSet.from(['', 'ISO 2022 IR 87', 'ISO 2022 IR 149']);
    const kj = SpecificCharacterSet.from(['', 'ISO 2022 IR 149', 'ISO 2022 IR 87']);
    assert.equal(latin1(jk.encode('山', 'LO')), '\x1b$B;3\x1b(B');
    assert.equal(latin1(kj.encode('山', 'LO')), '\x1b$)C\xdf\xa3');
  });

  it('returns to ASCII when value 1 is a multi-byte set', () => {
    const cs = SpecificCharacterSet.from(['ISO 2022 IR 87']);
    assert.equal(latin1(cs.encode('A山B', 'LO')), 'A\x1b$B;3\x1b(BB');
    assert.equal(cs.decode(bytes('A\x1b$B;3\x1b(BB'), 'LO'), 'A山B');
  });

  it('stays in a designated set while it has the characters', () => {
    assert.equal(latin1(LATIN_GREEK.encode('Ä α é β', 'LO')), '\xc4 \x1b-F\xe1 \x1b-A\xe9 \x1b-F\xe2\x1b-A');
  });

  it('round-trips mixed scripts', () => {
    const cs = SpecificCharacterSet.from([
      'ISO 2022 IR 100',
      'ISO 2022 IR 144',
      'ISO 2022 IR 87',
      'ISO 2022 IR 149',
    ]);
    for (const text of ['Müller^Люк=山田^홍', 'a\\Люк\\山\\ü', 'Ünïcödé 山田 Люк 홍길동\r\nnext']) {
      for (const vr of ['PN', 'LO', 'LT'] as const) {
        if (vr === 'PN' && text.includes('\r')) continue;
        assert.equal(cs.decode(cs.encode(text, vr), vr), text, `${vr}: ${text}`);
      }
    }
  });
});

describe('every character of the two-byte sets', () => {
  const cases: [string[], string, number, (row: number) => boolean][] = [
    // Rows 1-8 and 16-84 hold JIS X 0208; rows 9-15 and 85-94 are empty or vendor extensions.
    [['', 'ISO 2022 IR 87'], '\x1b$B', 0, (r) => r <= 8 || (r >= 16 && r <= 84)],
    [['', 'ISO 2022 IR 159'], '\x1b$(D', 0, (r) => r !== 83],
    [['', 'ISO 2022 IR 149'], '\x1b$)C', 0x80, () => true],
    [['', 'ISO 2022 IR 58'], '\x1b$)A', 0x80, () => true],
  ];
  for (const [charset, designation, high, standardRow] of cases) {
    it(`decodes and encodes back each code of ${charset[1]}`, () => {
      const cs = SpecificCharacterSet.from(charset);
      const back = high === 0 ? '\x1b(B' : '';
      let defined = 0;
      for (let r = 1; r <= 94; r++) {
        for (let c = 1; c <= 94; c++) {
          const raw = `${designation}${String.fromCharCode((0x20 + r) | high, (0x20 + c) | high)}${back}`;
          const text = cs.decode(bytes(raw), 'LO');
          assert.equal(text.length, 1);
          if (text === '\ufffd' || !standardRow(r)) continue;
          const cp = text.charCodeAt(0);
          // The user-defined area, and JIS X 0212's TILDE, which ASCII has first.
          if ((cp >= 0xe000 && cp <= 0xf8ff) || cp < 0x80) continue;
          defined++;
          assert.equal(latin1(cs.encode(text, 'LO')), raw, `row ${r} cell ${c}`);
        }
      }
      assert.ok(defined > 5000, `${defined} characters`);
    });
  }
});
