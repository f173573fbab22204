/**
 * The pixel layer: frames of native and encapsulated pixel data, the codec registry (RLE
 * Lossless built in; JPEG, JPEG-LS and JPEG 2000 plug in with `registerCodec`), colour
 * conversion, the grayscale rendering pipeline and a PNG encoder. Isomorphic: the Node
 * file reader for pixel data left on disk is `fileBulkSource` in bulk-source.node.ts.
 */
export { type BulkDataSource, NO_BULK_SOURCE } from './bulk-source.ts';
export { encapsulatedUncompressedCodec } from './codecs/encapsulated-uncompressed.ts';
export {
  type CodecDecodeOptions,
  type CodecEncodeOptions,
  CodecRegistry,
  type DecodedFrame,
  defaultCodecs,
  ENCAPSULATED_UNCOMPRESSED,
  findCodec,
  frameStartTest,
  isNativeSyntax,
  type PixelCodec,
  RLE_LOSSLESS,
  registerCodec,
} from './codecs/registry.ts';
export { decodeRleFrame, encodeRleFrame, rleCodec } from './codecs/rle.ts';
export {
  applyPalette,
  expand422,
  expandSegmentedLut,
  interleavedToPlanar,
  type Palette,
  planarToInterleaved,
  readPalette,
  rgbToYbr,
  ybrToRgb,
} from './color.ts';
export {
  DOUBLE_FLOAT_PIXEL_DATA,
  EXTENDED_OFFSET_TABLE,
  EXTENDED_OFFSET_TABLE_LENGTHS,
  FLOAT_PIXEL_DATA,
  frameCount,
  type PixelDescription,
  pixelDataElement,
  pixelDescription,
} from './description.ts';
export {
  type Encapsulated,
  type EncapsulateOptions,
  encapsulate,
  type FrameIndex,
  type FrameIndexMethod,
  type FrameSpan,
  frameSpanBytes,
  indexFrames,
  setEncapsulatedPixelData,
} from './encapsulation.ts';
export {
  type Frame,
  frames,
  type GetFrameOptions,
  getFrame,
  getStoredFrame,
  type PixelSource,
  type StoredFrame,
  samplesToFrame,
  toRgb,
} from './frames.ts';
export {
  applyModality,
  type Lut,
  lookup,
  type ModalityTransform,
  modalityTransform,
  presentationLutShape,
  storedVoiLuts,
  storedWindows,
  type VoiLutFunction,
  type Window,
  windowFunction,
} from './lut.ts';
export { type PixelArray, packBits, unpackBits, unpackSamples } from './native.ts';
export { crc32, encodePng, type PngImage, type PngOptions } from './png.ts';
export {
  minMaxWindow,
  type RenderedImage,
  type RenderOptions,
  renderDecodedFrame,
  renderFrame,
} from './render.ts';
export { type CompressOptions, compressPixelData, decompressPixelData } from './transcode.ts';
