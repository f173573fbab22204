export type { ParseHandler } from './handler.ts';
export { DicomParser, type ParserOptions } from './parser.ts';
