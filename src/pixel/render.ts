import { DicomError } from '../core/errors.ts';
import { DataSet } from '../object/dataset.ts';
import { type Frame, type GetFrameOptions, getFrame, type PixelSource, toRgb } from './frames.ts';
import {
  applyModality,
  type Lut,
  lookup,
  type ModalityTransform,
  modalityTransform,
  presentationLutShape,
  storedVoiLuts,
  storedWindows,
  type Window,
  windowFunction,
} from './lut.ts';
import type { PixelArray } from './native.ts';

export interface RenderOptions extends Omit<GetFrameOptions, 'colorSpace'> {
  /** A window to use instead of the stored ones; its function defaults to the stored VOI LUT Function. */
  window?: Window;
  /**
   * The VOI stage when no `window` is given: 'auto' (default) uses the first stored window,
   * else the first VOI LUT, else the frame's min-max; 'window' and 'lut' pick a stored one
   * (falling back to min-max when there is none); 'min-max' maps the frame's range.
   */
  voi?: 'auto' | 'window' | 'lut' | 'min-max';
  /** Which stored window or VOI LUT (0-based); default 0. */
  voiIndex?: number;
  /** Invert the output; default: for MONOCHROME1 or Presentation LUT Shape INVERSE. */
  invert?: boolean;
  /**
   * How grey levels become integers: 'nearest' (default) rounds, 'truncate' drops the
   * fraction as DCMTK's dcm2pnm does (its output is then matched exactly).
   */
  rounding?: 'nearest' | 'truncate';
}

/** An 8-bit image ready for display or PNG: grey (1 channel) or RGB (3 channels, interleaved). */
export interface RenderedImage {
  width: number;
  height: number;
  channels: 1 | 3;
  data: Uint8Array;
  /** The window applied (grey images rendered through a window or min-max). */
  window?: Window;
  /** The VOI LUT applied, when one was. */
  voiLut?: Lut;
}

/** Decodes and renders frame `index` to 8 bits: the grayscale pipeline for grey images, scaled RGB for colour. */
export async function renderFrame(
  input: PixelSource,
  index = 0,
  options: RenderOptions = {},
): Promise<RenderedImage> {
  const frame = await getFrame(input, index, { ...options, colorSpace: 'rgb' });
  const ds = input instanceof DataSet ? input : input.dataset;
  return renderDecodedFrame(ds, frame, options);
}

/** Renders a frame already decoded (see `renderFrame`); colour frames are converted to RGB first. */
export function renderDecodedFrame(ds: DataSet, frame: Frame, options: RenderOptions = {}): RenderedImage {
  frame = toRgb(ds, frame);
  if (frame.samplesPerPixel === 3) return renderColor(frame);
  if (frame.samplesPerPixel !== 1) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `cannot render ${frame.samplesPerPixel} samples per pixel (${frame.photometricInterpretation})`,
    );
  }
  return renderGrey(ds, frame, options);
}

/** Colour frames: each sample scaled from Bits Stored to 8 bits, rounded. */
function renderColor(frame: Frame): RenderedImage {
  const { pixels, bitsStored } = frame;
  const data = new Uint8Array(pixels.length);
  if (bitsStored === 8 && pixels instanceof Uint8Array) {
    data.set(pixels);
  } else {
    const max = 2 ** bitsStored - 1;
    const scale = 255 / max;
    for (let i = 0; i < pixels.length; i++) {
      const v = pixels[i]!;
      data[i] = v <= 0 ? 0 : v >= max ? 255 : Math.round(v * scale);
    }
  }
  return { width: frame.columns, height: frame.rows, channels: 3, data };
}

type VoiChoice = { kind: 'window'; window: Window } | { kind: 'lut'; lut: Lut } | { kind: 'min-max' };

function chooseVoi(
  ds: DataSet,
  frame: Frame,
  modality: ModalityTransform,
  options: RenderOptions,
): VoiChoice {
  const windows = storedWindows(ds, frame.index);
  if (options.window) {
    const fn = options.window.function ?? windows[0]?.function;
    return { kind: 'window', window: { ...options.window, ...(fn ? { function: fn } : {}) } };
  }
  const mode = options.voi ?? 'auto';
  const at = options.voiIndex ?? 0;
  if (mode === 'min-max') return { kind: 'min-max' };
  const signedInput =
    frame.description.pixelRepresentation === 1 || (modality.kind === 'rescale' && modality.intercept < 0);
  const luts = mode === 'window' ? [] : storedVoiLuts(ds, signedInput);
  if (mode !== 'lut' && windows[at]) return { kind: 'window', window: windows[at] };
  if (luts[at]) return { kind: 'lut', lut: luts[at] };
  return { kind: 'min-max' };
}

