import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DataSet } from '../object/dataset.ts';
import { type MprImage, type MprPanel, reformat, renderMpr, renderReformat } from './mpr.ts';
import { buildVolume, dot, type Vec3, type Volume } from './volume.ts';

interface SeriesSpec {
  columns: number;
  rows: number;
  slices: number;
  /** Column spacing, row spacing, slice spacing (mm). */
  spacing: Vec3;
  origin: Vec3;
  /** Image Orientation (Patient): row then column cosines. */
  orientation: [Vec3, Vec3];
  /** Added to each slice's position per slice (a tilted gantry). */
  shear?: Vec3;
  /** Stored value of voxel (i, j, k) at patient point p. */
  value: (p: Vec3) => number;
}

/** Single-frame CT slices (Rescale Intercept -1024, window 500/1000), in reverse order. */
function series(spec: SeriesSpec): DataSet[] {
  const [row, column] = spec.orientation;
  const normal: Vec3 = [
    row[1] * column[2] - row[2] * column[1],
    row[2] * column[0] - row[0] * column[2],
    row[0] * column[1] - row[1] * column[0],
  ];
  const [sx, sy, sz] = spec.spacing;
  const out: DataSet[] = [];
  for (let k = 0; k < spec.slices; k++) {
    const position = [0, 1, 2].map(
      (a) => spec.origin[a]! + k * sz * normal[a]! + k * (spec.shear?.[a] ?? 0),
    ) as Vec3;
    const pixels = new Int16Array(spec.columns * spec.rows);
    for (let j = 0; j < spec.rows; j++) {
      for (let i = 0; i < spec.columns; i++) {
        const p = [0, 1, 2].map((a) => position[a]! + i * sx * row[a]! + j * sy * column[a]!) as Vec3;
        pixels[j * spec.columns + i] = spec.value(p);
      }
    }
    const ds = new DataSet();
    ds.set('SOPInstanceUID', `1.2.826.0.1.3680043.2.1143.${k + 1}`);
    ds.set('SeriesInstanceUID', '1.2.826.0.1.3680043.2.1143.0');
    ds.set('InstanceNumber', k + 1);
    ds.set('ImagePositionPatient', position);
    ds.set('ImageOrientationPatient', [...row, ...column]);
    ds.set('PixelSpacing', [sy, sx]);
    ds.set('SamplesPerPixel', 1);
    ds.set('PhotometricInterpretation', 'MONOCHROME2');
    ds.set('Rows', spec.rows);
    ds.set('Columns', spec.columns);
    ds.set('BitsAllocated', 16);
    ds.set('BitsStored', 12);
    ds.set('HighBit', 11);
    ds.set('PixelRepresentation', 0);
    ds.set('RescaleIntercept', -1024);
    ds.set('RescaleSlope', 1);
    ds.set('WindowCenter', 500);
    ds.set('WindowWidth', 1000);
    ds.set('PixelData', new Uint8Array(pixels.buffer), 'OW');
    out.unshift(ds);
  }
  return out;
}

const sphere = (centre: Vec3, radius: number) => (p: Vec3) =>
  Math.hypot(p[0] - centre[0], p[1] - centre[1], p[2] - centre[2]) <= radius ? 2024 : 1024;

/** Size of one voxel along a patient direction: the voxel's extent projected on it. */
function voxelExtent(volume: Volume, axis: Vec3): number {
  return volume.direction.reduce((sum, d, a) => sum + Math.abs(dot(d, axis)) * volume.spacing[a]!, 0);
}

/** Extents (mm) along the panel's axes and centroid (patient mm) of the bright pixels of a panel. */
function measure(image: MprImage, panel: MprPanel): { across: number; down: number; centre: Vec3 } {
  let minX = Number.POSITIVE_INFINITY;
  let maxX = -1;
  let minY = Number.POSITIVE_INFINITY;
  let maxY = -1;
  let sumX = 0;
  let sumY = 0;
  let count = 0;
  for (let y = 0; y < panel.height; y++) {
    for (let x = 0; x < panel.width; x++) {
      if (image.data[(panel.y + y) * image.width + panel.x + x]! <= 127) continue;
      minX = Math.min(minX, x);
      maxX = Math.max(maxX, x);
      minY = Math.min(minY, y);
      maxY = Math.max(maxY, y);
      sumX += x;
      sumY += y;
      count++;
    }
  }
  assert.ok(count > 0, `${panel.plane}: the sphere is not in the plane`);
  const ps = panel.pixelSize;
  const cx = (sumX / count) * ps;
  const cy = (sumY / count) * ps;
  return {
    across: (maxX - minX + 1) * ps,
    down: (maxY - minY + 1) * ps,
    centre: [0, 1, 2].map((a) => panel.origin[a]! + cx * panel.right[a]! + cy * panel.down[a]!) as Vec3,
  };
}

/** The sphere is round (equal extents within a voxel) and in place (centre within a voxel) in every plane. */
function assertRoundAndInPlace(volume: Volume, image: MprImage, centre: Vec3, radius: number): void {
  assert.equal(image.panels.length, 3);
  for (const panel of image.panels) {
    const m = measure(image, panel);
    const tolAcross = voxelExtent(volume, panel.right) + panel.pixelSize;
    const tolDown = voxelExtent(volume, panel.down) + panel.pixelSize;
    const what = `${panel.plane}: ${m.across.toFixed(2)} x ${m.down.toFixed(2)} mm at ${m.centre.map((c) => c.toFixed(2))}`;
    assert.ok(Math.abs(m.across - 2 * radius) <= tolAcross, what);
    assert.ok(Math.abs(m.down - 2 * radius) <= tolDown, what);
    assert.ok(Math.abs(m.across - m.down) <= Math.max(tolAcross, tolDown), what);
    for (let a = 0; a < 3; a++) {
      const axis: Vec3 = [0, 0, 0];
      axis[a] = 1;
      assert.ok(Math.abs(m.centre[a]! - centre[a]!) <= voxelExtent(volume, axis), `${what}, axis ${a}`);
    }
  }
}

