// Issue 6: `dicomkit storescu` sends a JPEG Lossless file to a DCMTK storescp that accepts only
// uncompressed syntaxes; the file is decoded on the way and the received pixels equal DCMTK's.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { readDicomFile } from '../../src/object/file.node.ts';
import { freePort, runPeerAsync, startPeer } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';

for (const program of ['storescp', 'dcmdjpeg']) requirePeer(program);
const work = mkdtempSync(join(tmpdir(), 'dicomkit-storescu-decode-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('dicomkit storescu decodes JPEG Lossless for a storescp that takes only native syntaxes', {
  timeout: 30_000,
}, async () => {
  const source = 'test/fixtures/pydicom/SC_rgb_jpeg_gdcm.dcm';
  const out = join(work, 'plain');
  mkdirSync(out);
  const port = await freePort();
  // No +xa: DCMTK's storescp accepts only the uncompressed syntaxes by default.
  const plain = await startPeer('storescp', ['-od', out, String(port)], port);
  try {
    const r = await runPeerAsync(process.execPath, [
      'bin/dicomkit.js',
      'storescu',
      '-v',
      '127.0.0.1',
      String(port),
      source,
    ]);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /sent 1, failed 0/);
    const reference = join(work, 'dcmdjpeg.dcm');
    const d = await runPeerAsync('dcmdjpeg', [source, reference]);
    assert.equal(d.status, 0, d.stderr);
    const [name] = readdirSync(out);
    const got = await readDicomFile(join(out, name!));
    assert.equal(got.transferSyntax.encapsulated, false);
    const expected = (await readDicomFile(reference)).dataset.bytes('PixelData')!;
    assert.ok(Buffer.from(got.dataset.bytes('PixelData')!).equals(Buffer.from(expected)));
  } finally {
    await plain.stop();
  }
});
