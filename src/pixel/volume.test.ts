import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../object/dataset.ts';
import { readDicomFile } from '../object/file.node.ts';
import { getFrame } from './frames.ts';
import {
  buildVolume,
  groupBySeries,
  patientToVoxel,
  type Vec3,
  volumeCentre,
  voxelToPatient,
} from './volume.ts';

interface SliceSpec {
  position: Vec3;
  orientation?: number[];
  spacing?: [number, number];
  columns?: number;
  rows?: number;
  /** Stored values, row by row. */
  values: number[];
  intercept?: number;
  slope?: number;
  instance?: number;
  series?: string;
  sop?: string;
}

/** A CT-like single-frame slice: 16-bit signed, Rescale Slope/Intercept, position and orientation. */
function slice(s: SliceSpec): DataSet {
  const ds = new DataSet();
  ds.set('SOPInstanceUID', s.sop ?? `1.2.3.${s.position.join('.').replace(/-/g, '9')}`);
  ds.set('SeriesInstanceUID', s.series ?? '1.2.3.4');
  ds.set('Modality', 'CT');
  ds.set('InstanceNumber', s.instance ?? 1);
  ds.set('ImagePositionPatient', s.position);
  ds.set('ImageOrientationPatient', s.orientation ?? [1, 0, 0, 0, 1, 0]);
  ds.set('PixelSpacing', s.spacing ?? [0.5, 0.25]);
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', s.rows ?? 2);
  ds.set('Columns', s.columns ?? 3);
  ds.set('BitsAllocated', 16);
  ds.set('BitsStored', 16);
  ds.set('HighBit', 15);
  ds.set('PixelRepresentation', 1);
  ds.set('RescaleIntercept', s.intercept ?? 0);
  ds.set('RescaleSlope', s.slope ?? 1);
  ds.set('PixelData', new Uint8Array(new Int16Array(s.values).buffer), 'OW');
  return ds;
}

const six = (k: number) => [k, k, k, k, k, k];