describe('reformat and renderMpr', () => {
  test('plane sizes follow the physical extent; axial through voxel centres equals the slice', async () => {
    // 4 columns x 3 rows x 2 slices, 1 x 1 x 3 mm; value = 100 i + 10 j + k.
    const volume = await buildVolume(
      series({
        columns: 4,
        rows: 3,
        slices: 2,
        spacing: [1, 1, 3],
        origin: [0, 0, 0],
        orientation: [
          [1, 0, 0],
          [0, 1, 0],
        ],
        value: ([x, y, z]) => 1024 + 100 * x + 10 * y + z / 3,
      }),
    );
    const axial = reformat(volume, 'axial', { at: [0, 0, 3], interpolation: 'nearest' });
    assert.deepEqual([axial.width, axial.height, axial.pixelSize], [4, 3, 1]);
    assert.deepEqual(axial.origin, [0, 0, 3]);
    assert.deepEqual([...axial.values], [1, 101, 201, 301, 11, 111, 211, 311, 21, 121, 221, 321]);
    // Coronal: 4 mm across, 6 mm down (two 3 mm slices) in 1 mm pixels, head at the top.
    const coronal = reformat(volume, 'coronal', { at: [0, 1, 0], interpolation: 'nearest' });
    assert.deepEqual([coronal.width, coronal.height], [4, 6]);
    assert.deepEqual(
      Array.from({ length: 6 }, (_, y) => coronal.values[y * 4]),
      [11, 11, 11, 10, 10, 10],
    );
    const sagittal = reformat(volume, 'sagittal', { at: [2, 0, 0], pixelSize: 0.5 });
    assert.deepEqual([sagittal.width, sagittal.height], [6, 12]);
    // Linear: pixel centres at y = -0.25, 0.25... and z = 4.25, 3.75... (down is -z); the
    // bottom row (z = -1.25) is within half a voxel of slice 0 and takes its values.
    assert.equal(sagittal.values[11 * 6 + 1], 200 + 2.5);
    // Row 6 is at z = 1.25: 1.25 / 3 of the way from slice 0 to slice 1.
    assert.ok(Math.abs(sagittal.values[6 * 6 + 2]! - (200 + 7.5 + 1.25 / 3)) < 1e-4);
    // Outside the volume: NaN, rendered black; inside through the window, inverted on request.
    const outside = reformat(volume, 'axial', { at: [0, 0, 10] });
    assert.ok(outside.values.every(Number.isNaN));
    assert.ok(renderReformat(outside, { center: 0, width: 10 }, true).data.every((v) => v === 0));
    assert.deepEqual(
      [
        ...renderReformat(axial, { center: 50, width: 2, function: 'LINEAR_EXACT' }, true).data.subarray(
          0,
          2,
        ),
      ],
      [255, 0],
    );
    assert.throws(() => reformat(volume, 'axial', { maxPixels: 11 }), /exceeds 11 pixels/);
    // The default point is the volume's centre; panels sit side by side with a gap.
    const mpr = renderMpr(volume, { gap: 2 });
    assert.deepEqual(mpr.at, [1.5, 1, 1.5]);
    assert.deepEqual(
      mpr.panels.map((p) => [p.plane, p.x, p.width, p.height]),
      [
        ['axial', 0, 4, 3],
        ['coronal', 6, 4, 6],
        ['sagittal', 12, 3, 6],
      ],
    );
    assert.deepEqual([mpr.width, mpr.height], [15, 6]);
    assert.deepEqual(mpr.window, { center: 500, width: 1000 });
  });

  const centre: Vec3 = [12.3, -20.7, 41.2];
  const radius = 15;
  for (const [name, orientation, shear] of [
    [
      'axial slices',
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      undefined,
    ],
    [
      'coronal slices',
      [
        [1, 0, 0],
        [0, 0, -1],
      ],
      undefined,
    ],
    [
      'axial slices on a tilted gantry',
      [
        [1, 0, 0],
        [0, 1, 0],
      ],
      [0, 0.6, 0],
    ],
  ] as Array<[string, [Vec3, Vec3], Vec3 | undefined]>) {
    test(`a sphere in ${name} of 0.7 x 0.7 x 2.5 mm is round and in place in all three planes`, async () => {
      const [row, column] = orientation;
      // Start so that the sphere is inside but off the volume's centre.
      const origin = [0, 1, 2].map((a) => centre[a]! - 22 * row[a]! - 30 * column[a]!) as Vec3;
      const normalSign = name.startsWith('coronal') ? [0, 1, 0] : [0, 0, 1];
      for (let a = 0; a < 3; a++) origin[a]! -= 25 * normalSign[a]!;
      if (shear) origin[1] -= 12;
      const slices = series({
        columns: 80,
        rows: 72,
        slices: 24,
        spacing: [0.7, 0.7, 2.5],
        origin,
        orientation,
        ...(shear ? { shear } : {}),
        value: sphere(centre, radius),
      });
      const volume = await buildVolume(slices);
      assert.deepEqual(volume.dims, [80, 72, 24]);
      for (const interpolation of ['linear', 'nearest'] as const) {
        const image = renderMpr(volume, { at: centre, interpolation });
        assertRoundAndInPlace(volume, image, centre, radius);
      }
    });
  }
});
