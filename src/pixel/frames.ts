import { DicomError } from '../core/errors.ts';
import { vrInfo } from '../core/vr.ts';
import { swapped } from '../object/byte-swap.ts';
import { DataSet } from '../object/dataset.ts';
import type { Element } from '../object/element.ts';
import type { DicomFile } from '../object/part10.ts';
import { type BulkDataSource, NO_BULK_SOURCE, readRange } from './bulk-source.ts';
import { type CodecRegistry, type DecodedFrame, defaultCodecs, type PixelCodec } from './codecs/registry.ts';
import { applyPalette, expand422, planarToInterleaved, readPalette, ybrToRgb } from './color.ts';
import {
  isSubsampled422,
  nativeFrameBits,
  type PixelDescription,
  pixelCount,
  pixelDataElement,
  pixelDescription,
} from './description.ts';
import { frameSpanBytes, indexFrames } from './encapsulation.ts';
import { type PixelArray, unpackSamples } from './native.ts';

export { frameCount, pixelDescription } from './description.ts';

/** A data set, or a file read with its transfer syntax (which then needs no option). */
export type PixelSource = DataSet | DicomFile;

export interface GetFrameOptions {
  /**
   * The transfer syntax the data set was read in; default: the file's. Needed for
   * encapsulated pixel data held in a bare DataSet.
   */
  transferSyntaxUid?: string;
  /**
   * 'native' (default) returns samples in the stored colour space; 'rgb' converts YBR_FULL,
   * YBR_FULL_422, YBR_PARTIAL_422/420 and YBR_ICT to RGB and expands PALETTE COLOR through its
   * palette. Monochrome frames are returned as they are either way.
   */
  colorSpace?: 'native' | 'rgb';
  /** Reads pixel data left in the file (`Element.bulk`, fragments by reference). */
  bulkSource?: BulkDataSource;
  /** Codecs of encapsulated syntaxes; default `defaultCodecs`. */
  codecs?: CodecRegistry;
  signal?: AbortSignal;
}

/** One decoded frame. */
export interface Frame {
  /** 0-based frame number. */
  index: number;
  /** The Image Pixel Module of the stored image. */
  description: PixelDescription;
  rows: number;
  columns: number;
  /** Samples per pixel of `pixels`: 3 for colour (YBR 4:2:2 expanded, palettes expanded to RGB). */
  samplesPerPixel: number;
  /** The colour space of `pixels` (RGB after conversion; YBR_FULL for expanded YBR_FULL_422). */
  photometricInterpretation: string;
  /** Significant bits of each value of `pixels` (the palette's entry size after expansion). */
  bitsStored: number;
  /**
   * One value per sample, colour-by-pixel (R G B R G B ...) whatever the stored Planar
   * Configuration; integer samples masked to Bits Stored, signed ones sign-extended.
   */
  pixels: PixelArray;
}

/** The bytes of one frame as stored: encoded for encapsulated syntaxes, native otherwise. */
export interface StoredFrame {
  bytes: Uint8Array;
  /** Native 1-bit frames may start inside a byte: the bit where the frame starts. */
  bitOffset: number;
  encapsulated: boolean;
}

function unwrap(input: PixelSource, options: GetFrameOptions): { ds: DataSet; uid: string | undefined } {
  if (input instanceof DataSet) return { ds: input, uid: options.transferSyntaxUid };
  return { ds: input.dataset, uid: options.transferSyntaxUid ?? input.transferSyntax.uid };
}

function requirePixelData(ds: DataSet): Element {
  const element = pixelDataElement(ds);
  if (!element) throw new DicomError('ERR_INVALID_VALUE', 'the data set has no Pixel Data');
  return element;
}

function checkIndex(index: number, d: PixelDescription): void {
  if (!Number.isInteger(index) || index < 0 || index >= d.numberOfFrames) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `frame ${index} out of range: the image has ${d.numberOfFrames}`,
    );
  }
}

