import * as UID from './compressed-uids.ts';
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

export * from './compressed-uids.ts';

/**
 * The compressed codecs, running in the calling thread (WASM loaded on first use). In a
 * browser register them with `registerCompressedCodecs()`; in Node prefer
 * `registerNodeCodecs()` (node-codecs.node.ts), which runs the same codecs in worker threads.
 */
export const COMPRESSED_CODECS: Readonly<Record<string, PixelCodec>> = {
  [UID.JPEG_BASELINE]: jpegBaselineCodec,
  [UID.JPEG_EXTENDED]: jpegExtendedCodec,
  [UID.JPEG_LOSSLESS]: jpegLosslessCodec,
  [UID.JPEG_LOSSLESS_SV1]: jpegLosslessSv1Codec,
  [UID.JPEG_LS_LOSSLESS]: jpegLsLosslessCodec,
  [UID.JPEG_LS_NEAR_LOSSLESS]: jpegLsNearLosslessCodec,
  [UID.JPEG_2000_LOSSLESS]: jpeg2000LosslessCodec,
  [UID.JPEG_2000]: jpeg2000Codec,
  [UID.HTJ2K_LOSSLESS]: htj2kLosslessCodec,
  [UID.HTJ2K_LOSSLESS_RPCL]: htj2kLosslessRpclCodec,
  [UID.HTJ2K]: htj2kCodec,
};

/** Registers every compressed codec, in-thread, in `registry` (default: `defaultCodecs`). */
export function registerCompressedCodecs(registry: CodecRegistry = defaultCodecs): void {
  for (const [uid, codec] of Object.entries(COMPRESSED_CODECS)) registry.register(uid, codec);
}
