import { DicomError } from '../../core/errors.ts';
import { findTransferSyntax } from '../../encoding/transfer-syntax.ts';
import type { PixelDescription } from '../description.ts';
import { encapsulatedUncompressedCodec } from './encapsulated-uncompressed.ts';
import { rleCodec } from './rle.ts';

/**
 * One decoded frame as a codec hands it back: the samples laid out as native pixel data
 * would hold them (PS3.5 §8.1.1), little endian, Bits Allocated bits each, one value per
 * sample (no chroma subsampling), in the planar configuration the codec produced.
 */
export interface DecodedFrame {
  bytes: Uint8Array;
  planarConfiguration: 0 | 1;
  /** Set when decoding changed the colour space, e.g. a JPEG decoder that outputs RGB. */
  photometricInterpretation?: string;
}

/** What a codec may be told when decoding; codecs ignore what they do not know. */
export interface CodecDecodeOptions {
  signal?: AbortSignal;
}

/** Codec-specific encoder settings (quality, near-lossless error...); codecs ignore what they do not know. */
export interface CodecEncodeOptions {
  signal?: AbortSignal;
  readonly [option: string]: unknown;
}

/** The Image Pixel Module attributes of frames an encoder produces. */
export interface EncodedImage {
  photometricInterpretation: string;
  planarConfiguration: 0 | 1;
}

/**
 * A pixel data codec for one or more encapsulated transfer syntaxes (PS3.5 §8.2, Annex A.4).
 * Operations are async so codecs may run in workers or WebAssembly.
 */
export interface PixelCodec {
  readonly name: string;
  /** Whether encoding with this transfer syntax loses information (sets Lossy Image Compression). */
  readonly lossy: boolean;
  /**
   * The Defined Term of Lossy Image Compression Method (0028,2114) for lossy encodings
   * (PS3.3 §C.7.6.1.1.5.1): ISO_10918_1 JPEG, ISO_14495_1 JPEG-LS, ISO_15444_1 JPEG 2000,
   * ISO_15444_15 HTJ2K.
   */
  readonly lossyMethod?: string;
  /** Decodes the bytes of one frame (its fragments joined). */
  decode(
    frame: Uint8Array,
    description: PixelDescription,
    options?: CodecDecodeOptions,
  ): Promise<DecodedFrame>;
  /**
   * Encodes one frame given in native layout (little endian, Bits Allocated per sample, in
   * `description.planarConfiguration`); absent for decode-only codecs.
   */
  encode?(
    pixels: Uint8Array,
    description: PixelDescription,
    options?: CodecEncodeOptions,
  ): Promise<Uint8Array>;
  /**
   * What encoding changes in the Image Pixel Module, e.g. JPEG Baseline stores RGB as
   * YBR_FULL_422 and JPEG 2000 with a colour transform as YBR_RCT or YBR_ICT (PS3.5 §8.2);
   * absent when the encoder keeps the photometric interpretation and planar configuration.
   */
  encodedImage?(description: PixelDescription, options?: CodecEncodeOptions): EncodedImage;
  /**
   * For pixel data with an empty Basic Offset Table and more fragments than frames: true
   * when a fragment starts a new frame (e.g. a JPEG SOI marker). Codecs whose frames are
   * always one fragment (RLE, PS3.5 §A.4.2) leave it out.
   */
  isFrameStart?(fragmentStart: Uint8Array): boolean;
}

/** Codecs by transfer syntax UID. `defaultCodecs` is the registry used unless one is passed. */
export class CodecRegistry {
  readonly #codecs = new Map<string, PixelCodec>();

  /** Registers (or replaces) the codec of a transfer syntax. */
  register(transferSyntaxUid: string, codec: PixelCodec): void {
    this.#codecs.set(transferSyntaxUid.trim(), codec);
  }

  unregister(transferSyntaxUid: string): boolean {
    return this.#codecs.delete(transferSyntaxUid.trim());
  }

