import { mapConcurrently } from '../core/concurrency.ts';
import { DicomError } from '../core/errors.ts';
import { DataSet } from '../object/dataset.ts';
import { type PixelDescription, pixelDescription } from './description.ts';
import { type GetFrameOptions, getFrame, type PixelSource } from './frames.ts';
import {
  applyModality,
  type ModalityTransform,
  modalityTransform,
  storedWindows,
  type Window,
} from './lut.ts';
import { minMaxWindow } from './render.ts';

/** A point or direction in patient coordinates (PS3.3 §C.7.6.2.1.1: LPS, millimetres). */
export type Vec3 = [number, number, number];

export interface VolumeOptions extends Omit<GetFrameOptions, 'colorSpace' | 'transferSyntaxUid'> {
  /**
   * Keep only the images of this series. Without it every input must belong to one series
   * (`groupBySeries` splits a folder's files).
   */
  seriesInstanceUid?: string;
  /** Largest difference between direction cosines still the same orientation; default 1e-3. */
  orientationTolerance?: number;
  /**
   * Largest difference, in mm, between one gap between slices and the mean gap still called
   * regular; default 1% of the mean gap (at least 0.001 mm).
   */
  spacingTolerance?: number;
  /**
   * Irregular spacing (a missing slice, mixed thicknesses): 'resample' (default) interpolates
   * linearly onto a regular grid at the median gap and says so in `warnings`; 'error' throws.
   */
  irregularSpacing?: 'resample' | 'error';
  /**
   * 'auto' (default): Int16Array when every slice's modality output is integral (integer
   * Rescale Slope and Intercept, or a Modality LUT) and every voxel fits 16 signed bits (CT
   * after Rescale), else Float32Array. 'int16' rounds and clamps.
   */
  voxelType?: 'auto' | 'float32' | 'int16';
  /** Frames decoded at once (codec workers run them in parallel); default 4. */
  concurrency?: number;
}

/** Where one slice of a volume came from. */
export interface VolumeSlice {
  /** Distance along the slice normal (mm, `position · normal`). */
  position: number;
  /** Image Position (Patient) of the slice's first voxel. */
  imagePosition: Vec3;
  sopInstanceUid?: string;
  instanceNumber?: number;
  /** 0-based frame of a multi-frame object. */
  frame: number;
}

/**
 * A series (or a multi-frame object) as a 3-D grid of voxels in modality units (after Rescale
 * Slope/Intercept or the Modality LUT). Voxel (i, j, k) is `voxels[i + j * dims[0] + k *
 * dims[0] * dims[1]]`; its centre in patient coordinates is `origin + i * spacing[0] *
 * direction[0] + j * spacing[1] * direction[1] + k * spacing[2] * direction[2]`
 * (`voxelToPatient`).
 */
export interface Volume {
  /** Columns, rows, slices. */
  dims: Vec3;
  /**
   * Millimetres between voxel centres along each axis of `direction`: Pixel Spacing's column
   * spacing (its second value), its row spacing (first value), and the step between slices.
   */
  spacing: Vec3;
  /** Centre of voxel (0, 0, 0): Image Position (Patient) of the first slice. */
  origin: Vec3;
  /**
   * Unit vectors of the i, j and k axes: Image Orientation (Patient)'s row and column
   * cosines, and the direction from one slice to the next (the `normal`, unless the slices
   * are sheared, as by a tilted CT gantry).
   */
  direction: [Vec3, Vec3, Vec3];
  /** Row cosines × column cosines: the slice normal the slices were sorted along. */
  normal: Vec3;
  /** Distance between slice planes along the normal (mm). */
  sliceSpacing: number;
  voxels: Float32Array | Int16Array;
  /** A window for display: the stored one of the slice nearest the middle, else the voxels' min-max. */
  window: Window;
  windowSource: 'stored' | 'min-max';
  /** MONOCHROME1 volumes show low values bright. */
  photometricInterpretation: 'MONOCHROME1' | 'MONOCHROME2';
  /** The source slices in volume order (before any resampling). */
  slices: VolumeSlice[];
  /** Largest difference between one gap and the mean gap (mm). */
  spacingDeviation: number;
  /** True when irregular spacing was interpolated onto a regular grid. */
  resampled: boolean;
  /** Things that were tolerated: resampling, shear, mixed bit depths, frames of reference. */
  warnings: string[];
  seriesInstanceUid?: string;
  frameOfReferenceUid?: string;
  modality?: string;
  /** Rescale Type (HU, US...) when given. */
  units?: string;
}

