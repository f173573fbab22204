export * from './application-entity.ts';
export * from './association.ts';
export * from './contexts.ts';
export * from './handlers.ts';
export { closeSpareFiles, PartFile, SpareFiles, sparesIn, syncDirectory } from './part-file.ts';
export { type WriteFileOptions, writeReceivedFile } from './scp.ts';
export * from './store-source.ts';
