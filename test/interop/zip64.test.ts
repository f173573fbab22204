// Archives over 4 GiB (a study download of a large CT or tomosynthesis study, a patient's
// studies): the stored ZIP writer switches to ZIP64 where a field overflows. A real archive
// of 4 GiB + a few bytes is written (its big member a sparse file, so the test costs time but
// little disk, and so is the archive), then read back by Python's zipfile (member list, sizes, offsets past 4 GiB,
// the small member after the big one read and checked) and listed by Info-ZIP unzip.

import assert from 'node:assert/strict';
import {
  closeSync,
  ftruncateSync,
  mkdtempSync,
  openSync,
  rmSync,
  statSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { type ZipEntry, zipLayout, zipStream } from '../../src/pacs/http/zip.ts';
import { execFileSync, requirePeer } from '../helpers/peers.ts';

const python = requirePeer('python3');
const ZEROS = new Uint8Array(1 << 20);

function isZeros(chunk: Uint8Array): boolean {
  for (let at = 0; at < chunk.length; at += ZEROS.length) {
    const part = chunk.subarray(at, at + ZEROS.length);
    if (Buffer.compare(part, ZEROS.subarray(0, part.length)) !== 0) return false;
  }
  return true;
}
const unzip = requirePeer('unzip');
const work = mkdtempSync(join(tmpdir(), 'dicomkit-zip64-'));
after(() => rmSync(work, { recursive: true, force: true }));

test('an archive past 4 GiB is ZIP64 and reads back in zipfile and unzip', { timeout: 300_000 }, async () => {
  const BIG = 2 ** 32 + 5;
  const big = join(work, 'big.dcm');
  writeFileSync(big, '');
  truncateSync(big, BIG);
  const first = join(work, 'first.dcm');
  const last = join(work, 'last.dcm');
  writeFileSync(first, 'first member');
  writeFileSync(last, 'the member after 4 GiB');
  const entries: ZipEntry[] = [
    { name: 'IMAGES/first.dcm', path: first, size: statSync(first).size },
    { name: 'IMAGES/big.dcm', path: big, size: BIG },
    { name: 'IMAGES/last.dcm', path: last, size: statSync(last).size },
  ];
  const layout = zipLayout(entries);
  assert.equal(layout.zip64, true);
  // Written sparse too: runs of zeros (the big member) become a hole, not 4 GiB of writes.
  const archive = join(work, 'study.zip');
  const out = openSync(archive, 'w');
  let position = 0;
  try {
    for await (const chunk of zipStream(entries)) {
      if (!(chunk.length >= 65536 && isZeros(chunk))) writeSync(out, chunk, 0, chunk.length, position);
      position += chunk.length;
    }
    ftruncateSync(out, position);
  } finally {
    closeSync(out);
  }
  assert.equal(statSync(archive).size, layout.size);
  const listed = execFileSync(
    python,
    [
      '-c',
      [
        'import sys, zipfile',
        'z = zipfile.ZipFile(sys.argv[1])',
        'for i in z.infolist(): print(i.filename, i.file_size, i.header_offset)',
        "print(z.read('IMAGES/last.dcm').decode())",
      ].join('\n'),
      archive,
    ],
    { encoding: 'utf8' },
  );
  const lines = listed.trim().split('\n');
  assert.deepEqual(
    lines.slice(0, 3).map((line) => line.split(' ').slice(0, 2)),
    [
      ['IMAGES/first.dcm', '12'],
      ['IMAGES/big.dcm', String(BIG)],
      ['IMAGES/last.dcm', '22'],
    ],
  );
  assert.ok(Number(lines[2]!.split(' ')[2]) > 2 ** 32, 'the last member starts past 4 GiB');
  // zipfile checks the CRC of what it reads: the member after the big one is intact.
  assert.equal(lines[3], 'the member after 4 GiB');
  const unzipList = execFileSync(unzip, ['-l', archive], { encoding: 'utf8' });
  assert.match(unzipList, /4294967301\s+\S+\s+\S+\s+IMAGES\/big\.dcm/);
  assert.match(unzipList, /3 files/);
});
