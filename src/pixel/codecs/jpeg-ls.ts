import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import { fullResolutionPhotometric, readJpegFrameHeader } from './jpeg.ts';
import type { CodecEncodeOptions, DecodedFrame, EncodedImage, PixelCodec } from './registry.ts';
import { checkCodestreamGeometry, encoderSamples, nativeFromDecoded, samplesBytes } from './samples.ts';
import { runDecoder, runEncoder } from './wasm.ts';

/**
 * JPEG-LS (ISO 14495-1, PS3.5 §A.4.3) with CharLS: Lossless (1.2.840.10008.1.2.4.80) and
 * Near-Lossless (1.2.840.10008.1.2.4.81). Samples are coded as their Bits Stored bit
 * patterns (signed pixels too, as DICOM asks); colour is coded sample-interleaved as it is
 * (no colour transform), so RGB stays RGB.
 */

/** CharLS interleave modes: none (one scan per component, planar output), line, sample. */
const INTERLEAVE_NONE = 0;
const INTERLEAVE_SAMPLE = 2;

async function decode(codec: string, frame: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
  // The frame header first: CharLS would allocate whatever a damaged one claims.
  const header = readJpegFrameHeader(frame);
  if (header && header.rows > 0 && header.columns > 0) {
    checkCodestreamGeometry(codec, d, header.rows, header.columns, header.components);
  }
  const { info, decoded, interleaveMode } = await runDecoder('charls', 'JpegLSDecoder', frame);
  checkCodestreamGeometry(codec, d, info.height, info.width, info.componentCount);
  const result: DecodedFrame = {
    bytes: nativeFromDecoded(decoded, info.bitsPerSample <= 8 ? 1 : 2, d),
    planarConfiguration: info.componentCount > 1 && interleaveMode === INTERLEAVE_NONE ? 1 : 0,
  };
  const photometric = d.samplesPerPixel > 1 ? fullResolutionPhotometric(d) : undefined;
  if (photometric) result.photometricInterpretation = photometric;
  return result;
}

function encode(pixels: Uint8Array, d: PixelDescription, near: number): Promise<Uint8Array> {
  if (d.bitsStored < 2 || d.bitsStored > 16 || (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3)) {
    return Promise.reject(
      new DicomError(
        'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
        `JPEG-LS codes 2 to 16 bits with 1 or 3 samples per pixel, not ${d.bitsStored} bits with ${d.samplesPerPixel}`,
      ),
    );
  }
  const samples = encoderSamples(pixels, d, false);
  if (near > 0 && d.pixelRepresentation === 1) checkSignedRange(samples, d.bitsStored, near);
  return runEncoder(
    'charls',
    'JpegLSEncoder',
    { width: d.columns, height: d.rows, bitsPerSample: d.bitsStored, componentCount: d.samplesPerPixel },
    samplesBytes(samples),
    (encoder) => {
      encoder.setNearLossless!(near);
      encoder.setInterleaveMode!(d.samplesPerPixel > 1 ? INTERLEAVE_SAMPLE : INTERLEAVE_NONE);
    },
  );
}

/**
 * JPEG-LS codes signed samples as unsigned bit patterns, where the largest positive and the
 * most negative value are neighbours: a near-lossless error of up to NEAR there turns one
 * into the other. Such images are refused (pydicom refuses them too).
 */
function checkSignedRange(samples: ArrayLike<number>, bits: number, near: number): void {
  const half = 2 ** (bits - 1);
  for (let i = 0; i < samples.length; i++) {
    const pattern = samples[i]!;
    // Patterns half-near-1 .. half+near hold the values within NEAR of the range's ends.
    if (pattern >= half - near - 1 && pattern <= half + near) {
      const value = pattern >= half ? pattern - 2 * half : pattern;
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `JPEG-LS Near-Lossless cannot code signed ${bits}-bit samples within NEAR (${near}) of the range's ends (sample ${i} is ${value}): use JPEG-LS Lossless`,
      );
    }
  }
}

const keep = (d: PixelDescription): EncodedImage => ({
  photometricInterpretation: d.photometricInterpretation,
  planarConfiguration: 0,
});

const isJpegLsStart = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;

/** JPEG-LS Lossless, 1.2.840.10008.1.2.4.80. */
export const jpegLsLosslessCodec: PixelCodec = {
  name: 'JPEG-LS Lossless',
  lossy: false,
  decode: (frame, d) => decode('JPEG-LS Lossless', frame, d),
  encodedImage: keep,
  encode: (pixels, d) => encode(pixels, d, 0),
  isFrameStart: isJpegLsStart,
};

/** The NEAR parameter of near-lossless encoding: option `nearLossless`, default 2. */
function nearOption(options: CodecEncodeOptions | undefined): number {
  const near = Number(options?.['nearLossless'] ?? 2);
  if (!Number.isInteger(near) || near < 0 || near > 255) {
    throw new DicomError('ERR_INVALID_VALUE', `JPEG-LS NEAR must be an integer 0-255, not ${near}`);
  }
  return near;
}

/** JPEG-LS Near-Lossless, 1.2.840.10008.1.2.4.81: each sample within NEAR of the original. */
export const jpegLsNearLosslessCodec: PixelCodec = {
  name: 'JPEG-LS Near-Lossless',
  lossy: true,
  lossyMethod: 'ISO_14495_1',
  decode: (frame, d) => decode('JPEG-LS Near-Lossless', frame, d),
  encodedImage: keep,
  encode(pixels, d, options) {
    try {
      return encode(pixels, d, nearOption(options));
    } catch (error) {
      return Promise.reject(error);
    }
  },
  isFrameStart: isJpegLsStart,
};
