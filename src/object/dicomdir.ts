import { DicomError } from '../core/errors.ts';
import { SPECIFIC_CHARACTER_SET, type Tag } from '../core/tag.ts';
import { generateUid, IMPLEMENTATION_VERSION_NAME } from '../core/uid.ts';
import { type Keyword, tagOf } from '../dictionary/index.ts';
import { EXPLICIT_LE } from '../encoding/transfer-syntax.ts';
import { DataSet } from './dataset.ts';
import { type DicomFile, readDicom } from './part10.ts';
import { writeDicom } from './part10-writer.ts';

/**
 * DICOMDIR writing: the Basic Directory IOD (PS3.3 Annex F) of a File-set (PS3.10 §8), as
 * DCMTK's dcmmkdir and Orthanc's /media write it, with the PATIENT / STUDY / SERIES /
 * instance hierarchy of Table F.4-1 and the keys of §F.5 copied from each instance.
 *
 * The records are items of the Directory Record Sequence linked by byte offsets from the
 * start of the file (§F.3.2.1): the next record of the same entity, the first record of the
 * lower one. An offset is a UL of four bytes whatever its value, so the file is encoded once
 * with zeros, read back for where each item begins, and encoded again with the offsets.
 */

/** An instance of the File-set: where it is (PS3.10 §8.2 File ID) and its header. */
export interface DicomDirEntry {
  /** Path components below the DICOMDIR: 1 to 8, each 1 to 8 of A-Z, 0-9 and _ (PS3.10 §8.2.1). */
  fileId: readonly string[];
  /** The instance's data set (its pixel data is not needed). */
  dataset: DataSet;
  /** The transfer syntax the file is written in. */
  transferSyntaxUid: string;
}

export interface DicomDirOptions {
  /** (0004,1130) File-set ID: up to 16 of A-Z, 0-9, _ and space (PS3.10 §8.4); default empty. */
  fileSetId?: string;
  /** The DICOMDIR's own Media Storage SOP Instance UID; default a new one. */
  sopInstanceUid?: string;
}

const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

type RecordType = string;

/**
 * Leaf record types by SOP class (PS3.3 Table F.4-1; the SOP classes of PS3.4 Annex B that
 * each record type references); every other class is an IMAGE.
 */
function recordTypeOf(sopClassUid: string): RecordType {
  const storage = '1.2.840.10008.5.1.4.1.1.';
  if (!sopClassUid.startsWith(storage)) return 'IMAGE';
  const rest = sopClassUid.slice(storage.length);
  if (rest === '88.59') return 'KEY OBJECT DOC';
  if (rest.startsWith('88.')) return 'SR DOCUMENT';
  if (rest.startsWith('11.')) return 'PRESENTATION';
  if (rest.startsWith('9.')) return 'WAVEFORM';
  if (rest.startsWith('104.')) return 'ENCAP DOC';
  if (rest === '4.2') return 'SPECTROSCOPY';
  if (rest === '66') return 'RAW DATA';
  if (rest === '66.1' || rest === '66.3') return 'REGISTRATION';
  if (rest === '66.2') return 'FIDUCIAL';
  if (rest === '481.2') return 'RT DOSE';
  if (rest === '481.3') return 'RT STRUCTURE SET';
  if (rest === '481.5' || rest === '481.8') return 'RT PLAN';
  if (rest === '481.4' || rest === '481.6' || rest === '481.7') return 'RT TREAT RECORD';
  return 'IMAGE';
}

/** The keys each record carries (PS3.3 §F.5), copied from its instance when the instance has them. */
const KEYS: Record<string, Keyword[]> = {
  PATIENT: ['PatientName', 'PatientID'],
  STUDY: ['StudyDate', 'StudyTime', 'StudyDescription', 'StudyInstanceUID', 'StudyID', 'AccessionNumber'],
  SERIES: ['Modality', 'SeriesInstanceUID', 'SeriesNumber'],
  IMAGE: ['InstanceNumber'],
  'RT DOSE': ['InstanceNumber', 'DoseSummationType'],
  'RT STRUCTURE SET': ['InstanceNumber', 'StructureSetLabel', 'StructureSetDate', 'StructureSetTime'],
  'RT PLAN': ['InstanceNumber', 'RTPlanLabel', 'RTPlanDate', 'RTPlanTime'],
  'RT TREAT RECORD': ['InstanceNumber', 'TreatmentDate', 'TreatmentTime'],
  PRESENTATION: [
    'PresentationCreationDate',
    'PresentationCreationTime',
    'InstanceNumber',
    'ContentLabel',
    'ContentDescription',
    'ContentCreatorName',
    'ReferencedSeriesSequence',
  ],
  'SR DOCUMENT': [
    'InstanceNumber',
    'CompletionFlag',
    'VerificationFlag',
    'ContentDate',
    'ContentTime',
    'VerificationDateTime',
    'ConceptNameCodeSequence',
  ],
  'KEY OBJECT DOC': ['InstanceNumber', 'ContentDate', 'ContentTime', 'ConceptNameCodeSequence'],
  WAVEFORM: ['InstanceNumber', 'ContentDate', 'ContentTime'],
  'ENCAP DOC': [
    'InstanceNumber',
    'ContentDate',
    'ContentTime',
    'ConceptNameCodeSequence',
    'DocumentTitle',
    'MIMETypeOfEncapsulatedDocument',
  ],
  SPECTROSCOPY: [
    'ImageType',
    'ContentDate',
    'ContentTime',
    'InstanceNumber',
    'NumberOfFrames',
    'Rows',
    'Columns',
  ],
  'RAW DATA': ['ContentDate', 'ContentTime', 'InstanceNumber'],
  REGISTRATION: ['ContentDate', 'ContentTime', 'InstanceNumber', 'ContentLabel', 'ContentDescription'],
  FIDUCIAL: ['ContentDate', 'ContentTime', 'InstanceNumber', 'ContentLabel', 'ContentDescription'],
};