interface SliceRef {
  source: PixelSource;
  ds: DataSet;
  frame: number;
  position: Vec3;
  row: Vec3;
  column: Vec3;
  /** Pixel Spacing: between rows, between columns. */
  pixelSpacing: [number, number];
  description: PixelDescription;
  /** Spacing Between Slices or Slice Thickness, for a volume of one slice. */
  thickness?: number;
  label: string;
}

const PER_FRAME = 0x52009230;
const SHARED = 0x52009229;
const PLANE_POSITION = 0x00209113;
const PLANE_ORIENTATION = 0x00209116;
const PIXEL_MEASURES = 0x00289110;
const GRID_FRAME_OFFSET_VECTOR = 0x3004000c;
const DOSE_GRID_SCALING = 0x3004000e;

function dataSetOf(source: PixelSource): DataSet {
  return source instanceof DataSet ? source : source.dataset;
}

export const dot = (a: Vec3, b: Vec3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Vec3, b: Vec3): Vec3 => [
  a[1] * b[2] - a[2] * b[1],
  a[2] * b[0] - a[0] * b[2],
  a[0] * b[1] - a[1] * b[0],
];
const sub = (a: Vec3, b: Vec3): Vec3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale = (a: Vec3, s: number): Vec3 => [a[0] * s, a[1] * s, a[2] * s];
const norm = (a: Vec3): number => Math.hypot(a[0], a[1], a[2]);

/**
 * The series of each input: Series Instance UID to its data sets or files, in input order
 * (inputs without Pixel Data are left out; those without a series UID go under '').
 */
export function groupBySeries<T extends PixelSource>(inputs: Iterable<T>): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const input of inputs) {
    const ds = dataSetOf(input);
    if (!ds.has(0x7fe00010) && !ds.has(0x7fe00008) && !ds.has(0x7fe00009)) continue;
    const uid = ds.string('SeriesInstanceUID')?.trim() ?? '';
    const list = groups.get(uid);
    if (list) list.push(input);
    else groups.set(uid, [input]);
  }
  return groups;
}

/** The first item of a functional group macro for frame `index`: per-frame, else shared. */
function functionalGroup(ds: DataSet, index: number, macro: number): DataSet | undefined {
  return (
    ds.sequence(PER_FRAME)?.[index]?.sequence(macro)?.[0] ?? ds.sequence(SHARED)?.[0]?.sequence(macro)?.[0]
  );
}

function vector(values: number[] | undefined, from: number): Vec3 | undefined {
  if (!values || values.length < from + 3) return undefined;
  const v: Vec3 = [values[from]!, values[from + 1]!, values[from + 2]!];
  return v.every(Number.isFinite) ? v : undefined;
}

function unit(v: Vec3, what: string, label: string): Vec3 {
  const n = norm(v);
  if (!(n > 0.5 && n < 1.5)) {
    throw new DicomError('ERR_INVALID_VALUE', `${label}: ${what} (${v.join(', ')}) is not a unit vector`);
  }
  return scale(v, 1 / n);
}

