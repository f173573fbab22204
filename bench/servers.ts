/**
 * What the benchmarks share: Orthanc on its default SQLite config, stopping a child, and the
 * pixel module of their synthetic instances.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { DataSet } from '../src/object/index.ts';
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

/**
 * The image pixel module of the benchmarks' synthetic instances: ~520 KB CT-like frames
 * (512 x 512, 16 bits) when `big`, else ~5 KB ones (50 x 50, 8 bits), monochrome.
 */
export function setBenchPixelModule(ds: DataSet, big: boolean, pixels: Uint8Array): void {
  ds.set('Rows', big ? 512 : 50);
  ds.set('Columns', big ? 512 : 50);
  ds.set('BitsAllocated', big ? 16 : 8);
  ds.set('BitsStored', big ? 16 : 8);
  ds.set('HighBit', big ? 15 : 7);
  ds.set('SamplesPerPixel', 1);
  ds.set('PixelRepresentation', 0);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('PixelData', pixels, big ? 'OW' : 'OB');
}
