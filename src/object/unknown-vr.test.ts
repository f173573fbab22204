// DCMTK's +uc: UN elements of known tags take their dictionary VR (PS3.5 §6.2.2).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { implicitItem } from '../../test/helpers/implicit-item.ts';
import { DataSet, readDicom, writeDicom } from './index.ts';
import { convertUnknownVrs } from './unknown-vr.ts';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

test('known UN elements take their VR: text, binary in the byte order read, sequences, private ones by creator', () => {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.41');
  ds.set(0x00100010, text('DOE^JANE'), 'UN');
  ds.set(0x00280010, new Uint8Array([0x00, 0x02]), 'UN'); // Rows 512, little endian
  const item = implicitItem([
    [0x00081150, text('1.2.840.10008.5.1.4.1.1.2\0')],
    [0x00081155, text('2.25.42\0')],
  ]);
  ds.set(0x00081140, item, 'UN'); // Referenced Image Sequence
  ds.set(0x00090010, text('GEMS_IDEN_01'), 'LO'); // private creator of block 10
  ds.set(0x00091001, text('CT01'), 'UN'); // GEMS_IDEN_01 (0009,xx01): LO
  ds.set(0x00110010, text('NOBODY KNOWS'), 'LO');
  ds.set(0x00111001, new Uint8Array([1, 2, 3, 4]), 'UN'); // unknown creator: stays UN
  ds.set(0x00431099, new Uint8Array([9, 9]), 'UN'); // no creator at all: stays UN

  // Read back from explicit VR little endian, as a file with UN elements is.
  const file = readDicom(writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.1' }));
  const read = file.dataset;
  assert.equal(read.element(0x00100010)?.vr, 'UN');
  assert.equal(convertUnknownVrs(read), 4);
  assert.equal(read.element(0x00100010)?.vr, 'PN');
  assert.equal(read.string('PatientName'), 'DOE^JANE');
  assert.equal(read.element(0x00280010)?.vr, 'US');
  assert.equal(read.number('Rows'), 512);
  const items = read.sequence('ReferencedImageSequence');
  assert.equal(read.element(0x00081140)?.vr, 'SQ');
  assert.equal(items?.length, 1);
  assert.equal(items?.[0]?.string('ReferencedSOPInstanceUID'), '2.25.42');
  assert.equal(read.element(0x00091001)?.vr, 'LO');
  assert.equal(read.string(0x00091001), 'CT01');
  assert.equal(read.element(0x00111001)?.vr, 'UN');
  assert.equal(read.element(0x00431099)?.vr, 'UN');

  // Written again, the elements carry their VRs and read back without the dictionary's help.
  const again = readDicom(writeDicom(read, { transferSyntax: '1.2.840.10008.1.2.1' })).dataset;
  assert.equal(again.element(0x00100010)?.vr, 'PN');
  assert.equal(
    again.sequence('ReferencedImageSequence')?.[0]?.string('ReferencedSOPClassUID'),
    '1.2.840.10008.5.1.4.1.1.2',
  );
  assert.equal(convertUnknownVrs(again), 0);
});

test('a UN in explicit VR big endian keeps its byte order', () => {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.43');
  ds.set(0x00280011, new Uint8Array([0x01, 0x00]), 'UN'); // Columns 256, big endian
  const read = readDicom(writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.2' })).dataset;
  convertUnknownVrs(read);
  assert.equal(read.element(0x00280011)?.vr, 'US');
  assert.equal(read.number('Columns'), 256);
});