/** The slices one data set contributes: one per frame, placed by its plane position. */
function slicesOf(source: PixelSource, inputIndex: number): SliceRef[] {
  const ds = dataSetOf(source);
  const description = pixelDescription(ds);
  const sop = ds.string('SOPInstanceUID')?.trim();
  const name = sop ?? `input ${inputIndex + 1}`;
  const frames = description.numberOfFrames;
  const enhanced = ds.sequence(PER_FRAME) !== undefined;
  const out: SliceRef[] = [];
  for (let frame = 0; frame < frames; frame++) {
    const label = frames > 1 ? `${name} frame ${frame + 1}` : name;
    const orientationItem = enhanced ? functionalGroup(ds, frame, PLANE_ORIENTATION) : undefined;
    const iop = (orientationItem ?? ds).numbers('ImageOrientationPatient');
    const measures = enhanced ? functionalGroup(ds, frame, PIXEL_MEASURES) : undefined;
    const spacing = (measures ?? ds).numbers('PixelSpacing') ?? ds.numbers('PixelSpacing');
    const rowRaw = vector(iop, 0);
    const columnRaw = vector(iop, 3);
    if (!rowRaw || !columnRaw) {
      throw new DicomError('ERR_INVALID_VALUE', `${label}: no Image Orientation (Patient)`);
    }
    if (!spacing || spacing.length < 2 || !(spacing[0]! > 0) || !(spacing[1]! > 0)) {
      throw new DicomError('ERR_INVALID_VALUE', `${label}: no Pixel Spacing`);
    }
    const row = unit(rowRaw, 'the row direction', label);
    const column = unit(columnRaw, 'the column direction', label);
    if (Math.abs(dot(row, column)) > 1e-2) {
      throw new DicomError('ERR_INVALID_VALUE', `${label}: row and column directions are not orthogonal`);
    }
    const between =
      (measures ?? ds).number('SpacingBetweenSlices') ?? (measures ?? ds).number('SliceThickness');
    let position: Vec3 | undefined;
    if (enhanced) {
      position = vector(
        ds.sequence(PER_FRAME)?.[frame]?.sequence(PLANE_POSITION)?.[0]?.numbers('ImagePositionPatient'),
        0,
      );
    }
    if (!position && frames > 1 && !enhanced) {
      // A multi-frame image without per-frame positions: frames along the normal from Image
      // Position (Patient) at the Grid Frame Offset Vector of RT Dose (PS3.3 §C.8.8.3.2: relative
      // when its first value is 0, else z coordinates, which the difference covers too), else
      // at Spacing Between Slices.
      const first = vector(ds.numbers('ImagePositionPatient'), 0);
      const offsets = ds.numbers(GRID_FRAME_OFFSET_VECTOR);
      const step = ds.number('SpacingBetweenSlices');
      const normal = cross(row, column);
      let distance: number | undefined;
      if (offsets && offsets.length >= frames) distance = offsets[frame]! - offsets[0]!;
      else if (step !== undefined && step !== 0) distance = frame * step;
      if (first && distance !== undefined && Number.isFinite(distance)) {
        position = [0, 1, 2].map((a) => first[a]! + distance * normal[a]!) as Vec3;
      }
    }
    position ??= frames === 1 ? vector(ds.numbers('ImagePositionPatient'), 0) : undefined;
    if (!position) throw new DicomError('ERR_INVALID_VALUE', `${label}: no Image Position (Patient)`);
    out.push({
      source,
      ds,
      frame,
      position,
      row,
      column,
      pixelSpacing: [spacing[0]!, spacing[1]!],
      description,
      ...(between !== undefined && between > 0 ? { thickness: between } : {}),
      label,
    });
  }
  return out;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** Checks that every slice has the first one's size, orientation, pixel spacing and pixel layout. */
function checkConsistent(slices: SliceRef[], tolerance: number, warnings: string[]): void {
  const first = slices[0]!;
  const d0 = first.description;
  if (d0.samplesPerPixel !== 1) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${first.label}: a volume needs grey images, not ${d0.samplesPerPixel} samples per pixel (${d0.photometricInterpretation})`,
    );
  }
  if (d0.photometricInterpretation !== 'MONOCHROME1' && d0.photometricInterpretation !== 'MONOCHROME2') {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${first.label}: a volume needs MONOCHROME1 or MONOCHROME2 images, not ${d0.photometricInterpretation}`,
    );
  }
  let mixedBits = false;
  for (const s of slices) {
    const d = s.description;
    if (d.rows !== d0.rows || d.columns !== d0.columns) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${s.label} is ${d.columns}x${d.rows} but ${first.label} is ${d0.columns}x${d0.rows}: not one volume`,
      );
    }
    if (d.samplesPerPixel !== 1 || d.photometricInterpretation !== d0.photometricInterpretation) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${s.label} is ${d.photometricInterpretation} but ${first.label} is ${d0.photometricInterpretation}`,
      );
    }
    const cosines = [...s.row, ...s.column];
    const reference = [...first.row, ...first.column];
    if (cosines.some((c, i) => Math.abs(c - reference[i]!) > tolerance)) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${s.label} has orientation ${cosines.map((c) => +c.toFixed(4)).join('\\')} but ${first.label} ${reference.map((c) => +c.toFixed(4)).join('\\')}: not one volume`,
      );
    }
    const [r, c] = s.pixelSpacing;
    const [r0, c0] = first.pixelSpacing;
    if (Math.abs(r - r0) > 1e-3 * r0 || Math.abs(c - c0) > 1e-3 * c0) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${s.label} has Pixel Spacing ${r}\\${c} but ${first.label} ${r0}\\${c0}: not one volume`,
      );
    }
    if (
      d.bitsAllocated !== d0.bitsAllocated ||
      d.bitsStored !== d0.bitsStored ||
      d.pixelRepresentation !== d0.pixelRepresentation ||
      d.isFloat !== d0.isFloat
    )
      mixedBits = true;
  }
  if (mixedBits)
    warnings.push('slices differ in Bits Stored or Pixel Representation (read in modality units)');
}