/**
 * Keys of Type 1 or 2 in their record (PS3.3 §F.5), present even when the instance lacks them
 * (then empty, as Orthanc's /media writes them; DCMTK's dcmmkdir refuses such an instance
 * unless told to invent values). Instance Number is Type 1 in every record that has it.
 */
const REQUIRED: Record<string, Keyword[]> = {
  PATIENT: ['PatientName', 'PatientID'],
  STUDY: ['StudyDate', 'StudyTime', 'StudyDescription', 'StudyInstanceUID', 'StudyID', 'AccessionNumber'],
  SERIES: ['Modality', 'SeriesInstanceUID', 'SeriesNumber'],
};

const FILE_ID_COMPONENT = /^[A-Z0-9_]{1,8}$/;

interface Node {
  record: DataSet;
  children: Map<string, Node>;
}

/** The DICOMDIR file (PS3.10 §7.1 meta, Explicit VR Little Endian) of these instances. */
export function buildDicomDir(entries: readonly DicomDirEntry[], options: DicomDirOptions = {}): Uint8Array {
  const fileSetId = options.fileSetId ?? '';
  if (!/^[A-Z0-9_ ]{0,16}$/.test(fileSetId)) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `File-set ID ${JSON.stringify(fileSetId)}: up to 16 of A-Z, 0-9, _ and space`,
    );
  }
  const root = new Map<string, Node>();
  for (const entry of entries) {
    const { dataset: source } = entry;
    if (
      entry.fileId.length < 1 ||
      entry.fileId.length > 8 ||
      !entry.fileId.every((c) => FILE_ID_COMPONENT.test(c))
    ) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `File ID ${entry.fileId.join('\\')}: 1 to 8 components of 1 to 8 of A-Z, 0-9 and _ (PS3.10 §8.2.1)`,
      );
    }
    const sopClassUid = source.string('SOPClassUID')?.trim();
    const sopInstanceUid = source.string('SOPInstanceUID')?.trim();
    if (!sopClassUid || !sopInstanceUid) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${entry.fileId.join('/')}: no SOP Class or SOP Instance UID`,
      );
    }
    const patientId = source.string('PatientID')?.trim() ?? '';
    const patientKey = patientId || `name:${source.string('PatientName')?.trim() ?? ''}`;
    const patient = child(root, patientKey, 'PATIENT', source);
    const study = child(patient.children, source.string('StudyInstanceUID')?.trim() ?? '', 'STUDY', source);
    const series = child(study.children, source.string('SeriesInstanceUID')?.trim() ?? '', 'SERIES', source);
    const leaf = newRecord(recordTypeOf(sopClassUid), source);
    leaf.set('ReferencedFileID', [...entry.fileId]);
    leaf.set('ReferencedSOPClassUIDInFile', sopClassUid);
    leaf.set('ReferencedSOPInstanceUIDInFile', sopInstanceUid);
    leaf.set('ReferencedTransferSyntaxUIDInFile', entry.transferSyntaxUid);
    series.children.set(sopInstanceUid, { record: leaf, children: new Map() });
  }

  // Depth first, as dcmmkdir orders them: each record before the records below it.
  const records: DataSet[] = [];
  const links: { record: DataSet; next?: DataSet; lower?: DataSet }[] = [];
  const visit = (level: Map<string, Node>): void => {
    const nodes = [...level.values()];
    nodes.forEach((node, i) => {
      records.push(node.record);
      const next = nodes[i + 1]?.record;
      const lower = node.children.size > 0 ? node.children.values().next().value!.record : undefined;
      links.push({ record: node.record, ...(next ? { next } : {}), ...(lower ? { lower } : {}) });
      visit(node.children);
    });
  };
  visit(root);

  const directory = new DataSet();
  directory.set('FileSetID', fileSetId);
  directory.set('OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity', 0);
  directory.set('OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity', 0);
  directory.set('FileSetConsistencyFlag', 0);
  directory.set('DirectoryRecordSequence', records);
  const file: DicomFile = dicomDirFile(directory, options.sopInstanceUid ?? generateUid());

  // Where each record begins, from a first encoding (offsets are fixed-size, PS3.3 §F.3.2.1).
  const firstPass = readDicom(writeDicom(file, { sequenceLength: 'undefined' }));
  const readBack = firstPass.dataset.sequence('DirectoryRecordSequence') ?? [];
  const offsetOf = new Map<DataSet, number>();
  records.forEach((record, i) => {
    const at = readBack[i]?.readOffset;
    if (at === undefined) throw new DicomError('ERR_INVALID_VALUE', 'DICOMDIR: a record was not read back');
    offsetOf.set(record, at);
  });
  for (const { record, next, lower } of links) {
    record.set('OffsetOfTheNextDirectoryRecord', next ? offsetOf.get(next)! : 0);
    record.set('OffsetOfReferencedLowerLevelDirectoryEntity', lower ? offsetOf.get(lower)! : 0);
  }
  const roots = [...root.values()];
  if (roots.length > 0) {
    directory.set('OffsetOfTheFirstDirectoryRecordOfTheRootDirectoryEntity', offsetOf.get(roots[0]!.record)!);
    directory.set(
      'OffsetOfTheLastDirectoryRecordOfTheRootDirectoryEntity',
      offsetOf.get(roots.at(-1)!.record)!,
    );
  }
  return writeDicom(file, { sequenceLength: 'undefined' });
}

/**
 * Every tag a record may take from an instance: what buildDicomDir reads of it. Made on first
 * use: looking the keywords up builds the data dictionary's tables, which every tool would
 * otherwise pay for at start-up (~6 ms) since this module loads with the object model.
 */
let sourceTags: readonly Tag[] | undefined;
const directorySourceTags = (): readonly Tag[] =>
  (sourceTags ??= [
    ...new Set([
      SPECIFIC_CHARACTER_SET,
      ...(
        [
          'SOPClassUID',
          'SOPInstanceUID',
          'PatientID',
          'PatientName',
          'StudyInstanceUID',
          'SeriesInstanceUID',
        ] as const
      ).map((k) => tagOf(k)),
      ...Object.values(KEYS).flatMap((keys) => keys.map((k) => tagOf(k))),
    ]),
  ]);

/**
 * The part of an instance's data set that buildDicomDir uses, copied: a File-set of thousands
 * of instances keeps this much of each, not the buffers its headers were read into.
 */
export function directoryKeys(dataset: DataSet): DataSet {
  const picked = new DataSet();
  for (const tag of directorySourceTags()) {
    const element = dataset.element(tag);
    if (element) picked.add(element);
  }
  return picked.clone();
}

function child(level: Map<string, Node>, key: string, type: RecordType, source: DataSet): Node {
  let node = level.get(key);
  if (!node) {
    node = { record: newRecord(type, source), children: new Map() };
    level.set(key, node);
  }
  return node;
}

/** A directory record of `type` with its keys from `source` (§F.5) and its character set. */
function newRecord(type: RecordType, source: DataSet): DataSet {
  const record = new DataSet();
  record.set('OffsetOfTheNextDirectoryRecord', 0);
  record.set('RecordInUseFlag', 0xffff);
  record.set('OffsetOfReferencedLowerLevelDirectoryEntity', 0);
  record.set('DirectoryRecordType', type);
  const tags: Tag[] = [SPECIFIC_CHARACTER_SET, ...(KEYS[type] ?? []).map((k) => tagOf(k))];
  // The values as the instance encodes them, in its character set (sequences with their items).
  const picked = new DataSet();
  for (const tag of tags) {
    const element = source.element(tag);
    if (element) picked.add(element);
  }
  for (const element of picked.clone(record).elements()) record.add(element);
  const required = REQUIRED[type] ?? (KEYS[type]?.includes('InstanceNumber') ? ['InstanceNumber'] : []);
  for (const key of required) if (!record.has(key)) record.set(key, undefined);
  return record;
}

function dicomDirFile(dataset: DataSet, sopInstanceUid: string): DicomFile {
  const meta = new DataSet();
  meta.set(0x00020002, MEDIA_STORAGE_DIRECTORY, 'UI');
  meta.set(0x00020003, sopInstanceUid, 'UI');
  meta.set(0x00020013, IMPLEMENTATION_VERSION_NAME, 'SH');
  return { meta, dataset, transferSyntax: EXPLICIT_LE, hasMeta: true, dataSetOffset: 0, warnings: [] };
}
