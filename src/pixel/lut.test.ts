import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Keyword } from '../dictionary/index.ts';
import { DataSet } from '../object/dataset.ts';
import {
  applyModality,
  lookup,
  lookupTable,
  modalityTransform,
  presentationLutShape,
  readLutData,
  readLutDescriptor,
  storedVoiLuts,
  storedWindows,
  windowFunction,
} from './lut.ts';

function close(actual: number, expected: number, message?: string): void {
  assert.ok(Math.abs(actual - expected) < 1e-3, `${message ?? ''} ${actual} != ${expected}`);
}

function item(values: Record<string, string | string[] | number | number[]>): DataSet {
  const ds = new DataSet();
  for (const [key, value] of Object.entries(values)) ds.set(key as Keyword, value);
  return ds;
}

describe('VOI window functions (PS3.3 §C.11.2.1.2, §C.11.2.1.3)', () => {
  test('LINEAR: c = 50, w = 101', () => {
    const f = windowFunction({ center: 50, width: 101 });
    // Bounds: c - 0.5 - (w-1)/2 = -0.5 and c - 0.5 + (w-1)/2 = 99.5.
    assert.equal(f(-1), 0);
    assert.equal(f(-0.5), 0);
    close(f(0), 1.275); // ((0 - 49.5) / 100 + 0.5) * 255
    close(f(49), 126.225);
    close(f(50), 128.775);
    close(f(99), 253.725);
    close(f(99.5), 255);
    assert.equal(f(100), 255);
    // Output range other than 0..255.
    close(windowFunction({ center: 50, width: 101 }, 10, 20)(49.5), 15);
  });

  test('LINEAR with width 1 is a threshold at c - 0.5; width < 1 is refused', () => {
    const f = windowFunction({ center: 10, width: 1 });
    assert.equal(f(9.5), 0);
    assert.equal(f(10), 255);
    assert.throws(() => windowFunction({ center: 0, width: 0.5 }), { code: 'ERR_INVALID_VALUE' });
  });

  test('LINEAR_EXACT: c = 50, w = 100', () => {
    const f = windowFunction({ center: 50, width: 100, function: 'LINEAR_EXACT' });
    assert.equal(f(0), 0); // x <= c - w/2
    close(f(25), 63.75); // ((25 - 50) / 100 + 0.5) * 255
    close(f(50), 127.5);
    close(f(100), 255);
    assert.equal(f(100.01), 255);
    assert.throws(() => windowFunction({ center: 0, width: 0, function: 'LINEAR_EXACT' }), {
      code: 'ERR_INVALID_VALUE',
    });
  });

  test('SIGMOID: 255 / (1 + exp(-4 (x - c) / w)), c = 50, w = 100', () => {
    const f = windowFunction({ center: 50, width: 100, function: 'SIGMOID' });
    close(f(50), 127.5);
    close(f(100), 224.6033); // 255 / (1 + e^-2)
    close(f(0), 30.3967); // 255 / (1 + e^2)
    assert.ok(f(-1e6) >= 0 && f(1e6) <= 255);
  });
});

describe('LUTs (PS3.3 §C.11.1.1)', () => {
  test('descriptor: 0 entries means 65536; first value signed when the input is', () => {
    const ds = new DataSet();
    ds.set('LUTDescriptor', [0, 65436, 16], 'US');
    assert.deepEqual(readLutDescriptor(ds, 0x00283002, true), {
      entries: 65536,
      firstMapped: -100,
      bits: 16,
    });
    assert.deepEqual(readLutDescriptor(ds, 0x00283002, false), {
      entries: 65536,
      firstMapped: 65436,
      bits: 16,
    });
    ds.set('LUTDescriptor', [256, -10, 8], 'SS');
    assert.deepEqual(readLutDescriptor(ds, 0x00283002, true), { entries: 256, firstMapped: -10, bits: 8 });
    assert.equal(readLutDescriptor(new DataSet(), 0x00283002, true), undefined);
  });

  test('data: 16-bit words, or bytes for 8-bit entries', () => {
    assert.deepEqual([...readLutData(new Uint8Array([1, 2, 3, 4]), 2, 16)], [0x0201, 0x0403]);
    assert.deepEqual([...readLutData(new Uint8Array([1, 2, 3, 4]), 4, 8)], [1, 2, 3, 4]);
    assert.throws(() => readLutData(new Uint8Array(3), 4, 16), { code: 'ERR_INVALID_VALUE' });
  });

  test('lookup clamps below and above the mapped range', () => {
    const lut = lookupTable(-2, 16, new Uint16Array([10, 20, 30]));
    assert.deepEqual(
      [-5, -2, -1, 0, 7].map((x) => lookup(lut, x)),
      [10, 10, 20, 30, 30],
    );
  });
});