/** RT Dose: stored values times Dose Grid Scaling are the dose in Dose Units (PS3.3 §C.8.8.3). */
function withDoseScaling(ds: DataSet, transform: ModalityTransform): ModalityTransform {
  const scaling = ds.number(DOSE_GRID_SCALING);
  if (transform.kind !== 'rescale' || scaling === undefined || !(scaling > 0)) return transform;
  const units = ds.string('DoseUnits')?.trim();
  return {
    kind: 'rescale',
    slope: transform.slope * scaling,
    intercept: transform.intercept * scaling,
    ...(units ? { type: units } : {}),
  };
}

/** True when the modality output of a slice is integral whatever its stored values. */
function integralOutput(transform: ModalityTransform, d: PixelDescription): boolean {
  if (d.isFloat || d.bitsStored > 16) return false;
  return (
    transform.kind === 'lut' || (Number.isInteger(transform.slope) && Number.isInteger(transform.intercept))
  );
}

/**
 * The direction from slice to slice: from the first position to the last, which is the normal
 * unless the slices are sheared (a tilted CT gantry); warns about shear and stray positions.
 */
function sliceAxis(sorted: SliceRef[], normal: Vec3, minInPlane: number, warnings: string[]): Vec3 {
  const n = sorted.length;
  if (n < 2) return normal;
  const span = sub(sorted[n - 1]!.position, sorted[0]!.position);
  const axis = scale(span, 1 / norm(span));
  let offAxis = 0;
  for (let k = 1; k < n - 1; k++) {
    const rel = sub(sorted[k]!.position, sorted[0]!.position);
    offAxis = Math.max(offAxis, norm(sub(rel, scale(axis, dot(rel, axis)))));
  }
  if (offAxis > 0.5 * minInPlane) {
    warnings.push(`slice positions stray up to ${offAxis.toFixed(2)} mm from a straight line`);
  }
  const tilt = (Math.acos(Math.min(1, Math.abs(dot(axis, normal)))) * 180) / Math.PI;
  if (tilt > 0.01)
    warnings.push(`slices are sheared by ${tilt.toFixed(2)}° (gantry tilt): the grid follows them`);
  return axis;
}

