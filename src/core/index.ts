export * from './concurrency.ts';
export * from './errors.ts';
export * from './logger.ts';
export * from './tag.ts';
export * from './uid.ts';
export * from './values/index.ts';
export * from './vr.ts';
