import {
  DicomError,
  dateKey,
  dateTimeKey,
  formatTime,
  PIXEL_DATA,
  type Tag,
  timeKey,
  tryParseDate,
  tryParseDateTime,
  tryParseTime,
  vrInfo,
} from '../../core/index.ts';
import { tagOf } from '../../dictionary/index.ts';
import { EXPLICIT_LE } from '../../encoding/index.ts';
import { concatParts, DataSet, DataSetEncoder, Element, readDataSet } from '../../object/index.ts';
import { ATTRIBUTES, type AttributeColumn } from './catalogue.ts';
import type { SqlValue } from './dialect.ts';
import type { QueryLevel } from './types.ts';

/** What the index stores of a header: column values, identity, and the header's bytes. */

const PATIENT_ID = tagOf('PatientID');
const ISSUER_OF_PATIENT_ID = tagOf('IssuerOfPatientID');
const STUDY_INSTANCE_UID = tagOf('StudyInstanceUID');
const SERIES_INSTANCE_UID = tagOf('SeriesInstanceUID');
const SOP_INSTANCE_UID = tagOf('SOPInstanceUID');

/** Binary values longer than this are left out of the stored header (icons, overlays, private blobs). */
export const HEADER_BINARY_LIMIT = 1024;

/**
 * The values of an element, trimmed, without empty ones; [] when absent or undecodable (a
 * header the index cannot read a value of is still indexed, with that value unknown).
 */
export function valuesOf(ds: DataSet, tag: Tag): string[] {
  let values: string[] | undefined;
  try {
    values = ds.strings(tag);
  } catch {
    return [];
  }
  if (!values) return [];
  const out: string[] = [];
  for (const v of values) {
    const t = v.trim();
    if (t !== '' && t !== 'NaN') out.push(t);
  }
  return out;
}

/**
 * PN as compared when case does not matter: upper case, without trailing empty components
 * or groups ('Doe^John^^' is 'DOE^JOHN'). Applied alike to stored values and query patterns.
 */
export function normalisePersonName(value: string): string {
  return value
    .trim()
    .replace(/[\^= ]+$/, '')
    .toUpperCase();
}

/** The stored column values of one attribute: the value, then its matching twin if it has one. */
export function attributeValues(a: AttributeColumn, ds: DataSet): SqlValue[] {
  const values = valuesOf(ds, a.tag);
  const first = values[0] ?? '';
  if (first === '')
    return a.kind === 'pn' || a.kind === 'date' || a.kind === 'time' || a.kind === 'datetime'
      ? ['', '']
      : a.kind === 'integer'
        ? ['', null]
        : [''];
  switch (a.kind) {
    case 'uid':
    case 'text':
      return [first];
    case 'multi':
      return [values.join('\\')];
    case 'pn':
      return [first, normalisePersonName(first)];
    case 'date': {
      // ACR-NEMA 'YYYY.MM.DD' is read and returned as a DICOM DA.
      const date = tryParseDate(first);
      return date ? [dateKey(date), dateKey(date)] : [first, ''];
    }
    case 'time': {
      const time = tryParseTime(first);
      return time ? [formatTime(time), timeKey(time)] : [first, ''];
    }
    case 'datetime': {
      const dt = tryParseDateTime(first);
      return dt ? [first, dateTimeKey(dt)] : [first, ''];
    }
    case 'integer': {
      const n = Number.parseInt(first, 10);
      return Number.isFinite(n) ? [String(n), n] : [first, null];
    }
  }
}

const LEVEL_ATTRIBUTES: Readonly<Record<QueryLevel, readonly AttributeColumn[]>> = {
  PATIENT: ATTRIBUTES.filter((a) => a.level === 'PATIENT'),
  STUDY: ATTRIBUTES.filter((a) => a.level === 'STUDY'),
  SERIES: ATTRIBUTES.filter((a) => a.level === 'SERIES'),
  IMAGE: ATTRIBUTES.filter((a) => a.level === 'IMAGE'),
};

/** Values for `attributeColumns(level)`, in the same order. */
export function levelValues(level: QueryLevel, ds: DataSet): SqlValue[] {
  const out: SqlValue[] = [];
  for (const a of LEVEL_ATTRIBUTES[level]) {
    const values = attributeValues(a, ds);
    for (let i = 0; i < values.length; i++) out.push(values[i]!);
  }
  return out;
}

