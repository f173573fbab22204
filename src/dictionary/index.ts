/**
 * The DICOM data dictionary: data elements (PS3.6 §6), UIDs (PS3.6 Annex A) and known private
 * elements, generated into ./generated/ by tools/dictgen.ts from data/*.tsv. Tables are
 * unpacked on first use, so importing this module costs little.
 */
export {
  type ElementEntry,
  elementEntries,
  type Keyword,
  type KeywordInfo,
  keywordOf,
  lookupKeyword,
  lookupTag,
  tagOf,
} from './element-dictionary.ts';
export { lookupPrivate, type PrivateEntry, privateCreators } from './private-dictionary.ts';
export {
  dcmtkUidName,
  isStorageSopClass,
  lookupUid,
  type StorageSopClassOptions,
  storageSopClasses,
  UID,
  type UidEntry,
  type UidKeyword,
  uidEntries,
  uidOf,
  uidOfDcmtkName,
} from './uid-dictionary.ts';
