#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from `tsc -p tsconfig.build.json`) into
// dist/bundle/: a few chunks instead of ~180 modules, which takes ~50 ms off every start
// (module resolution, URL handling and file reads per module). Each command stays a chunk of
// its own, loaded when it runs (main.ts imports them dynamically); packages stay external.
// The codec worker is an entry point too, so worker-pool.node finds it beside the chunks.
import { copyFileSync, readFileSync, rmSync } from 'node:fs';
import { build } from 'esbuild';

// Packages stay external (native addons, WASM, fastify's plugins), except commander: every
// command loads it first, and as a package it costs a resolution and a CommonJS load of its
// own. It is CommonJS, so the chunks get a `require` for the node: modules it asks for.
const { dependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
const BUNDLED = new Set(['commander']);

// commander requires node:child_process at load time, for executable subcommands, which
// dicomkit does not use: loading it (with net, dgram and their dependencies) cost every start
// ~5-9 ms. Commander gets a stand-in that loads the module on its first spawn.
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(bundle) {
    bundle.onResolve({ filter: /^node:child_process$/ }, (args) =>
      /node_modules[\\/]commander[\\/]/.test(args.importer)
        ? { path: 'child-process-on-demand', namespace: 'on-demand' }
        : undefined,
    );
    bundle.onLoad({ filter: /.*/, namespace: 'on-demand' }, () => ({
      contents: "module.exports = { spawn: (...args) => require('node:child_process').spawn(...args) };",
      loader: 'js',
    }));
  },
};

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
  external: Object.keys(dependencies).filter((name) => !BUNDLED.has(name)),
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
  logLevel: 'warning',
  plugins: [lazyChildProcessForCommander],
});

// Plain JavaScript worker modules, which tsc does not copy: each goes beside the compiled
// module that starts it, and beside the chunks (which is where that module's code ends up).
for (const [from, name] of [['src/pacs/index', 'checkpoint-worker.mjs']]) {
  copyFileSync(`${from}/${name}`, `dist/${from.slice('src/'.length)}/${name}`);
  copyFileSync(`${from}/${name}`, `dist/bundle/${name}`);
}
