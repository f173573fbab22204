import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DataSet, readDicom, writeDicom } from '../object/index.ts';
import { quickHeader } from './quick-header.ts';

const FIXTURES = fileURLToPath(new URL('../../test/fixtures/pydicom/', import.meta.url));
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

/** What the full reader makes of the same head (store-source's slow path). */
function fullHeader(bytes: Uint8Array) {
  const head = readDicom(bytes, { stopAtTag: SOP_INSTANCE_UID + 1 });
  return {
    sopClassUid: head.dataset.string(SOP_CLASS_UID)?.trim() || head.meta.string(0x00020002)?.trim(),
    sopInstanceUid: head.dataset.string(SOP_INSTANCE_UID)?.trim() || head.meta.string(0x00020003)?.trim(),
    transferSyntax: head.transferSyntax.uid,
    dataSetOffset: head.dataSetOffset,
  };
}

function sample(set: (ds: DataSet) => void = () => {}, transferSyntax = '1.2.840.10008.1.2.1'): Uint8Array {
  const ds = new DataSet();
  ds.set('SpecificCharacterSet', 'ISO_IR 100');
  ds.set('ImageType', ['ORIGINAL', 'PRIMARY']);
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '1.2.3.4.5');
  ds.set('StudyDate', '20240101');
  ds.set('PixelData', new Uint8Array(64), 'OB');
  set(ds);
  return writeDicom(ds, { transferSyntax });
}

describe('quickHeader', () => {
  test('agrees with the full reader on every corpus file it takes, and takes the ordinary ones', () => {
    let taken = 0;
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.dcm'))) {
      const bytes = readFileSync(join(FIXTURES, name));
      const quick = quickHeader(bytes, bytes.length);
      if (!quick) continue;
      taken++;
      const full = fullHeader(bytes);
      assert.deepEqual(
        {
          sopClassUid: quick.sopClassUid,
          sopInstanceUid: quick.sopInstanceUid,
          transferSyntax: quick.transferSyntax.uid,
          dataSetOffset: quick.dataSetOffset,
        },
        full,
        name,
      );
    }
    // CT_small, MR_small, the JPEG, J2K, RLE and JPEG-LS files, rtplan, ... (implicit and explicit LE).
    assert.ok(taken >= 50, `only ${taken} corpus files taken`);
    for (const name of [
      'CT_small.dcm',
      'MR_small_implicit.dcm',
      'JPEG2000.dcm',
      'SC_rgb_rle.dcm',
      'rtplan.dcm',
    ]) {
      const bytes = readFileSync(join(FIXTURES, name));
      assert.ok(quickHeader(bytes, bytes.length), name);
    }
  });

  test('leaves out-of-the-ordinary files to the full reader', () => {
    for (const name of [
      'ExplVR_BigEnd.dcm', // big endian data set
      'no_meta.dcm', // no preamble, no meta
      'ExplVR_LitEndNoMeta.dcm',
      'image_dfl.dcm', // deflated
      'meta_missing_tsyntax.dcm', // syntax to be detected
    ]) {
      const bytes = readFileSync(join(FIXTURES, name));
      assert.equal(quickHeader(bytes, bytes.length), undefined, name);
    }
    const gz = readFileSync(join(FIXTURES, 'zipMR.gz'));
    assert.equal(quickHeader(gz, gz.length), undefined, 'gzip');
  });

  test('a head read short of the instance UID asks for more; a whole file ending there is fine', () => {
    const bytes = sample();
    const full = quickHeader(bytes, bytes.length);
    assert.equal(full?.sopInstanceUid, '1.2.3.4.5');
    // Cut inside the SOP Instance UID's value, then just after it (more of the file remains).
    const uidAt = Buffer.from(bytes).lastIndexOf('1.2.3.4.5'); // the data set's, after the meta's
    assert.equal(quickHeader(bytes.subarray(0, uidAt + 3), bytes.length), undefined);
    assert.equal(quickHeader(bytes.subarray(0, uidAt + 10), bytes.length), undefined);
    // With the next element's header in the bytes, it knows the instance UID was the last one wanted.
    assert.equal(quickHeader(bytes.subarray(0, uidAt + 10 + 8), bytes.length)?.sopInstanceUid, '1.2.3.4.5');
    // A file that ends right after (0008,0018) is complete.
    const ends = sample((ds) => {
      ds.delete('StudyDate');
      ds.delete('PixelData');
    });
    assert.equal(quickHeader(ends, ends.length)?.sopInstanceUid, '1.2.3.4.5');
    // ... but not one with a few stray bytes after it (the full reader refuses those).
    const stray = Buffer.concat([ends, Buffer.from([1, 2, 3, 4])]);
    assert.equal(quickHeader(stray, stray.length), undefined);
  });

  test('implicit VR data sets, padded UIDs, the meta UIDs when the data set has none', () => {
    const implicit = sample(undefined, '1.2.840.10008.1.2');
    assert.deepEqual(
      { ...quickHeader(implicit, implicit.length), transferSyntax: undefined },
      { ...fullHeader(implicit), transferSyntax: undefined },
    );
    // A writer that padded with a space instead of NUL (PS3.5 §9.1 wants NUL).
    const padded = Buffer.from(sample());
    const at = padded.lastIndexOf('1.2.3.4.5\0');
    padded[at + 9] = 0x20;
    assert.equal(quickHeader(padded, padded.length)?.sopInstanceUid, '1.2.3.4.5');
    // An empty SOP Class UID in the data set: the meta's (0002,0002) names the class.
    const empty = sample((ds) => ds.set('SOPClassUID', ''));
    const meta = readDicom(empty).meta.string(0x00020002);
    assert.equal(quickHeader(empty, empty.length)?.sopClassUid, meta?.trim());
    assert.deepEqual(quickHeader(empty, empty.length)?.sopClassUid, fullHeader(empty).sopClassUid);
  });

  test('an undefined length, an unknown VR or a multi-valued UID before the instance UID: the full reader', () => {
    const withSequence = sample((ds) => {
      const item = new DataSet();
      item.set('CodeValue', 'eng');
      ds.set('LanguageCodeSequence', [item]);
    });
    // The writer's sequences have explicit lengths: quick walks over them.
    assert.equal(quickHeader(withSequence, withSequence.length)?.sopInstanceUid, '1.2.3.4.5');
    const undefinedLength = Buffer.from(withSequence);
    const sq = undefinedLength.indexOf(Buffer.from([0x08, 0x00, 0x06, 0x00, 0x53, 0x51]));
    assert.ok(sq > 0);
    undefinedLength.writeUInt32LE(0xffffffff, sq + 8);
    assert.equal(quickHeader(undefinedLength, undefinedLength.length), undefined);

    const badVr = Buffer.from(sample());
    const dateAt = badVr.indexOf(Buffer.from([0x08, 0x00, 0x08, 0x00, 0x43, 0x53])); // ImageType CS
    badVr[dateAt + 4] = 0x7a; // 'zS'
    assert.equal(quickHeader(badVr, badVr.length), undefined);

    const twoUids = sample((ds) => ds.set('SOPInstanceUID', ['1.2.3', '4.5.6'], 'UI'));
    assert.equal(quickHeader(twoUids, twoUids.length), undefined);
  });
});
