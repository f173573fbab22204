// The association policies an SCP is configured with, so that `dicomkit` alone offers them.
export {
  type AccessControl,
  type AccessDecision,
  ALLOW_ALL,
  type AllowListOptions,
  type AssociationRequester,
  allowList,
  Reject,
  reject,
  UserIdentityType,
} from '../net/association/index.ts';
export type { UserIdentityRq } from '../net/pdu/index.ts';
export * from './application-entity.ts';
export * from './association.ts';
export * from './contexts.ts';
export * from './handlers.ts';
export { closeSpareFiles, PartFile, SpareFiles, sparesIn, syncDirectory } from './part-file.ts';
export { type WriteFileOptions, writeReceivedFile } from './scp.ts';
export * from './storage-commitment.ts';
export * from './store-source.ts';
