import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SpecificCharacterSet } from './index.ts';
import { bytes, latin1 } from './test-bytes.ts';

const GB18030 = SpecificCharacterSet.from(['GB18030']);
const GBK = SpecificCharacterSet.from(['GBK']);
const UTF8 = SpecificCharacterSet.from(['ISO_IR 192']);

describe('GB18030 and GBK (PS3.3 Table C.12-5)', () => {
  it('does not split a value at a 0x5C that is the second byte of a character', () => {
    // '乗' is 0x81 0x5C.
    for (const cs of [GB18030, GBK]) {
      const text = cs.decode(bytes('\x81\x5c\\A\\\x81\x5c'), 'LO');
      assert.equal(text, '乗\\A\\乗');
      assert.deepEqual(text.split('\\'), ['乗', 'A', '乗']);
      assert.equal(latin1(cs.encode(text, 'LO')), '\x81\x5c\\A\\\x81\x5c');
    }
  });

  it('writes four-byte codes for what two bytes cannot hold', () => {
    assert.equal(latin1(GB18030.encode('\u0080', 'LO')), '\x81\x30\x81\x30');
    assert.equal(latin1(GB18030.encode('𠀀', 'LO')), '\x95\x32\x82\x36');
    assert.equal(latin1(GB18030.encode('\ufffd', 'LO')), '\x84\x31\xa4\x37');
    assert.equal(GB18030.decode(bytes('\x95\x32\x82\x36'), 'LO'), '𠀀');
    assert.throws(() => GBK.encode('\u0080', 'LO'), { code: 'ERR_CHARSET' });
  });

  it('writes the EURO SIGN as 0xA2E3 in GB18030 and 0x80 in GBK', () => {
    assert.equal(latin1(GB18030.encode('€', 'LO')), '\xa2\xe3');
    assert.equal(latin1(GBK.encode('€', 'LO')), '\x80');
    assert.equal(GBK.decode(bytes('\x80'), 'LO'), '€');
  });

  it('encodes every BMP character but a few private-use ones so that the decoder gives it back', () => {
    const decoder = new TextDecoder('gb18030');
    const failed: number[] = [];
    for (let cp = 0x80; cp <= 0xffff; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const text = String.fromCharCode(cp);
      try {
        assert.equal(decoder.decode(GB18030.encode(text, 'LO')), text, `U+${cp.toString(16)}`);
      } catch (err) {
        if (!(err instanceof Error && 'code' in err && err.code === 'ERR_CHARSET')) throw err;
        failed.push(cp);
      }
    }
    // Private-use code points that GB18030-2022 moved to standard characters: no code decodes to them.
    assert.ok(failed.length < 40, `${failed.length} unencodable`);
    assert.ok(
      failed.every((cp) => cp >= 0xe000 && cp <= 0xf8ff),
      failed.map((cp) => cp.toString(16)).join(),
    );
  });

  it('round-trips the supplementary planes', () => {
    for (const cp of [0x10000, 0x1f600, 0x20000, 0x2a6d6, 0x10ffff]) {
      const text = String.fromCodePoint(cp);
      assert.equal(GB18030.decode(GB18030.encode(text, 'LO'), 'LO'), text);
    }
  });
});

describe('UTF-8 (ISO_IR 192)', () => {
  it('decodes and encodes any text', () => {
    const text = 'Wang^XiaoDong=王^小東=Ωμέγα 😀';
    assert.equal(UTF8.decode(UTF8.encode(text, 'PN'), 'PN'), text);
  });

  it('keeps a byte order mark as text, so that decoding loses nothing', () => {
    assert.equal(UTF8.decode(bytes('\xef\xbb\xbfA'), 'LO'), '\ufeffA');
    assert.equal(latin1(UTF8.encode('\ufeffA', 'LO')), '\xef\xbb\xbfA');
  });
});
