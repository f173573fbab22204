import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../object/dataset.ts';
import type { BulkDataRef } from '../object/element.ts';
import { readDicom } from '../object/part10.ts';
import { writeDicom } from '../object/part10-writer.ts';
import type { BulkDataSource } from './bulk-source.ts';
import { CodecRegistry, RLE_LOSSLESS } from './codecs/registry.ts';
import { encodeRleFrame } from './codecs/rle.ts';
import { frameCount, pixelDescription } from './description.ts';
import { encapsulate, indexFrames, setEncapsulatedPixelData } from './encapsulation.ts';
import { getFrame, getStoredFrame } from './frames.ts';
import { packBits } from './native.ts';
import { compressPixelData, decompressPixelData } from './transcode.ts';

interface ImageOptions {
  rows?: number;
  columns?: number;
  samples?: number;
  bits?: number;
  stored?: number;
  signed?: boolean;
  planar?: 0 | 1;
  photometric?: string;
  frames?: number;
}

function image(pixels: Uint8Array | undefined, o: ImageOptions = {}): DataSet {
  const ds = new DataSet();
  const bits = o.bits ?? 8;
  const samples = o.samples ?? 1;
  ds.set('SamplesPerPixel', samples);
  ds.set('PhotometricInterpretation', o.photometric ?? (samples === 3 ? 'RGB' : 'MONOCHROME2'));
  if (samples > 1) ds.set('PlanarConfiguration', o.planar ?? 0);
  if (o.frames !== undefined) ds.set('NumberOfFrames', o.frames);
  ds.set('Rows', o.rows ?? 2);
  ds.set('Columns', o.columns ?? 2);
  ds.set('BitsAllocated', bits);
  ds.set('BitsStored', o.stored ?? bits);
  ds.set('HighBit', (o.stored ?? bits) - 1);
  ds.set('PixelRepresentation', o.signed ? 1 : 0);
  if (pixels) ds.set('PixelData', pixels, bits > 8 ? 'OW' : 'OB');
  return ds;
}

const words = (values: number[]) => new Uint8Array(new Uint16Array(values).buffer);

describe('pixelDescription (PS3.3 §C.7.6.3)', () => {
  test('reads the Image Pixel Module with defaults', () => {
    const ds = image(new Uint8Array(4));
    ds.delete('BitsStored');
    ds.delete('HighBit');
    assert.deepEqual(pixelDescription(ds), {
      rows: 2,
      columns: 2,
      samplesPerPixel: 1,
      bitsAllocated: 8,
      bitsStored: 8,
      highBit: 7,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometricInterpretation: 'MONOCHROME2',
      numberOfFrames: 1,
      isFloat: false,
      pixelDataTag: 0x7fe00010,
    });
    assert.equal(frameCount(image(undefined, { frames: 3 })), 3);
  });

  test('bad attributes fail with ERR_INVALID_VALUE', () => {
    assert.throws(() => pixelDescription(image(undefined, { bits: 12 })), { code: 'ERR_INVALID_VALUE' });
    assert.throws(() => pixelDescription(image(undefined, { stored: 9 })), { code: 'ERR_INVALID_VALUE' });
    const noRows = image(undefined);
    noRows.delete('Rows');
    assert.throws(() => pixelDescription(noRows), { code: 'ERR_INVALID_VALUE' });
  });
});

