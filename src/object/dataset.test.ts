import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { DicomError } from '../core/errors.ts';
import { DataSet } from './dataset.ts';
import { readDataSet, readDicom } from './part10.ts';
import { writeDicom } from './part10-writer.ts';

describe('DataSet', () => {
  test('a public text element sent as UN reads as its dictionary VR; it stays UN in the file', () => {
    // pydicom's rtdose_rle.dcm has its UIDs, dates and names as UN (PS3.5 §6.2.2).
    const bytes = readFileSync(new URL('../../test/fixtures/pydicom/rtdose_rle.dcm', import.meta.url));
    const file = readDicom(bytes);
    assert.equal(file.dataset.element(0x00080016)?.vr, 'UN');
    assert.equal(file.dataset.string('SOPClassUID'), '1.2.840.10008.5.1.4.1.1.481.2');
    assert.equal(file.dataset.string('SOPInstanceUID'), '1.9.999.999.99.9.9999.9999.20030818153516');
    assert.equal(file.dataset.string('InstanceCreationDate'), '20030903');
    // Binary VRs stay bytes: their byte order as UN is not certain.
    const ds = new DataSet();
    ds.set(0x00280010, new Uint8Array([0, 2]), 'UN');
    assert.deepEqual(ds.values(0x00280010), new Uint8Array([0, 2]));
    // Written back as it came.
    const again = writeDicom(file.dataset, { transferSyntax: file.transferSyntax.uid });
    assert.equal(readDicom(again).dataset.element(0x00080016)?.vr, 'UN');
  });

  test('typed values by keyword: single for VM 1, arrays otherwise, numbers for IS/DS', () => {
    const ds = new DataSet();
    ds.set('PatientName', 'Doe^Jane');
    ds.set('ImageType', ['ORIGINAL', 'PRIMARY']);
    ds.set('Rows', 512);
    ds.set('PixelSpacing', [0.5, 0.25]);
    ds.set('InstanceNumber', 7);
    const name: string | undefined = ds.get('PatientName');
    const types: string[] | undefined = ds.get('ImageType');
    const rows: number | undefined = ds.get('Rows');
    const spacing: number[] | undefined = ds.get('PixelSpacing');
    assert.equal(name, 'Doe^Jane');
    assert.deepEqual(types, ['ORIGINAL', 'PRIMARY']);
    assert.equal(rows, 512);
    assert.deepEqual(spacing, [0.5, 0.25]);
    assert.equal(ds.get('InstanceNumber'), 7);
    assert.equal(ds.string('Rows'), '512');
    assert.equal(ds.get('StudyDate'), undefined);
    // @ts-expect-error: a misspelled keyword does not compile
    assert.throws(() => ds.get('PatientNme'), DicomError);
  });

  test('values are padded to even length on encoding and trimmed on decoding', () => {
    const ds = new DataSet();
    ds.set('PatientID', 'ABC');
    ds.set('SOPInstanceUID', '1.2.3');
    assert.deepEqual([...ds.bytes('PatientID')!], [0x41, 0x42, 0x43, 0x20]);
    assert.deepEqual([...ds.bytes('SOPInstanceUID')!].slice(-1), [0]);
    assert.equal(ds.get('PatientID'), 'ABC');
    assert.equal(ds.get('SOPInstanceUID'), '1.2.3');
  });

  test('elements iterate in tag order whatever the order of set()', () => {
    const ds = new DataSet();
    ds.set('Rows', 1);
    ds.set('PatientName', 'A');
    ds.set('SpecificCharacterSet', 'ISO_IR 100');
    assert.deepEqual(ds.tags(), [0x00080005, 0x00100010, 0x00280010]);
    assert.equal(ds.delete('PatientName'), true);
    assert.deepEqual(ds.tags(), [0x00080005, 0x00280010]);
  });

  test('private blocks: reserve a creator and resolve (gggg,xxee)', () => {
    const ds = new DataSet();
    ds.set(0x00090010, 'OTHER CREATOR', 'LO');
    const tag = ds.privateTag(0x0009, 'ACME 1.0', 0x01, { create: true })!;
    assert.equal(tag, 0x00091101, 'the first free block, 0x11');
    ds.set(tag, 42, 'US');
    assert.equal(ds.privateTag(0x0009, 'ACME 1.0', 0x01), tag);
    assert.equal(ds.privateCreatorOf(tag), 'ACME 1.0');
    assert.equal(ds.privateTag(0x0009, 'NOBODY', 0x01), undefined);
    assert.throws(() => ds.privateTag(0x0010, 'ACME', 1), DicomError);
    assert.throws(() => ds.set(0x00091202, 1), /a VR is needed/);
  });

  test('sequences: items inherit the character set of the data set', () => {
    const ds = new DataSet();
    ds.set('SpecificCharacterSet', 'ISO_IR 192');
    const item = new DataSet();
    ds.set('ReferencedStudySequence', [item]);
    item.set('PatientName', 'Ōsaka^Tarō');
    const back = readDicom(writeDicom(ds)).dataset;
    assert.equal(back.sequence('ReferencedStudySequence')?.[0]?.get('PatientName'), 'Ōsaka^Tarō');
  });

  test('all binary VRs round trip through explicit big endian', () => {
    const ds = new DataSet();
    ds.set(0x00191010, 'ACME', 'LO');
    ds.set(0x00191011, [1, 65535], 'US');
    ds.set(0x00191012, [-2, 3], 'SS');
    ds.set(0x00191013, [4294967295], 'UL');
    ds.set(0x00191014, [-5], 'SL');
    ds.set(0x00191015, [1.5], 'FL');
    ds.set(0x00191016, [Math.PI], 'FD');
    ds.set(0x00191017, [-(2n ** 62n)], 'SV');
    ds.set(0x00191018, [2n ** 63n], 'UV');
    ds.set(0x00191019, [0x00100010], 'AT');
    ds.set(0x0019101a, new Uint8Array([1, 2, 3, 4]), 'OW');
    const file = readDicom(writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.2' }));
    const back = file.dataset;
    assert.equal(file.transferSyntax.littleEndian, false);
    assert.deepEqual(back.values(0x00191011), [1, 65535]);
    assert.deepEqual(back.values(0x00191012), [-2, 3]);
    assert.deepEqual(back.values(0x00191013), [4294967295]);
    assert.deepEqual(back.values(0x00191014), [-5]);
    assert.deepEqual(back.values(0x00191015), [1.5]);
    assert.deepEqual(back.values(0x00191016), [Math.PI]);
    assert.deepEqual(back.values(0x00191017), [-(2n ** 62n)]);
    assert.deepEqual(back.values(0x00191018), [2n ** 63n]);
    assert.deepEqual(back.values(0x00191019), [0x00100010]);
    assert.deepEqual([...back.bytes(0x0019101a)!], [1, 2, 3, 4], 'OW bytes come back little endian');
  });

  test('a data set without meta reads in a given syntax', () => {
    const ds = new DataSet();
    ds.set('PatientID', 'X');
    const bytes = writeDicom(ds, { withoutMeta: true, transferSyntax: '1.2.840.10008.1.2' });
    assert.equal(readDataSet(bytes, '1.2.840.10008.1.2').get('PatientID'), 'X');
  });
});
