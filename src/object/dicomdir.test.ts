import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DicomError } from '../core/errors.ts';
import { DataSet } from './dataset.ts';
import { buildDicomDir, type DicomDirEntry, directoryKeys } from './dicomdir.ts';
import { readDicom } from './part10.ts';

const CT = '1.2.840.10008.5.1.4.1.1.2';
const SR = '1.2.840.10008.5.1.4.1.1.88.22';
const RT_DOSE = '1.2.840.10008.5.1.4.1.1.481.2';

function entry(n: number, patient: string, study: string, series: string, sopClass = CT): DicomDirEntry {
  const ds = new DataSet();
  ds.set('SOPClassUID', sopClass);
  ds.set('SOPInstanceUID', `2.25.99.${n}`);
  ds.set('PatientID', patient);
  ds.set('PatientName', `Name^${patient}`);
  ds.set('StudyInstanceUID', study);
  ds.set('StudyDate', '20240102');
  ds.set('StudyTime', '101010');
  ds.set('StudyID', 'S1');
  ds.set('SeriesInstanceUID', series);
  ds.set('SeriesNumber', 1);
  ds.set('Modality', 'CT');
  ds.set('InstanceNumber', n);
  return { fileId: ['IMAGES', `IM${n}`], dataset: ds, transferSyntaxUid: '1.2.840.10008.1.2.1' };
}

interface Tree {
  type: string;
  keys: Record<string, string | undefined>;
  children: Tree[];
}

/** The records as the offsets link them (PS3.3 §F.3.2.1), from the root entity down. */
function walk(bytes: Uint8Array): Tree[] {
  const file = readDicom(bytes);
  const records = new Map<number, DataSet>();
  for (const record of file.dataset.sequence('DirectoryRecordSequence') ?? [])
    records.set(record.readOffset!, record);
  const level = (offset: number): Tree[] => {
    const out: Tree[] = [];
    for (let at = offset; at !== 0; ) {
      const record = records.get(at);
      assert.ok(record, `a record at offset ${at}`);
      out.push({
        type: record.string('DirectoryRecordType')!,
        keys: {
          id:
            record.string('PatientID') ??
            record.string('StudyInstanceUID') ??
            record.string('SeriesInstanceUID'),
          name: record.string('PatientName'),
          file: record.strings('ReferencedFileID')?.join('/'),
          sop: record.string('ReferencedSOPInstanceUIDInFile'),
        },
        children: level(record.number('OffsetOfReferencedLowerLevelDirectoryEntity') ?? 0),
      });
      at = record.number('OffsetOfTheNextDirectoryRecord') ?? 0;
    }
    return out;
  };
  const roots = level(file.dataset.number('OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity')!);
  const last = file.dataset.number('OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity')!;
  assert.equal(records.get(last)?.string('PatientID'), roots.at(-1)?.keys.id);
  return roots;
}