export interface InstanceKeys {
  sopInstanceUid: string;
  seriesInstanceUid: string;
  studyInstanceUid: string;
}

/**
 * The UIDs that place an instance in the hierarchy; throws ERR_INVALID_VALUE naming the
 * missing one. Callers that batch instances of several associations should check each with
 * this before add(), so one bad instance does not fail the others' transaction.
 */
export function instanceKeys(header: DataSet): InstanceKeys {
  const get = (tag: Tag, name: string): string => {
    const value = valuesOf(header, tag)[0];
    if (!value) throw new DicomError('ERR_INVALID_VALUE', `cannot index an instance without ${name}`);
    return value;
  };
  return {
    sopInstanceUid: get(SOP_INSTANCE_UID, 'SOP Instance UID (0008,0018)'),
    seriesInstanceUid: get(SERIES_INSTANCE_UID, 'Series Instance UID (0020,000E)'),
    studyInstanceUid: get(STUDY_INSTANCE_UID, 'Study Instance UID (0020,000D)'),
  };
}

/**
 * Patient identity: Patient ID qualified by Issuer of Patient ID (PS3.3 §C.7.1.1: the ID is
 * unique only within its issuer), compared exactly after trimming. The same ID from two
 * issuers is two patients; the same ID with and without an issuer is two patients too (the
 * index does not guess that an unqualified ID belongs to some issuer). An instance without
 * Patient ID makes a patient of its own study, so unrelated anonymous studies are not merged.
 */
export function patientKey(header: DataSet): string {
  const id = valuesOf(header, PATIENT_ID)[0] ?? '';
  if (id === '') return `\u0001${valuesOf(header, STUDY_INSTANCE_UID)[0] ?? ''}`;
  return `${id}\u0000${valuesOf(header, ISSUER_OF_PATIENT_ID)[0] ?? ''}`;
}

/** A copy without file meta, pixel data and later elements, bulk references and large binary values. */
function compact(source: DataSet, top: boolean, parent?: DataSet): DataSet {
  const out = new DataSet(parent);
  for (const element of source) {
    const tag = element.tag;
    if (top && (tag >>> 16 === 0x0002 || tag >= PIXEL_DATA)) continue;
    if (element.bulk || element.fragments) continue;
    if (element.items) {
      const copy = new Element(tag, element.vr, undefined, element.littleEndian);
      copy.items = element.items.map((item) => compact(item, false, out));
      out.add(copy);
      continue;
    }
    if (vrInfo(element.vr).kind === 'bytes' && (element.bytes?.length ?? 0) > HEADER_BINARY_LIMIT) continue;
    out.add(element);
  }
  return out;
}

/**
 * The header as stored: explicit VR little endian (values of other byte orders are swapped
 * by the encoder), with its own Specific Character Set, so values decode as they came.
 */
export function encodeHeader(header: DataSet): Uint8Array {
  // One encoder serves many headers (it keeps a 16 KiB buffer); it also remembers the items
  // it measured, so it is renewed now and then.
  if (encoder === undefined || ++encoded % 256 === 0) encoder = new DataSetEncoder({ groupLength: 'remove' });
  return concatParts(encoder.encode(needsCompacting(header) ? compact(header, true) : header, EXPLICIT_LE));
}

let encoder: DataSetEncoder | undefined;
let encoded = 0;

/** Whether anything would be left out: most headers are stored as they are. */
function needsCompacting(header: DataSet): boolean {
  for (const element of header) {
    const tag = element.tag;
    if (tag >>> 16 === 0x0002 || tag >= PIXEL_DATA || (tag & 0xffff) === 0) return true;
    if (element.items || element.bulk || element.fragments) return true;
    if ((element.bytes?.length ?? 0) > HEADER_BINARY_LIMIT && vrInfo(element.vr).kind === 'bytes')
      return true;
  }
  return false;
}

export function decodeHeader(bytes: Uint8Array): DataSet {
  const view = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return readDataSet(view, EXPLICIT_LE);
}
