import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import { fullResolutionPhotometric } from './jpeg.ts';
import type { CodecEncodeOptions, DecodedFrame, EncodedImage, PixelCodec } from './registry.ts';
import { encoderSamples, nativeFromDecoded, samplesBytes } from './samples.ts';
import { runDecoder, runEncoder, type WasmFrameInfo, type WasmLibrary } from './wasm.ts';

/**
 * JPEG 2000 (ISO 15444-1) with OpenJPEG: Lossless Only (1.2.840.10008.1.2.4.90) and
 * lossy (.91); High-Throughput JPEG 2000 (ISO 15444-15) with OpenJPH: Lossless (.201),
 * Lossless with RPCL progression and TLM markers (.202) and lossy (.203). PS3.5 §A.4.4,
 * §A.4.6, §8.2.4: colour coded with the multiple-component transformation is YBR_RCT
 * (reversible) or YBR_ICT (irreversible); decoders undo it and hand back RGB.
 *
 * What the published WASM wrappers do not do, and these codecs therefore refuse: more than
 * 8 bits with several components (OpenJPEG decoding and both encoders read or write only
 * the first component then), and signed 8-bit samples (clamped to 0..255).
 */

/** Where the codestream starts (SOC followed by SIZ), skipping a JP2 wrapper. */
function codestreamStart(data: Uint8Array): number {
  for (let i = 0; i + 3 < data.length && i < 4096; i++) {
    if (data[i] === 0xff && data[i + 1] === 0x4f && data[i + 2] === 0xff && data[i + 3] === 0x51) return i;
  }
  return -1;
}

/**
 * Whether the main header's COD segment (ISO 15444-1 §A.6.1) switches the multiple
 * component transformation on: SGcod's fourth byte.
 */
export function usesColourTransform(data: Uint8Array): boolean {
  let pos = codestreamStart(data);
  if (pos < 0) return false;
  pos += 2;
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) return false;
    const marker = data[pos + 1]!;
    if (marker === 0x90 || marker === 0x93) return false; // SOT, SOD: main header over
    const length = (data[pos + 2]! << 8) | data[pos + 3]!;
    if (marker === 0x52) return pos + 8 < data.length && data[pos + 8] === 1;
    pos += 2 + length;
  }
  return false;
}

const isJ2kStart = (b: Uint8Array) =>
  (b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51) ||
  (b[0] === 0 && b[1] === 0 && b[2] === 0 && b[3] === 0x0c && b[4] === 0x6a && b[5] === 0x50);

interface Flavour {
  name: string;
  library: WasmLibrary;
  decoder: string;
  encoder: string;
}

const OPENJPEG = { library: 'openjpeg', decoder: 'J2KDecoder', encoder: 'J2KEncoder' } as const;
const OPENJPH = { library: 'openjph', decoder: 'HTJ2KDecoder', encoder: 'HTJ2KEncoder' } as const;

async function decode(flavour: Flavour, frame: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
  const { info, decoded } = await runDecoder(flavour.library, flavour.decoder, frame);
  const name = flavour.name;
  if (info.width !== d.columns || info.height !== d.rows || info.componentCount !== d.samplesPerPixel) {
    throw new DicomError(
      'ERR_MALFORMED',
      `${name}: the codestream holds ${info.width}x${info.height} with ${info.componentCount} component(s); the data set says ${d.columns}x${d.rows} with ${d.samplesPerPixel}`,
    );
  }
  if (info.isSigned && info.bitsPerSample <= 8) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `${name}: signed 8-bit codestreams are not supported`,
    );
  }
  const bytesPerSample = info.bitsPerSample <= 8 ? 1 : 2;
  const expected = d.rows * d.columns * d.samplesPerPixel * bytesPerSample;
  if (decoded.length < expected) {
    throw new DicomError(
      decoded.length === 0 ? 'ERR_MALFORMED' : 'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      decoded.length === 0
        ? `${name}: the codestream could not be decoded`
        : `${name}: ${info.componentCount} components of ${info.bitsPerSample} bits are not supported`,
    );
  }
  const result: DecodedFrame = {
    bytes: nativeFromDecoded(decoded, bytesPerSample, d),
    planarConfiguration: 0,
  };
  if (d.samplesPerPixel > 1) {
    // The decoder undid the colour transform: RGB came back, unless the data set names
    // another colour space (then the transform was applied to it, and undone).
    const transformed = info.isUsingColorTransform ?? usesColourTransform(frame);
    const p = d.photometricInterpretation;
    const rgb = transformed && (p === 'YBR_RCT' || p === 'YBR_ICT' || p === 'RGB');
    const photometric = rgb ? 'RGB' : fullResolutionPhotometric(d);
    if (photometric) result.photometricInterpretation = photometric;
  }
  return result;
}

/** What both wrappers can encode: any 8-bit unsigned image, or one component of up to 16 bits. */
function checkEncodable(name: string, d: PixelDescription): void {
  const problem =
    d.bitsStored > 16
      ? `${d.bitsStored}-bit samples`
      : d.bitsStored > 8 && d.samplesPerPixel > 1
        ? `${d.samplesPerPixel} samples per pixel of ${d.bitsStored} bits`
        : d.bitsStored <= 8 && d.pixelRepresentation === 1
          ? 'signed 8-bit samples'
          : d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3
            ? `${d.samplesPerPixel} samples per pixel`
            : undefined;
  if (problem) {
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `the ${name} encoder cannot code ${problem}`);
  }
}

