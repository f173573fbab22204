export * from './application-entity.ts';
export * from './association.ts';
export * from './contexts.ts';
export * from './handlers.ts';
export { writeReceivedFile } from './scp.ts';
export * from './store-source.ts';
