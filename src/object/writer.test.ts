import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from './dataset.ts';
import { readDataSet } from './part10.ts';
import { concatParts, DataSetEncoder, type EncodeOptions } from './writer.ts';

const EXPLICIT = '1.2.840.10008.1.2.1';

function sample(): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
  ds.set('SOPInstanceUID', '2.25.1');
  ds.set('PatientName', 'Doe^Jane');
  ds.set('PatientID', 'ID1');
  const item = new DataSet();
  item.set('ReferencedSOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
  item.set('ReferencedSOPInstanceUID', '2.25.2');
  item.set('InstanceNumber', '7');
  ds.set('ReferencedImageSequence', [item]);
  return ds;
}

function encode(ds: DataSet, options: EncodeOptions = {}): Uint8Array {
  return concatParts(new DataSetEncoder(options).encode(ds, { explicitVR: true, littleEndian: true }));
}

/** The (gggg,0000) tags of a data set, as group numbers. */
function lengthGroups(ds: DataSet): number[] {
  return ds
    .tags()
    .filter((tag) => (tag & 0xffff) === 0)
    .map((tag) => tag >>> 16);
}

describe('DataSetEncoder group lengths', () => {
  test("'create' writes one for every group, in items too, and the values are the groups' lengths", () => {
    const created = readDataSet(encode(sample(), { groupLength: 'create' }), EXPLICIT);
    assert.deepEqual(lengthGroups(created), [0x0008, 0x0010]);
    const item = created.sequence('ReferencedImageSequence')![0]!;
    assert.deepEqual(lengthGroups(item), [0x0008, 0x0020]);
    // Re-encoding what was read keeps (and recomputes) them: the same bytes if the values were right.
    assert.deepEqual(encode(created), encode(sample(), { groupLength: 'create' }));
    // Without them, it is the data set it came from.
    assert.deepEqual(encode(created, { groupLength: 'remove' }), encode(sample()));
    // Group 0010 holds PatientName (8 + 8) and PatientID (8 + 4).
    assert.equal(created.number(0x00100000), 28);
  });
});
