/**
 * DICOM JSON Model (PS3.18 Annex F) in both directions: `dataSetToJson` and `jsonToDataSet`.
 * Isomorphic: no Node APIs, base64 by a local codec.
 */
export { bulkDataUriOf } from './bulk-data.ts';
export { DicomJsonError, type FromJsonOptions, jsonToDataSet } from './from-json.ts';
export { dataSetToJson, dicomJsonToString, type ToJsonOptions } from './to-json.ts';
export type { DicomJsonElement, DicomJsonObject, DicomJsonPersonName, DicomJsonValue } from './types.ts';
