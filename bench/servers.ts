/** Servers the benchmarks start: Orthanc on its default SQLite config, and stopping a child. */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { freePort, waitForPort } from '../test/helpers/net-peers.ts';

/** SIGTERM, then resolves once the child has exited. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
}

/**
 * Orthanc (Debian's package) on loopback: storage and index in `store`, DICOM on a free port as
 * AE ORTHANC, `config` merged over that (its DicomModalities, for example). TCP_NODELAY=1: see
 * bench/store.ts.
 */
export async function startOrthanc(
  store: string,
  config: Record<string, unknown> = {},
): Promise<{ port: number; aet: string; stop(): Promise<void> }> {
  const port = await freePort();
  mkdirSync(store);
  const file = `${store}.json`;
  writeFileSync(
    file,
    JSON.stringify({
      StorageDirectory: store,
      IndexDirectory: store,
      HttpPort: await freePort(),
      DicomPort: port,
      DicomAet: 'ORTHANC',
      Plugins: [],
      ...config,
    }),
  );
  const child = spawn('Orthanc', [file], { stdio: 'ignore', env: { ...process.env, TCP_NODELAY: '1' } });
  await waitForPort(port, 30_000);
  return { port, aet: 'ORTHANC', stop: () => stopChild(child) };
}
