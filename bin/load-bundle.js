// Runs the CLI bundle (dist/bundle/cli.cjs, one CommonJS script made by tools/bundle-cli.mjs)
// with a V8 code cache. Compiling the bundle's ~2 MB was about a fifth of every command's
// start-up (~20-25 ms of ~110); Node 20 caches nothing for ES modules, so the bundle is a
// script compiled through vm.Script, which takes V8's cached bytecode.
//
// The cache is made by the build (`npm run build`), never at run time: an installed package
// may be read-only, and concurrent runs would race. It holds bytecode for every function
// (compiled eagerly), so a command's hot loop starts without compiling either. V8 accepts a
// cache only from the same V8 and the same V8 flags, so there is one per set of node options,
// named by them: the build makes those of bin/dicomkit.js's first line and of a plain `node`.
// Any other set (--cpu-prof, NODE_OPTIONS with V8 flags, a newer node) finds none, or has it
// rejected, and compiles as without a cache.
//
// DICOMKIT_CODE_CACHE=seed makes this set's cache instead of running a command (the build's
// use); DICOMKIT_CODE_CACHE=report prints to stderr whether a cache was used.
'use strict';
const { isAscii } = require('node:buffer');
const { readFileSync, renameSync, statSync, writeFileSync } = require('node:fs');
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');
const { Script } = require('node:vm');

const bundle = join(__dirname, '..', 'dist', 'bundle', 'cli.cjs');

/**
 * The cache file for this process's node options and this build of the bundle (FNV-1a of them:
 * short and stable). V8 checks a cache's source by its length only: the bundle's modification
 * time keeps a cache from ever meeting a bundle changed after the build.
 */
function cachePath() {
  let hash = 0x811c9dc5;
  for (const char of JSON.stringify([process.execArgv, Math.trunc(statSync(bundle).mtimeMs)])) {
    hash = Math.imul(hash ^ char.charCodeAt(0), 0x01000193) >>> 0;
  }
  return `${bundle}.${hash.toString(16).padStart(8, '0')}.cache`;
}

// CommonJS's own wrapper, so the bundle sees require, module and __filename as under require().
// A hashbang line becomes a comment: it is only valid at the start of a file.
// The build writes the bundle as ASCII (tools/bundle-cli.mjs): read as Latin-1 it is a copy
// into a one-byte string, a third of UTF-8 decoding's time. Anything else is decoded as UTF-8.
const bytes = readFileSync(bundle);
const text = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
const source = `(function (exports, require, module, __filename, __dirname) {${
  text.startsWith('#!') ? `//${text}` : text
}\n})`;
const mode = process.env.DICOMKIT_CODE_CACHE;

if (mode === 'seed') {
  // Eager compilation while the script is compiled, then the default again: V8 checks the flags
  // a cache was made under, and --lazy is part of them. node:v8 is loaded here only: it brings
  // the heap and profiler internals, ~1 ms of every run that does not seed.
  const { setFlagsFromString } = require('node:v8');
  setFlagsFromString('--no-lazy');
  const script = new Script(source, { filename: bundle });
  setFlagsFromString('--lazy');
  const path = cachePath();
  writeFileSync(`${path}.${process.pid}`, script.createCachedData());
  renameSync(`${path}.${process.pid}`, path);
} else {
  let cachedData;
  try {
    cachedData = readFileSync(cachePath());
  } catch {
    // No cache for these node options: compile from the source alone.
  }
  const script = new Script(source, { filename: bundle, cachedData });
  if (mode === 'report') {
    const state = cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used';
    process.stderr.write(`dicomkit: code cache ${state}\n`);
  }
  const bundleModule = { exports: {} };
  script.runInThisContext()(
    bundleModule.exports,
    createRequire(bundle),
    bundleModule,
    bundle,
    dirname(bundle),
  );
}
