#!/usr/bin/env node
// Bundles the compiled CLI (dist/cli/main.js, from `tsc -p tsconfig.build.json`) into
// dist/bundle/cli.cjs: one script instead of ~180 modules, which takes ~50 ms off every start
// (module resolution, URL handling and file reads per module), and makes the V8 code caches
// bin/load-bundle.js runs it with. Packages stay external. The codec worker is bundled
// beside it, where worker-pool.node looks for it.
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

// Packages stay external (native addons, WASM, fastify's plugins), except commander: every
// command loads it first, and as a package it costs a resolution and a CommonJS load of its
// own.
const { dependencies, optionalDependencies } = JSON.parse(readFileSync('package.json', 'utf8'));
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

// The build's output is replaced whole: nothing stale (an old chunk or cache) stays behind.
rmSync('dist/bundle', { recursive: true, force: true });

// dist/object/deflate.js picks node:zlib through process.getBuiltinModule (Node >= 20.16) and
// falls back to fflate with a top-level await, which a CommonJS script cannot have. In the CLI
// bundle, which only runs on Node, the fallback is node:zlib through require.
const deflateWithoutTopLevelAwait = {
  name: 'deflate-without-top-level-await',
  setup(bundle) {
    bundle.onLoad({ filter: /[\\/]dist[\\/]object[\\/]deflate\.js$/ }, (args) => {
      const text = readFileSync(args.path, 'utf8');
      const fallback = 'await fflateCodec()';
      if (text.split(fallback).length !== 2)
        throw new Error(`${args.path}: expected one "${fallback}" to replace; update this plugin`);
      return { contents: text.replace(fallback, "nodeCodec(require('node:zlib'))"), loader: 'js' };
    });
  },
};

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  external: Object.keys({ ...dependencies, ...optionalDependencies }).filter((name) => !BUNDLED.has(name)),
  logLevel: 'warning',
};

// The CLI: one CommonJS script, so that bin/load-bundle.js can compile it with a V8 code cache
// (Node 20 caches nothing for ES modules). Commands are still initialised only when they run:
// esbuild keeps main.ts's dynamic imports of them lazy. Dynamic imports of packages become
// require() (they are all CommonJS), since a vm.Script has no module loader for import().
await build({
  ...common,
  entryPoints: ['dist/cli/main.js'],
  outfile: 'dist/bundle/cli.cjs',
  format: 'cjs',
  supported: { 'dynamic-import': false },
  // import.meta as the modules use it, for a script: its own URL, and resolution (which
  // worker-pool.node only asks for when it runs from TypeScript sources).
  define: { 'import.meta.url': '__bundleUrl', 'import.meta.resolve': '__bundleResolve' },
  banner: {
    // Strict first: the modules are, and esbuild's own "use strict" comes after the banner.
    js: [
      "'use strict';",
      "var __bundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "var __bundleResolve = (specifier) => require('node:url').pathToFileURL(require.resolve(specifier)).href;",
    ].join('\n'),
  },
  plugins: [lazyChildProcessForCommander, deflateWithoutTopLevelAwait],
});

// The bundle as ASCII, so that bin/load-bundle.js reads it as Latin-1: a one-byte string made
// by a copy, where UTF-8 decoding took ~6.5 of every start's ~58 ms and gave a two-byte string
// (twice the memory) for the sake of 46 comment lines. esbuild already writes every string,
// regular expression and identifier as ASCII (its default charset); what is left is in comments,
// and \uXXXX is the same character wherever else it might be.
const bundleText = readFileSync('dist/bundle/cli.cjs', 'utf8');
writeFileSync(
  'dist/bundle/cli.cjs',
  bundleText.replace(/[^\x00-\x7f]/g, (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`),
);

// The codec worker, an ES module that worker-pool.node starts from beside the bundle.
await build({
  ...common,
  entryPoints: ['dist/pixel/codecs/codec-worker.node.js'],
  outfile: 'dist/bundle/codec-worker.node.js',
  format: 'esm',
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
  },
});

// Plain JavaScript worker modules, which tsc does not copy: each goes beside the compiled
// module that starts it, and beside the bundle (which is where that module's code ends up).
for (const [from, name] of [['src/pacs/index', 'checkpoint-worker.mjs']]) {
  copyFileSync(`${from}/${name}`, `dist/${from.slice('src/'.length)}/${name}`);
  copyFileSync(`${from}/${name}`, `dist/bundle/${name}`);
}

// The code caches, one per set of node options a user's run has: bin/dicomkit.js's first line
// (the installed command, `npm start`) and none (`node bin/dicomkit.js`, the tests).
const shebang = readFileSync('bin/dicomkit.js', 'utf8').split('\n', 1)[0];
const binOptions = /^#!\S*env -S node(.*)$/.exec(shebang)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
for (const options of [binOptions, []]) {
  const seed = spawnSync(process.execPath, [...options, 'bin/load-bundle.js'], {
    env: { ...process.env, DICOMKIT_CODE_CACHE: 'seed' },
    stdio: 'inherit',
  });
  if (seed.status !== 0) throw new Error(`making the code cache for [${options.join(' ')}] failed`);
}