describe('Modality and VOI attributes', () => {
  test('rescale from the data set, else identity', () => {
    assert.deepEqual(modalityTransform(item({ RescaleSlope: 2, RescaleIntercept: -1024 })), {
      kind: 'rescale',
      slope: 2,
      intercept: -1024,
    });
    const identity = modalityTransform(new DataSet());
    assert.equal(applyModality(identity, 17), 17);
  });

  test('Modality LUT Sequence wins over rescale', () => {
    const lutItem = new DataSet();
    lutItem.set('LUTDescriptor', [3, 0, 16], 'US');
    lutItem.set('LUTData', new Uint8Array(new Uint16Array([5, 6, 7]).buffer), 'OW');
    const ds = item({ RescaleSlope: 2, RescaleIntercept: 1 });
    ds.set('ModalityLUTSequence', [lutItem]);
    const transform = modalityTransform(ds);
    assert.equal(transform.kind, 'lut');
    assert.equal(applyModality(transform, 1), 6);
  });

  test('enhanced objects: per-frame, then shared functional groups (PS3.3 §C.7.6.16)', () => {
    const shared = new DataSet();
    shared.set('PixelValueTransformationSequence', [item({ RescaleSlope: 2, RescaleIntercept: -10 })]);
    shared.set('FrameVOILUTSequence', [item({ WindowCenter: 40, WindowWidth: 400 })]);
    const frame0 = new DataSet();
    const frame1 = new DataSet();
    frame1.set('PixelValueTransformationSequence', [item({ RescaleSlope: 1, RescaleIntercept: 5 })]);
    frame1.set('FrameVOILUTSequence', [item({ WindowCenter: [1, 2], WindowWidth: [10, 20] })]);
    const ds = new DataSet();
    ds.set('SharedFunctionalGroupsSequence', [shared]);
    ds.set('PerFrameFunctionalGroupsSequence', [frame0, frame1]);
    assert.deepEqual(modalityTransform(ds, 0), { kind: 'rescale', slope: 2, intercept: -10 });
    assert.deepEqual(modalityTransform(ds, 1), { kind: 'rescale', slope: 1, intercept: 5 });
    assert.deepEqual(storedWindows(ds, 0), [{ center: 40, width: 400 }]);
    assert.deepEqual(storedWindows(ds, 1), [
      { center: 1, width: 10 },
      { center: 2, width: 20 },
    ]);
  });

  test('windows with VOI LUT Function and explanations; VOI LUT Sequence; Presentation LUT Shape', () => {
    const ds = item({
      WindowCenter: [40, 300],
      WindowWidth: [400, 1500],
      VOILUTFunction: 'SIGMOID',
      WindowCenterWidthExplanation: ['SOFT', 'BONE'],
      PresentationLUTShape: 'INVERSE',
    });
    assert.deepEqual(storedWindows(ds), [
      { center: 40, width: 400, function: 'SIGMOID', explanation: 'SOFT' },
      { center: 300, width: 1500, function: 'SIGMOID', explanation: 'BONE' },
    ]);
    assert.equal(presentationLutShape(ds), 'INVERSE');
    const voi = new DataSet();
    voi.set('LUTDescriptor', [2, 65535, 12], 'US');
    voi.set('LUTData', new Uint8Array([0, 0, 0xff, 0x0f]), 'OW');
    ds.set('VOILUTSequence', [voi]);
    const [lut] = storedVoiLuts(ds, true);
    assert.equal(lut!.firstMapped, -1);
    assert.equal(lookup(lut!, 0), 4095);
  });
});
