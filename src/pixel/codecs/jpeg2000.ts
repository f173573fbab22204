import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import {
  CPRL,
  type MergeOptions,
  mergeComponents,
  RPCL,
  readSiz,
  setSigned,
  splitComponents,
} from './j2k-codestream.ts';
import { fullResolutionPhotometric } from './jpeg.ts';
import type { CodecEncodeOptions, DecodedFrame, EncodedImage, PixelCodec } from './registry.ts';
import { checkCodestreamGeometry, encoderSamples, nativeFromDecoded, samplesBytes } from './samples.ts';
import { runDecoder, runEncoder, type WasmEncoder, type WasmFrameInfo, type WasmLibrary } from './wasm.ts';

/**
 * JPEG 2000 (ISO 15444-1) with OpenJPEG: Lossless Only (1.2.840.10008.1.2.4.90) and
 * lossy (.91); High-Throughput JPEG 2000 (ISO 15444-15) with OpenJPH: Lossless (.201),
 * Lossless with RPCL progression and TLM markers (.202) and lossy (.203). PS3.5 §A.4.4,
 * §A.4.6, §8.2.4: colour coded with the multiple-component transformation is YBR_RCT
 * (reversible) or YBR_ICT (irreversible); decoders undo it and hand back RGB.
 *
 * What the published WASM wrappers do not do is done around them at the marker level
 * (j2k-codestream.ts): signed samples of 8 bits or fewer, which they clamp to 0..255, are
 * coded as unsigned with the sign bit of SIZ set afterwards; several components of more
 * than 8 bits, of which both encoders read only the first, are coded one component at a
 * time and merged, without a colour transform (so RGB stays RGB). OpenJPEG's decoder
 * returns only the first such component, so those codestreams are split into one per
 * component first; OpenJPH's decodes them whole.
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

/** Two's complement of `bits`-bit signed samples decoded as unsigned (u = s + 2^(bits-1)), in place. */
function unsignedToSigned(decoded: Uint8Array, bits: number): void {
  const offset = 2 ** (bits - 1);
  for (let i = 0; i < decoded.length; i++) decoded[i] = (decoded[i]! - offset) & 0xff;
}

/**
 * OpenJPEG on a codestream of several components over 8 bits: one decode per component
 * (splitComponents refuses, with the reason, what it cannot take apart), interleaved.
 */
async function decodeByComponent(
  name: string,
  frame: Uint8Array,
): Promise<{ info: WasmFrameInfo; decoded: Uint8Array }> {
  let parts: Uint8Array[];
  try {
    parts = splitComponents(frame);
  } catch (error) {
    if (!(error instanceof DicomError) || error.code !== 'ERR_UNSUPPORTED_TRANSFER_SYNTAX') throw error;
    throw new DicomError(
      error.code,
      `${name}: OpenJPEG's WASM build decodes only the first of several components over 8 bits, and ${error.message}`,
      { cause: error },
    );
  }
  const results = [];
  for (const part of parts) results.push(await runDecoder('openjpeg', OPENJPEG.decoder, part));
  const count = parts.length;
  const first = results[0]!.info;
  const samples = first.width * first.height;
  const decoded = new Uint8Array(samples * count * 2);
  results.forEach(({ info, decoded: plane }, c) => {
    if (info.width !== first.width || info.height !== first.height || plane.length < samples * 2) {
      throw new DicomError('ERR_MALFORMED', `JPEG 2000: component ${c} decodes to another size`);
    }
    for (let i = 0, at = 2 * c; i < samples; i++, at += 2 * count) {
      decoded[at] = plane[2 * i]!;
      decoded[at + 1] = plane[2 * i + 1]!;
    }
  });
  return { info: { ...first, componentCount: count, isUsingColorTransform: false }, decoded };
}

/**
 * OpenJPH's wrapper decodes several components without a colour transform in planar mode
 * (all lines of component 0, then of 1, ...) but stores the k-th line it pulls as row
 * floor(k / n), sample k mod n: this puts every line back where it belongs.
 */
function unscrambleOpenJphLines(
  decoded: Uint8Array,
  info: WasmFrameInfo,
  bytesPerSample: number,
): Uint8Array {
  const { width, height, componentCount: n } = info;
  const out = new Uint8Array(decoded.length);
  const pixel = n * bytesPerSample;
  for (let k = 0; k < n * height; k++) {
    const from = Math.floor(k / n) * width * pixel + (k % n) * bytesPerSample;
    const to = (k % height) * width * pixel + Math.floor(k / height) * bytesPerSample;
    for (let x = 0; x < width; x++) {
      for (let b = 0; b < bytesPerSample; b++) out[to + x * pixel + b] = decoded[from + x * pixel + b]!;
    }
  }
  return out;
}