/**
 * Decodes the sorted slices (`concurrency` at a time) into one stack in modality units. Int16
 * when asked, or (auto) while every value is integral and fits: the first value that does not
 * fit turns the stack into Float32 (values already in it are exact).
 */
async function decodeStack(
  sorted: SliceRef[],
  transforms: ModalityTransform[],
  planeSize: number,
  options: VolumeOptions,
): Promise<Float32Array | Int16Array> {
  const n = sorted.length;
  const auto = (options.voxelType ?? 'auto') === 'auto';
  const int16 =
    options.voxelType === 'int16' ||
    (auto && sorted.every((s, k) => integralOutput(transforms[k]!, s.description)));
  let stack: Float32Array | Int16Array = int16
    ? new Int16Array(planeSize * n)
    : new Float32Array(planeSize * n);
  const frameOptions: GetFrameOptions = { colorSpace: 'native' };
  if (options.bulkSource) frameOptions.bulkSource = options.bulkSource;
  if (options.codecs) frameOptions.codecs = options.codecs;
  if (options.signal) frameOptions.signal = options.signal;
  const decodeOne = async (k: number): Promise<void> => {
    const slice = sorted[k]!;
    const frame = await getFrame(slice.source, slice.frame, frameOptions);
    const transform = transforms[k]!;
    const pixels = frame.pixels;
    const values = new Float64Array(planeSize);
    if (transform.kind === 'rescale') {
      const { slope, intercept } = transform;
      for (let i = 0; i < planeSize; i++) values[i] = pixels[i]! * slope + intercept;
    } else {
      for (let i = 0; i < planeSize; i++) values[i] = applyModality(transform, pixels[i]!);
    }
    if (stack instanceof Int16Array && auto) {
      let low = 0;
      let high = 0;
      for (let i = 0; i < planeSize; i++) {
        const v = values[i]!;
        if (v < low) low = v;
        else if (v > high) high = v;
      }
      if (low < -32768 || high > 32767) stack = new Float32Array(stack);
    } else if (stack instanceof Int16Array) {
      // Forced 16 bits: rounded and clamped.
      for (let i = 0; i < planeSize; i++)
        values[i] = Math.max(-32768, Math.min(32767, Math.round(values[i]!)));
    }
    // Synchronous from here on: `stack` is the current one even if another slice widened it.
    stack.set(values, k * planeSize);
  };
  await mapConcurrently(sorted, options.concurrency ?? 4, (_, k) => decodeOne(k));
  return stack;
}

/** Slices at irregular `positions` interpolated linearly onto `count` slices `step` apart. */
function resampleStack(
  stack: Float32Array | Int16Array,
  positions: number[],
  step: number,
  count: number,
  planeSize: number,
): Float32Array | Int16Array {
  const n = positions.length;
  const integral = stack instanceof Int16Array;
  const voxels = integral ? new Int16Array(planeSize * count) : new Float32Array(planeSize * count);
  let below = 0;
  for (let k = 0; k < count; k++) {
    const p = positions[0]! + k * step;
    while (below < n - 2 && positions[below + 1]! <= p) below++;
    const p0 = positions[below]!;
    const p1 = positions[below + 1]!;
    const t = Math.min(1, Math.max(0, (p - p0) / (p1 - p0)));
    const a = stack.subarray(below * planeSize, (below + 1) * planeSize);
    const b = stack.subarray((below + 1) * planeSize, (below + 2) * planeSize);
    const out = voxels.subarray(k * planeSize, (k + 1) * planeSize);
    if (integral) for (let i = 0; i < planeSize; i++) out[i] = Math.round(a[i]! + (b[i]! - a[i]!) * t);
    else for (let i = 0; i < planeSize; i++) out[i] = a[i]! + (b[i]! - a[i]!) * t;
  }
  return voxels;
}

