// `dicomkit mpr` and `dicomkit transcode` through the CLI (issue 6). The MPR test writes a
// synthetic CT series (a sphere of known radius and centre, 0.7 x 0.7 x 2.5 mm voxels, files in
// shuffled order with wrong Instance Numbers, a localizer series and a stray file beside it) and
// measures the sphere in the three planes of the PNG: round and in place. The transcode tests
// check syntax names and that GDCM (gdcmconv --raw) reads what we write. Renders against DCMTK
// dcm2pnm and the dcmdjpls round trip are in cli-pixel.test.ts.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DataSet } from '../../src/object/dataset.ts';
import { readDicomFile, writeDicomFile } from '../../src/object/file.node.ts';
import type { MprPanel, Vec3 } from '../../src/pixel/index.ts';
import { runPeerAsync } from '../helpers/net-peers.ts';
import { requirePeer } from '../helpers/peers.ts';
import { pngPixels } from '../helpers/png.ts';

requirePeer('gdcmconv');
const work = mkdtempSync(join(tmpdir(), 'dicomkit-pixel-cli-'));
after(() => rmSync(work, { recursive: true, force: true }));

function dicomkit(...args: string[]) {
  return runPeerAsync(process.execPath, ['bin/dicomkit.js', ...args]);
}

/** Fisher-Yates with a fixed seed: the same shuffle on every run. */
function shuffled<T>(items: T[], seed = 7): T[] {
  const out = [...items];
  let state = seed;
  const random = () => (state = (state * 1103515245 + 12345) & 0x7fffffff) / 0x80000000;
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface SliceGeometry {
  position: Vec3;
  orientation: number[];
  spacing: [number, number];
  rows: number;
  columns: number;
}

/** A CT Image Storage slice: 12 bits stored, Rescale Intercept -1024, window 500/1000. */
function ctSlice(
  g: SliceGeometry,
  series: string,
  uid: string,
  instance: number,
  pixels: Int16Array,
): DataSet {
  const ds = new DataSet();
  ds.set('SOPClassUID', '1.2.840.10008.5.1.4.1.1.2');
  ds.set('SOPInstanceUID', uid);
  ds.set('StudyInstanceUID', '1.2.826.0.1.3680043.2.1143.9');
  ds.set('SeriesInstanceUID', series);
  ds.set('FrameOfReferenceUID', '1.2.826.0.1.3680043.2.1143.8');
  ds.set('Modality', 'CT');
  ds.set('InstanceNumber', instance);
  ds.set('ImagePositionPatient', g.position);
  ds.set('ImageOrientationPatient', g.orientation);
  ds.set('PixelSpacing', g.spacing);
  ds.set('SliceThickness', 2.5);
  ds.set('SamplesPerPixel', 1);
  ds.set('PhotometricInterpretation', 'MONOCHROME2');
  ds.set('Rows', g.rows);
  ds.set('Columns', g.columns);
  ds.set('BitsAllocated', 16);
  ds.set('BitsStored', 12);
  ds.set('HighBit', 11);
  ds.set('PixelRepresentation', 0);
  ds.set('RescaleIntercept', -1024);
  ds.set('RescaleSlope', 1);
  ds.set('RescaleType', 'HU');
  ds.set('WindowCenter', 500);
  ds.set('WindowWidth', 1000);
  ds.set('PixelData', new Uint8Array(pixels.buffer), 'OW');
  return ds;
}

describe('dicomkit mpr', () => {
  // 80 x 72 pixels of 0.7 mm, 24 slices 2.5 mm apart, feet to head; a sphere of 15 mm radius,
  // 1000 HU in 0 HU, off the volume's centre.
  const centre: Vec3 = [12.3, -20.7, 41.2];
  const radius = 15;
  const [columns, rows, slices] = [80, 72, 24];
  const [sx, sy, sz] = [0.7, 0.7, 2.5];
  const origin: Vec3 = [centre[0] - 22, centre[1] - 30, centre[2] - 25];
  const dir = join(work, 'series');

  test('writes the series: shuffled files, wrong Instance Numbers, a localizer and a stray file', async () => {
    mkdirSync(join(dir, 'sub'), { recursive: true });
    const series = '1.2.826.0.1.3680043.2.1143.1';
    const instances = shuffled(
      Array.from({ length: slices }, (_, k) => k + 1),
      3,
    );
    const order = shuffled(Array.from({ length: slices }, (_, k) => k));
    for (const [n, k] of order.entries()) {
      const z = origin[2] + k * sz;
      const pixels = new Int16Array(columns * rows);
      for (let j = 0; j < rows; j++) {
        for (let i = 0; i < columns; i++) {
          const d = Math.hypot(origin[0] + i * sx - centre[0], origin[1] + j * sy - centre[1], z - centre[2]);
          pixels[j * columns + i] = d <= radius ? 2024 : 1024;
        }
      }
      const geometry = {
        position: [origin[0], origin[1], z] as Vec3,
        orientation: [1, 0, 0, 0, 1, 0],
        spacing: [sy, sx] as [number, number],
        rows,
        columns,
      };
      const ds = ctSlice(geometry, series, `${series}.${k + 1}`, instances[k]!, pixels);
      // File names in neither position nor instance order, some in a sub-folder.
      await writeDicomFile(join(dir, n % 3 ? `IM${n}` : `sub/IM${n}`), ds, {
        transferSyntax: '1.2.840.10008.1.2.1',
      });
    }
    // A two-image sagittal localizer series and a file that is not DICOM.
    for (const x of [0, 10]) {
      const geometry = {
        position: [x, 0, 0] as Vec3,
        orientation: [0, 1, 0, 0, 0, -1],
        spacing: [1, 1] as [number, number],
        rows: 8,
        columns: 8,
      };
      const ds = ctSlice(
        geometry,
        '1.2.826.0.1.3680043.2.1143.2',
        `1.2.826.0.1.3680043.2.1143.2.${x}`,
        1,
        new Int16Array(64),
      );
      await writeDicomFile(join(dir, `LOC${x}`), ds, { transferSyntax: '1.2.840.10008.1.2' });
    }
    writeFileSync(join(dir, 'README.txt'), 'not DICOM\n');
  });

  test('three planes through the sphere: round and in place (extents and centre within a voxel)', {
    timeout: 30_000,
  }, async () => {
    const png = join(work, 'mpr.png');
    const r = await dicomkit('mpr', dir, '-o', png, '--at', centre.join(','), '--json');
    assert.equal(r.status, 0, r.stderr);
    assert.match(
      r.stderr,
      /W: 2 series: .*using 1\.2\.826\.0\.1\.3680043\.2\.1143\.1 \(choose with --series\)/,
    );
    const report = JSON.parse(r.stdout) as {
      dims: Vec3;
      spacing: Vec3;
      at: Vec3;
      width: number;
      height: number;
      window: { center: number; width: number };
      panels: MprPanel[];
    };
    assert.deepEqual(report.dims, [columns, rows, slices]);
    assert.deepEqual(report.spacing, [sx, sy, sz]);
    assert.deepEqual(report.at, centre);
    assert.deepEqual(report.window, { center: 500, width: 1000 });
    const image = pngPixels(new Uint8Array(readFileSync(png)));
    assert.deepEqual([image.width, image.height], [report.width, report.height]);
    // Voxel size along each patient axis (the grid is axis-aligned here).
    const voxel: Vec3 = [sx, sy, sz];
    const axisOf = (v: Vec3) => v.findIndex((c) => c !== 0);
    assert.deepEqual(
      report.panels.map((p) => p.plane),
      ['axial', 'coronal', 'sagittal'],
    );
    for (const panel of report.panels) {
      assert.equal(panel.pixelSize, 0.7);
      let [minX, maxX, minY, maxY, sumX, sumY, count] = [Infinity, -1, Infinity, -1, 0, 0, 0];
      for (let y = 0; y < panel.height; y++) {
        for (let x = 0; x < panel.width; x++) {
          if (image.data[(panel.y + y) * image.width + panel.x + x]! <= 127) continue;
          [minX, maxX, minY, maxY] = [
            Math.min(minX, x),
            Math.max(maxX, x),
            Math.min(minY, y),
            Math.max(maxY, y),
          ];
          sumX += x;
          sumY += y;
          count++;
        }
      }
      assert.ok(count > 0, `${panel.plane}: no sphere`);
      const ps = panel.pixelSize;
      const across = (maxX - minX + 1) * ps;
      const down = (maxY - minY + 1) * ps;
      const found = [0, 1, 2].map(
        (a) =>
          panel.origin[a]! + (sumX / count) * ps * panel.right[a]! + (sumY / count) * ps * panel.down[a]!,
      );
      const what = `${panel.plane}: ${across.toFixed(2)} x ${down.toFixed(2)} mm at ${found.map((c) => c.toFixed(2))}`;
      const voxelAcross = voxel[axisOf(panel.right)]!;
      const voxelDown = voxel[axisOf(panel.down)]!;
      // Round: both extents are the diameter, and equal, within a voxel (plus a pixel of sampling).
      assert.ok(Math.abs(across - 2 * radius) <= voxelAcross + ps, what);
      assert.ok(Math.abs(down - 2 * radius) <= voxelDown + ps, what);
      assert.ok(Math.abs(across - down) <= Math.max(voxelAcross, voxelDown) + ps, what);
      // In place: the centroid is the sphere's centre within a voxel on every axis.
      for (let a = 0; a < 3; a++)
        assert.ok(Math.abs(found[a]! - centre[a]!) <= voxel[a]!, `${what}, axis ${a}`);
    }
    // Anisotropic voxels come out with the right aspect: the coronal panel is as tall in
    // pixels as 24 slices of 2.5 mm are in 0.7 mm pixels.
    const coronal = report.panels[1]!;
    assert.equal(coronal.height, Math.round((slices * sz) / sx));
    assert.equal(coronal.width, columns);
  });

  test('default point is the volume centre; nearest interpolation; --window; bad options', {
    timeout: 30_000,
  }, async () => {
    const png = join(work, 'mpr-default.png');
    const r = await dicomkit(
      'mpr',
      dir,
      '-o',
      png,
      '--series',
      '1.2.826.0.1.3680043.2.1143.1',
      '--interpolation',
      'nearest',
      '--window',
      '0,100',
      '--json',
    );
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stderr, /series/);
    const report = JSON.parse(r.stdout) as { at: Vec3; window: { center: number; width: number } };
    const expected = [
      origin[0] + ((columns - 1) / 2) * sx,
      origin[1] + ((rows - 1) / 2) * sy,
      origin[2] + ((slices - 1) / 2) * sz,
    ];
    for (let a = 0; a < 3; a++) assert.ok(Math.abs(report.at[a]! - expected[a]!) < 1e-9, `${report.at}`);
    assert.deepEqual(report.window, { center: 0, width: 100 });
    const bad = await dicomkit('mpr', dir, '-o', png, '--at', '1,2');
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--at is X,Y,Z/);
    const empty = join(work, 'empty');
    mkdirSync(empty);
    const none = await dicomkit('mpr', empty, '-o', png);
    assert.equal(none.status, 1);
    assert.match(none.stderr, /E: no DICOM image/);
  });
});