async function decode(flavour: Flavour, frame: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
  const siz = readSiz(frame);
  const components = siz?.components ?? [];
  const name = flavour.name;
  // The image area (ISO 15444-1 §B.2) first: the decoders would allocate whatever a damaged
  // SIZ claims, and take seconds to fail.
  if (siz) checkCodestreamGeometry(name, d, siz.height - siz.y0, siz.width - siz.x0, components.length);
  // Both wrappers clamp 8-bit output to 0..255: decode signed samples as unsigned ones.
  const signedBits =
    components.length > 0 &&
    components.every((c) => c.signed && c.precision <= 8 && c.precision === components[0]!.precision)
      ? components[0]!.precision
      : undefined;
  const stream = signedBits ? setSigned(frame, false) : frame;
  const byComponent = flavour.library === 'openjpeg' && components.length > 1 && components[0]!.precision > 8;
  let { info, decoded } = byComponent
    ? await decodeByComponent(flavour.name, stream)
    : await runDecoder(flavour.library, flavour.decoder, stream);
  checkCodestreamGeometry(name, d, info.height, info.width, info.componentCount);
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
  if (flavour.library === 'openjph' && info.componentCount > 1 && !info.isUsingColorTransform) {
    decoded = unscrambleOpenJphLines(decoded, info, bytesPerSample);
  }
  if (signedBits) unsignedToSigned(decoded, signedBits);
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

/** What the codecs encode: 1 or 3 samples per pixel of up to 16 bits. */
function checkEncodable(name: string, d: PixelDescription): void {
  const problem =
    d.bitsStored > 16
      ? `${d.bitsStored}-bit samples`
      : d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3
        ? `${d.samplesPerPixel} samples per pixel`
        : undefined;
  if (problem) {
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `the ${name} encoder cannot code ${problem}`);
  }
}

/** Whether the codecs code a colour image with the multiple-component transformation: at 8 bits or fewer. */
const colourTransformed = (d: PixelDescription) =>
  d.samplesPerPixel === 3 && d.photometricInterpretation === 'RGB' && d.bitsStored <= 8;

/**
 * Runs a wrapper's encoder on one frame: a signed image of 8 bits or fewer as its unsigned
 * twin, then marked signed; several components over 8 bits one at a time, then merged as
 * `merge` says (see j2k-codestream.ts). `setup` sets the encoder's parameters, told
 * whether it codes one component of several.
 */
async function encodeFrame(
  library: WasmLibrary,
  className: string,
  pixels: Uint8Array,
  d: PixelDescription,
  merge: MergeOptions,
  setup: (encoder: WasmEncoder, singleComponent: boolean) => void,
): Promise<Uint8Array> {
  const samples = encoderSamples(pixels, d, true);
  const signedSmall = d.pixelRepresentation === 1 && d.bitsStored <= 8;
  if (signedSmall) {
    // Two's complement to offset binary: u = s + 2^(B-1) flips bit B-1 of the B-bit pattern.
    const top = 2 ** (d.bitsStored - 1);
    for (let i = 0; i < samples.length; i++) samples[i] = samples[i]! ^ top;
  }
  const info = frameInfo(d, colourTransformed(d));
  if (signedSmall) info.isSigned = false;
  if (d.samplesPerPixel === 1 || d.bitsStored <= 8) {
    const out = await runEncoder(library, className, info, samplesBytes(samples), (e) => setup(e, false));
    return signedSmall ? setSigned(out, true) : out;
  }
  const count = d.samplesPerPixel;
  const streams: Uint8Array[] = [];
  for (let c = 0; c < count; c++) {
    const plane = samples.slice(0, d.rows * d.columns);
    for (let i = 0, at = c; i < plane.length; i++, at += count) plane[i] = samples[at]!;
    const one = { ...info, componentCount: 1, isUsingColorTransform: false };
    streams.push(await runEncoder(library, className, one, samplesBytes(plane), (e) => setup(e, true)));
  }
  return mergeComponents(streams, merge);
}

/** RGB of 8 bits or fewer is coded with the colour transform: YBR_RCT when reversible, YBR_ICT when not. */
function encodedImage(d: PixelDescription, reversible: boolean): EncodedImage {
  return {
    photometricInterpretation: colourTransformed(d)
      ? reversible
        ? 'YBR_RCT'
        : 'YBR_ICT'
      : d.photometricInterpretation,
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
      // The wrapper applies the colour transform to every multi-component image it codes,
      // and cannot divide tile-parts: components coded apart are merged in CPRL, which
      // keeps each component's packets together.
      return encodeFrame(flavour.library, flavour.encoder, pixels, d, { progression: CPRL }, (e, single) => {
        e.setDecompositions!(decompositions(d));
        e.setQuality!(lossless, 1);
        e.setCompressionRatio!(0, ratio);
        if (single) e.setProgressionOrder!(CPRL);
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
      // RPCL throughout; several components over 8 bits are coded with tile-parts divided
      // at resolutions, which mergeComponents interleaves resolution by resolution.
      // 1.2.840.10008.1.2.4.202 asks for RPCL and TLM marker segments (PS3.5 §A.4.6).
      const tlm = mode === 'rpcl';
      return encodeFrame('openjph', 'HTJ2KEncoder', pixels, d, { progression: RPCL, tlm }, (e, single) => {
        // OpenJPH takes 5 levels on any size (and with 0 levels decodes 0 as 2^(P-1)).
        e.setDecompositions!(5);
        e.setQuality!(lossless, step);
        e.setProgressionOrder!(RPCL);
        if (single) e.setTilePartDivisionsAtResolutions!(true);
        else if (tlm) e.setTLMMarker!(true);
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
