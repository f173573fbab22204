import { isValidUid } from '../../core/index.ts';
import type { Keyword } from '../../dictionary/index.ts';
import { readDicomFile } from '../../object/file.node.ts';
import { DataSet, type DicomFile, type ReadOptions } from '../../object/index.ts';
import type { InstanceLocation, PacsIndex, QueryLevel } from '../index/types.ts';
import type { FileStorage } from '../storage/filesystem.ts';
import { badRequest, HttpError, notFound } from './errors.ts';

/**
 * The REST vocabulary of the four levels. Resources are named by their DICOM identifiers
 * (Patient ID, Study/Series/SOP Instance UID), not by Orthanc's hashes; the rest follows
 * Orthanc's names (routes, `Type`, `ParentStudy`...).
 */
export const LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

export const ROUTE: Record<QueryLevel, string> = {
  PATIENT: 'patients',
  STUDY: 'studies',
  SERIES: 'series',
  IMAGE: 'instances',
};

/** Orthanc's `Type` of a resource. */
export const TYPE: Record<QueryLevel, string> = {
  PATIENT: 'Patient',
  STUDY: 'Study',
  SERIES: 'Series',
  IMAGE: 'Instance',
};

/** The key naming a resource of each level. */
export const ID_KEY: Record<QueryLevel, Keyword> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};

export const PARENT: Partial<Record<QueryLevel, QueryLevel>> = {
  STUDY: 'PATIENT',
  SERIES: 'STUDY',
  IMAGE: 'SERIES',
};

export const CHILD: Partial<Record<QueryLevel, QueryLevel>> = {
  PATIENT: 'STUDY',
  STUDY: 'SERIES',
  SERIES: 'IMAGE',
};

/** A `Level` as Orthanc's API spells it (Patient, Study, Series, Instance) or as DICOM does (IMAGE). */
export function parseLevel(value: unknown, key = 'Level'): QueryLevel {
  const text = typeof value === 'string' ? value.trim().toUpperCase() : '';
  if (text === 'INSTANCE' || text === 'IMAGE') return 'IMAGE';
  if (text === 'PATIENT' || text === 'STUDY' || text === 'SERIES') return text;
  throw badRequest(`${key} must be Patient, Study, Series or Instance, not ${JSON.stringify(value)}`);
}

/**
 * Checks a resource identifier from a URL or a body. UIDs must be valid UIDs; a Patient ID
 * must not hold C-FIND's wildcards or a backslash, which the index would take as a pattern
 * or a list.
 */
export function checkId(level: QueryLevel, id: string): string {
  if (level === 'PATIENT') {
    if (id.trim() === '' || /[*?\\]/.test(id)) {
      throw badRequest(`not a usable Patient ID: ${JSON.stringify(id)}`, 'ERR_INVALID_VALUE');
    }
    return id;
  }
  if (!isValidUid(id)) {
    throw badRequest(`${ID_KEY[level]} is not a valid UID: ${JSON.stringify(id)}`, 'ERR_INVALID_VALUE');
  }
  return id;
}

/** The stored instances of a resource (a patient with the Patient Root model, the rest Study Root). */
export function locateResource(index: PacsIndex, level: QueryLevel, id: string): InstanceLocation[] {
  const identifier = new DataSet();
  identifier.set(ID_KEY[level], id);
  return index.locate(level === 'PATIENT' ? 'patient' : 'study', level, identifier);
}

/**
 * A resource named by an ID of any level, as Orthanc's bulk calls take them: a study, series
 * or instance UID, or a Patient ID (a Patient ID may look like a UID: tried last).
 */
export function findResource(
  index: PacsIndex,
  id: string,
): { level: QueryLevel; files: InstanceLocation[] } | undefined {
  const levels: QueryLevel[] = isValidUid(id) ? ['STUDY', 'SERIES', 'IMAGE', 'PATIENT'] : ['PATIENT'];
  for (const level of levels) {
    if (level === 'PATIENT' && (id.trim() === '' || /[*?\\]/.test(id))) continue;
    const files = locateResource(index, level, id);
    if (files.length > 0) return { level, files };
  }
  return undefined;
}

/** Where an indexed instance's file is; 404 when the index has no such instance. */
export function instanceFile(index: PacsIndex, id: string): InstanceLocation {
  const location = locateResource(index, 'IMAGE', id)[0];
  if (!location) throw notFound(`no instance ${id}`);
  return location;
}

/** The 500 for an indexed instance whose file cannot be opened or parsed. */
export function unreadable(id: string, error: unknown): HttpError {
  const message = (error as Error).message;
  return new HttpError(500, 'ERR_IO', `instance ${id} is indexed but its file cannot be read: ${message}`);
}

/** An indexed instance's file, read with `options` (404 if not indexed, 500 if unreadable). */
export async function readInstance(
  index: PacsIndex,
  storage: FileStorage,
  id: string,
  options: ReadOptions,
): Promise<DicomFile> {
  const path = storage.absolute(instanceFile(index, id).path);
  try {
    return await readDicomFile(path, options);
  } catch (error) {
    throw unreadable(id, error);
  }
}
