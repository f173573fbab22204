export { DataSetBuilder } from './builder.ts';
export { DataSet, resolveTag, type SetValue, type TagKey, type ValueOf, type ValueOfVR } from './dataset.ts';
export { buildDicomDir, type DicomDirEntry, type DicomDirOptions, directoryKeys } from './dicomdir.ts';
export { type DumpOptions, dumpDataSet, dumpFile, elementName, formatValue } from './dump.ts';
export { type ParsedDump, parseDump } from './dump-parse.ts';
export { type BulkDataRef, Element, type Fragment, isBulkDataRef } from './element.ts';
export { type ReceivedFileIdentity, receivedFileMeta } from './file-meta.ts';
export {
  type ChunkUse,
  DataSetHeadReader,
  type DicomFile,
  dataSetParser,
  detectTransferSyntax,
  findMetaStart,
  type ReadOptions,
  readDataSet,
  readDicom,
} from './part10.ts';
export { buildMeta, encodeDicom, type WriteOptions, writeDicom } from './part10-writer.ts';
export { convertUnknownVrs } from './unknown-vr.ts';
export type { Value } from './values.ts';
export {
  concatParts,
  DATA_SET_TRAILING_PADDING,
  DataSetEncoder,
  type EncodedPart,
  type EncodeOptions,
  type Padding,
} from './writer.ts';
