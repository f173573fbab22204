import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  isStorageSopClass,
  lookupUid,
  storageSopClasses,
  UID,
  type UidKeyword,
  uidEntries,
  uidOf,
} from './index.ts';

describe('UIDs', () => {
  it('finds transfer syntaxes both ways', () => {
    assert.equal(UID.ExplicitVRLittleEndian, '1.2.840.10008.1.2.1');
    assert.equal(uidOf('ImplicitVRLittleEndian'), '1.2.840.10008.1.2');
    const entry = lookupUid('1.2.840.10008.1.2.1');
    assert.deepEqual(entry, {
      uid: '1.2.840.10008.1.2.1',
      keyword: 'ExplicitVRLittleEndian',
      name: 'Explicit VR Little Endian',
      type: 'Transfer Syntax',
      info: '',
      retired: false,
    });
    assert.equal(lookupUid('1.2.840.10008.1.2.2')?.retired, true);
    assert.equal(lookupUid(UID.JPEGBaseline8Bit)?.name, 'JPEG Baseline (Process 1)');
  });

  it('finds SOP classes both ways', () => {
    assert.equal(UID.CTImageStorage, '1.2.840.10008.5.1.4.1.1.2');
    assert.equal(lookupUid('1.2.840.10008.1.1')?.keyword, 'Verification');
    assert.equal(lookupUid('1.2.840.10008.1.1')?.type, 'SOP Class');
  });

  it('tolerates NUL padding of a UI value (PS3.5 §9.1)', () => {
    assert.equal(lookupUid('1.2.840.10008.1.2\0')?.keyword, 'ImplicitVRLittleEndian');
  });

  it('returns undefined for unknown UIDs and keywords', () => {
    assert.equal(lookupUid('1.2.3.4'), undefined);
    assert.equal(uidOf('NoSuchUid'), undefined);
    assert.equal(uidOf('toString'), undefined);
  });

  it('types UID keywords', () => {
    const k: UidKeyword = 'Verification';
    // @ts-expect-error: not a UID keyword
    const bad: UidKeyword = 'Verificaton';
    const literal: '1.2.840.10008.1.2.1' = UID.ExplicitVRLittleEndian;
    assert.deepEqual([k, bad, literal], ['Verification', 'Verificaton', '1.2.840.10008.1.2.1']);
  });

  it('lists entries in numeric order of components', () => {
    const uids = uidEntries().map((e) => e.uid);
    assert.ok(uids.indexOf('1.2.840.10008.1.2.4.57') < uids.indexOf('1.2.840.10008.1.2.4.100'));
  });
});

describe('storageSopClasses', () => {
  const names = storageSopClasses().map((e) => e.name);

  it('contains image, SR, waveform and non-patient storage classes', () => {
    for (const name of [
      'CT Image Storage',
      'Enhanced CT Image Storage',
      'Secondary Capture Image Storage',
      'Comprehensive SR Storage',
      '12-lead ECG Waveform Storage',
      'Encapsulated PDF Storage',
      'Hanging Protocol Storage',
    ]) {
      assert.ok(names.includes(name), name);
    }
  });

  it('leaves out Verification, Storage Commitment, DICOMDIR and query/retrieve', () => {
    for (const name of [
      'Verification SOP Class',
      'Storage Commitment Push Model SOP Class',
      'Media Storage Directory Storage',
    ]) {
      assert.ok(!names.includes(name), name);
    }
    for (const entry of storageSopClasses()) {
      assert.equal(entry.type, 'SOP Class');
      assert.doesNotMatch(entry.name, /Information Model|Retrieve|Find|Move|Get/);
    }
  });

  it('filters retired classes on request', () => {
    const current = storageSopClasses({ includeRetired: false });
    assert.ok(current.length > 150);
    assert.ok(current.length < storageSopClasses().length);
    assert.ok(current.every((e) => !e.retired));
    assert.ok(isStorageSopClass(UID.CTImageStorage));
    assert.ok(!isStorageSopClass(UID.Verification));
  });
});