/** RGB is coded with the colour transform: YBR_RCT when reversible, YBR_ICT when not. */
function encodedImage(d: PixelDescription, reversible: boolean): EncodedImage {
  const rgb = d.samplesPerPixel === 3 && d.photometricInterpretation === 'RGB';
  return {
    photometricInterpretation: rgb ? (reversible ? 'YBR_RCT' : 'YBR_ICT') : d.photometricInterpretation,
    planarConfiguration: 0,
  };
}

/** OpenJPEG's wavelet levels: 5 (the wrapper's default) unless the image is smaller than 2^5 on a side. */
function decompositions(d: PixelDescription): number {
  return Math.max(0, Math.min(5, Math.floor(Math.log2(Math.min(d.rows, d.columns)))));
}

function frameInfo(d: PixelDescription, colourTransform: boolean): WasmFrameInfo {
  return {
    width: d.columns,
    height: d.rows,
    bitsPerSample: d.bitsStored,
    componentCount: d.samplesPerPixel,
    isSigned: d.pixelRepresentation === 1,
    isUsingColorTransform: colourTransform,
  };
}

function numberOption(options: CodecEncodeOptions | undefined, key: string, fallback: number): number {
  const value = Number(options?.[key] ?? fallback);
  if (!Number.isFinite(value) || value <= 0) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `encoder option ${key} must be a positive number, not ${value}`,
    );
  }
  return value;
}

function makeJ2kCodec(lossless: boolean): PixelCodec {
  const flavour = { ...OPENJPEG, name: lossless ? 'JPEG 2000 Lossless' : 'JPEG 2000' };
  const codec: PixelCodec = {
    name: flavour.name,
    lossy: !lossless,
    decode: (frame, d) => decode(flavour, frame, d),
    encodedImage: (d) => encodedImage(d, lossless),
    async encode(pixels, d, options) {
      checkEncodable(flavour.name, d);
      // Lossy: option compressionRatio (default 10), the rate of the single quality layer.
      const ratio = lossless ? 0 : numberOption(options, 'compressionRatio', 10);
      const samples = encoderSamples(pixels, d, true);
      // The wrapper applies the colour transform to every multi-component image.
      return runEncoder(flavour.library, flavour.encoder, frameInfo(d, true), samplesBytes(samples), (e) => {
        e.setDecompositions!(decompositions(d));
        e.setQuality!(lossless, 1);
        e.setCompressionRatio!(0, ratio);
      });
    },
    isFrameStart: isJ2kStart,
  };
  if (!lossless) Object.assign(codec, { lossyMethod: 'ISO_15444_1' });
  return codec;
}

/** JPEG 2000 Image Compression (Lossless Only), 1.2.840.10008.1.2.4.90: the reversible 5/3 wavelet. */
export const jpeg2000LosslessCodec = makeJ2kCodec(true);
/** JPEG 2000 Image Compression, 1.2.840.10008.1.2.4.91: encodes with the irreversible 9/7 wavelet. */
export const jpeg2000Codec = makeJ2kCodec(false);

/** OpenJPH's progression orders (HTJ2KEncoder.hpp). */
const RPCL = 2;

function makeHtj2kCodec(mode: 'lossless' | 'rpcl' | 'lossy'): PixelCodec {
  const lossless = mode !== 'lossy';
  const name = mode === 'lossy' ? 'HTJ2K' : mode === 'rpcl' ? 'HTJ2K Lossless RPCL' : 'HTJ2K Lossless';
  const flavour = { ...OPENJPH, name };
  const codec: PixelCodec = {
    name,
    lossy: !lossless,
    decode: (frame, d) => decode(flavour, frame, d),
    encodedImage: (d) => encodedImage(d, lossless),
    async encode(pixels, d, options) {
      checkEncodable(name, d);
      // Lossy: option quantizationStep, relative to the sample range; smaller keeps more.
      // Default 2^-Bits Stored (at most 2^-12): OpenJPH's own default at 8 bits.
      const step = lossless ? 0 : numberOption(options, 'quantizationStep', 2 ** -Math.min(d.bitsStored, 12));
      const samples = encoderSamples(pixels, d, true);
      const rgb = d.samplesPerPixel === 3 && d.photometricInterpretation === 'RGB';
      return runEncoder('openjph', 'HTJ2KEncoder', frameInfo(d, rgb), samplesBytes(samples), (e) => {
        // OpenJPH takes 5 levels on any size (and with 0 levels decodes 0 as 2^(P-1)).
        e.setDecompositions!(5);
        e.setQuality!(lossless, step);
        e.setProgressionOrder!(RPCL);
        // 1.2.840.10008.1.2.4.202 asks for RPCL and TLM marker segments (PS3.5 §A.4.6).
        if (mode === 'rpcl') e.setTLMMarker!(true);
      });
    },
    isFrameStart: isJ2kStart,
  };
  if (!lossless) Object.assign(codec, { lossyMethod: 'ISO_15444_15' });
  return codec;
}

/** High-Throughput JPEG 2000 Image Compression (Lossless Only), 1.2.840.10008.1.2.4.201. */
export const htj2kLosslessCodec = makeHtj2kCodec('lossless');
/** High-Throughput JPEG 2000 with RPCL Options Image Compression (Lossless Only), .202. */
export const htj2kLosslessRpclCodec = makeHtj2kCodec('rpcl');
/** High-Throughput JPEG 2000 Image Compression, 1.2.840.10008.1.2.4.203. */
export const htj2kCodec = makeHtj2kCodec('lossy');
