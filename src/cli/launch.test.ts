import assert from 'node:assert/strict';
import { isAscii } from 'node:buffer';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_NODE_ARGS } from '../../test/helpers/cli-node-args.ts';

const BIN = new URL('../../bin/dicomkit.js', import.meta.url);

// bin/dicomkit.js explains the options: without the first a server's small heap starts a full
// mark-compact every ~30 MB of buffers received; the second sizes V8's workers to the cores.
test('the installed command and npm start run node with the larger start heap and V8 workers per core', () => {
  const shebang = readFileSync(BIN, 'utf8').split('\n', 1)[0];
  assert.equal(shebang, '#!/usr/bin/env -S node --initial-old-space-size=64 --v8-pool-size=0');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.start, 'node --initial-old-space-size=64 --v8-pool-size=0 bin/dicomkit.js pacs');
});

test('bin/dicomkit.js runs through its own #! line (env -S), as npm links it', () => {
  const out = execFileSync(fileURLToPath(BIN), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.match(out.trim(), /^\d+\.\d+\.\d+/);
});

// bin/load-bundle.js explains the caches: the build makes one per set of node options a run
// has, and V8 takes one only from the same node and flags. The bundle is npm install's build.
test("the bundled CLI starts from the code cache the build made, with the command's node options or none", () => {
  const loader = fileURLToPath(new URL('../../bin/load-bundle.js', import.meta.url));
  const run = (options: string[]) =>
    spawnSync(process.execPath, [...options, loader, 'echoscu', '--version'], {
      encoding: 'utf8',
      env: { ...process.env, DICOMKIT_CODE_CACHE: 'report' },
      timeout: 30_000,
    });
  for (const options of [CLI_NODE_ARGS, []]) {
    const started = run(options);
    assert.equal(started.status, 0, started.stderr);
    assert.match(started.stdout, /^dicomkit echoscu: v\d/);
    assert.equal(started.stderr, 'dicomkit: code cache used\n', `node options [${options.join(' ')}]`);
  }
  // Any other options have no cache, and the command runs as well without one.
  const uncached = run(['--stack-size=900']);
  assert.equal(uncached.status, 0, uncached.stderr);
  assert.match(uncached.stdout, /^dicomkit echoscu: v\d/);
  assert.equal(uncached.stderr, 'dicomkit: code cache none\n');
  // The loader reads the bundle as Latin-1 when it is ASCII, as the build writes it.
  const bundle = readFileSync(new URL('../../dist/bundle/cli.cjs', import.meta.url));
  assert.ok(isAscii(bundle), 'dist/bundle/cli.cjs is ASCII');
});

// Start-up is part of every command's run time: node:tls brings all of node:crypto, the codec
// workers node:worker_threads and the codecs' glue; an echo or a plain store needs none of them.
// Checked on an esbuild bundle of the commands (as the installed CLI runs), since tsx itself
// loads node:crypto and node:worker_threads.
test('the network commands load node:tls and the pixel codecs only when used; deflate is node:zlib', async () => {
  const { build } = await import('esbuild');
  const dir = mkdtempSync(join(tmpdir(), 'dicomkit-launch-'));
  try {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    await build({
      stdin: {
        contents: `
          await import('./src/cli/echoscu.ts');
          await import('./src/cli/storescu.ts');
          await import('./src/cli/findscu.ts');
          const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);
          console.log(JSON.stringify({ tls: loaded('tls'), crypto: loaded('crypto'), workers: loaded('worker_threads'), zlib: loaded('zlib') }));`,
        resolveDir: root,
        loader: 'ts',
      },
      outdir: dir,
      bundle: true,
      splitting: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      external: ['@cornerstonejs/*', 'better-sqlite3', 'fastify', 'cli-progress'],
      banner: {
        js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
      },
      logLevel: 'error',
    });
    const out = execFileSync(process.execPath, [join(dir, 'stdin.js')], {
      encoding: 'utf8',
      timeout: 30_000,
    });
    // What Node loads by itself for the modules every command imports: Node 24 loads
    // worker_threads for an ES module import of node:fs, so there the check says nothing.
    const baseline = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import 'node:fs'; import 'node:net'; import 'node:util';
         const loaded = (name) => process.moduleLoadList.includes('NativeModule ' + name);
         console.log(JSON.stringify({ tls: loaded('tls'), crypto: loaded('crypto'), workers: loaded('worker_threads') }));`,
      ],
      { encoding: 'utf8', timeout: 30_000 },
    );
    // node:zlib comes through process.getBuiltinModule (Node >= 20.16); older Node uses fflate.
    const zlib = typeof (process as { getBuiltinModule?: unknown }).getBuiltinModule === 'function';
    assert.deepEqual(JSON.parse(out), { ...JSON.parse(baseline), zlib });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
