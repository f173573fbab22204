import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { crc32 } from 'node:zlib';
import { execFileSync, requirePeer } from '../../../test/helpers/peers.ts';
import { type ZipEntry, type ZipOptions, zipLayout, zipStream } from './zip.ts';

const dir = mkdtempSync(join(tmpdir(), 'dicomkit-zip-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function collect(entries: ZipEntry[], options: ZipOptions = {}): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const part of zipStream(entries, { modified: new Date(2024, 4, 17, 13, 45, 58), ...options }))
    parts.push(part);
  return Buffer.concat(parts);
}

function file(name: string, bytes: Uint8Array): ZipEntry {
  const path = join(dir, name.replace(/\//g, '_'));
  writeFileSync(path, bytes);
  return { name, path, size: bytes.length };
}

describe('stored ZIP writer', () => {
  test('local headers, data, central directory and end record agree (APPNOTE 4.3)', async () => {
    const big = new Uint8Array((8 << 20) + 12345).map((_, i) => (i * 31) & 0xff);
    const entries = [
      file('a/empty.dcm', new Uint8Array(0)),
      file('a/small.dcm', new TextEncoder().encode('DICM and more')),
      // Over the single-read size: CRC pass, then the bytes in pieces.
      file('b/big.dcm', big),
      file('é.dcm', new Uint8Array([1, 2, 3])),
    ];
    const zip = await collect(entries);
    assert.equal(zip.length, zipLayout(entries).size);
    const end = zip.length - 22;
    assert.equal(zip.readUInt32LE(end), 0x06054b50);
    assert.equal(zip.readUInt16LE(end + 10), entries.length);
    let at = zip.readUInt32LE(end + 16);
    assert.equal(at + zip.readUInt32LE(end + 12), end, 'central directory ends where the end record starts');
    for (const entry of entries) {
      assert.equal(zip.readUInt32LE(at), 0x02014b50);
      assert.equal(zip.readUInt16LE(at + 8) & 0x0808, 0x0800, 'UTF-8 names, no data descriptor');
      const nameLength = zip.readUInt16LE(at + 28);
      assert.equal(zip.subarray(at + 46, at + 46 + nameLength).toString('utf8'), entry.name);
      // 2024-05-17 13:45:58 in MS-DOS form.
      assert.equal(zip.readUInt16LE(at + 14), ((2024 - 1980) << 9) | (5 << 5) | 17);
      assert.equal(zip.readUInt16LE(at + 12), (13 << 11) | (45 << 5) | 29);
      const local = zip.readUInt32LE(at + 42);
      assert.equal(zip.readUInt32LE(local), 0x04034b50);
      const start = local + 30 + zip.readUInt16LE(local + 26);
      const data = zip.subarray(start, start + entry.size);
      assert.equal(zip.readUInt32LE(local + 14), crc32(data));
      assert.equal(zip.readUInt32LE(at + 16), crc32(data));
      assert.equal(zip.readUInt32LE(local + 18), entry.size);
      at += 46 + nameLength;
    }
    const bigAt = zip.indexOf(Buffer.from('b/big.dcm')) + 'b/big.dcm'.length;
    assert.ok(zip.subarray(bigAt, bigAt + big.length).equals(big));
  });

  test('ZIP64 only where a field overflows: sizes, offsets or the count (APPNOTE 4.3.14, 4.5.3)', () => {
    const huge = (n: number, size: number): ZipEntry[] =>
      Array.from({ length: n }, (_, i) => ({ name: `${i}.dcm`, path: '/nonexistent', size }));
    // Under 4 GiB and 65,535 files: plain ZIP.
    assert.deepEqual(zipLayout(huge(2, 2 ** 31 - 100)), {
      size: 2 * (30 + 5 + 2 ** 31 - 100) + 2 * (46 + 5) + 22,
      zip64: false,
    });
    // The third file starts past 4 GiB: its central header has a ZIP64 offset (12 bytes of
    // extra field), and the end gains the ZIP64 record and locator (56 + 20 bytes).
    assert.deepEqual(zipLayout(huge(3, 2 ** 31)), {
      size: 3 * (30 + 5 + 2 ** 31) + 3 * (46 + 5) + 12 + 56 + 20 + 22,
      zip64: true,
    });
    // A file of 4 GiB: both sizes in ZIP64 extras, local (20 bytes) and central (20 bytes).
    assert.deepEqual(zipLayout(huge(1, 2 ** 32)), {
      size: 30 + 5 + 20 + 2 ** 32 + 46 + 5 + 20 + 56 + 20 + 22,
      zip64: true,
    });
    assert.equal(zipLayout(huge(65_535, 1)).zip64, true);
    assert.equal(zipLayout(huge(65_534, 1)).zip64, false);
  });

  test("forced ZIP64 records read back in Python's zipfile and Info-ZIP unzip", async () => {
    const python = requirePeer('python3');
    const unzip = requirePeer('unzip');
    const entries = [
      file('z/empty.dcm', new Uint8Array(0)),
      file('z/small.dcm', new TextEncoder().encode('DICM and more')),
      file(
        'z/big.dcm',
        new Uint8Array((8 << 20) + 7).map((_, i) => (i * 13) & 0xff),
      ),
    ];
    const zip = await collect(entries, { forceZip64: true });
    assert.equal(zip.length, zipLayout(entries, { forceZip64: true }).size);
    const path = join(dir, 'forced.zip');
    writeFileSync(path, zip);
    const listed = execFileSync(
      python,
      [
        '-c',
        [
          'import sys, zipfile, zlib',
          'z = zipfile.ZipFile(sys.argv[1])',
          'assert z.testzip() is None',
          'for i in z.infolist(): print(i.filename, i.file_size, i.header_offset, zlib.crc32(z.read(i)) == i.CRC)',
        ].join('\n'),
        path,
      ],
      { encoding: 'utf8' },
    );
    assert.deepEqual(
      listed
        .trim()
        .split('\n')
        .map((line) => line.split(' ')),
      [
        ['z/empty.dcm', '0', '0', 'True'],
        ['z/small.dcm', '13', String(30 + 11 + 20), 'True'],
        ['z/big.dcm', String((8 << 20) + 7), String(2 * (30 + 11 + 20) + 13), 'True'],
      ],
    );
    assert.match(execFileSync(unzip, ['-t', path], { encoding: 'utf8' }), /No errors detected/);
  });

  test('a file that changed since the archive was planned stops it (ERR_IO)', async () => {
    const entry = file('changed.dcm', new Uint8Array(10));
    await assert.rejects(collect([{ ...entry, size: 11 }]), { code: 'ERR_IO' });
  });

  test('files read ahead: each in its place, and one that is gone stops the archive at its turn', async () => {
    // Many small files, some read ahead while others are sent, a large one among them.
    const entries = Array.from({ length: 40 }, (_, i) =>
      file(`many/${i}.dcm`, new Uint8Array(1000 + i).fill(i)),
    );
    entries.splice(17, 0, file('many/big.dcm', new Uint8Array((8 << 20) + 1).fill(0xab)));
    const archive = await collect(entries);
    let offset = 0;
    for (const entry of entries) {
      // Each local header names the file, then its bytes follow, in the order given.
      assert.equal(archive.readUInt32LE(offset), 0x04034b50, `a local header for ${entry.name}`);
      const nameLength = archive.readUInt16LE(offset + 26);
      assert.equal(archive.toString('utf8', offset + 30, offset + 30 + nameLength), entry.name);
      const data = archive.subarray(offset + 30 + nameLength, offset + 30 + nameLength + entry.size);
      assert.equal(archive.readUInt32LE(offset + 14), crc32(data), `${entry.name}'s CRC-32`);
      offset += 30 + nameLength + entry.size;
    }

    const gone = entries
      .slice(0, 30)
      .map((entry, i) => (i === 20 ? { ...entry, path: join(dir, 'gone.dcm') } : entry));
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      const names: string[] = [];
      await assert.rejects(
        (async () => {
          for await (const part of zipStream(gone)) {
            if (part.length >= 30 && Buffer.from(part).readUInt32LE(0) === 0x04034b50) {
              names.push(Buffer.from(part).toString('utf8', 30, 30 + Buffer.from(part).readUInt16LE(26)));
            }
          }
        })(),
        { code: 'ERR_IO' },
      );
      assert.deepEqual(
        names,
        gone.slice(0, 20).map((e) => e.name),
        'the files before the missing one went out',
      );
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(unhandled, [], 'the reads started ahead settle quietly');
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
  });
});
