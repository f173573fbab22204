import type { Tag, VR } from '../../core/index.ts';
import { type Keyword, lookupTag, tagOf } from '../../dictionary/index.ts';
import type { QueryLevel } from './types.ts';

/**
 * The attributes the index keeps in columns, by Q/R level (PS3.4 §C.6.1.1 and §C.6.2.1:
 * unique, required and the common optional keys). Everything else is answered from the
 * stored header of the entity's representative instance.
 *
 * A column holds the value as it is returned, trimmed and decoded to Unicode ('' when
 * absent). Some kinds keep a twin for matching:
 * - `pn`: `<column>_norm`, upper-cased without trailing empty components, for PN matching
 *   that ignores case (PS3.4 §C.2.2.2.1 leaves PN matching to the implementation);
 * - `date`, `time`, `datetime`: `<column>_key`, a fixed-width string that sorts like the
 *   instants (`dateKey`, `timeKey`, `dateTimeKey` of core/values; '' when unparseable);
 * - `integer` (IS): `<column>_int`, the number (NULL when absent), for matching and order.
 * `multi` columns keep every value joined with `\`.
 *
 * The migrations create these columns; a new attribute is a new entry here plus a numbered
 * migration that adds its column(s) (schema.test.ts checks the two agree).
 */

export type ColumnKind = 'uid' | 'text' | 'pn' | 'date' | 'time' | 'datetime' | 'integer' | 'multi';

export interface AttributeColumn {
  readonly keyword: Keyword;
  readonly tag: Tag;
  readonly vr: VR;
  readonly level: QueryLevel;
  readonly column: string;
  readonly kind: ColumnKind;
}

/**
 * Attributes derived from the rows below an entity, maintained when instances are added or
 * removed (PS3.4 §C.6.1.1.x / §C.6.2.1.x optional keys).
 */
export interface DerivedAttribute {
  readonly keyword: Keyword;
  readonly tag: Tag;
  readonly vr: VR;
  readonly level: QueryLevel;
  readonly column: string;
  /** `count`: an integer; `list`: distinct values joined with `\`. */
  readonly kind: 'count' | 'list';
}

export interface LevelTable {
  readonly table: string;
  /** Alias used in every query. */
  readonly alias: string;
  /** Column referencing the parent level's row. */
  readonly parent?: string;
}

export const LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

export const DEPTH: Readonly<Record<QueryLevel, number>> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };

export const TABLES: Readonly<Record<QueryLevel, LevelTable>> = {
  PATIENT: { table: 'patients', alias: 'p' },
  STUDY: { table: 'studies', alias: 'st', parent: 'patient' },
  SERIES: { table: 'series', alias: 'se', parent: 'study' },
  IMAGE: { table: 'instances', alias: 'i', parent: 'series' },
};

/** The unique key of each level (PS3.4 §C.6.1.1 / §C.6.2.1). */
export const UNIQUE_KEYS: Readonly<Record<QueryLevel, Keyword>> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};

function vrOf(tag: Tag): VR {
  return lookupTag(tag)!.vr!;
}

function attribute(keyword: Keyword, level: QueryLevel, column: string, kind: ColumnKind): AttributeColumn {
  const tag = tagOf(keyword);
  return { keyword, tag, vr: vrOf(tag), level, column, kind };
}

function derived(
  keyword: Keyword,
  level: QueryLevel,
  column: string,
  kind: DerivedAttribute['kind'],
): DerivedAttribute {
  const tag = tagOf(keyword);
  return { keyword, tag, vr: vrOf(tag), level, column, kind };
}

