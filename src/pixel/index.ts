/**
 * The pixel layer: frames of native and encapsulated pixel data, the codec registry (RLE
 * Lossless built in; JPEG, JPEG-LS, JPEG 2000 and HTJ2K from WebAssembly builds plug in
 * with `registerCompressedCodecs()`, or any codec with `registerCodec`), colour
 * conversion, the grayscale rendering pipeline, a PNG encoder, volumes (`buildVolume`) and
 * their axial, coronal and sagittal reformats (`renderMpr`). Isomorphic: in Node,
 * `registerNodeCodecs()` in codecs/node-codecs.node.ts runs the compressed codecs on worker
 * threads, and the file reader for pixel data left on disk is `fileBulkSource` in
 * bulk-source.node.ts; `FileFrameSink` in frame-sink.node.ts keeps transcoded frames in a file.
 */
export { type BulkDataSource, NO_BULK_SOURCE } from './bulk-source.ts';
export { COMPRESSED_CODECS, registerCompressedCodecs } from './codecs/compressed.ts';
export * from './codecs/compressed-uids.ts';
export { encapsulatedUncompressedCodec } from './codecs/encapsulated-uncompressed.ts';
export {
  jpegBaselineCodec,
  jpegExtendedCodec,
  jpegLosslessCodec,
  jpegLosslessSv1Codec,
  readJpegFrameHeader,
} from './codecs/jpeg.ts';
export { decodeJpeg, type JpegImage } from './codecs/jpeg-decoder.ts';
export { encodeJpegLossless, type LosslessImage } from './codecs/jpeg-lossless-encoder.ts';
export { jpegLsLosslessCodec, jpegLsNearLosslessCodec } from './codecs/jpeg-ls.ts';
export {
  htj2kCodec,
  htj2kLosslessCodec,
  htj2kLosslessRpclCodec,
  jpeg2000Codec,
  jpeg2000LosslessCodec,
} from './codecs/jpeg2000.ts';
export {
  type CodecDecodeOptions,
  type CodecEncodeOptions,
  CodecRegistry,
  type DecodedFrame,
  defaultCodecs,
  ENCAPSULATED_UNCOMPRESSED,
  type EncodedImage,
  findCodec,
  frameStartTest,
  isNativeSyntax,
  type PixelCodec,
  RLE_LOSSLESS,
  registerCodec,
} from './codecs/registry.ts';
export { decodeRleFrame, encodeRleFrame, rleCodec } from './codecs/rle.ts';
export { configureWasm, type WasmOptions } from './codecs/wasm.ts';
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
  decodedFrameLength,
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
export {
  type MprImage,
  type MprOptions,
  type MprPanel,
  PLANE_AXES,
  type PlaneName,
  type Reformat,
  type ReformatOptions,
  type RenderReformatOptions,
  reformat,
  renderMpr,
  renderReformat,
} from './mpr.ts';
export { type PixelArray, packBits, unpackBits, unpackSamples } from './native.ts';
export { crc32, encodePng, type PngImage, type PngOptions } from './png.ts';
export {
  minMaxWindow,
  type RenderedImage,
  type RenderOptions,
  renderDecodedFrame,
  renderFrame,
} from './render.ts';
export {
  type CompressOptions,
  compressPixelData,
  type DecompressOptions,
  decompressPixelData,
  type FrameSink,
} from './transcode.ts';
export {
  buildVolume,
  groupBySeries,
  patientToVoxel,
  type Vec3,
  type Volume,
  type VolumeOptions,
  type VolumeSlice,
  volumeCentre,
  voxelToPatient,
} from './volume.ts';
