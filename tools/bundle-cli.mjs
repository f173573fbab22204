#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from `tsc -p tsconfig.build.json`) into
// dist/bundle/: a few chunks instead of ~180 modules, which takes ~50 ms off every start
// (module resolution, URL handling and file reads per module). Each command stays a chunk of
// its own, loaded when it runs (main.ts imports them dynamically); packages stay external.
// The codec worker is an entry point too, so worker-pool.node finds it beside the chunks.
import { rmSync } from 'node:fs';
import { build } from 'esbuild';

// Chunk names change with their content: stale ones would pile up.
rmSync('dist/bundle', { recursive: true, force: true });

await build({
  entryPoints: ['dist/cli/main.js', 'dist/pixel/codecs/codec-worker.node.js'],
  outdir: 'dist/bundle',
  entryNames: '[name]',
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  logLevel: 'warning',
});
