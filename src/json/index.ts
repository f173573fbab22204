/**
 * DICOM JSON Model (PS3.18 Annex F) in both directions: `dataSetToJson` and `jsonToDataSet`.
 * XML out (xml.ts): DCMTK's dcm2xml format (`dataSetToDcmtkXml`, findscu's -Xx/-Xs forms) and
 * the Native DICOM Model of PS3.19 §A.1 (`dataSetToNativeXml`), byte for byte as DCMTK 3.6.7.
 * Isomorphic: no Node APIs; base64 by a local codec.
 *
 * Choices where the standard leaves room, and what a round trip normalises:
 * - Output keys are in tag order (§F.2.2); Group Length attributes are left out (§F.2.2) and
 *   ignored on input with a warning. Use `dicomJsonToString` for text in that order:
 *   JSON.stringify puts keys that look like array indices ('30060020') first.
 * - An attribute with no value has no "Value" (§F.2.5), so input `"Value": [""]`,
 *   `[{ "Alphabetic": "" }]`, `[null]` and `[]` all come back without "Value"; empty values
 *   among several are null both ways ("" is read as null).
 * - IS and DS are written as numbers, or as the original string when it is not a number or a
 *   double would not give it back (§F.2.3.1); both are accepted. Numbers are re-encoded in the
 *   shortest DS form, so '5.000000' comes back as '5' (same value). SV and UV are numbers when
 *   safe integers, else decimal strings (§F.2.3.1). FL/FD NaN and infinities are the strings
 *   'NaN', 'Infinity', '-Infinity' (JSON has no such numbers).
 * - A null among binary numbers (US, SL, FD, ...) is dropped with a warning: PS3.5 has no
 *   empty value for them.
 * - Binary VRs are InlineBinary of the little endian bytes (§F.2.7), swapped from big endian
 *   sources. A UN read as a sequence is written as SQ.
 * - Encapsulated Pixel Data: BulkDataURI when `bulkDataUri` gives one, else InlineBinary of the
 *   encapsulated stream as PS3.5 §A.4 encodes it (items, offset table first, then the
 *   sequence delimiter). On input, Pixel Data bytes that parse exactly as such a stream become
 *   fragments again.
 * - An unresolved BulkDataURI leaves a placeholder (see `FromJsonOptions.resolveBulkData`):
 *   written back to JSON as it was, refused (ERR_IO) when encoding to bytes.
 * - Text is encoded with the (0008,0005) the JSON declares; if it declares none and holds
 *   non-ASCII text, (0008,0005) is set to 'ISO_IR 192' (UTF-8).
 */
export { bulkDataUriOf } from './bulk-data.ts';
export { DicomJsonError, type FromJsonOptions, jsonToDataSet } from './from-json.ts';
export { dataSetToJson, dicomJsonToString, type ToJsonOptions } from './to-json.ts';
export type { DicomJsonElement, DicomJsonObject, DicomJsonPersonName, DicomJsonValue } from './types.ts';
export {
  DCMTK_XML_NAMESPACE,
  DCMTK_XML_RESPONSES_HEAD,
  DCMTK_XML_RESPONSES_TAIL,
  type DcmtkXmlOptions,
  dataSetToDcmtkXml,
  dataSetToNativeXml,
  dcmtkXmlResponse,
  NATIVE_XML_NAMESPACE,
  type NativeXmlOptions,
} from './xml.ts';
