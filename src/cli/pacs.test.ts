import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { configFile } from './pacs.ts';

const BIN = resolve('bin/dicomkit.js');
const work = mkdtempSync(join(tmpdir(), 'dicomkit-pacs-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** `dicomkit pacs` in `cwd`; every config below is refused, so it exits before listening. */
function pacs(cwd: string, env: Record<string, string> = {}, args: string[] = []) {
  const { DICOMKIT_CONFIG: _, ...inherited } = process.env;
  return spawnSync(process.execPath, [BIN, 'pacs', ...args], {
    cwd,
    env: { ...inherited, ...env },
    encoding: 'utf8',
    timeout: 30_000,
  });
}

describe('dicomkit pacs: which config file (ARCHITECTURE.md "Configuration")', () => {
  test('--config, else DICOMKIT_CONFIG, else ./dicomkit.json if present', () => {
    assert.equal(configFile('a.json', { DICOMKIT_CONFIG: 'b.json' }), 'a.json');
    assert.equal(configFile(undefined, { DICOMKIT_CONFIG: 'b.json' }), 'b.json');
  });

  test('./dicomkit.json is read from the working directory; the error names its bad key', () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    writeFileSync(join(dir, 'dicomkit.json'), JSON.stringify({ dicom: { port: 'x' } }));
    const r = pacs(dir);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /config dicom\.port/);
  });

  test('DICOMKIT_CONFIG wins over ./dicomkit.json, and --config over both', () => {
    const dir = mkdtempSync(join(work, 'cwd-'));
    writeFileSync(join(dir, 'dicomkit.json'), JSON.stringify({ dicom: { port: 'x' } }));
    writeFileSync(join(dir, 'env.json'), JSON.stringify({ aeTitle: 'THIS AE TITLE IS TOO LONG' }));
    writeFileSync(join(dir, 'option.json'), JSON.stringify({ unknownKey: 1 }));
    const fromEnv = pacs(dir, { DICOMKIT_CONFIG: join(dir, 'env.json') });
    assert.equal(fromEnv.status, 1, fromEnv.stderr);
    assert.match(fromEnv.stderr, /config aeTitle/);
    const fromOption = pacs(dir, { DICOMKIT_CONFIG: join(dir, 'env.json') }, ['--config', 'option.json']);
    assert.equal(fromOption.status, 1, fromOption.stderr);
    assert.match(fromOption.stderr, /unknownKey/);
    const missing = pacs(dir, { DICOMKIT_CONFIG: join(dir, 'nowhere.json') });
    assert.equal(missing.status, 1);
    assert.match(missing.stderr, /nowhere\.json/);
  });
});
