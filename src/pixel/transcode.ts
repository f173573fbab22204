import { DicomError } from '../core/errors.ts';
import { generateUid } from '../core/uid.ts';
import { findTransferSyntax } from '../encoding/transfer-syntax.ts';
import { DataSet } from '../object/dataset.ts';
import { type BulkDataRef, Element, type Fragment } from '../object/element.ts';
import type { CodecEncodeOptions, PixelCodec } from './codecs/registry.ts';
import { defaultCodecs } from './codecs/registry.ts';
import {
  decodedFrameLength,
  isSubsampled422,
  PIXEL_DATA,
  type PixelDescription,
  pixelDataElement,
  pixelDescription,
} from './description.ts';
import { type EncapsulateOptions, encapsulate, setEncapsulatedPixelData } from './encapsulation.ts';
import {
  type GetFrameOptions,
  getDecodedFrame,
  getFrame,
  getStoredFrame,
  type PixelSource,
  samplesToFrame,
  toRgb,
} from './frames.ts';
import { alignBits, type PixelArray, packBits } from './native.ts';

/**
 * Where transcoded frames go instead of memory: a file in Node (`FileFrameSink`). With one,
 * and the input's pixel data left in its file (`bulkSource`), a transcode holds one frame at
 * a time, whatever the object's size; the result refers to the sink's bytes and is written
 * by streaming them (`writeDicomFile`).
 */
export interface FrameSink {
  /** Stores `bytes` after those appended before; answers where they are. */
  append(bytes: Uint8Array): Promise<BulkDataRef>;
}

export interface CompressOptions extends Omit<GetFrameOptions, 'colorSpace'>, EncapsulateOptions {
  /** Settings passed to the codec's encoder. */
  encode?: CodecEncodeOptions;
  /** Where the encoded frames go (default: memory). */
  sink?: FrameSink;
}

export interface DecompressOptions extends Omit<GetFrameOptions, 'colorSpace'> {
  /** Where the decoded frames go (default: memory). 1-bit pixel data is always packed in memory. */
  sink?: FrameSink;
}

function source(input: PixelSource): DataSet {
  return input instanceof DataSet ? input : input.dataset;
}

/**
 * A copy of the data set with its pixel data encoded in `transferSyntaxUid` (PS3.5 §8.2)
 * by the registered codec, one fragment per frame unless asked otherwise, with a Basic
 * Offset Table. Native pixel data is encoded as it is; encapsulated data is decoded first,
 * so any decodable syntax transcodes to any encodable one. The Image Pixel Module follows
 * what the encoder did (e.g. RGB coded as JPEG Baseline becomes YBR_FULL_422, as JPEG 2000
 * with the colour transform YBR_RCT or YBR_ICT; Planar Configuration 0). A lossy encoding
 * sets Lossy Image Compression to 01, appends the ratio and the method to Lossy Image
 * Compression Ratio and Method (PS3.3 §C.7.6.1.1.5) and gives the result a new SOP
 * Instance UID. Write the result with `writeDicom(ds, { transferSyntax })`.
 */
