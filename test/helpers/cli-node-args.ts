/**
 * The node options the installed `dicomkit` command runs with: those of bin/dicomkit.js's
 * `#!/usr/bin/env -S node ...` line (and `npm start`). The benchmarks and the memory test start
 * dicomkit's servers with them, as a user's shell would; a test asserts the line has them.
 */
import { readFileSync } from 'node:fs';

const shebang =
  readFileSync(new URL('../../bin/dicomkit.js', import.meta.url), 'utf8').split('\n', 1)[0] ?? '';

export const CLI_NODE_ARGS: string[] =
  /^#!\S*env -S node(.*)$/.exec(shebang)?.[1]?.trim().split(/\s+/).filter(Boolean) ?? [];
