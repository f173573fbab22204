import { DicomError } from '../core/errors.ts';
/** (7FE0,0010) Pixel Data, (7FE0,0008) Float Pixel Data, (7FE0,0009) Double Float Pixel Data. */
import { PIXEL_DATA } from '../core/tag.ts';
import type { DataSet } from '../object/dataset.ts';
import type { Element } from '../object/element.ts';

export { PIXEL_DATA };
export const FLOAT_PIXEL_DATA = 0x7fe00008;
export const DOUBLE_FLOAT_PIXEL_DATA = 0x7fe00009;
/** (7FE0,0001) Extended Offset Table and (7FE0,0002) its lengths (PS3.5 §A.4). */
export const EXTENDED_OFFSET_TABLE = 0x7fe00001;
export const EXTENDED_OFFSET_TABLE_LENGTHS = 0x7fe00002;

/**
 * The attributes of the Image Pixel Module (PS3.3 §C.7.6.3) that say how to read the
 * pixel data: geometry, sample layout and photometric interpretation.
 */
export interface PixelDescription {
  rows: number;
  columns: number;
  /** 1 for monochrome and palette colour, 3 for RGB and YBR. */
  samplesPerPixel: number;
  /** 1 or a multiple of 8; 32 or 64 for float pixel data. */
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 unsigned, 1 two's complement (PS3.3 §C.7.6.3.1). */
  pixelRepresentation: 0 | 1;
  /** 0 colour-by-pixel (R1G1B1R2...), 1 colour-by-plane (R1R2...G1G2...); 0 when absent. */
  planarConfiguration: 0 | 1;
  photometricInterpretation: string;
  /** Number of Frames (0028,0008), 1 when absent. */
  numberOfFrames: number;
  /** Float Pixel Data (7FE0,0008) or Double Float Pixel Data (7FE0,0009) (PS3.3 §C.7.6.3.1.4). */
  isFloat: boolean;
  /** The tag holding the pixels: Pixel Data, Float Pixel Data or Double Float Pixel Data. */
  pixelDataTag: number;
}

/** The pixel data element of a data set: Pixel Data, else Float, else Double Float Pixel Data. */
export function pixelDataElement(ds: DataSet): Element | undefined {
  return ds.element(PIXEL_DATA) ?? ds.element(FLOAT_PIXEL_DATA) ?? ds.element(DOUBLE_FLOAT_PIXEL_DATA);
}

function required(ds: DataSet, keyword: 'Rows' | 'Columns'): number {
  const value = ds.number(keyword);
  if (value === undefined || !Number.isInteger(value) || value <= 0) {
    throw new DicomError('ERR_INVALID_VALUE', `${keyword} is ${value ?? 'missing'}: cannot read pixel data`);
  }
  return value;
}

/**
 * Reads the Image Pixel Module of `ds` (PS3.3 §C.7.6.3). Missing optional attributes take
 * their usual defaults (one sample, 16 bits, unsigned, one frame); a missing Bits Stored is
 * Bits Allocated and a missing High Bit is Bits Stored - 1.
 */
export function pixelDescription(ds: DataSet): PixelDescription {
  const element = pixelDataElement(ds);
  const pixelDataTag = element?.tag ?? PIXEL_DATA;
  const isFloat = pixelDataTag !== PIXEL_DATA;
  const rows = required(ds, 'Rows');
  const columns = required(ds, 'Columns');
  const samplesPerPixel = ds.number('SamplesPerPixel') ?? 1;
  const bitsAllocated =
    ds.number('BitsAllocated') ?? (pixelDataTag === DOUBLE_FLOAT_PIXEL_DATA ? 64 : isFloat ? 32 : 16);
  const bitsStored = isFloat ? bitsAllocated : (ds.number('BitsStored') ?? bitsAllocated);
  const highBit = isFloat ? bitsAllocated - 1 : (ds.number('HighBit') ?? bitsStored - 1);
  const frames = Math.trunc(ds.number('NumberOfFrames') ?? 1);
  const description: PixelDescription = {
    rows,
    columns,
    samplesPerPixel,
    bitsAllocated,
    bitsStored,
    highBit,
    pixelRepresentation: ds.number('PixelRepresentation') === 1 ? 1 : 0,
    planarConfiguration: samplesPerPixel > 1 && ds.number('PlanarConfiguration') === 1 ? 1 : 0,
    photometricInterpretation:
      ds.string('PhotometricInterpretation')?.trim().toUpperCase() ??
      (samplesPerPixel === 3 ? 'RGB' : 'MONOCHROME2'),
    numberOfFrames: Number.isFinite(frames) && frames > 0 ? frames : 1,
    isFloat,
    pixelDataTag,
  };
  checkDescription(description);
  return description;
}

/** Rejects attribute values no reader can make sense of (PS3.3 §C.7.6.3.1). */
export function checkDescription(d: PixelDescription): void {
  const bad = (what: string) => {
    throw new DicomError('ERR_INVALID_VALUE', `cannot read pixel data: ${what}`);
  };
  if (d.samplesPerPixel < 1 || d.samplesPerPixel > 4 || !Number.isInteger(d.samplesPerPixel))
    bad(`Samples per Pixel ${d.samplesPerPixel}`);
  if (d.bitsAllocated !== 1 && (d.bitsAllocated % 8 !== 0 || d.bitsAllocated < 8 || d.bitsAllocated > 64))
    bad(`Bits Allocated ${d.bitsAllocated}`);
  if (d.isFloat && d.bitsAllocated !== 32 && d.bitsAllocated !== 64)
    bad(`float pixel data with Bits Allocated ${d.bitsAllocated}`);
  if (d.bitsStored < 1 || d.bitsStored > d.bitsAllocated) bad(`Bits Stored ${d.bitsStored}`);
  if (d.highBit < d.bitsStored - 1 || d.highBit >= d.bitsAllocated) bad(`High Bit ${d.highBit}`);
}

/** Number of Frames (0028,0008), 1 when absent or not a positive number. */
export function frameCount(ds: DataSet): number {
  const frames = Math.trunc(ds.number('NumberOfFrames') ?? 1);
  return Number.isFinite(frames) && frames > 0 ? frames : 1;
}

/** Pixels in one frame. */
export function pixelCount(d: Pick<PixelDescription, 'rows' | 'columns'>): number {
  return d.rows * d.columns;
}

/**
 * True for YBR_FULL_422 and YBR_PARTIAL_422 stored natively: two Y samples share one Cb
 * and one Cr, stored Y1 Y2 Cb Cr (PS3.3 §C.7.6.3.1.2), so a frame holds 2 samples per
 * pixel, not 3.
 */
export function isSubsampled422(
  d: Pick<PixelDescription, 'photometricInterpretation' | 'samplesPerPixel'>,
): boolean {
  const p = d.photometricInterpretation;
  return (p === 'YBR_FULL_422' || p === 'YBR_PARTIAL_422') && d.samplesPerPixel === 3;
}

/**
 * Bits one frame of native (uncompressed) pixel data occupies (PS3.5 §8.1.1): frames of
 * 1-bit data follow each other bit by bit and may start inside a byte.
 */
export function nativeFrameBits(d: PixelDescription): number {
  const samples = pixelCount(d) * (isSubsampled422(d) ? 2 : d.samplesPerPixel);
  return samples * d.bitsAllocated;
}

/** Bytes of one decoded frame in native layout (all samples, Bits Allocated each, no subsampling). */
export function decodedFrameLength(d: PixelDescription): number {
  return Math.ceil((pixelCount(d) * d.samplesPerPixel * d.bitsAllocated) / 8);
}
