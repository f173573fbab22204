import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const BIN = new URL('../../bin/dicomkit.js', import.meta.url);

// bin/dicomkit.js explains the option: without it a server's small heap starts a full
// mark-compact every ~30 MB of buffers received.
test('the installed command and npm start run node with the larger start heap', () => {
  const shebang = readFileSync(BIN, 'utf8').split('\n', 1)[0];
  assert.equal(shebang, '#!/usr/bin/env -S node --initial-old-space-size=64');
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
    scripts: Record<string, string>;
  };
  assert.equal(pkg.scripts.start, 'node --initial-old-space-size=64 bin/dicomkit.js pacs');
});

test('bin/dicomkit.js runs through its own #! line (env -S), as npm links it', () => {
  const out = execFileSync(fileURLToPath(BIN), ['--version'], { encoding: 'utf8', timeout: 30_000 });
  assert.match(out.trim(), /^\d+\.\d+\.\d+/);
});
