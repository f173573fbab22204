export * from './charset/index.ts';
export * from './transfer-syntax.ts';