/**
 * Byte-swap unit of native pixel data read in big endian (retired Explicit VR Big Endian,
 * PS3.5 2016b §7.3): the unit of its VR, so OW is swapped in 16-bit words whatever Bits
 * Allocated is, as DCMTK, GDCM and our writer do (pydicom swaps 32-bit samples whole and
 * reads its rtdose_expb.dcm differently); OF and OD in 32 and 64 bits; OB not at all.
 */
function swapUnit(element: Element): number {
  return element.littleEndian ? 1 : vrInfo(element.vr).unitSize;
}

/** The stored bytes of native frame `index`, little endian (PS3.5 §8.1.1). */
async function nativeFrame(
  element: Element,
  d: PixelDescription,
  index: number,
  source: BulkDataSource,
): Promise<StoredFrame> {
  const bits = nativeFrameBits(d);
  const startBit = index * bits;
  let start = Math.floor(startBit / 8);
  const end = Math.ceil((startBit + bits) / 8);
  const total = element.bytes?.length ?? element.bulk?.length ?? 0;
  if (end > total) {
    throw new DicomError(
      'ERR_UNEXPECTED_END',
      `Pixel Data holds ${total} bytes; frame ${index} needs bytes ${start}..${end} (${d.numberOfFrames} frame(s) of ${d.rows}x${d.columns}x${d.samplesPerPixel}, ${d.bitsAllocated} bits)`,
    );
  }
  const unit = swapUnit(element);
  const lead = start % unit;
  start -= lead;
  const alignedEnd = Math.min(total, Math.ceil(end / unit) * unit);
  let bytes = element.bytes
    ? element.bytes.subarray(start, alignedEnd)
    : await readRange(source, element.bulk!, start, alignedEnd - start);
  if (unit > 1) bytes = swapped(bytes, unit);
  return { bytes: bytes.subarray(lead, end - start), bitOffset: startBit % 8, encapsulated: false };
}

/**
 * The bytes of frame `index` as stored: for encapsulated syntaxes the frame's fragments
 * joined (frame boundaries found as `indexFrames` describes); for native syntaxes the
 * frame's range of Pixel Data, in little endian.
 */
export async function getStoredFrame(
  input: PixelSource,
  index: number,
  options: GetFrameOptions = {},
): Promise<StoredFrame> {
  const { ds, uid } = unwrap(input, options);
  const element = requirePixelData(ds);
  const d = pixelDescription(ds);
  checkIndex(index, d);
  return storedFrame(ds, element, d, index, uid, options);
}

async function storedFrame(
  ds: DataSet,
  element: Element,
  d: PixelDescription,
  index: number,
  uid: string | undefined,
  options: GetFrameOptions,
): Promise<StoredFrame> {
  const source = options.bulkSource ?? NO_BULK_SOURCE;
  if (!element.fragments) return nativeFrame(element, d, index, source);
  const frameIndex = await indexFrames(ds, element, d.numberOfFrames, {
    ...(uid !== undefined ? { transferSyntaxUid: uid } : {}),
    codecs: options.codecs ?? defaultCodecs,
    bulkSource: source,
  });
  const span = frameIndex.spans[index]!;
  return { bytes: await frameSpanBytes(element.fragments, span, source), bitOffset: 0, encapsulated: true };
}

/**
 * Decodes frame `index` (0-based) of the pixel data of `input`: native data directly,
 * encapsulated data through the codec registered for the transfer syntax.
 */
export async function getFrame(
  input: PixelSource,
  index: number,
  options: GetFrameOptions = {},
): Promise<Frame> {
  const { ds, description, decoded, bitOffset } = await getDecodedFrame(input, index, options);
  const frame = samplesToFrame(description, index, decoded, bitOffset);
  return options.colorSpace === 'rgb' ? toRgb(ds, frame) : frame;
}

/** A frame as its codec returned it (or as stored, for native data): samples not yet unpacked. */
export interface DecodedFrameOf {
  ds: DataSet;
  description: PixelDescription;
  decoded: DecodedFrame;
  /** Where the frame starts in `decoded.bytes`'s first byte (1-bit native frames). */
  bitOffset: number;
}

/**
 * Frame `index` decoded but not unpacked (getFrame's first half): for callers that only pass
 * the bytes on, such as a transcoder writing frames out, and need no typed copy of them.
 */