export async function compressPixelData(
  input: PixelSource,
  transferSyntaxUid: string,
  options: CompressOptions = {},
): Promise<DataSet> {
  const codecs = options.codecs ?? defaultCodecs;
  const codec = codecs.require(transferSyntaxUid);
  if (!codec.encode) {
    const name = findTransferSyntax(transferSyntaxUid)?.name ?? transferSyntaxUid;
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `the ${codec.name} codec cannot encode ${name}`);
  }
  const ds = source(input);
  const d = pixelDescription(ds);
  const encoded: Fragment[] = [];
  let target: PixelDescription = d;
  const encapsulated = pixelDataElement(ds)?.fragments !== undefined;
  if (!encapsulated && isSubsampled422(d)) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `encoding ${d.photometricInterpretation} (4:2:2 subsampled) pixel data is not supported yet`,
    );
  }
  for (let i = 0; i < d.numberOfFrames; i++) {
    options.signal?.throwIfAborted();
    let bytes: Uint8Array;
    if (encapsulated) {
      // Decoded samples are colour-by-pixel, 4:2:2 expanded.
      const frame = await getFrame(input, i, options);
      target = { ...d, planarConfiguration: 0, photometricInterpretation: frame.photometricInterpretation };
      bytes = frameBytes(frame.pixels, d.bitsAllocated);
    } else {
      const stored = await getStoredFrame(input, i, options);
      bytes =
        d.bitsAllocated === 1
          ? alignBits(stored.bytes, stored.bitOffset, d.rows * d.columns * d.samplesPerPixel)
          : stored.bytes;
    }
    const frame = await codec.encode(bytes, target, options.encode);
    encoded.push(options.sink ? await options.sink.append(frame) : frame);
  }
  const out = ds.clone();
  setEncapsulatedPixelData(out, encapsulate(encoded, options));
  const image = codec.encodedImage?.(target, options.encode);
  if (image) {
    out.set('PhotometricInterpretation', image.photometricInterpretation);
    if (target.samplesPerPixel > 1) out.set('PlanarConfiguration', image.planarConfiguration);
  } else if (target !== d) {
    out.set('PhotometricInterpretation', target.photometricInterpretation);
    if (target.samplesPerPixel > 1) out.set('PlanarConfiguration', 0);
  }
  if (codec.lossy) markLossy(out, codec, d, encoded);
  return out;
}

/**
 * Records a lossy compression (PS3.3 §C.7.6.1.1.5): Lossy Image Compression 01, this
 * compression's ratio (native size over compressed size) and method appended to the
 * earlier ones, and a new SOP Instance UID, since the pixels are no longer the original's.
 */
function markLossy(out: DataSet, codec: PixelCodec, d: PixelDescription, encoded: Fragment[]): void {
  const native = d.numberOfFrames * Math.ceil((d.rows * d.columns * d.samplesPerPixel * d.bitsAllocated) / 8);
  const compressed = encoded.reduce((sum, frame) => sum + frame.length, 0);
  const ratio = Math.round((native / Math.max(1, compressed)) * 100) / 100;
  const ratios = out.numbers('LossyImageCompressionRatio') ?? [];
  const methods = out.strings('LossyImageCompressionMethod') ?? [];
  out.set('LossyImageCompression', '01');
  out.set('LossyImageCompressionRatio', [...ratios, ratio]);
  if (codec.lossyMethod) out.set('LossyImageCompressionMethod', [...methods, codec.lossyMethod]);
  if (out.has('SOPInstanceUID')) out.set('SOPInstanceUID', generateUid());
}

/**
 * Frame `index` as the bytes decompressPixelData writes. A single-sample frame of whole bytes
 * is already in that layout as decoded on a little-endian host: it is passed on as it is,
 * sparing a typed copy of every frame (the garbage of a 300 MiB object sent decoded was most
 * of storescu's peak RSS). Others go through getFrame's unpacking and colour handling.
 */
async function decodedFrameBytes(
  input: PixelSource,
  index: number,
  d: PixelDescription,
  bytesPerFrame: number,
  options: DecompressOptions,
  photometric: (name: string) => void,
): Promise<Uint8Array> {
  const raw = await getDecodedFrame(input, index, options);
  if (
    LITTLE_ENDIAN_HOST &&
    d.samplesPerPixel === 1 &&
    d.bitsAllocated % 8 === 0 &&
    raw.bitOffset === 0 &&
    raw.decoded.bytes.length >= bytesPerFrame
  ) {
    photometric(raw.decoded.photometricInterpretation ?? d.photometricInterpretation);
    return raw.decoded.bytes.subarray(0, bytesPerFrame);
  }
  let frame = samplesToFrame(raw.description, index, raw.decoded, raw.bitOffset);
  if (d.photometricInterpretation === 'YBR_PARTIAL_422') frame = toRgb(raw.ds, frame);
  photometric(frame.photometricInterpretation);
  return frameBytes(frame.pixels, d.bitsAllocated);
}