describe('buildDicomDir', () => {
  test('patients, studies, series and instances linked by offsets, in a Part 10 DICOMDIR', () => {
    const bytes = buildDicomDir(
      [
        entry(1, 'P1', '2.25.1', '2.25.1.1'),
        entry(2, 'P1', '2.25.1', '2.25.1.2'),
        entry(3, 'P2', '2.25.2', '2.25.2.1', SR),
        entry(4, 'P1', '2.25.1', '2.25.1.1'),
        entry(5, 'P2', '2.25.2', '2.25.2.1', RT_DOSE),
      ],
      { fileSetId: 'STUDY_1', sopInstanceUid: '2.25.5' },
    );
    const file = readDicom(bytes);
    assert.equal(file.meta.string(0x00020002), '1.2.840.10008.1.3.10');
    assert.equal(file.meta.string(0x00020003), '2.25.5');
    assert.equal(file.transferSyntax.uid, '1.2.840.10008.1.2.1');
    assert.equal(file.dataset.string('FileSetID'), 'STUDY_1');
    assert.equal(file.dataset.number('FileSetConsistencyFlag'), 0);
    const tree = walk(bytes);
    assert.deepEqual(
      tree.map((p) => [p.type, p.keys.id, p.keys.name]),
      [
        ['PATIENT', 'P1', 'Name^P1'],
        ['PATIENT', 'P2', 'Name^P2'],
      ],
    );
    const [p1, p2] = tree;
    assert.deepEqual(
      p1!.children[0]!.children.map((s) => [s.type, s.keys.id, s.children.map((i) => i.keys.file)]),
      [
        ['SERIES', '2.25.1.1', ['IMAGES/IM1', 'IMAGES/IM4']],
        ['SERIES', '2.25.1.2', ['IMAGES/IM2']],
      ],
    );
    const leaves = p2!.children[0]!.children[0]!.children;
    assert.deepEqual(
      leaves.map((i) => [i.type, i.keys.sop]),
      [
        ['SR DOCUMENT', '2.25.99.3'],
        ['RT DOSE', '2.25.99.5'],
      ],
    );
    // Every record is in use, and says which file, class and syntax it refers to.
    for (const record of file.dataset.sequence('DirectoryRecordSequence')!) {
      assert.equal(record.number('RecordInUseFlag'), 0xffff);
      if (record.has('ReferencedFileID')) {
        assert.ok(record.string('ReferencedSOPClassUIDInFile'));
        assert.equal(record.string('ReferencedTransferSyntaxUIDInFile'), '1.2.840.10008.1.2.1');
      }
    }
  });

  test("records keep their instance's character set and required keys", () => {
    const japanese = entry(1, 'J1', '2.25.3', '2.25.3.1');
    japanese.dataset.set('SpecificCharacterSet', 'ISO_IR 192');
    japanese.dataset.set('PatientName', 'Yamada^Tarou=山田^太郎');
    japanese.dataset.delete('StudyID');
    const file = readDicom(buildDicomDir([japanese]));
    const [patient, study] = file.dataset.sequence('DirectoryRecordSequence')!;
    assert.equal(patient!.string('SpecificCharacterSet'), 'ISO_IR 192');
    assert.equal(patient!.string('PatientName'), 'Yamada^Tarou=山田^太郎');
    // Type 1 and 2 keys are there even when the instance lacks them.
    assert.ok(study!.has('StudyID'));
    assert.equal(study!.string('StudyID'), undefined);
    assert.ok(study!.has('AccessionNumber'));
  });

  test('directoryKeys keeps what the records take, and nothing more', () => {
    const entries = [entry(1, 'P1', '2.25.1', '2.25.1.1'), entry(2, 'P2', '2.25.2', '2.25.2.1', SR)];
    for (const e of entries) {
      e.dataset.set('SpecificCharacterSet', 'ISO_IR 100');
      e.dataset.set('PixelData', new Uint8Array(1000), 'OB');
    }
    entries[1]!.dataset.set('ConceptNameCodeSequence', [new DataSet()]);
    const options = { sopInstanceUid: '2.25.6' };
    const trimmed = entries.map((e) => ({ ...e, dataset: directoryKeys(e.dataset) }));
    assert.deepEqual(buildDicomDir(trimmed, options), buildDicomDir(entries, options));
    assert.equal(trimmed[0]!.dataset.has('PixelData'), false);
    assert.equal(trimmed[1]!.dataset.sequence('ConceptNameCodeSequence')?.length, 1);
  });

  test('an empty File-set, and File IDs that PS3.10 does not allow', () => {
    const empty = readDicom(buildDicomDir([]));
    assert.equal(empty.dataset.sequence('DirectoryRecordSequence')?.length, 0);
    assert.equal(empty.dataset.number('OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity'), 0);
    for (const fileId of [['images', 'IM1'], ['IMAGES', 'IMAGE0001'], [], Array(9).fill('A'), ['A.DCM']]) {
      assert.throws(
        () => buildDicomDir([{ ...entry(1, 'P', '2.25.1', '2.25.1.1'), fileId }]),
        (error: unknown) => error instanceof DicomError && error.code === 'ERR_INVALID_VALUE',
        JSON.stringify(fileId),
      );
    }
    assert.throws(() => buildDicomDir([], { fileSetId: 'lower case' }), DicomError);
  });
});
