import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../core/errors.ts';
import {
  elementEntries,
  type Keyword,
  type KeywordInfo,
  keywordOf,
  lookupKeyword,
  lookupTag,
  tagOf,
} from './index.ts';

describe('lookupTag / lookupKeyword', () => {
  it('finds (0010,0010) PatientName both ways', () => {
    const entry = lookupTag(0x00100010);
    assert.ok(entry);
    assert.equal(entry.keyword, 'PatientName');
    assert.equal(entry.name, "Patient's Name");
    assert.equal(entry.vr, 'PN');
    assert.deepEqual(entry.vrs, ['PN']);
    assert.equal(entry.vm, '1');
    assert.equal(entry.retired, false);
    assert.equal(entry.repeating, undefined);
    assert.equal(tagOf('PatientName'), 0x00100010);
    assert.equal(keywordOf(0x00100010), 'PatientName');
    assert.equal(lookupKeyword('PatientName'), entry);
  });

  it('keeps VM as PS3.6 writes it', () => {
    assert.equal(lookupKeyword('ImageType')?.vm, '2-n');
    assert.equal(lookupKeyword('ImageType')?.vr, 'CS');
    assert.equal(lookupKeyword('Rows')?.vr, 'US');
  });

  it('marks retired elements', () => {
    const entry = lookupTag(0x00000001);
    assert.equal(entry?.keyword, 'CommandLengthToEnd');
    assert.equal(entry?.retired, true);
    assert.equal(lookupKeyword('CurveDate')?.retired, true);
  });

  it('lists every VR of "US or SS", "OB or OW" and "US or SS or OW" entries, vr being the first', () => {
    const smallest = lookupTag(0x00280106);
    assert.equal(smallest?.keyword, 'SmallestImagePixelValue');
    assert.deepEqual(smallest?.vrs, ['US', 'SS']);
    assert.equal(smallest?.vr, 'US');
    assert.deepEqual(lookupKeyword('PixelData')?.vrs, ['OB', 'OW']);
    assert.deepEqual(lookupKeyword('GrayLookupTableData')?.vrs, ['US', 'SS', 'OW']);
  });

  it('gives items and delimiters no VR and substitutes no UN', () => {
    for (const tag of [0xfffee000, 0xfffee00d, 0xfffee0dd]) {
      const entry = lookupTag(tag);
      assert.ok(entry);
      assert.deepEqual(entry.vrs, []);
      assert.equal(entry.vr, undefined);
    }
    assert.equal(lookupTag(0xfffee000)?.keyword, 'Item');
  });

  it('matches overlay groups 60xx, even ones from 6000 to 601E (PS3.5 §7.6)', () => {
    const entry = lookupTag(0x60023000);
    assert.equal(entry?.keyword, 'OverlayData');
    assert.equal(entry?.tag, 0x60003000);
    assert.deepEqual(entry?.vrs, ['OB', 'OW']);
    assert.deepEqual(entry?.repeating, { mask: 0xffe1ffff, value: 0x60003000 });
    assert.equal(lookupTag(0x601e0010)?.keyword, 'OverlayRows');
    assert.equal(tagOf('OverlayData'), 0x60003000);
    // Odd groups are private, and 6020 is past the last overlay group.
    assert.equal(lookupTag(0x60013000), undefined);
    assert.equal(lookupTag(0x60203000), undefined);
  });

  it('matches curve groups 50xx and variable pixel data 7Fxx', () => {
    const curve = lookupTag(0x50100005);
    assert.equal(curve?.keyword, 'CurveDimensions');
    assert.equal(curve?.tag, 0x50000005);
    assert.equal(curve?.retired, true);
    assert.equal(lookupTag(0x7f020010)?.keyword, 'VariablePixelData');
    // An exact entry wins over a repeating one: (7FE0,0010) is Pixel Data, not 7Fxx.
    assert.equal(lookupTag(0x7fe00010)?.keyword, 'PixelData');
  });

  it('matches repeating elements (0020,31xx), (1000,xxx0), (1010,xxxx) and (0028,04x0)', () => {
    assert.equal(lookupTag(0x00203105)?.keyword, 'SourceImageIDs');
    assert.equal(lookupTag(0x10000120)?.keyword, 'EscapeTriplet');
    assert.equal(lookupTag(0x10000125)?.keyword, 'ShiftTableTriplet');
    assert.equal(lookupTag(0x10101234)?.keyword, 'ZonalMap');
    assert.equal(lookupTag(0x00280430)?.keyword, 'RowsForNthOrderCoefficients');
    // (0028,0400) is Transform Label, so (0028,04x0) starts at (0028,0410).
    assert.equal(lookupTag(0x00280400)?.keyword, 'TransformLabel');
    assert.equal(tagOf('RowsForNthOrderCoefficients'), 0x00280410);
  });

  it('answers group length (gggg,0000) for any group, keeping the registered ones', () => {
    assert.equal(lookupTag(0x00000000)?.keyword, 'CommandGroupLength');
    assert.equal(lookupTag(0x00020000)?.keyword, 'FileMetaInformationGroupLength');
    for (const tag of [0x00080000, 0x00290000, 0x10100000, 0x60000000]) {
      const entry = lookupTag(tag);
      assert.equal(entry?.keyword, 'GroupLength');
      assert.equal(entry?.vr, 'UL');
      assert.equal(entry?.vm, '1');
      assert.equal(entry?.tag, tag);
    }
  });

  it('answers private creator (gggg,0010-00FF) of odd groups only', () => {
    for (const tag of [0x00090010, 0x002900ff, 0x7fe10010]) {
      const entry = lookupTag(tag);
      assert.equal(entry?.keyword, 'PrivateCreator');
      assert.equal(entry?.vr, 'LO');
      assert.equal(entry?.tag, tag);
    }
    assert.equal(lookupTag(0x00290005), undefined);
    assert.equal(lookupTag(0x00291010), undefined);
    assert.equal(lookupTag(0x00100100), undefined);
  });

  it('accepts a tag computed as a signed 32-bit number', () => {
    assert.equal(lookupTag((0xfffe << 16) | 0xe000)?.keyword, 'Item');
    assert.equal(lookupTag(0x1234_5678_9), undefined);
  });

  it('agrees with tagOf for every keyword', () => {
    let count = 0;
    for (const entry of elementEntries()) {
      if (entry.keyword === '') continue;
      assert.equal(lookupTag(tagOf(entry.keyword)), entry, entry.keyword);
      count++;
    }
    assert.ok(count > 4500);
  });

  it('throws ERR_UNKNOWN_KEYWORD for an unknown keyword, with a hint for a wrong case', () => {
    assert.throws(
      () => tagOf('NotAKeyword'),
      (e: unknown) => e instanceof DicomError && e.code === 'ERR_UNKNOWN_KEYWORD',
    );
    assert.throws(() => tagOf('patientname'), /did you mean 'PatientName'/);
    assert.equal(lookupKeyword('NotAKeyword'), undefined);
    assert.equal(keywordOf(0x00091234), undefined);
  });

  it('gives keyword types from the dictionary', () => {
    const k: Keyword = 'PatientName';
    // @ts-expect-error: misspelt keywords do not type-check
    const bad: Keyword = 'PatientNme';
    const vr: KeywordInfo['SmallestImagePixelValue']['vr'] = 'SS';
    // @ts-expect-error: Rows is US only
    const wrongVR: KeywordInfo['Rows']['vr'] = 'SS';
    const vm: KeywordInfo['ImageType']['vm'] = '2-n';
    const none: KeywordInfo['Item']['vr'] = 'UN';
    assert.deepEqual([k, bad, vr, wrongVR, vm, none], ['PatientName', 'PatientNme', 'SS', 'SS', '2-n', 'UN']);
  });
});
