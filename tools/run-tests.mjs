#!/usr/bin/env node
// Runs every *.test.ts under the given folders (default: src and test) with node's own
// test runner through tsx, so node:test prints its summary lines. Node 20's --test does
// not expand globs itself, hence this file.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const roots = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const passThrough = process.argv.slice(2).filter((a) => a.startsWith('-'));
const files = [];
function walk(dir) {
  for (const name of readdirSync(dir).sort()) {
    if (name === 'node_modules' || name === 'fixtures' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (name.endsWith('.test.ts')) files.push(path);
  }
}
for (const root of roots.length > 0 ? roots : ['src', 'test']) {
  if (statSync(root, { throwIfNoEntry: false })?.isDirectory()) walk(root);
  else if (root.endsWith('.test.ts')) files.push(root);
}
if (files.length === 0) {
  console.error('run-tests: no test files found');
  process.exit(1);
}
// The spec report goes to the terminal; a TAP copy to a file gives the plain closing line.
const reportDir = mkdtempSync(join(tmpdir(), 'dicomkit-tests-'));
const tap = join(reportDir, 'report.tap');
const result = spawnSync(
  process.execPath,
  [
    '--expose-gc',
    '--import',
    'tsx',
    '--test',
    '--test-concurrency=2',
    '--test-reporter=spec',
    '--test-reporter-destination=stdout',
    '--test-reporter=tap',
    `--test-reporter-destination=${tap}`,
    ...passThrough,
    ...files,
  ],
  { stdio: 'inherit' },
);
const report = existsSync(tap) ? readFileSync(tap, 'utf8') : '';
rmSync(reportDir, { recursive: true, force: true });
const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(report)?.[1] ?? 0);
console.log(`${count('pass')} passed, ${count('fail')} failed, ${count('skipped')} skipped`);
process.exit(result.status ?? 1);