export const ATTRIBUTES: readonly AttributeColumn[] = [
  attribute('PatientName', 'PATIENT', 'patient_name', 'pn'),
  attribute('PatientID', 'PATIENT', 'patient_id', 'text'),
  attribute('IssuerOfPatientID', 'PATIENT', 'issuer_of_patient_id', 'text'),
  attribute('PatientBirthDate', 'PATIENT', 'patient_birth_date', 'date'),
  attribute('PatientSex', 'PATIENT', 'patient_sex', 'text'),
  attribute('OtherPatientIDs', 'PATIENT', 'other_patient_ids', 'multi'),
  attribute('StudyInstanceUID', 'STUDY', 'study_instance_uid', 'uid'),
  attribute('StudyDate', 'STUDY', 'study_date', 'date'),
  attribute('StudyTime', 'STUDY', 'study_time', 'time'),
  attribute('AccessionNumber', 'STUDY', 'accession_number', 'text'),
  attribute('StudyID', 'STUDY', 'study_id', 'text'),
  attribute('StudyDescription', 'STUDY', 'study_description', 'text'),
  attribute('ReferringPhysicianName', 'STUDY', 'referring_physician_name', 'pn'),
  attribute('SeriesInstanceUID', 'SERIES', 'series_instance_uid', 'uid'),
  attribute('Modality', 'SERIES', 'modality', 'text'),
  attribute('SeriesNumber', 'SERIES', 'series_number', 'integer'),
  attribute('SeriesDescription', 'SERIES', 'series_description', 'text'),
  attribute('BodyPartExamined', 'SERIES', 'body_part_examined', 'text'),
  attribute('SeriesDate', 'SERIES', 'series_date', 'date'),
  attribute('SeriesTime', 'SERIES', 'series_time', 'time'),
  attribute('PerformedProcedureStepStartDate', 'SERIES', 'performed_procedure_step_start_date', 'date'),
  attribute('PerformedProcedureStepStartTime', 'SERIES', 'performed_procedure_step_start_time', 'time'),
  attribute('SOPInstanceUID', 'IMAGE', 'sop_instance_uid', 'uid'),
  attribute('SOPClassUID', 'IMAGE', 'sop_class_uid', 'uid'),
  attribute('InstanceNumber', 'IMAGE', 'instance_number', 'integer'),
  attribute('ContentDate', 'IMAGE', 'content_date', 'date'),
  attribute('ContentTime', 'IMAGE', 'content_time', 'time'),
  attribute('AcquisitionDateTime', 'IMAGE', 'acquisition_date_time', 'datetime'),
];

export const DERIVED: readonly DerivedAttribute[] = [
  derived('NumberOfPatientRelatedStudies', 'PATIENT', 'number_of_studies', 'count'),
  derived('NumberOfPatientRelatedSeries', 'PATIENT', 'number_of_series', 'count'),
  derived('NumberOfPatientRelatedInstances', 'PATIENT', 'number_of_instances', 'count'),
  derived('ModalitiesInStudy', 'STUDY', 'modalities_in_study', 'list'),
  derived('SOPClassesInStudy', 'STUDY', 'sop_classes_in_study', 'list'),
  derived('NumberOfStudyRelatedSeries', 'STUDY', 'number_of_series', 'count'),
  derived('NumberOfStudyRelatedInstances', 'STUDY', 'number_of_instances', 'count'),
  derived('NumberOfSeriesRelatedInstances', 'SERIES', 'number_of_instances', 'count'),
];

export const ATTRIBUTE_BY_TAG: ReadonlyMap<Tag, AttributeColumn> = new Map(ATTRIBUTES.map((a) => [a.tag, a]));
export const DERIVED_BY_TAG: ReadonlyMap<Tag, DerivedAttribute> = new Map(DERIVED.map((d) => [d.tag, d]));

/** Date and time attributes matched as one instant when both are ranges (PS3.4 §C.2.2.2.5). */
export const DATE_TIME_PAIRS: readonly (readonly [Tag, Tag])[] = [
  [tagOf('StudyDate'), tagOf('StudyTime')],
  [tagOf('SeriesDate'), tagOf('SeriesTime')],
  [tagOf('PerformedProcedureStepStartDate'), tagOf('PerformedProcedureStepStartTime')],
  [tagOf('ContentDate'), tagOf('ContentTime')],
];

/** The name of a column's matching twin, if its kind has one. */
export function auxiliaryColumn(a: AttributeColumn): string | undefined {
  switch (a.kind) {
    case 'pn':
      return `${a.column}_norm`;
    case 'date':
    case 'time':
    case 'datetime':
      return `${a.column}_key`;
    case 'integer':
      return `${a.column}_int`;
    default:
      return undefined;
  }
}

/** Every stored column of a level's attributes, in catalogue order (value, then twin). */
export function attributeColumns(level: QueryLevel): string[] {
  const columns: string[] = [];
  for (const a of ATTRIBUTES) {
    if (a.level !== level) continue;
    columns.push(a.column);
    const aux = auxiliaryColumn(a);
    if (aux) columns.push(aux);
  }
  return columns;
}

/** Bookkeeping columns every entity above IMAGE has, kept by the index after each change. */
export const AGGREGATE_COLUMNS: Readonly<Record<Exclude<QueryLevel, 'IMAGE'>, readonly string[]>> = {
  PATIENT: ['number_of_studies', 'number_of_series', 'number_of_instances', 'total_size', 'last_instance'],
  STUDY: [
    'modalities_in_study',
    'sop_classes_in_study',
    'number_of_series',
    'number_of_instances',
    'total_size',
    'last_instance',
  ],
  SERIES: ['number_of_instances', 'total_size', 'last_instance'],
};
