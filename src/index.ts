// The library's Node entry: every isomorphic layer plus the Node file helpers.
export * from './core/index.ts';
export * from './dictionary/index.ts';
export * from './encoding/index.ts';
export * from './json/index.ts';
export * from './object/file.node.ts';
export * from './object/index.ts';
export * from './parser/index.ts';
export * from './pixel/bulk-source.node.ts';
export * from './pixel/frame-sink.node.ts';
export * from './pixel/index.ts';
export * from './pixel/transcode-file.node.ts';
export * from './services/index.ts';
