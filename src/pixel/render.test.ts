import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../object/dataset.ts';
import { minMaxWindow, renderFrame } from './render.ts';

function grey(values: number[], o: { signed?: boolean; photometric?: string; bits?: number } = {}): DataSet {
  const ds = new DataSet();
  const bits = o.bits ?? 16;
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', o.photometric ?? 'MONOCHROME2');
  ds.set('Rows', 1);
  ds.set('Columns', values.length);
  ds.set('BitsAllocated', bits);
  ds.set('BitsStored', bits);
  ds.set('HighBit', bits - 1);
  ds.set('PixelRepresentation', o.signed ? 1 : 0);
  const data =
    bits === 16 ? (o.signed ? new Int16Array(values) : new Uint16Array(values)) : new Uint8Array(values);
  ds.set('PixelData', new Uint8Array(data.buffer), bits > 8 ? 'OW' : 'OB');
  return ds;
}

describe('grayscale rendering (PS3.4 §N.2)', () => {
  test('rescale then LINEAR window, hand-computed', async () => {
    const ds = grey([824, 1024, 1064, 1264], { signed: true });
    ds.set('RescaleSlope', 1);
    ds.set('RescaleIntercept', -1024);
    ds.set('WindowCenter', 40);
    ds.set('WindowWidth', 400);
    const image = await renderFrame(ds, 0);
    // HU -200, 0, 40, 240 with bounds -160 and 239: 0, ((0-39.5)/399+0.5)*255 = 102.26, 127.82, 255.
    assert.deepEqual([...image.data], [0, 102, 128, 255]);
    assert.deepEqual(
      { width: image.width, height: image.height, channels: image.channels },
      {
        width: 4,
        height: 1,
        channels: 1,
      },
    );
    assert.deepEqual(image.window, { center: 40, width: 400 });
    // MONOCHROME1 is inverted; so is MONOCHROME2 with Presentation LUT Shape INVERSE.
    ds.set('PhotometricInterpretation', 'MONOCHROME1');
    assert.deepEqual([...(await renderFrame(ds, 0)).data], [255, 153, 127, 0]);
    ds.set('PhotometricInterpretation', 'MONOCHROME2');
    ds.set('PresentationLUTShape', 'INVERSE');
    assert.deepEqual([...(await renderFrame(ds, 0)).data], [255, 153, 127, 0]);
    assert.deepEqual([...(await renderFrame(ds, 0, { invert: false })).data], [0, 102, 128, 255]);
  });

  test('window override keeps the stored VOI LUT Function; SIGMOID', async () => {
    const ds = grey([0, 50, 100]);
    ds.set('WindowCenter', 1);
    ds.set('WindowWidth', 1);
    ds.set('VOILUTFunction', 'SIGMOID');
    const image = await renderFrame(ds, 0, { window: { center: 50, width: 100 } });
    // 255 / (1 + exp(-4 (x - 50) / 100)): 30.40, 127.5, 224.60.
    assert.deepEqual([...image.data], [30, 128, 225]);
  });

  test('no window: the frame range maps to 0..255 (min-max)', async () => {
    const ds = grey([100, 110, 120, 130]);
    const image = await renderFrame(ds, 0);
    assert.deepEqual([...image.data], [0, 85, 170, 255]);
    assert.deepEqual(image.window, { center: 115.5, width: 31 });
    ds.set('WindowCenter', 0);
    ds.set('WindowWidth', 10);
    assert.deepEqual([...(await renderFrame(ds, 0, { voi: 'min-max' })).data], [0, 85, 170, 255]);
    assert.deepEqual(minMaxWindow(new Float32Array([0.5, 1.5])), {
      center: 1,
      width: 1,
      function: 'LINEAR_EXACT',
    });
  });

  test('VOI LUT Sequence, scaled from its entry size', async () => {
    const ds = grey([0, 1, 2, 3]);
    const lut = new DataSet();
    lut.set('LUTDescriptor', [3, 1, 12], 'US');
    lut.set('LUTData', new Uint8Array(new Uint16Array([0, 2048, 4095]).buffer), 'OW');
    ds.set('VOILUTSequence', [lut]);
    const image = await renderFrame(ds, 0);
    // 0 is below the first mapped value (1): first entry.
    assert.deepEqual([...image.data], [0, 0, 128, 255]);
    assert.equal(image.voiLut?.bits, 12);
  });

  test('float pixel data renders through min-max', async () => {
    const ds = new DataSet();
    ds.set('Rows', 1);
    ds.set('Columns', 3);
    ds.set('SamplesPerPixel', 1);
    ds.set('PhotometricInterpretation', 'MONOCHROME2');
    ds.set('BitsAllocated', 32);
    ds.set('FloatPixelData', new Uint8Array(new Float32Array([-0.5, 0, 0.5]).buffer), 'OF');
    assert.deepEqual([...(await renderFrame(ds, 0)).data], [0, 128, 255]);
  });
});

describe('colour rendering', () => {
  test('16-bit RGB is scaled to 8 bits', async () => {
    const ds = new DataSet();
    ds.set('Rows', 1);
    ds.set('Columns', 1);
    ds.set('SamplesPerPixel', 3);
    ds.set('PhotometricInterpretation', 'RGB');
    ds.set('PlanarConfiguration', 0);
    ds.set('BitsAllocated', 16);
    ds.set('BitsStored', 16);
    ds.set('HighBit', 15);
    ds.set('PixelRepresentation', 0);
    ds.set('PixelData', new Uint8Array(new Uint16Array([65535, 32768, 0]).buffer), 'OW');
    const image = await renderFrame(ds, 0);
    assert.equal(image.channels, 3);
    assert.deepEqual([...image.data], [255, 128, 0]);
  });
});
