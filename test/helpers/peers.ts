import { execFileSync, spawnSync } from 'node:child_process';

/**
 * Fails loudly when a peer program is missing: an interop test must never pass silently
 * because DCMTK (or another reference) is not installed. `.ci/run` installs them.
 */
export function requirePeer(
  program: string,
  hint = 'run .ci/run or apt-get install the Debian package',
): string {
  const found = spawnSync('sh', ['-c', `command -v ${program}`], { encoding: 'utf8' });
  if (found.status !== 0) throw new Error(`peer '${program}' is not installed (${hint})`);
  return found.stdout.trim();
}

/** Runs a peer and returns stdout, stderr and its exit status (never throws on status). */
export function runPeer(
  program: string,
  args: readonly string[],
  options: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): { stdout: string; stderr: string; status: number } {
  const result = spawnSync(program, args, {
    encoding: 'utf8',
    timeout: options.timeoutMs ?? 30_000,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, ...options.env },
  });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

export { execFileSync };
