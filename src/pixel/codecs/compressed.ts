import { jpegBaselineCodec, jpegExtendedCodec, jpegLosslessCodec, jpegLosslessSv1Codec } from './jpeg.ts';
import { jpegLsLosslessCodec, jpegLsNearLosslessCodec } from './jpeg-ls.ts';
import {
  htj2kCodec,
  htj2kLosslessCodec,
  htj2kLosslessRpclCodec,
  jpeg2000Codec,
  jpeg2000LosslessCodec,
} from './jpeg2000.ts';
import { type CodecRegistry, defaultCodecs, type PixelCodec } from './registry.ts';

/** Transfer syntax UIDs of the compressed codecs (PS3.5 §10, Table A-1). */
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
export const JPEG_EXTENDED = '1.2.840.10008.1.2.4.51';
export const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.57';
export const JPEG_LOSSLESS_SV1 = '1.2.840.10008.1.2.4.70';
export const JPEG_LS_LOSSLESS = '1.2.840.10008.1.2.4.80';
export const JPEG_LS_NEAR_LOSSLESS = '1.2.840.10008.1.2.4.81';
export const JPEG_2000_LOSSLESS = '1.2.840.10008.1.2.4.90';
export const JPEG_2000 = '1.2.840.10008.1.2.4.91';
export const HTJ2K_LOSSLESS = '1.2.840.10008.1.2.4.201';
export const HTJ2K_LOSSLESS_RPCL = '1.2.840.10008.1.2.4.202';
export const HTJ2K = '1.2.840.10008.1.2.4.203';

/**
 * The compressed codecs, running in the calling thread (WASM loaded on first use). In a
 * browser register them with `registerCompressedCodecs()`; in Node prefer
 * `registerNodeCodecs()` (node-codecs.node.ts), which runs the same codecs in worker threads.
 */
export const COMPRESSED_CODECS: Readonly<Record<string, PixelCodec>> = {
  [JPEG_BASELINE]: jpegBaselineCodec,
  [JPEG_EXTENDED]: jpegExtendedCodec,
  [JPEG_LOSSLESS]: jpegLosslessCodec,
  [JPEG_LOSSLESS_SV1]: jpegLosslessSv1Codec,
  [JPEG_LS_LOSSLESS]: jpegLsLosslessCodec,
  [JPEG_LS_NEAR_LOSSLESS]: jpegLsNearLosslessCodec,
  [JPEG_2000_LOSSLESS]: jpeg2000LosslessCodec,
  [JPEG_2000]: jpeg2000Codec,
  [HTJ2K_LOSSLESS]: htj2kLosslessCodec,
  [HTJ2K_LOSSLESS_RPCL]: htj2kLosslessRpclCodec,
  [HTJ2K]: htj2kCodec,
};

/** Registers every compressed codec, in-thread, in `registry` (default: `defaultCodecs`). */
export function registerCompressedCodecs(registry: CodecRegistry = defaultCodecs): void {
  for (const [uid, codec] of Object.entries(COMPRESSED_CODECS)) registry.register(uid, codec);
}
