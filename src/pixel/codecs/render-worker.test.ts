// The two ways the PACS renders a frame on a worker give the same PNG: a decoded frame
// (renderPngOnWorker, for compressed data) and a native frame's stored bytes unpacked on the
// worker (renderStoredPngOnWorker). Byte order, 1-bit frames starting inside a byte,
// 4:2:2 samples, palettes, signed and multi-frame data included.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { readDicomFile } from '../../object/file.node.ts';
import { DataSet, type DicomFile, readDicom, writeDicom } from '../../object/index.ts';
import { fileBulkSource } from '../bulk-source.node.ts';
import { frameCount, getFrame, getStoredFrame } from '../frames.ts';
import { closeCodecWorkers } from './codec-pool.node.ts';
import { renderPngOnWorker, renderStoredPngOnWorker } from './node-codecs.node.ts';

after(() => closeCodecWorkers());

const FIXTURES = 'test/fixtures/pydicom';

/** A data set with the image pixel module of `shape`, its pixel data as given. */
function image(shape: Record<string, number | string>, pixels: Uint8Array, vr: 'OB' | 'OW'): DicomFile {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.7');
  ds.set('SOPInstanceUID', '2.25.1');
  for (const [keyword, value] of Object.entries(shape)) ds.set(keyword as never, value as never);
  ds.set('PixelData', pixels, vr);
  return readDicom(writeDicom(ds, { transferSyntax: '1.2.840.10008.1.2.1' }));
}

function palette(): DicomFile {
  const file = image(
    {
      Rows: 4,
      Columns: 4,
      BitsAllocated: 8,
      BitsStored: 8,
      HighBit: 7,
      PixelRepresentation: 0,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'PALETTE COLOR',
    },
    Uint8Array.from({ length: 16 }, (_, i) => i * 16),
    'OB',
  );
  const lut = (f: (i: number) => number) => new Uint8Array(new Uint16Array(256).map((_, i) => f(i)).buffer);
  for (const [descriptor, data, f] of [
    [0x00281101, 0x00281201, (i: number) => i * 256],
    [0x00281102, 0x00281202, (i: number) => (255 - i) * 256],
    [0x00281103, 0x00281203, (i: number) => ((i * 7) & 255) * 256],
  ] as const) {
    file.dataset.set(descriptor, [256, 0, 16], 'US');
    file.dataset.set(data, lut(f), 'OW');
  }
  return file;
}

/** Three 3x3 1-bit frames: frames 1 and 2 start inside a byte. */
function bits(): DicomFile {
  return image(
    {
      Rows: 3,
      Columns: 3,
      BitsAllocated: 1,
      BitsStored: 1,
      HighBit: 0,
      PixelRepresentation: 0,
      SamplesPerPixel: 1,
      PhotometricInterpretation: 'MONOCHROME2',
      NumberOfFrames: 3,
    },
    new Uint8Array([0b10101101, 0b01100110, 0b11110000, 0b00011101]),
    'OB',
  );
}

describe('renderStoredPngOnWorker', () => {
  test('gives the PNG of renderPngOnWorker for native frames of every layout', {
    timeout: 60_000,
  }, async () => {
    const files: [string, DicomFile][] = [];
    for (const name of [
      'CT_small.dcm',
      'MR_small.dcm',
      'MR_small_bigendian.dcm',
      'SC_rgb_small_odd.dcm',
      'SC_ybr_full_422_uncompressed.dcm',
      'rtdose.dcm',
    ])
      files.push([name, await readDicomFile(`${FIXTURES}/${name}`, { bulkDataThreshold: 1024 })]);
    files.push(['palette', palette()], ['1-bit frames', bits()]);
    for (const [name, file] of files) {
      const frames = frameCount(file.dataset);
      for (let index = 0; index < Math.min(frames, 3); index++) {
        const options = { bulkSource: fileBulkSource };
        const decoded = await getFrame(file, index, { ...options, colorSpace: 'rgb' });
        const expected = await renderPngOnWorker(file.dataset, decoded);
        const stored = await getStoredFrame(file, index, options);
        const actual = await renderStoredPngOnWorker(file.dataset, stored, index);
        assert.ok(Buffer.from(actual).equals(Buffer.from(expected)), `${name}, frame ${index}`);
        const fit = { width: 7, smooth: true };
        assert.ok(
          Buffer.from(
            await renderStoredPngOnWorker(
              file.dataset,
              await getStoredFrame(file, index, options),
              index,
              {},
              fit,
            ),
          ).equals(Buffer.from(await renderPngOnWorker(file.dataset, decoded, {}, fit))),
          `${name}, frame ${index}, scaled`,
        );
      }
    }
  });
});
