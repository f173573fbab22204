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

/**
 * `bin/dicomkit.js pacs` on a fresh store: DICOM on 127.0.0.1:`port`, HTTP on a free port,
 * quiet. The arguments after node's own, for a PACS that a test or a benchmark starts.
 */
export function loopbackPacsArgs(storage: string, port: number): string[] {
  return [
    'bin/dicomkit.js',
    'pacs',
    '--storage',
    storage,
    '--port',
    String(port),
    '--host',
    '127.0.0.1',
    '--http-port',
    '0',
    '-q',
  ];
}