describe('native frames', () => {
  test('8-bit multi-frame: each frame its own range', async () => {
    const ds = image(new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8]), { frames: 2 });
    assert.deepEqual([...(await getFrame(ds, 1)).pixels], [5, 6, 7, 8]);
    await assert.rejects(getFrame(ds, 2), { code: 'ERR_INVALID_VALUE' });
  });

  test('1-bit frames are bit-packed across frame boundaries', async () => {
    // Three 1x3 frames: 9 bits, the second starts at bit 3, the third at bit 6.
    const bits = [1, 0, 1, 0, 1, 1, 1, 1, 0];
    const ds = image(packBits(bits), { rows: 1, columns: 3, bits: 1, frames: 3 });
    const frames = await Promise.all([0, 1, 2].map((i) => getFrame(ds, i)));
    assert.deepEqual(
      frames.map((f) => [...f.pixels]),
      [
        [1, 0, 1],
        [0, 1, 1],
        [1, 1, 0],
      ],
    );
    const stored = await getStoredFrame(ds, 2);
    assert.equal(stored.bitOffset, 6);
  });

  test('planar configuration 1 is returned colour-by-pixel', async () => {
    const ds = image(new Uint8Array([1, 2, 3, 4, 10, 20, 30, 40, 100, 101, 102, 103]), {
      samples: 3,
      planar: 1,
    });
    const frame = await getFrame(ds, 0);
    assert.deepEqual([...frame.pixels], [1, 10, 100, 2, 20, 101, 3, 30, 102, 4, 40, 103]);
    assert.equal(frame.samplesPerPixel, 3);
  });

  test('signed 12-bit samples are sign-extended', async () => {
    const ds = image(words([0x0fff, 0x0800, 0x07ff, 0xf001]), { bits: 16, stored: 12, signed: true });
    const frame = await getFrame(ds, 0);
    assert.ok(frame.pixels instanceof Int16Array);
    assert.deepEqual([...frame.pixels], [-1, -2048, 2047, 1]);
  });

  test('big endian OW is swapped in 16-bit words (retired PS3.5 §7.3); our writer and reader agree', async () => {
    const file16 = image(words([0x0102, 0x0304, 0x0506, 0x0708]), { bits: 16 });
    const be16 = readDicom(writeDicom(file16, { transferSyntax: '1.2.840.10008.1.2.2' }));
    assert.equal(be16.dataset.element('PixelData')!.littleEndian, false);
    assert.deepEqual([...(await getFrame(be16, 0)).pixels], [0x0102, 0x0304, 0x0506, 0x0708]);
    const values = [1, 0x01020304, 3, 0xffffffff];
    const ds32 = image(new Uint8Array(new Uint32Array(values).buffer), { bits: 32 });
    const be32 = readDicom(writeDicom(ds32, { transferSyntax: '1.2.840.10008.1.2.2' }));
    assert.deepEqual([...(await getFrame(be32, 0)).pixels], values);
    // As stored: each 16-bit word big endian, the low word first.
    const element = ds32.element('PixelData')!;
    element.bytes = new Uint8Array([0, 1, 0, 0, 3, 4, 1, 2, 0, 3, 0, 0, 255, 255, 255, 255]);
    element.littleEndian = false;
    assert.deepEqual([...(await getFrame(ds32, 0)).pixels], values);
    // Float Pixel Data (OF) swaps 32-bit units.
    const float = image(undefined, { bits: 32 });
    float.set(
      'FloatPixelData',
      new Uint8Array([0x3f, 0x80, 0, 0, 0xc0, 0, 0, 0, 0, 0, 0, 0, 0x40, 0x40, 0, 0]),
      'OF',
    );
    float.element('FloatPixelData')!.littleEndian = false;
    assert.deepEqual([...(await getFrame(float, 0)).pixels], [1, -2, 0, 3]);
  });

  test('float and double float pixel data', async () => {
    const ds = image(undefined, { bits: 32 });
    ds.set('FloatPixelData', new Uint8Array(new Float32Array([0.5, -1, 2, 3.25]).buffer), 'OF');
    const frame = await getFrame(ds, 0);
    assert.ok(frame.pixels instanceof Float32Array);
    assert.deepEqual([...frame.pixels], [0.5, -1, 2, 3.25]);
    const dbl = image(undefined, { bits: 64 });
    dbl.set('DoubleFloatPixelData', new Uint8Array(new Float64Array([1e-300, 2, 3, 4]).buffer), 'OD');
    assert.deepEqual([...(await getFrame(dbl, 0)).pixels], [1e-300, 2, 3, 4]);
  });

  test('YBR_FULL_422 is expanded; colorSpace rgb converts', async () => {
    // Two pixels per row: Y1 Y2 Cb Cr.
    const ds = image(new Uint8Array([76, 128, 85, 255, 128, 128, 128, 128]), {
      samples: 3,
      photometric: 'YBR_FULL_422',
    });
    const native = await getFrame(ds, 0);
    assert.equal(native.photometricInterpretation, 'YBR_FULL');
    assert.deepEqual([...native.pixels.subarray(0, 6)], [76, 85, 255, 128, 85, 255]);
    const rgb = await getFrame(ds, 0, { colorSpace: 'rgb' });
    assert.equal(rgb.photometricInterpretation, 'RGB');
    assert.deepEqual([...rgb.pixels.subarray(0, 3)], [254, 0, 0]);
    assert.deepEqual([...rgb.pixels.subarray(6)], [128, 128, 128, 128, 128, 128]);
  });

  test('PALETTE COLOR expands to RGB on request', async () => {
    const ds = image(new Uint8Array([0, 1, 2, 3]), { photometric: 'PALETTE COLOR' });
    for (const [i, tag] of [0x00281101, 0x00281102, 0x00281103].entries()) {
      ds.set(tag, [4, 0, 16], 'US');
      ds.set(0x00281201 + i, words([0, 1, 2, 3].map((v) => v * 1000 + i)), 'OW');
    }
    const indices = await getFrame(ds, 0);
    assert.equal(indices.samplesPerPixel, 1);
    const rgb = await getFrame(ds, 0, { colorSpace: 'rgb' });
    assert.equal(rgb.samplesPerPixel, 3);
    assert.equal(rgb.bitsStored, 16);
    assert.deepEqual([...rgb.pixels.subarray(9)], [3000, 3001, 3002]);
  });

  test('truncated pixel data fails with ERR_UNEXPECTED_END', async () => {
    await assert.rejects(getFrame(image(new Uint8Array(6), { frames: 2 }), 1), {
      code: 'ERR_UNEXPECTED_END',
    });
    await assert.rejects(getFrame(image(undefined), 0), { code: 'ERR_INVALID_VALUE' });
  });

  test('pixel data left in its source is read through the bulk source, one frame at a time', async () => {
    const ds = image(undefined, { frames: 3 });
    const backing = new Uint8Array([9, 9, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]);
    const ref: BulkDataRef = { offset: 2, length: 12, source: 'memory', littleEndian: true };
    const element = ds.set('PixelData', undefined, 'OB');
    element.bytes = undefined;
    element.bulk = ref;
    const reads: Array<[number, number]> = [];
    const source: BulkDataSource = {
      read(r, start, length) {
        reads.push([start, length]);
        return Promise.resolve(backing.slice(r.offset + start, r.offset + start + length));
      },
    };
    assert.deepEqual([...(await getFrame(ds, 1, { bulkSource: source })).pixels], [5, 6, 7, 8]);
    assert.deepEqual(reads, [[4, 4]]);
    await assert.rejects(getFrame(ds, 0), { code: 'ERR_IO' });
  });
});

