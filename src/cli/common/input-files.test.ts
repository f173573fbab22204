import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import type { Console } from './console.ts';
import { inputFiles } from './input-files.ts';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-input-files-'));
after(() => rmSync(work, { recursive: true, force: true }));

function collecting(): { console: Console; warnings: string[] } {
  const warnings: string[] = [];
  const console = { warn: (line: string) => warnings.push(line), info: () => {} } as unknown as Console;
  return { console, warnings };
}

test('names given one by one, many from one folder (listed) or a few (stated): the same answer', () => {
  for (const count of [3, 100]) {
    const folder = join(work, `files-${count}`);
    mkdirSync(join(folder, 'sub'), { recursive: true });
    const names = Array.from({ length: count }, (_, i) => `f${i}.dcm`);
    for (const name of names) writeFileSync(join(folder, name), 'x');
    symlinkSync(join(folder, 'sub'), join(folder, 'link-to-sub'));
    symlinkSync(join(folder, names[0]!), join(folder, 'link-to-file'));
    const given = [
      ...names.map((n) => join(folder, n)),
      join(folder, 'sub'),
      join(folder, 'link-to-sub'),
      join(folder, 'link-to-file'),
      join(folder, 'missing.dcm'),
    ];
    const { console, warnings } = collecting();
    const files = inputFiles(given, {}, console);
    // Directories (a link to one too) are left out with DCMTK's warning; a missing name is kept
    // for the input check to report, and a link to a file is a file.
    assert.deepEqual(files, [
      ...names.map((n) => join(folder, n)),
      join(folder, 'link-to-file'),
      join(folder, 'missing.dcm'),
    ]);
    assert.deepEqual(
      warnings,
      [join(folder, 'sub'), join(folder, 'link-to-sub')].map(
        (path) => `ignoring directory because option --scan-directories is not set: ${path}`,
      ),
    );
    // With +sd the directories are scanned in place.
    const scanned = inputFiles(
      [join(folder, 'sub'), join(folder, names[1]!)],
      { scanDirectories: true },
      console,
    );
    assert.deepEqual(scanned, [join(folder, names[1]!)]);
  }
});
