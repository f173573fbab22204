import { DicomError } from '../core/errors.ts';
import { type Window, windowFunction } from './lut.ts';
import type { RenderedImage } from './render.ts';
import {
  cross,
  dot,
  patientToVoxel,
  type Vec3,
  type Volume,
  volumeCentre,
  voxelToPatient,
} from './volume.ts';

/** The three patient-aligned planes. */
export type PlaneName = 'axial' | 'coronal' | 'sagittal';

/**
 * Screen axes of each plane in patient coordinates (LPS), in the radiological convention:
 * axial seen from the feet (patient's right on the left, anterior at the top), coronal seen
 * from the front (right on the left, head at the top), sagittal seen from the patient's left
 * (anterior on the left, head at the top).
 */
export const PLANE_AXES: Readonly<Record<PlaneName, { right: Vec3; down: Vec3 }>> = {
  axial: { right: [1, 0, 0], down: [0, 1, 0] },
  coronal: { right: [1, 0, 0], down: [0, 0, -1] },
  sagittal: { right: [0, 1, 0], down: [0, 0, -1] },
};

export interface ReformatOptions {
  /** The point the planes pass through, patient coordinates in mm; default the volume centre. */
  at?: Vec3;
  /** 'linear' (default, trilinear) or 'nearest'. */
  interpolation?: 'nearest' | 'linear';
  /**
   * Size of an output pixel in mm, the same across and down so the physical aspect is right;
   * default the smallest voxel spacing.
   */
  pixelSize?: number;
  /** Refuse planes of more pixels than this; default 4096 * 4096. */
  maxPixels?: number;
}

/** One plane through a volume, in modality units; NaN outside the volume. */
export interface Reformat {
  plane: PlaneName;
  width: number;
  height: number;
  values: Float32Array;
  /** Millimetres per pixel, across and down. */
  pixelSize: number;
  /** Patient coordinates of the centre of pixel (0, 0). */
  origin: Vec3;
  /** Unit vectors of the pixel columns (rightwards) and rows (downwards), patient coordinates. */
  right: Vec3;
  down: Vec3;
  /** The point the plane passes through. */
  at: Vec3;
}

/** The 8 outer corners of the volume (voxel boxes, not centres), in patient coordinates. */
function corners(volume: Volume): Vec3[] {
  const out: Vec3[] = [];
  for (const i of [-0.5, volume.dims[0] - 0.5])
    for (const j of [-0.5, volume.dims[1] - 0.5])
      for (const k of [-0.5, volume.dims[2] - 0.5]) out.push(voxelToPatient(volume, [i, j, k]));
  return out;
}

/**
 * Resamples the volume on one patient-aligned plane through `at`, covering the volume's
 * extent along the plane's axes with square pixels of `pixelSize` mm, so anisotropic voxels
 * (thick slices) come out with the right physical aspect.
 */
export function reformat(volume: Volume, plane: PlaneName, options: ReformatOptions = {}): Reformat {
  const { right, down } = PLANE_AXES[plane];
  const normal = cross(right, down);
  const at = options.at ?? volumeCentre(volume);
  const pixelSize = options.pixelSize ?? Math.min(...volume.spacing);
  if (!(pixelSize > 0)) throw new DicomError('ERR_INVALID_VALUE', `pixel size ${pixelSize} mm is not > 0`);
  let uMin = Number.POSITIVE_INFINITY;
  let uMax = Number.NEGATIVE_INFINITY;
  let vMin = Number.POSITIVE_INFINITY;
  let vMax = Number.NEGATIVE_INFINITY;
  for (const corner of corners(volume)) {
    const u = dot(corner, right);
    const v = dot(corner, down);
    uMin = Math.min(uMin, u);
    uMax = Math.max(uMax, u);
    vMin = Math.min(vMin, v);
    vMax = Math.max(vMax, v);
  }
  const width = Math.max(1, Math.round((uMax - uMin) / pixelSize));
  const height = Math.max(1, Math.round((vMax - vMin) / pixelSize));
  const maxPixels = options.maxPixels ?? 4096 * 4096;
  if (width * height > maxPixels) {
    throw new DicomError(
      'ERR_VALUE_TOO_LARGE',
      `a ${plane} plane of ${width}x${height} pixels of ${pixelSize} mm exceeds ${maxPixels} pixels`,
    );
  }
  // Centre of pixel (0, 0): half a pixel in from the corner of the extent, on the plane through `at`.
  const w = dot(at, normal);
  const u0 = (uMin + uMax) / 2 - ((width - 1) / 2) * pixelSize;
  const v0 = (vMin + vMax) / 2 - ((height - 1) / 2) * pixelSize;
  const origin: Vec3 = [0, 1, 2].map((a) => w * normal[a]! + u0 * right[a]! + v0 * down[a]!) as Vec3;
  // Voxel index is affine in (x, y): index = base + x * stepX + y * stepY.
  const base = patientToVoxel(volume, origin);
  const atRight = patientToVoxel(volume, [0, 1, 2].map((a) => origin[a]! + pixelSize * right[a]!) as Vec3);
  const atDown = patientToVoxel(volume, [0, 1, 2].map((a) => origin[a]! + pixelSize * down[a]!) as Vec3);
  const stepX = [0, 1, 2].map((a) => atRight[a]! - base[a]!) as Vec3;
  const stepY = [0, 1, 2].map((a) => atDown[a]! - base[a]!) as Vec3;
  const values = new Float32Array(width * height);
  const sample = options.interpolation === 'nearest' ? nearestSampler(volume) : linearSampler(volume);
  for (let y = 0; y < height; y++) {
    const i0 = base[0] + y * stepY[0];
    const j0 = base[1] + y * stepY[1];
    const k0 = base[2] + y * stepY[2];
    for (let x = 0; x < width; x++) {
      values[y * width + x] = sample(i0 + x * stepX[0], j0 + x * stepX[1], k0 + x * stepX[2]);
    }
  }
  return { plane, width, height, values, pixelSize, origin, right: [...right], down: [...down], at: [...at] };
}

