// DataSetHeadReader: the head of a data set read from chunks on their way elsewhere; with
// checkRest, the rest is checked for structure only (values passed over, never buffered).

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PIXEL_DATA } from '../core/index.ts';
import { EXPLICIT_LE, IMPLICIT_LE, transferSyntax } from '../encoding/index.ts';
import { DataSet } from './dataset.ts';
import { Element } from './element.ts';
import { DataSetHeadReader } from './part10.ts';
import { concatParts, DataSetEncoder } from './writer.ts';

const encodeDataSet = (ds: DataSet, ts: Parameters<DataSetEncoder['encode']>[1]) =>
  concatParts(new DataSetEncoder().encode(ds, ts));

const JPEG_BASELINE = transferSyntax('1.2.840.10008.1.2.4.50');

function instance(encapsulated: boolean): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.5151');
  ds.set('PatientName', 'Head^Reader');
  ds.set('Rows', 16);
  ds.set('Columns', 16);
  if (encapsulated) {
    const pixels = new Element(PIXEL_DATA, 'OB', undefined, true);
    pixels.fragments = [new Uint8Array(0), new Uint8Array(40).fill(7), new Uint8Array(24)];
    pixels.undefinedLength = true;
    ds.add(pixels);
  } else ds.set('PixelData', new Uint8Array(256).fill(3), 'OB');
  // After the pixel data: what a checked rest must also get through.
  ds.set('DataSetTrailingPadding', new Uint8Array(6), 'OB');
  return ds;
}

/** Feeds `bytes` in chunks of `size` and finishes. */
function read(bytes: Uint8Array, ts = EXPLICIT_LE, size = 7, checkRest = true): DataSet {
  const reader = new DataSetHeadReader(ts, 0, PIXEL_DATA, { checkRest });
  for (let at = 0; at < bytes.length; at += size) reader.write(bytes.subarray(at, at + size));
  return reader.finish();
}

test('the head is read; a whole rest passes, native or encapsulated, in any chunking', () => {
  for (const [ts, encapsulated] of [
    [EXPLICIT_LE, false],
    [IMPLICIT_LE, false],
    [JPEG_BASELINE, true],
  ] as const) {
    const bytes = encodeDataSet(instance(encapsulated), ts);
    for (const size of [1, 7, 64, bytes.length]) {
      const head = read(bytes, ts, size);
      assert.equal(head.string('PatientName'), 'Head^Reader');
      assert.equal(head.has('PixelData'), false, 'the head stops before the pixel data');
    }
  }
});

test('checkRest: a value or fragment longer than what follows, or a broken item, is an error', () => {
  const native = encodeDataSet(instance(false), EXPLICIT_LE);
  // Cut inside the pixel data: the head alone is fine, the rest is not.
  const cut = native.subarray(0, native.length - 20);
  assert.equal(read(cut, EXPLICIT_LE, 7, false).string('PatientName'), 'Head^Reader');
  assert.throws(() => read(cut), { code: 'ERR_UNEXPECTED_END' });

  const encapsulated = encodeDataSet(instance(true), JPEG_BASELINE);
  const lengthOfSecondFragment = Buffer.from(encapsulated).indexOf(
    Buffer.from([0xfe, 0xff, 0x00, 0xe0, 40, 0, 0, 0]),
  );
  assert.ok(lengthOfSecondFragment > 0);
  const longer = Buffer.from(encapsulated);
  longer.writeUInt32LE(4000, lengthOfSecondFragment + 4);
  assert.throws(() => read(longer, JPEG_BASELINE), { code: 'ERR_UNEXPECTED_END' });
  const notAnItem = Buffer.from(encapsulated);
  notAnItem.writeUInt16LE(0x1234, lengthOfSecondFragment + 2);
  assert.throws(() => read(notAnItem, JPEG_BASELINE), { code: 'ERR_MALFORMED' });
});
