import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../core/index.ts';
import { EXPLICIT_LE } from '../encoding/index.ts';
import { DataSet } from './dataset.ts';
import { type ReceivedFileIdentity, receivedFileMeta } from './file-meta.ts';
import { readDicom } from './part10.ts';
import { concatParts, DataSetEncoder } from './writer.ts';

/** The same meta through a DataSet and the generic encoder: the reference. */
function generic(identity: ReceivedFileIdentity): Uint8Array {
  const meta = new DataSet();
  meta.set('FileMetaInformationGroupLength', 0);
  meta.set('FileMetaInformationVersion', new Uint8Array([0, 1]));
  meta.set('MediaStorageSOPClassUID', identity.sopClassUid);
  meta.set('MediaStorageSOPInstanceUID', identity.sopInstanceUid);
  meta.set('TransferSyntaxUID', identity.transferSyntax);
  meta.set('ImplementationClassUID', IMPLEMENTATION_CLASS_UID);
  meta.set('ImplementationVersionName', IMPLEMENTATION_VERSION_NAME);
  if (identity.sourceAeTitle) meta.set('SourceApplicationEntityTitle', identity.sourceAeTitle);
  return concatParts([
    new Uint8Array(128),
    new Uint8Array([0x44, 0x49, 0x43, 0x4d]),
    ...new DataSetEncoder().encode(meta, EXPLICIT_LE),
  ]);
}

test('the direct file meta equals the generic encoder byte for byte, odd and even lengths', () => {
  const identities: ReceivedFileIdentity[] = [
    {
      sopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      sopInstanceUid: '1.2.3.4',
      transferSyntax: '1.2.840.10008.1.2',
    },
    {
      sopClassUid: '1.2.840.10008.5.1.4.1.1.7',
      sopInstanceUid: '2.25.123456789012345678901234567890123',
      transferSyntax: '1.2.840.10008.1.2.4.70',
      sourceAeTitle: 'STORESCU',
    },
    {
      sopClassUid: '1.2',
      sopInstanceUid: '1.23',
      transferSyntax: '1.2.840.10008.1.2.1',
      sourceAeTitle: 'ODD',
    },
  ];
  for (const identity of identities) {
    const bytes = receivedFileMeta(identity);
    assert.deepEqual(bytes, generic(identity), identity.sopInstanceUid);
    // And a Part 10 reader takes it, with an empty data set after it.
    const file = readDicom(bytes);
    assert.equal(file.meta.string('MediaStorageSOPInstanceUID')?.replace(/\0/g, ''), identity.sopInstanceUid);
    assert.equal(file.transferSyntax.uid, identity.transferSyntax);
  }
});