type Sampler = (i: number, j: number, k: number) => number;

function nearestSampler(volume: Volume): Sampler {
  const [nx, ny, nz] = volume.dims;
  const { voxels } = volume;
  const plane = nx * ny;
  return (i, j, k) => {
    const x = Math.round(i);
    const y = Math.round(j);
    const z = Math.round(k);
    if (x < 0 || y < 0 || z < 0 || x >= nx || y >= ny || z >= nz) return Number.NaN;
    return voxels[x + y * nx + z * plane]!;
  };
}

/** Trilinear between voxel centres; up to half a voxel beyond the outer centres takes the edge value. */
function linearSampler(volume: Volume): Sampler {
  const [nx, ny, nz] = volume.dims;
  const { voxels } = volume;
  const plane = nx * ny;
  const axis = (c: number, n: number): [number, number, number] | undefined => {
    if (!(c >= -0.5 && c <= n - 0.5)) return undefined;
    const clamped = Math.min(Math.max(c, 0), n - 1);
    const lo = Math.min(Math.floor(clamped), Math.max(0, n - 2));
    const hi = Math.min(lo + 1, n - 1);
    return [lo, hi, clamped - lo];
  };
  return (i, j, k) => {
    const a = axis(i, nx);
    const b = axis(j, ny);
    const c = axis(k, nz);
    if (!a || !b || !c) return Number.NaN;
    const [x0, x1, tx] = a;
    const [y0, y1, ty] = b;
    const [z0, z1, tz] = c;
    const at = (x: number, y: number, z: number) => voxels[x + y * nx + z * plane]!;
    const lerp = (p: number, q: number, t: number) => p + (q - p) * t;
    const c00 = lerp(at(x0, y0, z0), at(x1, y0, z0), tx);
    const c10 = lerp(at(x0, y1, z0), at(x1, y1, z0), tx);
    const c01 = lerp(at(x0, y0, z1), at(x1, y0, z1), tx);
    const c11 = lerp(at(x0, y1, z1), at(x1, y1, z1), tx);
    return lerp(lerp(c00, c10, ty), lerp(c01, c11, ty), tz);
  };
}

export interface RenderReformatOptions {
  /** Default the volume's window (stored, else min-max). */
  window?: Window;
  /** Show low values bright; default for MONOCHROME1 volumes. */
  invert?: boolean;
}

/** A plane to 8-bit grey through a window (PS3.3 §C.11.2.1.2); outside the volume is black. */
export function renderReformat(reformat: Reformat, window: Window, invert = false): RenderedImage {
  const toGrey = windowFunction(window, 0, 255);
  const { values } = reformat;
  const data = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = values[i]!;
    if (Number.isNaN(v)) continue;
    const y = toGrey(v);
    const grey = y <= 0 ? 0 : y >= 255 ? 255 : Math.round(y);
    data[i] = invert ? 255 - grey : grey;
  }
  return { width: reformat.width, height: reformat.height, channels: 1, data, window };
}

export interface MprOptions extends ReformatOptions, RenderReformatOptions {
  /** Planes left to right; default axial, coronal, sagittal. */
  planes?: PlaneName[];
  /** Black pixels between panels; default 4. */
  gap?: number;
}

/** Where a plane sits in an MPR image and which patient point each of its pixels shows. */
export interface MprPanel {
  plane: PlaneName;
  /** Top-left pixel of the panel in the MPR image. */
  x: number;
  y: number;
  width: number;
  height: number;
  pixelSize: number;
  /** Patient coordinates of the centre of the panel's pixel (0, 0), and its axes. */
  origin: Vec3;
  right: Vec3;
  down: Vec3;
}

export interface MprImage extends RenderedImage {
  window: Window;
  at: Vec3;
  panels: MprPanel[];
}

/**
 * Axial, coronal and sagittal planes through one point, rendered to 8-bit grey and placed side
 * by side (top-aligned, on black).
 */
export function renderMpr(volume: Volume, options: MprOptions = {}): MprImage {
  const at = options.at ?? volumeCentre(volume);
  const window = options.window ?? volume.window;
  const invert = options.invert ?? volume.photometricInterpretation === 'MONOCHROME1';
  const gap = options.gap ?? 4;
  const planes = options.planes ?? ['axial', 'coronal', 'sagittal'];
  const rendered = planes.map((plane) => {
    const r = reformat(volume, plane, { ...options, at });
    return { r, image: renderReformat(r, window, invert) };
  });
  const width = rendered.reduce((sum, p) => sum + p.r.width, 0) + gap * (planes.length - 1);
  const height = Math.max(...rendered.map((p) => p.r.height));
  const data = new Uint8Array(width * height);
  const panels: MprPanel[] = [];
  let x = 0;
  for (const { r, image } of rendered) {
    for (let row = 0; row < r.height; row++)
      data.set(image.data.subarray(row * r.width, (row + 1) * r.width), row * width + x);
    panels.push({
      plane: r.plane,
      x,
      y: 0,
      width: r.width,
      height: r.height,
      pixelSize: r.pixelSize,
      origin: r.origin,
      right: r.right,
      down: r.down,
    });
    x += r.width + gap;
  }
  return { width, height, channels: 1, data, window, at, panels };
}