/**
 * Integer samples of at most 16 bits: every stored value gets its output once, in a table
 * indexed by value - min.
 */
function storedRange(frame: Frame): { min: number; size: number } | undefined {
  const { pixels, description } = frame;
  if (pixels instanceof Float32Array || pixels instanceof Float64Array) return undefined;
  if (frame.bitsStored > 16) return undefined;
  const signed = description.pixelRepresentation === 1 && description.bitsAllocated > 1;
  const size = 2 ** frame.bitsStored;
  return { min: signed ? -(size / 2) : 0, size };
}

/**
 * The grayscale pipeline of PS3.4 §N.2.1: stored values -> Modality LUT (rescale or LUT,
 * PS3.3 §C.11.1) -> VOI LUT (window with its VOI LUT Function, or a VOI LUT, PS3.3
 * §C.11.2) -> Presentation LUT (IDENTITY, or INVERSE for MONOCHROME1 and Presentation LUT
 * Shape INVERSE, PS3.3 §C.11.6) -> 8-bit P-values. Without a window or VOI LUT the frame's
 * modality range is mapped to 0..255 (as DCMTK's min-max window does).
 */
function renderGrey(ds: DataSet, frame: Frame, options: RenderOptions): RenderedImage {
  const { pixels } = frame;
  const modality = modalityTransform(ds, frame.index);
  const voi = chooseVoi(ds, frame, modality, options);
  const invert =
    options.invert ??
    (frame.photometricInterpretation === 'MONOCHROME1' || presentationLutShape(ds) === 'INVERSE');
  const range = storedRange(frame);
  // Modality outputs: by stored value when the range is small, else per pixel.
  let table: Float64Array | undefined;
  if (range) {
    table = new Float64Array(range.size);
    for (let k = 0; k < range.size; k++) table[k] = applyModality(modality, range.min + k);
  }
  const modalityOf = table
    ? (v: number) => table![v - range!.min]!
    : (v: number) => applyModality(modality, v);

  let window: Window | undefined;
  let toGrey: (m: number) => number;
  if (voi.kind === 'lut') {
    const max = 2 ** voi.lut.bits - 1;
    toGrey = (m) => (lookup(voi.lut, m) * 255) / max;
  } else {
    window = voi.kind === 'window' ? voi.window : minMaxWindow(pixels, modalityOf);
    toGrey = windowFunction(window, 0, 255);
  }
  const round = options.rounding === 'truncate' ? Math.trunc : Math.round;
  const final = (v: number): number => {
    const y = toGrey(modalityOf(v));
    const grey = y <= 0 ? 0 : y >= 255 ? 255 : round(y);
    return invert ? 255 - grey : grey;
  };
  const data = new Uint8Array(pixels.length);
  if (range) {
    const out = new Uint8Array(range.size);
    for (let k = 0; k < range.size; k++) out[k] = final(range.min + k);
    const min = range.min;
    for (let i = 0; i < pixels.length; i++) data[i] = out[pixels[i]! - min]!;
  } else {
    for (let i = 0; i < pixels.length; i++) data[i] = final(pixels[i]!);
  }
  return {
    width: frame.columns,
    height: frame.rows,
    channels: 1,
    data,
    ...(window ? { window } : {}),
    ...(voi.kind === 'lut' ? { voiLut: voi.lut } : {}),
  };
}

/**
 * A window mapping the frame's lowest modality value to 0 and its highest to 255: DCMTK's
 * min-max window, center (min + max + 1) / 2 and width max - min + 1 (LINEAR); for float
 * data LINEAR_EXACT over [min, max].
 */
export function minMaxWindow(pixels: PixelArray, modalityOf: (v: number) => number = (v) => v): Window {
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  for (let i = 0; i < pixels.length; i++) {
    const m = modalityOf(pixels[i]!);
    if (Number.isNaN(m)) continue;
    if (m < min) min = m;
    if (m > max) max = m;
  }
  if (!Number.isFinite(min) || !Number.isFinite(max)) return { center: 0, width: 1 };
  const integral = Number.isInteger(min) && Number.isInteger(max);
  if (integral) return { center: (min + max + 1) / 2, width: max - min + 1 };
  return { center: (min + max) / 2, width: max > min ? max - min : 1, function: 'LINEAR_EXACT' };
}
