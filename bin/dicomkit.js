#!/usr/bin/env -S node --initial-old-space-size=64 --v8-pool-size=0
// --initial-old-space-size: a server or tool moving instances keeps a small heap (~8 MB) while
// tens of MB of buffers (socket reads, file reads) go through it each second; from a small
// heap's growth limit V8 then starts a full mark-compact every ~30 MB of dead buffers (51 for
// 1,200 CT instances received), on four threads. A 64 MB starting limit lets the young
// generation's cheap scavenges free them instead: 11 full GCs, about half the GC threads' CPU,
// +25-30% instances/s received and +15% sent (bench/store.ts).
// --v8-pool-size=0: V8's worker threads (optimizing compiler, parallel GC) sized by Node to the
// cores there are, one fewer than them, instead of Node's fixed four. On a 2-core machine four
// workers compete with the main thread and with a peer on the same host: a cold storescu of
// 2,000 small files took 4-10% longer (its JIT warm-up optimizes ~90 functions on them), while
// servers measured the same either way (bench/store.ts, bench/pacs.ts).
// `npm start` passes both too; bench/ and the tests read them from this line.
// Runs the compiled and bundled CLI, dist/bundle/cli.cjs (built by `npm run build`, which `npm
// install` runs), through load-bundle.js and its code cache, when it is at least as new as
// every source file; otherwise the TypeScript sources through tsx, so a checkout being edited
// never runs stale code. Compiled start-up is about half of tsx's, the bundle saves another
// ~50 ms over dist/cli/'s separate modules, and the code cache ~20 ms more.
// This file and load-bundle.js are CommonJS (bin/package.json): an ES module entry point makes
// Node 20 set up its ES module loader first (~20 internal modules), ~14 ms before this file
// ran, of which the CLI needs ~5 ms (the streams) anyway: commands start ~6 ms sooner.
'use strict';
const { existsSync, readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const root = join(__dirname, '..');
const compiled = join(root, 'dist', 'bundle', 'cli.cjs');

function newestSource(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    // Tests are not compiled in: editing one leaves the bundle current.
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

// Only a checkout (a .git beside src/) is edited; an installed package's sources never change,
// and walking them costs ~7 ms of every start.
const useCompiled =
  process.env.DICOMKIT_FROM_SOURCE !== '1' &&
  existsSync(compiled) &&
  (!existsSync(join(root, '.git')) || statSync(compiled).mtimeMs >= newestSource(join(root, 'src')));
if (useCompiled) {
  require('./load-bundle.js');
} else {
  // tsx's loader hooks serve ES modules: the sources are imported, not required.
  import('tsx/esm/api')
    .then(({ register }) => {
      register();
      return import('../src/cli/main.ts');
    })
    .catch((error) => {
      process.exitCode = 1;
      console.error(error);
    });
}
