import assert from 'node:assert/strict';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A receiving SCP keeps empty hidden `.part` files ready for its next instances (SpareFiles
 * in src/services/part-file.ts). They are not data: tests that list what was stored skip
 * them, after checking that they are indeed empty (a half-written file never is).
 */
export function isSpare(name: string): boolean {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.startsWith('.') && base.endsWith('.part');
}

/** A directory's entries without the SCP's (empty) spare files, sorted. */
export function storedNames(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => {
      if (!isSpare(name)) return true;
      assert.equal(statSync(join(dir, name)).size, 0, `${name}: a spare file holds no data`);
      return false;
    })
    .sort();
}
