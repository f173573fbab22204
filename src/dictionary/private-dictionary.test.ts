import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lookupPrivate, privateCreators } from './index.ts';

describe('lookupPrivate', () => {
  it('matches an element of whatever block the creator reserved (PS3.5 §7.8.1)', () => {
    // (0029,xx10) of SIEMENS CSA HEADER in block 10 and in block 43.
    for (const tag of [0x00291010, 0x00294310]) {
      const entry = lookupPrivate('SIEMENS CSA HEADER', tag);
      assert.ok(entry);
      assert.equal(entry.creator, 'SIEMENS CSA HEADER');
      assert.equal(entry.tag, 0x00290010);
      assert.equal(entry.mask, 0xffff00ff);
      assert.equal(entry.vr, 'OB');
      assert.equal(entry.name, 'CSA Image Header Info');
    }
  });

  it('compares the creator after trimming its padding', () => {
    assert.equal(lookupPrivate('SIEMENS CSA HEADER ', 0x00291010)?.name, 'CSA Image Header Info');
    assert.equal(lookupPrivate('SIEMENS CSA HEADER\0', 0x00291010)?.name, 'CSA Image Header Info');
    assert.equal(lookupPrivate(' GEMS_IDEN_01', 0x00091001)?.name, 'Full fidelity');
  });

  it('returns undefined for unknown creators and elements', () => {
    assert.equal(lookupPrivate('NO SUCH CREATOR', 0x00291010), undefined);
    assert.equal(lookupPrivate('SIEMENS CSA HEADER', 0x002910ee), undefined);
    assert.equal(lookupPrivate('', 0x00291010), undefined);
  });

  it('reads "OB_OW" as two VRs', () => {
    const entry = lookupPrivate('TOSHIBA_MEC_OT3', 0x70191080);
    assert.deepEqual(entry?.vrs, ['OB', 'OW']);
    assert.equal(entry?.vr, 'OB');
  });

  it('matches entries that fix every digit, and patterns over groups', () => {
    assert.equal(lookupPrivate('DicomUtils 20100512', 0x00090001)?.vr, 'SQ');
    // PAPYRUS 3.0 60xxxx11: any overlay-like group, any block.
    assert.equal(lookupPrivate('PAPYRUS 3.0', 0x60011011)?.name, 'Overlay Columns');
  });

  it('does not claim a whole block for "Private Element Creator" rows', () => {
    assert.equal(lookupPrivate('GEMS_IDEN_01', 0x000910ab), undefined);
  });

  it('lists the creators', () => {
    const creators = privateCreators();
    assert.ok(creators.includes('SIEMENS CSA HEADER'));
    assert.ok(creators.length > 400);
  });
});