/**
 * Builds a volume from the images of one series (or the frames of a multi-frame object, placed
 * by their Plane Position functional group): slices are sorted by Image Position (Patient)
 * projected on the slice normal (row × column cosines of Image Orientation (Patient)), never
 * by Instance Number, and must share their size, orientation, Pixel Spacing and photometric
 * interpretation. Frames are decoded with `getFrame` (through the codec registry) and stored
 * in modality units.
 */
export async function buildVolume(
  inputs: Iterable<PixelSource>,
  options: VolumeOptions = {},
): Promise<Volume> {
  let sources = [...inputs];
  const warnings: string[] = [];
  const groups = groupBySeries(sources);
  if (options.seriesInstanceUid !== undefined) {
    sources = groups.get(options.seriesInstanceUid) ?? [];
    if (sources.length === 0)
      throw new DicomError('ERR_INVALID_VALUE', `no image of series ${options.seriesInstanceUid}`);
  } else if (groups.size > 1) {
    const list = [...groups].map(([uid, items]) => `${uid || '(none)'}: ${items.length}`).join(', ');
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `the images belong to ${groups.size} series (${list}); choose one`,
    );
  } else {
    sources = [...(groups.values().next().value ?? [])];
  }
  if (sources.length === 0)
    throw new DicomError('ERR_INVALID_VALUE', 'no image with pixel data to build a volume');

  const slices = sources.flatMap((source, i) => slicesOf(source, i));
  const first = slices[0]!;
  checkConsistent(slices, options.orientationTolerance ?? 1e-3, warnings);
  const normal = unit(cross(first.row, first.column), 'the slice normal', first.label);
  const along = slices.map((s) => dot(s.position, normal));
  const order = slices.map((_, i) => i).sort((a, b) => along[a]! - along[b]!);
  const sorted = order.map((i) => slices[i]!);
  const positions = order.map((i) => along[i]!);

  const [rowSpacing, columnSpacing] = first.pixelSpacing;
  const n = sorted.length;
  const gaps: number[] = [];
  for (let k = 1; k < n; k++) gaps.push(positions[k]! - positions[k - 1]!);
  const minInPlane = Math.min(rowSpacing, columnSpacing);
  for (let k = 0; k < gaps.length; k++) {
    if (gaps[k]! < 1e-3 * minInPlane + 1e-4) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `${sorted[k]!.label} and ${sorted[k + 1]!.label} are at the same position (${positions[k]!.toFixed(3)} mm along the normal): several acquisitions or phases in one series`,
      );
    }
  }

  // Spacing: regular within tolerance, else resampled at the median gap.
  const mean = n > 1 ? (positions[n - 1]! - positions[0]!) / (n - 1) : (first.thickness ?? 1);
  const deviation = gaps.reduce((worst, g) => Math.max(worst, Math.abs(g - mean)), 0);
  const tolerance = options.spacingTolerance ?? Math.max(1e-3, 0.01 * mean);
  let gridStep = mean;
  let gridCount = n;
  let resampled = false;
  if (deviation > tolerance) {
    const range = `${Math.min(...gaps).toFixed(3)}..${Math.max(...gaps).toFixed(3)} mm`;
    if (options.irregularSpacing === 'error') {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `irregular slice spacing: gaps of ${range} (tolerance ${tolerance.toFixed(3)} mm)`,
      );
    }
    gridStep = median(gaps);
    gridCount = Math.round((positions[n - 1]! - positions[0]!) / gridStep) + 1;
    resampled = true;
    warnings.push(
      `irregular slice spacing: gaps of ${range}; resampled to ${gridCount} slices ${gridStep.toFixed(3)} mm apart`,
    );
  }

  const axis = sliceAxis(sorted, normal, minInPlane, warnings);
  const axisStep = gridStep / dot(axis, normal);

  // Frames of reference and series.
  const frameOfReference = new Set(sorted.map((s) => s.ds.string('FrameOfReferenceUID')?.trim() ?? ''));
  if (frameOfReference.size > 1) warnings.push('the slices have different Frames of Reference');

  const columns = first.description.columns;
  const rows = first.description.rows;
  const planeSize = columns * rows;
  const transforms = sorted.map((s) => withDoseScaling(s.ds, modalityTransform(s.ds, s.frame)));
  const stack = await decodeStack(sorted, transforms, planeSize, options);
  const voxels = resampled ? resampleStack(stack, positions, gridStep, gridCount, planeSize) : stack;

  // Window: the stored window of the slice nearest the middle that has one, else the voxels' range.
  let stored: Window | undefined;
  for (let d = 0; d < n && !stored; d++) {
    for (const k of [(n >> 1) - d, (n >> 1) + d]) {
      const s = sorted[k];
      if (s && !stored) stored = storedWindows(s.ds, s.frame)[0];
    }
  }
  const window = stored ?? minMaxWindow(voxels);
  const ds0 = first.ds;
  const series = ds0.string('SeriesInstanceUID')?.trim();
  const frameOfReferenceUid = ds0.string('FrameOfReferenceUID')?.trim();
  const modality = ds0.string('Modality')?.trim();
  const units = transforms[0]!.kind === 'rescale' ? transforms[0]!.type?.trim() : undefined;
  return {
    dims: [columns, rows, gridCount],
    spacing: [columnSpacing, rowSpacing, axisStep],
    origin: [...sorted[0]!.position],
    direction: [[...first.row], [...first.column], axis],
    normal,
    sliceSpacing: gridStep,
    voxels,
    window,
    windowSource: stored ? 'stored' : 'min-max',
    photometricInterpretation: first.description.photometricInterpretation as 'MONOCHROME1' | 'MONOCHROME2',
    slices: sorted.map((s, k) => {
      const sop = s.ds.string('SOPInstanceUID')?.trim();
      const instance = s.ds.number('InstanceNumber');
      return {
        position: positions[k]!,
        imagePosition: [...s.position],
        frame: s.frame,
        ...(sop ? { sopInstanceUid: sop } : {}),
        ...(instance !== undefined ? { instanceNumber: instance } : {}),
      };
    }),
    spacingDeviation: deviation,
    resampled,
    warnings,
    ...(series ? { seriesInstanceUid: series } : {}),
    ...(frameOfReferenceUid ? { frameOfReferenceUid } : {}),
    ...(modality ? { modality } : {}),
    ...(units ? { units } : {}),
  };
}

