import { type Keyword, tagOf } from '../../dictionary/index.ts';
import type { DataSet } from '../../object/index.ts';
import type { QueryLevel } from '../index/types.ts';

/**
 * `Normalize` of `POST /modalities/{name}/query` (Orthanc's, on by default): a C-FIND sent to
 * another modality carries only the keys of its level and the levels above it, so that a
 * strict SCP is not asked for what it cannot match. The keys of a level are those of the
 * module that describes it in PS3.3: Patient (Table C.7-1, with the Issuer of Patient ID
 * macro, Table 10-18), General Study (C.7-3), General Series (C.7-5, with the Performed
 * Procedure Step Summary macro, Table 10-16) and SOP Common (C.12-1, with the Digital
 * Signatures macro, C.12-6), as Orthanc has them; and each level's own derived keys (PS3.4
 * §C.3: the Number of ... Related ..., ModalitiesInStudy, SOPClassesInStudy).
 */
const MODULE_KEYS: Record<QueryLevel, readonly Keyword[]> = {
  PATIENT: [
    'PatientName',
    'PatientID',
    'PatientBirthDate',
    'PatientSex',
    'ReferencedPatientSequence',
    'PatientBirthTime',
    'OtherPatientIDs',
    'OtherPatientIDsSequence',
    'OtherPatientNames',
    'EthnicGroup',
    'PatientComments',
    'PatientSpeciesDescription',
    'PatientSpeciesCodeSequence',
    'PatientBreedDescription',
    'PatientBreedCodeSequence',
    'BreedRegistrationSequence',
    'ResponsiblePerson',
    'ResponsiblePersonRole',
    'ResponsibleOrganization',
    'PatientIdentityRemoved',
    'DeidentificationMethod',
    'DeidentificationMethodCodeSequence',
    'IssuerOfPatientID',
    'IssuerOfPatientIDQualifiersSequence',
  ],
  STUDY: [
    'StudyInstanceUID',
    'StudyDate',
    'StudyTime',
    'ReferringPhysicianName',
    'ReferringPhysicianIdentificationSequence',
    'StudyID',
    'AccessionNumber',
    'IssuerOfAccessionNumberSequence',
    'StudyDescription',
    'PhysiciansOfRecord',
    'PhysiciansOfRecordIdentificationSequence',
    'NameOfPhysiciansReadingStudy',
    'PhysiciansReadingStudyIdentificationSequence',
    'RequestingServiceCodeSequence',
    'ReferencedStudySequence',
    'ProcedureCodeSequence',
    'ReasonForPerformedProcedureCodeSequence',
  ],
  SERIES: [
    'Modality',
    'SeriesInstanceUID',
    'SeriesNumber',
    'Laterality',
    'SeriesDate',
    'SeriesTime',
    'PerformingPhysicianName',
    'PerformingPhysicianIdentificationSequence',
    'ProtocolName',
    'SeriesDescription',
    'SeriesDescriptionCodeSequence',
    'OperatorsName',
    'OperatorIdentificationSequence',
    'ReferencedPerformedProcedureStepSequence',
    'RelatedSeriesSequence',
    'BodyPartExamined',
    'PatientPosition',
    'SmallestPixelValueInSeries',
    'LargestPixelValueInSeries',
    'RequestAttributesSequence',
    'AnatomicalOrientationType',
    'PerformedProcedureStepID',
    'PerformedProcedureStepStartDate',
    'PerformedProcedureStepStartTime',
    'PerformedProcedureStepDescription',
    'PerformedProtocolCodeSequence',
    'CommentsOnThePerformedProcedureStep',
  ],
  IMAGE: [
    'SOPClassUID',
    'SOPInstanceUID',
    'InstanceCreationDate',
    'InstanceCreationTime',
    'InstanceCreatorUID',
    'RelatedGeneralSOPClassUID',
    'OriginalSpecializedSOPClassUID',
    'CodingSchemeIdentificationSequence',
    'TimezoneOffsetFromUTC',
    'ContributingEquipmentSequence',
    'InstanceNumber',
    'SOPInstanceStatus',
    'SOPAuthorizationDateTime',
    'SOPAuthorizationComment',
    'AuthorizationEquipmentCertificationNumber',
    'EncryptedAttributesSequence',
    'OriginalAttributesSequence',
    'HL7StructuredDocumentReferenceSequence',
    'LongitudinalTemporalInformationModified',
    'MACParametersSequence',
    'DigitalSignaturesSequence',
  ],
};

const DERIVED_KEYS: Record<QueryLevel, readonly Keyword[]> = {
  PATIENT: [
    'NumberOfPatientRelatedStudies',
    'NumberOfPatientRelatedSeries',
    'NumberOfPatientRelatedInstances',
  ],
  STUDY: [
    'ModalitiesInStudy',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
    'SOPClassesInStudy',
  ],
  SERIES: ['NumberOfSeriesRelatedInstances'],
  IMAGE: [],
};

const LEVEL_ORDER: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

/** The keys a normalized query at `level` keeps, as tags. */
function allowedAt(level: QueryLevel): ReadonlySet<number> {
  const keywords: Keyword[] = ['SpecificCharacterSet', 'QueryRetrieveLevel', ...DERIVED_KEYS[level]];
  for (const above of LEVEL_ORDER.slice(0, LEVEL_ORDER.indexOf(level) + 1))
    keywords.push(...MODULE_KEYS[above]);
  return new Set(keywords.map((keyword) => tagOf(keyword)));
}

const ALLOWED: Record<QueryLevel, ReadonlySet<number>> = {
  PATIENT: allowedAt('PATIENT'),
  STUDY: allowedAt('STUDY'),
  SERIES: allowedAt('SERIES'),
  IMAGE: allowedAt('IMAGE'),
};

/** Removes from `identifier` the keys a query at `level` does not carry; returns their tags. */
export function normalizeQuery(identifier: DataSet, level: QueryLevel): number[] {
  const allowed = ALLOWED[level];
  const dropped = identifier.tags().filter((tag) => !allowed.has(tag));
  for (const tag of dropped) identifier.delete(tag);
  return dropped;
}