  find(transferSyntaxUid: string): PixelCodec | undefined {
    return this.#codecs.get(transferSyntaxUid.replace(/[\0 ]+$/, ''));
  }

  /** The codec of an encapsulated syntax, or a typed error naming the syntax. */
  require(transferSyntaxUid: string): PixelCodec {
    const codec = this.find(transferSyntaxUid);
    if (codec) return codec;
    const name = findTransferSyntax(transferSyntaxUid)?.name ?? transferSyntaxUid;
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `no pixel data codec registered for ${name}`);
  }

  /** Transfer syntax UIDs with a codec. */
  uids(): string[] {
    return [...this.#codecs.keys()];
  }
}

export const RLE_LOSSLESS = '1.2.840.10008.1.2.5';
export const ENCAPSULATED_UNCOMPRESSED = '1.2.840.10008.1.2.1.98';

/** The registry used when callers pass none: RLE Lossless and Encapsulated Uncompressed built in. */
export const defaultCodecs = new CodecRegistry();
defaultCodecs.register(RLE_LOSSLESS, rleCodec);
defaultCodecs.register(ENCAPSULATED_UNCOMPRESSED, encapsulatedUncompressedCodec);

/** Registers a codec in the default registry (WASM JPEG, JPEG-LS and JPEG 2000 packages call this). */
export function registerCodec(transferSyntaxUid: string, codec: PixelCodec): void {
  defaultCodecs.register(transferSyntaxUid, codec);
}

/** The codec of a transfer syntax in the default registry. */
export function findCodec(transferSyntaxUid: string): PixelCodec | undefined {
  return defaultCodecs.find(transferSyntaxUid);
}

/** True for the syntaxes whose Pixel Data is native (PS3.5 §8.1.1): read directly, no codec. */
export function isNativeSyntax(transferSyntaxUid: string): boolean {
  const ts = findTransferSyntax(transferSyntaxUid);
  return ts !== undefined && !ts.encapsulated;
}

const JPEG_FAMILY = /^1\.2\.840\.10008\.1\.2\.4\.(5\d|6\d|70|80|81)$/;
const J2K_FAMILY = /^1\.2\.840\.10008\.1\.2\.4\.(9[0-3]|20[1-3])$/;
const JXL_FAMILY = /^1\.2\.840\.10008\.1\.2\.4\.11[0-2]$/;

/**
 * How to tell that a fragment starts a frame when the Basic Offset Table is empty and
 * frames span fragments (PS3.5 §A.4): the codec's own test, else the start marker of the
 * codestream family. JPEG and JPEG-LS frames start with SOI (FFD8, ISO 10918-1 §B.1.1.3,
 * ISO 14495-1); JPEG 2000 and HTJ2K with SOC+SIZ (FF4F FF51, ISO 15444-1 §A.4.1) or a
 * JP2 signature box; JPEG XL with its codestream signature (FF0A) or container box
 * (ISO 18181-1, -2). Undefined when neither is known.
 */
export function frameStartTest(
  transferSyntaxUid: string,
  registry: CodecRegistry = defaultCodecs,
): ((fragmentStart: Uint8Array) => boolean) | undefined {
  const codec = registry.find(transferSyntaxUid);
  if (codec?.isFrameStart) return (bytes) => codec.isFrameStart!(bytes);
  const uid = transferSyntaxUid.replace(/[\0 ]+$/, '');
  if (JPEG_FAMILY.test(uid)) return (b) => b[0] === 0xff && b[1] === 0xd8;
  if (J2K_FAMILY.test(uid)) {
    return (b) =>
      (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) ||
      (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && b[4] === 0x6a && b[5] === 0x50);
  }
  if (JXL_FAMILY.test(uid)) {
    return (b) =>
      (b[0] === 0xff && b[1] === 0x0a) ||
      (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && b[4] === 0x4a && b[5] === 0x58);
  }
  return undefined;
}