describe('dicomkit transcode', () => {
  const source = 'test/fixtures/pydicom/CT_small.dcm';

  test('syntax by short name, keyword, dictionary name or UID; lossless round trips exact; gdcmconv reads ours', {
    timeout: 30_000,
  }, async () => {
    const original = (await readDicomFile(source)).dataset.bytes('PixelData')!;
    const cases: Array<[string, string]> = [
      ['JPEGLSLossless', '1.2.840.10008.1.2.4.80'],
      ['JPEG 2000 Image Compression (Lossless Only)', '1.2.840.10008.1.2.4.90'],
      ['1.2.840.10008.1.2.5', '1.2.840.10008.1.2.5'],
      ['htj2k-lossless', '1.2.840.10008.1.2.4.201'],
      ['jpeg-lossless', '1.2.840.10008.1.2.4.70'],
    ];
    await Promise.all(
      cases.map(async ([syntax, uid], n) => {
        const encoded = join(work, `ct-${n}.dcm`);
        const back = join(work, `ct-${n}-back.dcm`);
        const r = await dicomkit('transcode', source, encoded, '--syntax', syntax);
        assert.equal(r.status, 0, r.stderr);
        const file = await readDicomFile(encoded);
        assert.equal(file.transferSyntax.uid, uid, syntax);
        assert.equal(file.dataset.string('LossyImageCompression'), undefined);
        const d = await dicomkit('transcode', encoded, back, '--syntax', 'explicit-little');
        assert.equal(d.status, 0, d.stderr);
        const ours = (await readDicomFile(back)).dataset.bytes('PixelData')!;
        assert.ok(Buffer.from(ours).equals(Buffer.from(original)), `${syntax}: round trip`);
        // gdcmconv 3.0 has no HTJ2K decoder.
        if (uid === '1.2.840.10008.1.2.4.201') return;
        const raw = join(work, `ct-${n}-gdcm.dcm`);
        const g = await runPeerAsync('gdcmconv', ['--raw', encoded, raw]);
        assert.equal(g.status, 0, g.stderr);
        const theirs = (await readDicomFile(raw)).dataset.bytes('PixelData')!;
        assert.ok(Buffer.from(theirs).equals(Buffer.from(original)), `${syntax}: gdcmconv decodes ours`);
      }),
    );
  });

  test('lossy JPEG 2000: Lossy Image Compression, ratio, method, new UID; gdcmconv decodes it close', {
    timeout: 30_000,
  }, async () => {
    const lossy = join(work, 'ct-j2k-lossy.dcm');
    const r = await dicomkit('transcode', source, lossy, '--syntax', 'j2k');
    assert.equal(r.status, 0, r.stderr);
    const ds = (await readDicomFile(lossy)).dataset;
    const before = (await readDicomFile(source)).dataset;
    assert.equal(ds.string('LossyImageCompression'), '01');
    assert.ok(ds.number('LossyImageCompressionRatio')! > 1);
    assert.equal(ds.string('LossyImageCompressionMethod'), 'ISO_15444_1');
    assert.notEqual(ds.string('SOPInstanceUID'), before.string('SOPInstanceUID'));
    const raw = join(work, 'ct-j2k-gdcm.dcm');
    const g = await runPeerAsync('gdcmconv', ['--raw', lossy, raw]);
    assert.equal(g.status, 0, g.stderr);
    const a = new Int16Array((await readDicomFile(raw)).dataset.bytes('PixelData')!.slice().buffer);
    const b = new Int16Array(before.bytes('PixelData')!.slice().buffer);
    assert.equal(a.length, b.length);
    let sum = 0;
    for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
    const rmse = Math.sqrt(sum / a.length);
    assert.ok(rmse < 50, `RMSE ${rmse}`);
    const unknown = await dicomkit('transcode', source, join(work, 'x.dcm'), '--syntax', 'jpeg-xyz');
    assert.equal(unknown.status, 1);
    assert.match(unknown.stderr, /unknown transfer syntax 'jpeg-xyz' \(names: explicit-little/);
  });
});
