import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from './dataset.ts';
import { readDataSet, readDicom } from './part10.ts';
import { writeDicom } from './part10-writer.ts';
import { concatParts, DATA_SET_TRAILING_PADDING, DataSetEncoder, type EncodeOptions } from './writer.ts';

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

/** The data set with a (FFFC,FFFC) padding element at the top and in its item. */
function padded(): DataSet {
  const ds = sample();
  ds.set(DATA_SET_TRAILING_PADDING, new Uint8Array(6), 'OB');
  ds.sequence('ReferencedImageSequence')![0]!.set(DATA_SET_TRAILING_PADDING, new Uint8Array(4), 'OB');
  return ds;
}

describe('DataSetEncoder padding (DCMTK -p, +p)', () => {
  test("'remove' leaves out (FFFC,FFFC) at every level; 'keep' writes it", () => {
    assert.deepEqual(encode(padded(), { padding: 'remove' }), encode(sample()));
    const kept = readDataSet(encode(padded()), EXPLICIT);
    assert.equal(kept.element(DATA_SET_TRAILING_PADDING)?.bytes?.length, 6);
  });

  test('lengths: the data set (from `before`) and each item become multiples, with an element of zeros', () => {
    for (const [dataSet, item, before] of [
      [256, 16, 0],
      [256, 16, 132 + 190],
      [100, 0, 0],
      [0, 24, 0],
      [2, 2, 0],
    ] as const) {
      const bytes = encode(padded(), { padding: { dataSet, item, before } });
      if (dataSet) assert.equal((before + bytes.length) % dataSet, 0, `${dataSet}/${item}/${before}`);
      const read = readDataSet(bytes, EXPLICIT);
      const itemRead = read.sequence('ReferencedImageSequence')![0]!;
      // The item's content, as the item encodes on its own.
      const itemBytes = encode(itemRead).length;
      if (item) assert.equal(itemBytes % item, 0, `item ${item}`);
      for (const padding of [
        read.element(DATA_SET_TRAILING_PADDING),
        itemRead.element(DATA_SET_TRAILING_PADDING),
      ]) {
        if (padding) assert.ok(padding.bytes!.every((b) => b === 0));
      }
      // The old padding never survives: either a new one or none.
      if (!item) assert.equal(itemRead.element(DATA_SET_TRAILING_PADDING), undefined);
    }
  });

  test('a gap smaller than the padding header takes a whole multiple more, as DCMTK sizes it', () => {
    // 12 bytes of header in explicit VR: a data set 4 bytes short of 64 gets 4 + 64 bytes.
    const ds = new DataSet();
    ds.set('PatientID', 'X'.repeat(52)); // 8 + 52 = 60 bytes
    const bytes = encode(ds, { padding: { dataSet: 64, item: 0 } });
    assert.equal(bytes.length, 128);
    assert.equal(readDataSet(bytes, EXPLICIT).element(DATA_SET_TRAILING_PADDING)?.bytes?.length, 56);
    // Already a multiple: no element at all.
    ds.set('PatientID', 'X'.repeat(56));
    assert.equal(encode(ds, { padding: { dataSet: 64, item: 0 } }).length, 64);
  });

  test('the padding has no group length of its own, and the others are right with it', () => {
    const read = readDataSet(
      encode(padded(), { groupLength: 'create', padding: { dataSet: 64, item: 8 } }),
      EXPLICIT,
    );
    assert.deepEqual(lengthGroups(read), [0x0008, 0x0010]);
    assert.equal(read.number(0x00100000), 28);
  });

  test('odd or negative lengths are refused', () => {
    assert.throws(() => new DataSetEncoder({ padding: { dataSet: 255, item: 0 } }), /even/);
    assert.throws(() => new DataSetEncoder({ padding: { dataSet: 0, item: -2 } }), /even/);
  });
});

describe('DataSetEncoder newVRsAsOB (DCMTK -u)', () => {
  function withNewVRs(): DataSet {
    const ds = new DataSet();
    ds.set(0x00080119, 'long code value', 'UC');
    ds.set(0x00080120, 'http://example.com/x', 'UR');
    ds.set(0x0040a160, 'text', 'UT');
    ds.set(0x00660016, new Uint8Array([0, 0, 0xc0, 0x3f]), 'OF');
    ds.set(0x00111001, new Uint8Array([1, 2, 3, 4]), 'UN');
    ds.set(0x00100010, 'Doe^John', 'PN');
    return ds;
  }

  test('explicit VR: UC, UR, UT, OF and UN are written as OB with the same values; others unchanged', () => {
    const read = readDataSet(encode(withNewVRs(), { newVRsAsOB: true }), EXPLICIT);
    for (const tag of [0x00080119, 0x00080120, 0x0040a160, 0x00660016, 0x00111001]) {
      assert.equal(read.element(tag)?.vr, 'OB', tag.toString(16));
    }
    assert.equal(read.element(0x00100010)?.vr, 'PN');
    assert.deepEqual(read.element(0x0040a160)?.bytes, new TextEncoder().encode('text'));
    // Without the option, the VRs stay.
    assert.equal(readDataSet(encode(withNewVRs()), EXPLICIT).element(0x0040a160)?.vr, 'UT');
  });

  test('big endian: a binary value written as OB is little endian, as OB values are', () => {
    const bytes = concatParts(
      new DataSetEncoder({ newVRsAsOB: true }).encode(withNewVRs(), {
        explicitVR: true,
        littleEndian: false,
      }),
    );
    const read = readDataSet(bytes, '1.2.840.10008.1.2.2');
    assert.deepEqual([...read.element(0x00660016)!.bytes!], [0, 0, 0xc0, 0x3f]);
    // Without -u, OF is swapped to big endian.
    const plain = readDataSet(
      concatParts(new DataSetEncoder().encode(withNewVRs(), { explicitVR: true, littleEndian: false })),
      '1.2.840.10008.1.2.2',
    );
    assert.equal(plain.element(0x00660016)?.vr, 'OF');
  });
});

describe('writeDicom with encoding options', () => {
  test('the file meta keeps its group length and no padding whatever the data set is written with', () => {
    for (const options of [{ groupLength: 'remove' }, { padding: 'remove' }, { newVRsAsOB: true }] as const) {
      const file = readDicom(writeDicom(sample(), options));
      assert.equal(typeof file.meta.number(0x00020000), 'number', JSON.stringify(options));
    }
  });

  test('+p counts the preamble and meta: the whole file is the multiple', () => {
    for (const dataSet of [128, 256, 1000]) {
      const bytes = writeDicom(padded(), { padding: { dataSet, item: 0 } });
      assert.equal(bytes.length % dataSet, 0, String(dataSet));
      // Without meta, the data set alone is.
      assert.equal(
        writeDicom(padded(), { withoutMeta: true, padding: { dataSet, item: 0 } }).length % dataSet,
        0,
      );
    }
  });
});