/** The patient coordinates (mm) of a continuous voxel index (i, j, k). */
export function voxelToPatient(volume: Volume, index: Vec3): Vec3 {
  const { origin, spacing, direction } = volume;
  const out: Vec3 = [...origin];
  for (let a = 0; a < 3; a++) {
    for (let axis = 0; axis < 3; axis++) out[a] += index[axis]! * spacing[axis]! * direction[axis]![a]!;
  }
  return out;
}

/** The continuous voxel index of a point in patient coordinates (inverse of `voxelToPatient`). */
export function patientToVoxel(volume: Volume, point: Vec3): Vec3 {
  const { origin, spacing, direction } = volume;
  const [a, b, c] = direction.map((d, axis) => scale(d, spacing[axis]!)) as [Vec3, Vec3, Vec3];
  // Solve [a b c] x = point - origin by Cramer's rule (the axes need not be orthogonal).
  const r = sub(point, origin);
  const det = dot(a, cross(b, c));
  return [dot(r, cross(b, c)) / det, dot(a, cross(r, c)) / det, dot(a, cross(b, r)) / det];
}

/** The centre of the volume in patient coordinates. */
export function volumeCentre(volume: Volume): Vec3 {
  return voxelToPatient(volume, [
    (volume.dims[0] - 1) / 2,
    (volume.dims[1] - 1) / 2,
    (volume.dims[2] - 1) / 2,
  ]);
}