describe('encapsulated frames (PS3.5 §A.4)', () => {
  const d = { rows: 1, columns: 4, bits: 8 } as const;
  const frameData = [
    new Uint8Array([1, 2, 3, 4]),
    new Uint8Array([5, 5, 5, 5]),
    new Uint8Array([9, 8, 7, 6]),
  ];

  function rleImage(offsetTable: 'basic' | 'extended' | 'none', maxFragmentLength?: number): DataSet {
    const ds = image(undefined, { ...d, frames: 3 });
    const description = pixelDescription(ds);
    const encoded = frameData.map((f) => encodeRleFrame(f, description));
    setEncapsulatedPixelData(
      ds,
      encapsulate(encoded, { offsetTable, ...(maxFragmentLength ? { maxFragmentLength } : {}) }),
    );
    return ds;
  }

  for (const table of ['basic', 'extended', 'none'] as const) {
    test(`RLE frames located with offset table '${table}'`, async () => {
      const ds = rleImage(table);
      const index = await indexFrames(ds, ds.element('PixelData')!, 3, { transferSyntaxUid: RLE_LOSSLESS });
      assert.equal(
        index.method,
        table === 'basic'
          ? 'basic-offset-table'
          : table === 'extended'
            ? 'extended-offset-table'
            : 'one-fragment-per-frame',
      );
      for (let i = 0; i < 3; i++) {
        const frame = await getFrame(ds, i, { transferSyntaxUid: RLE_LOSSLESS });
        assert.deepEqual([...frame.pixels], [...frameData[i]!]);
      }
    });
  }

  test('frames over several fragments: the Basic Offset Table, else start markers', async () => {
    const ds = rleImage('basic', 16);
    const element = ds.element('PixelData')!;
    assert.ok(element.fragments!.length > 4);
    assert.equal((await indexFrames(ds, element, 3, {})).method, 'basic-offset-table');
    assert.deepEqual([...(await getFrame(ds, 2, { transferSyntaxUid: RLE_LOSSLESS })).pixels], [9, 8, 7, 6]);
    // Without a table: a codec telling frame starts (here: RLE headers declaring 1 segment).
    const bare = rleImage('none', 16);
    const registry = new CodecRegistry();
    const { rleCodec } = await import('./codecs/rle.ts');
    registry.register(RLE_LOSSLESS, {
      ...rleCodec,
      isFrameStart: (b) => b[0] === 1 && b[1] === 0 && b[4] === 64,
    });
    const index = await indexFrames(bare, bare.element('PixelData')!, 3, {
      transferSyntaxUid: RLE_LOSSLESS,
      codecs: registry,
    });
    assert.equal(index.method, 'frame-start-markers');
    assert.deepEqual(
      [...(await getFrame(bare, 1, { transferSyntaxUid: RLE_LOSSLESS, codecs: registry })).pixels],
      [5, 5, 5, 5],
    );
    // Without a table nor a way to find frame starts, the error says so.
    await assert.rejects(getFrame(bare, 1, { transferSyntaxUid: RLE_LOSSLESS }), { code: 'ERR_MALFORMED' });
  });

  test('JPEG frames without a table are split at SOI markers', async () => {
    const ds = image(undefined, { frames: 2 });
    const soi = (n: number) => new Uint8Array([0xff, 0xd8, n, n]);
    const more = (n: number) => new Uint8Array([n, n, 0xff, 0xd9]);
    setEncapsulatedPixelData(ds, { fragments: [new Uint8Array(0), soi(1), more(1), soi(2), more(2)] });
    const index = await indexFrames(ds, ds.element('PixelData')!, 2, {
      transferSyntaxUid: '1.2.840.10008.1.2.4.50',
    });
    assert.deepEqual(index, {
      method: 'frame-start-markers',
      spans: [
        { first: 1, count: 2 },
        { first: 3, count: 2 },
      ],
    });
    const stored = await getStoredFrame(ds, 1, { transferSyntaxUid: '1.2.840.10008.1.2.4.50' });
    assert.deepEqual([...stored.bytes], [0xff, 0xd8, 2, 2, 2, 2, 0xff, 0xd9]);
    await assert.rejects(getFrame(ds, 0, { transferSyntaxUid: '1.2.840.10008.1.2.4.50' }), {
      code: 'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
    });
  });

  test('a bad Basic Offset Table is ignored; encapsulated data needs its syntax', async () => {
    const ds = rleImage('basic');
    const fragments = ds.element('PixelData')!.fragments!;
    fragments[0] = new Uint8Array([0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0]);
    assert.equal((await indexFrames(ds, ds.element('PixelData')!, 3, {})).method, 'one-fragment-per-frame');
    await assert.rejects(getFrame(ds, 0), { code: 'ERR_MISSING_TRANSFER_SYNTAX' });
  });

  test('compress and decompress through the registry round-trip', async () => {
    const source = image(new Uint8Array([1, 2, 3, 4, 10, 20, 30, 40, 100, 101, 102, 103]), {
      samples: 3,
      planar: 1,
      rows: 2,
      columns: 2,
    });
    const rle = await compressPixelData(source, RLE_LOSSLESS);
    assert.ok(rle.element('PixelData')!.fragments);
    const file = readDicom(writeDicom(rle, { transferSyntax: RLE_LOSSLESS }));
    const decoded = await getFrame(file, 0);
    assert.deepEqual([...decoded.pixels], [...(await getFrame(source, 0)).pixels]);
    // Encapsulated input is decoded, then encoded again.
    const again = await compressPixelData(file, RLE_LOSSLESS, { offsetTable: 'extended' });
    assert.ok(again.has('ExtendedOffsetTable'));
    const reread = readDicom(writeDicom(again, { transferSyntax: RLE_LOSSLESS }));
    assert.deepEqual([...(await getFrame(reread, 0)).pixels], [...decoded.pixels]);
    const native = await decompressPixelData(file);
    assert.equal(native.number('PlanarConfiguration'), 0);
    assert.deepEqual([...native.bytes('PixelData')!], [1, 10, 100, 2, 20, 101, 3, 30, 102, 4, 40, 103]);
  });
});