export async function getDecodedFrame(
  input: PixelSource,
  index: number,
  options: GetFrameOptions = {},
): Promise<DecodedFrameOf> {
  const { ds, uid } = unwrap(input, options);
  const element = requirePixelData(ds);
  const description = pixelDescription(ds);
  checkIndex(index, description);
  let codec: PixelCodec | undefined;
  if (element.fragments) {
    if (uid === undefined) {
      throw new DicomError(
        'ERR_MISSING_TRANSFER_SYNTAX',
        'pixel data is encapsulated: pass transferSyntaxUid (or the DicomFile) to decode it',
      );
    }
    codec = (options.codecs ?? defaultCodecs).require(uid);
  }
  const stored = await storedFrame(ds, element, description, index, uid, options);
  options.signal?.throwIfAborted();
  let decoded: DecodedFrame = { bytes: stored.bytes, planarConfiguration: description.planarConfiguration };
  if (codec)
    decoded = await codec.decode(stored.bytes, description, options.signal ? { signal: options.signal } : {});
  return { ds, description, decoded, bitOffset: stored.bitOffset };
}

/**
 * Native-layout bytes of one frame to a Frame: unpack (mask, sign-extend), expand 4:2:2
 * subsampling, make colour-by-pixel.
 */
export function samplesToFrame(
  description: PixelDescription,
  index: number,
  decoded: DecodedFrame,
  bitOffset = 0,
): Frame {
  const count = pixelCount(description);
  const spp = description.samplesPerPixel;
  let photometric = decoded.photometricInterpretation ?? description.photometricInterpretation;
  const subsampled = isSubsampled422({ photometricInterpretation: photometric, samplesPerPixel: spp });
  let pixels = unpackSamples(decoded.bytes, description, count * (subsampled ? 2 : spp), bitOffset);
  if (subsampled) {
    pixels = expand422(pixels, count);
    // YBR_PARTIAL_422 keeps its name (no full-resolution partial-range term exists).
    if (photometric === 'YBR_FULL_422') photometric = 'YBR_FULL';
  } else if (spp > 1 && decoded.planarConfiguration === 1) {
    pixels = planarToInterleaved(pixels, spp);
  }
  return {
    index,
    description,
    rows: description.rows,
    columns: description.columns,
    samplesPerPixel: spp,
    photometricInterpretation: photometric,
    bitsStored: description.bitsStored,
    pixels,
  };
}

/**
 * A frame in RGB: YBR_FULL and YBR_ICT (the same matrix, PS3.3 §C.7.6.3.1.2) and
 * YBR_PARTIAL_422/420 converted, PALETTE COLOR expanded through the palette of `ds`
 * (entries of the palette's size). Monochrome, RGB and unknown colour spaces (YBR_RCT,
 * which decoders undo) are returned as they are.
 */
export function toRgb(ds: DataSet, frame: Frame): Frame {
  const photometric = frame.photometricInterpretation;
  if (photometric === 'PALETTE COLOR' && frame.samplesPerPixel === 1) {
    const palette = readPalette(ds);
    return {
      ...frame,
      pixels: applyPalette(frame.pixels, palette),
      samplesPerPixel: 3,
      bitsStored: palette.bits,
      photometricInterpretation: 'RGB',
    };
  }
  if (frame.samplesPerPixel !== 3) return frame;
  const full = photometric === 'YBR_FULL' || photometric === 'YBR_ICT';
  const partial = photometric === 'YBR_PARTIAL_422' || photometric === 'YBR_PARTIAL_420';
  if (!full && !partial) return frame;
  return {
    ...frame,
    pixels: ybrToRgb(frame.pixels.slice(), frame.bitsStored, partial),
    photometricInterpretation: 'RGB',
  };
}

/** Decodes every frame in order. */
export async function* frames(input: PixelSource, options: GetFrameOptions = {}): AsyncGenerator<Frame> {
  const ds = input instanceof DataSet ? input : input.dataset;
  const count = pixelDescription(ds).numberOfFrames;
  for (let i = 0; i < count; i++) yield await getFrame(input, i, options);
}