describe('buildVolume', () => {
  test('sorts by position along the normal, not Instance Number; modality units; geometry', async () => {
    // Slices at z = 10, 12.5, 15, 17.5 given shuffled, with Instance Numbers counting the other way.
    const specs = [15, 10, 17.5, 12.5].map((z, n) =>
      slice({ position: [-5, 7, z], values: six(z * 10), intercept: n === 0 ? -100 : 0, instance: 4 - n }),
    );
    specs[1]!.set('WindowCenter', 40);
    specs[1]!.set('WindowWidth', 400);
    specs[3]!.set('WindowCenter', 50);
    specs[3]!.set('WindowWidth', 350);
    const volume = await buildVolume(specs);
    assert.deepEqual(volume.dims, [3, 2, 4]);
    assert.deepEqual(volume.spacing, [0.25, 0.5, 2.5]);
    assert.deepEqual(volume.origin, [-5, 7, 10]);
    assert.deepEqual(volume.direction, [
      [1, 0, 0],
      [0, 1, 0],
      [0, 0, 1],
    ]);
    assert.equal(volume.sliceSpacing, 2.5);
    assert.ok(volume.voxels instanceof Int16Array, 'integral rescale fits 16 bits');
    // Each slice's values, with its own intercept (-100 on the z = 15 slice).
    assert.deepEqual(
      [0, 1, 2, 3].map((k) => volume.voxels[k * 6]),
      [100, 125, 50, 175],
    );
    assert.deepEqual(
      volume.slices.map((s) => s.instanceNumber),
      [3, 1, 4, 2],
    );
    // The middle slice (z = 15) has no window: the nearest one with a window (z = 12.5) gives it.
    assert.equal(volume.windowSource, 'stored');
    assert.deepEqual(volume.window, { center: 50, width: 350 });
    assert.deepEqual(volume.warnings, []);
    assert.deepEqual(voxelToPatient(volume, [2, 1, 3]), [-5 + 0.5, 7 + 0.5, 17.5]);
    assert.deepEqual(volumeCentre(volume), [-4.75, 7.25, 13.75]);
  });

  test('a sagittal stack is ordered along its normal (row x column), whatever the file order', async () => {
    // Row towards posterior (+y), column towards the feet (-z): the normal is -x.
    const orientation = [0, 1, 0, 0, 0, -1];
    const volume = await buildVolume(
      [3, -1, 1].map((x) => slice({ position: [x, 0, 0], orientation, values: six(x) })),
    );
    assert.deepEqual(volume.normal, [-1, 0, 0]);
    assert.deepEqual(
      volume.slices.map((s) => s.imagePosition[0]),
      [3, 1, -1],
    );
    assert.deepEqual(volume.spacing, [0.25, 0.5, 2]);
    const centre = voxelToPatient(volume, [1, 0.5, 1]);
    assert.deepEqual(patientToVoxel(volume, centre), [1, 0.5, 1]);
  });

  test('mixed orientation, size, photometric interpretation, series and duplicate positions are refused', async () => {
    const a = slice({ position: [0, 0, 0], values: six(0) });
    await assert.rejects(
      buildVolume([a, slice({ position: [0, 0, 1], orientation: [1, 0, 0, 0, 0.8, 0.6], values: six(0) })]),
      /orientation/,
    );
    await assert.rejects(
      buildVolume([a, slice({ position: [0, 0, 1], columns: 2, rows: 3, values: six(0) })]),
      /is 2x3 but .* is 3x2/,
    );
    await assert.rejects(
      buildVolume([a, slice({ position: [0, 0, 1], spacing: [0.5, 0.5], values: six(0) })]),
      /Pixel Spacing/,
    );
    const mono1 = slice({ position: [0, 0, 1], values: six(0) });
    mono1.set('PhotometricInterpretation', 'MONOCHROME1');
    await assert.rejects(buildVolume([a, mono1]), /MONOCHROME1 but/);
    await assert.rejects(
      buildVolume([a, slice({ position: [1, 2, 0], values: six(0), sop: '9.9' })]),
      /same position/,
    );
    const other = slice({ position: [0, 0, 1], values: six(0), series: '5.6' });
    await assert.rejects(buildVolume([a, other]), /2 series \(1\.2\.3\.4: 1, 5\.6: 1\)/);
    assert.deepEqual([...groupBySeries([a, other]).keys()], ['1.2.3.4', '5.6']);
    assert.equal((await buildVolume([a, other], { seriesInstanceUid: '5.6' })).origin[2], 1);
    const noPosition = slice({ position: [0, 0, 2], values: six(0) });
    noPosition.delete('ImagePositionPatient');
    await assert.rejects(buildVolume([a, noPosition]), /no Image Position/);
  });

  test('irregular spacing (a missing slice) is resampled and reported, or refused', async () => {
    const slices = [0, 2, 6, 8].map((z) => slice({ position: [0, 0, z], values: six(z * 10) }));
    const volume = await buildVolume(slices);
    assert.equal(volume.resampled, true);
    assert.equal(volume.spacingDeviation, 4 - 8 / 3);
    assert.match(volume.warnings[0]!, /gaps of 2\.000\.\.4\.000 mm; resampled to 5 slices 2\.000 mm apart/);
    assert.deepEqual(volume.dims, [3, 2, 5]);
    assert.equal(volume.spacing[2], 2);
    assert.deepEqual(
      [0, 1, 2, 3, 4].map((k) => volume.voxels[k * 6]),
      [0, 20, 40, 60, 80],
    );
    await assert.rejects(buildVolume(slices, { irregularSpacing: 'error' }), /irregular slice spacing/);
    // Within the tolerance (DS rounding): regular, mean spacing.
    const rounded = [0, 2.0004, 3.9998, 6].map((z) => slice({ position: [0, 0, z], values: six(1) }));
    const regular = await buildVolume(rounded);
    assert.equal(regular.resampled, false);
    assert.equal(regular.spacing[2], 2);
  });

  test('sheared slices (gantry tilt) keep their geometry: the slice axis follows the positions', async () => {
    // Each slice 2 mm up and 1 mm posterior of the previous one.
    const volume = await buildVolume(
      [0, 1, 2].map((k) => slice({ position: [0, k, 2 * k], values: six(k) })),
    );
    assert.match(volume.warnings.join('\n'), /sheared by 26\.57°/);
    assert.equal(volume.sliceSpacing, 2);
    assert.ok(Math.abs(volume.spacing[2] - Math.sqrt(5)) < 1e-12);
    const p = voxelToPatient(volume, [0, 0, 2]);
    assert.ok(Math.hypot(p[0], p[1] - 2, p[2] - 4) < 1e-12, `slice 2 starts at ${p}`);
    const back = patientToVoxel(volume, [0.25, 1.5, 2]);
    assert.ok(Math.hypot(back[0] - 1, back[1] - 1, back[2] - 1) < 1e-12, `${back}`);
  });

  test('float voxels for a fractional rescale; min-max window without a stored one', async () => {
    const volume = await buildVolume(
      [0, 1].map((z) => slice({ position: [0, 0, z], values: [0, 1, 2, 3, 4, 5], slope: 0.5 })),
    );
    assert.ok(volume.voxels instanceof Float32Array);
    assert.deepEqual([...volume.voxels.subarray(0, 6)], [0, 0.5, 1, 1.5, 2, 2.5]);
    assert.equal(volume.windowSource, 'min-max');
    assert.deepEqual(volume.window, { center: 1.25, width: 2.5, function: 'LINEAR_EXACT' });
    // Integral but beyond 16 signed bits after Rescale: the stack widens to Float32, exactly.
    const wide = await buildVolume([
      slice({ position: [0, 0, 0], values: six(5) }),
      slice({ position: [0, 0, 1], values: [-32768, 0, 0, 0, 0, 32767], intercept: -100 }),
    ]);
    assert.ok(wide.voxels instanceof Float32Array);
    assert.deepEqual([wide.voxels[0], wide.voxels[6], wide.voxels[11]], [5, -32868, 32667]);
    const forced = await buildVolume(
      [0, 1].map((z) => slice({ position: [0, 0, z], values: six(7) })),
      { voxelType: 'float32' },
    );
    assert.ok(forced.voxels instanceof Float32Array);
  });

  test('an enhanced multi-frame object: frames placed by their Plane Position functional group', async () => {
    const ds = new DataSet();
    ds.set('SOPInstanceUID', '1.2.3.99');
    ds.set('SeriesInstanceUID', '1.2.3.4');
    ds.set('NumberOfFrames', 3);
    ds.set('SamplesPerPixel', 1);
    ds.set('PhotometricInterpretation', 'MONOCHROME2');
    ds.set('Rows', 1);
    ds.set('Columns', 2);
    ds.set('BitsAllocated', 16);
    ds.set('BitsStored', 12);
    ds.set('HighBit', 11);
    ds.set('PixelRepresentation', 0);
    const item = (entries: Array<[string, number[] | number]>) => {
      const it = new DataSet();
      for (const [key, value] of entries) it.set(key as 'PixelSpacing', value);
      return it;
    };
    const shared = new DataSet();
    shared.set('PlaneOrientationSequence', [item([['ImageOrientationPatient', [1, 0, 0, 0, 1, 0]]])]);
    shared.set('PixelMeasuresSequence', [
      item([
        ['PixelSpacing', [0.8, 0.8]],
        ['SliceThickness', 3],
      ]),
    ]);
    ds.set('SharedFunctionalGroupsSequence', [shared]);
    // Frames stored top-down (z = 6, 3, 0), each with its own rescale intercept.
    ds.set(
      'PerFrameFunctionalGroupsSequence',
      [6, 3, 0].map((z, f) => {
        const perFrame = new DataSet();
        perFrame.set('PlanePositionSequence', [item([['ImagePositionPatient', [0, 0, z]]])]);
        perFrame.set('PixelValueTransformationSequence', [
          item([
            ['RescaleIntercept', -f],
            ['RescaleSlope', 1],
          ]),
        ]);
        return perFrame;
      }),
    );
    ds.set('PixelData', new Uint8Array(new Uint16Array([60, 61, 30, 31, 0, 1]).buffer), 'OW');
    const volume = await buildVolume([ds]);
    assert.deepEqual(volume.dims, [2, 1, 3]);
    assert.deepEqual(volume.spacing, [0.8, 0.8, 3]);
    assert.deepEqual(
      volume.slices.map((s) => s.frame),
      [2, 1, 0],
    );
    assert.deepEqual([...volume.voxels], [-2, -1, 29, 30, 60, 61]);
  });

  test('refuses colour images and reads one slice with its thickness', async () => {
    const colour = slice({ position: [0, 0, 0], values: six(0) });
    colour.set('SamplesPerPixel', 3);
    colour.set('PhotometricInterpretation', 'RGB');
    colour.set('BitsAllocated', 8);
    colour.set('BitsStored', 8);
    colour.set('HighBit', 7);
    colour.set('PixelData', new Uint8Array(18), 'OB');
    await assert.rejects(buildVolume([colour]), /grey images/);
    const one = slice({ position: [1, 2, 3], values: six(5) });
    one.set('SliceThickness', 1.25);
    const volume = await buildVolume([one]);
    assert.deepEqual(volume.dims, [3, 2, 1]);
    assert.equal(volume.spacing[2], 1.25);
  });

  test('RT Dose: frames at the Grid Frame Offset Vector, voxels times Dose Grid Scaling', async () => {
    const file = await readDicomFile('test/fixtures/pydicom/rtdose.dcm');
    const volume = await buildVolume([file]);
    assert.deepEqual(volume.dims, [10, 10, 15]);
    assert.deepEqual(volume.spacing, [10, 10, 5]);
    assert.deepEqual(volume.origin, [189.43125, 199.43125, -761.87]);
    assert.equal(volume.units, 'RELATIVE');
    assert.ok(volume.voxels instanceof Float32Array);
    const last = await getFrame(file, 14);
    assert.equal(volume.voxels[14 * 100 + 37], Math.fround(last.pixels[37]! * 1e-6));
  });
});
