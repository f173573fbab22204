import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../errors.ts';
import { formatAttributeTag, parseAttributeTag, tryParseAttributeTag } from './attribute-tag.ts';

const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

describe('AT', () => {
  it('formats a tag as DICOM JSON writes it (PS3.18 §F.2.3)', () => {
    assert.equal(formatAttributeTag(0x00100010), '00100010');
    assert.equal(formatAttributeTag(0x0028_0009), '00280009');
    assert.equal(formatAttributeTag(0xfffee000), 'FFFEE000');
    assert.throws(() => formatAttributeTag(-1), invalid);
    assert.throws(() => formatAttributeTag(2 ** 32), invalid);
  });

  it('parses 8 hex digits in either case back to the tag', () => {
    assert.equal(parseAttributeTag('00100010'), 0x00100010);
    assert.equal(parseAttributeTag('7fe00010'), 0x7fe00010);
    assert.equal(parseAttributeTag('FFFEE0DD'), 0xfffee0dd);
    assert.equal(parseAttributeTag(formatAttributeTag(0x00540081)), 0x00540081);
  });

  it('rejects other forms', () => {
    for (const bad of ['(0010,0010)', '0010,0010', '0010001', '001000100', 'G0100010', '', '+0100010']) {
      assert.throws(() => parseAttributeTag(bad), invalid, bad);
    }
    assert.equal(tryParseAttributeTag('xyz'), undefined);
    assert.equal(tryParseAttributeTag('00100020'), 0x00100020);
  });
});