/** Little-endian bytes of decoded samples (bit-packed for 1-bit data). */
function frameBytes(pixels: PixelArray, bits: number): Uint8Array {
  if (bits === 1) return packBits(pixels);
  const view = new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength);
  return LITTLE_ENDIAN_HOST ? view : swapToLittle(view, bits / 8);
}

const LITTLE_ENDIAN_HOST = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function swapToLittle(src: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(src.length);
  for (let i = 0; i < src.length; i += size)
    for (let j = 0; j < size; j++) out[i + j] = src[i + size - 1 - j]!;
  return out;
}

/**
 * A copy of the data set with native pixel data (PS3.5 §8.1.1): every frame decoded,
 * colour-by-pixel (Planar Configuration 0), YBR_FULL_422 expanded to YBR_FULL (and
 * YBR_PARTIAL_422 converted to RGB), the Extended Offset Table removed. Signed samples are
 * written sign-extended to Bits Allocated. Write it in a native syntax, e.g. Explicit VR Little Endian.
 */
export async function decompressPixelData(
  input: PixelSource,
  options: DecompressOptions = {},
): Promise<DataSet> {
  const ds = source(input);
  const d = pixelDescription(ds);
  const bytesPerFrame = decodedFrameLength(d);
  // 1-bit frames need not start on a byte: they are packed together in memory.
  const sink = d.bitsAllocated === 1 ? undefined : options.sink;
  const all = sink
    ? undefined
    : new Uint8Array(
        d.bitsAllocated === 1
          ? Math.ceil((d.rows * d.columns * d.samplesPerPixel * d.numberOfFrames) / 8)
          : bytesPerFrame * d.numberOfFrames,
      );
  let held: BulkDataRef | undefined;
  let photometric = d.photometricInterpretation;
  for (let i = 0; i < d.numberOfFrames; i++) {
    options.signal?.throwIfAborted();
    // Expanded YBR_PARTIAL_422 has no standard name: it is written as RGB.
    const colorSpace = d.photometricInterpretation === 'YBR_PARTIAL_422' ? 'rgb' : 'native';
    if (sink) {
      const at = await sink.append(
        await decodedFrameBytes(input, i, d, bytesPerFrame, options, (p) => {
          photometric = p;
        }),
      );
      if (held && (at.source !== held.source || at.offset !== held.offset + held.length)) {
        throw new DicomError('ERR_IO', 'a frame sink must append each frame after the one before');
      }
      held = held ? { ...held, length: held.length + at.length } : at;
      continue;
    }
    const frame = await getFrame(input, i, { ...options, colorSpace });
    photometric = frame.photometricInterpretation;
    if (d.bitsAllocated === 1) packBits(frame.pixels, all!, i * frame.pixels.length);
    else all!.set(frameBytes(frame.pixels, d.bitsAllocated), i * bytesPerFrame);
  }
  const out = ds.clone();
  for (const tag of [PIXEL_DATA, 0x7fe00001, 0x7fe00002]) out.delete(tag);
  const vr =
    d.pixelDataTag !== PIXEL_DATA
      ? d.bitsAllocated === 64
        ? 'OD'
        : 'OF'
      : d.bitsAllocated > 8
        ? 'OW'
        : 'OB';
  if (all) out.set(d.pixelDataTag, all, vr);
  else {
    const element = new Element(d.pixelDataTag, vr, undefined, true);
    element.bulk = held ?? { offset: 0, length: 0, littleEndian: true };
    out.add(element);
  }
  out.set('PhotometricInterpretation', photometric);
  if (d.samplesPerPixel > 1) out.set('PlanarConfiguration', 0);
  return out;
}
