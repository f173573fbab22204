/**
 * Large files: the header of a generated 1 GiB multi-frame file is read with a bounded heap
 * (< 50 MB growth), and a file over 2 GiB reads too, its pixel data left on disk as a byte
 * range. The files are sparse (ftruncate), so making them costs no disk writes.
 */
import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, truncateSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet } from '../src/object/dataset.ts';
import { readBulkData, readDicomFile } from '../src/object/file.node.ts';
import { writeDicom } from '../src/object/part10-writer.ts';

const work = mkdtempSync(join(tmpdir(), 'dicomkit-large-'));
after(() => rmSync(work, { recursive: true, force: true }));

/** Writes a multi-frame CT-like header, then an OW Pixel Data of `pixelBytes` zeros. */
function makeFile(path: string, frames: number, rows: number, columns: number): number {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2.1');
  ds.set('SOPInstanceUID', '2.25.1234567890');
  ds.set('PatientName', 'Large^File');
  ds.set('Rows', rows);
  ds.set('Columns', columns);
  ds.set('NumberOfFrames', frames);
  ds.set('BitsAllocated', 16);
  ds.set('BitsStored', 16);
  ds.set('HighBit', 15);
  ds.set('PixelRepresentation', 0);
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  const header = writeDicom(ds);
  const pixelBytes = frames * rows * columns * 2;
  const element = new Uint8Array(12);
  const view = new DataView(element.buffer);
  view.setUint16(0, 0x7fe0, true);
  view.setUint16(2, 0x0010, true);
  element[4] = 0x4f; // 'O'
  element[5] = 0x57; // 'W'
  view.setUint32(8, pixelBytes, true);
  const fd = openSync(path, 'w');
  writeSync(fd, header);
  writeSync(fd, element);
  closeSync(fd);
  truncateSync(path, header.length + 12 + pixelBytes);
  return header.length + 12;
}

function memory(): { heap: number; external: number } {
  global.gc?.();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed, external: usage.external + usage.arrayBuffers };
}

describe('large files', () => {
  test('the header of a 1 GiB multi-frame file reads with < 50 MB of memory growth', async () => {
    const path = join(work, 'one-gib.dcm');
    const pixelOffset = makeFile(path, 2048, 512, 512);
    const before = memory();
    const file = await readDicomFile(path, { stopAtTag: 0x7fe00010 });
    const afterHeader = memory();
    assert.equal(file.dataset.get('NumberOfFrames'), 2048);
    assert.equal(file.stoppedAt, pixelOffset - 12);
    assert.ok(afterHeader.heap - before.heap < 50e6, `heap grew ${afterHeader.heap - before.heap}`);
    assert.ok(
      afterHeader.external - before.external < 50e6,
      `buffers grew ${afterHeader.external - before.external}`,
    );

    // A whole read of a file this size keeps the pixel data on disk as a reference.
    const whole = await readDicomFile(path);
    const afterWhole = memory();
    const pixels = whole.dataset.element('PixelData');
    assert.deepEqual(pixels?.bulk && { offset: pixels.bulk.offset, length: pixels.bulk.length }, {
      offset: pixelOffset,
      length: 2048 * 512 * 512 * 2,
    });
    assert.ok(
      afterWhole.external - before.external < 50e6,
      `buffers grew ${afterWhole.external - before.external}`,
    );
  });

  test('a file over 2 GiB reads, with its pixel data as a byte range past 2^31', async () => {
    const path = join(work, 'over-2gib.dcm');
    const frames = 4200; // 4200 * 512 * 512 * 2 = 2.2 GB
    const pixelOffset = makeFile(path, frames, 512, 512);
    const file = await readDicomFile(path);
    assert.equal(file.dataset.get('PatientName'), 'Large^File');
    const bulk = file.dataset.element('PixelData')?.bulk;
    assert.equal(bulk?.offset, pixelOffset);
    assert.equal(bulk?.length, frames * 512 * 512 * 2);
    // The last bytes of the value are readable from the reference.
    const tail = await readBulkData({ ...bulk!, offset: bulk!.offset + bulk!.length - 16, length: 16 });
    assert.deepEqual(tail, new Uint8Array(16));
  });
});
