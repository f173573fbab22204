import { DicomError } from '../../core/errors.ts';
import { ybrToRgb } from '../color.ts';
import type { PixelDescription } from '../description.ts';
import { decodeJpeg } from './jpeg-decoder.ts';
import { encodeJpegLossless } from './jpeg-lossless-encoder.ts';
import type { CodecEncodeOptions, DecodedFrame, EncodedImage, PixelCodec } from './registry.ts';
import { checkCodestreamGeometry, encoderSamples, nativeFromDecoded, samplesBytes } from './samples.ts';
import { runDecoder, runEncoder } from './wasm.ts';

/**
 * The JPEG family (ISO 10918-1, PS3.5 §8.2.1): Baseline (Process 1) and Extended
 * (Processes 2 & 4) decode with libjpeg-turbo's 8-bit WASM build, 12-bit Extended and
 * Lossless (Process 14, any selection value) with our own decoder (jpeg-decoder.ts);
 * Baseline encodes with libjpeg-turbo, Lossless SV1 with our encoder.
 */

export interface JpegFrameHeader {
  /** The SOFn marker's n: 0 baseline, 1 extended, 2 progressive, 3 lossless... 55 JPEG-LS. */
  process: number;
  precision: number;
  rows: number;
  columns: number;
  components: number;
}

/**
 * The frame header (SOFn, ISO 10918-1 §B.2.2, or JPEG-LS's SOF55, ISO 14495-1 §C.2.2) of a
 * JPEG codestream, or undefined when there is none. Rows or columns of 0 mean that a later
 * marker (DNL, or JPEG-LS's LSE) gives them.
 */
export function readJpegFrameHeader(data: Uint8Array): JpegFrameHeader | undefined {
  if (data[0] !== 0xff || data[1] !== 0xd8) return undefined;
  let pos = 2;
  while (pos + 4 <= data.length) {
    if (data[pos] !== 0xff) return undefined;
    const marker = data[pos + 1]!;
    if (marker === 0xff) {
      pos++;
      continue;
    }
    const length = (data[pos + 2]! << 8) | data[pos + 3]!;
    if (
      (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) ||
      marker === 0xf7
    ) {
      if (pos + 10 > data.length) return undefined;
      return {
        process: marker - 0xc0,
        precision: data[pos + 4]!,
        rows: (data[pos + 5]! << 8) | data[pos + 6]!,
        columns: (data[pos + 7]! << 8) | data[pos + 8]!,
        components: data[pos + 9]!,
      };
    }
    if (marker === 0xda || marker === 0xd9) return undefined;
    pos += 2 + length;
  }
  return undefined;
}

/**
 * The colour space of decoded samples that keep the coded components: a 4:2:2 name is
 * expanded to its full-resolution name since every pixel now has its own chroma.
 */
export function fullResolutionPhotometric(d: PixelDescription): string | undefined {
  return d.photometricInterpretation === 'YBR_FULL_422' ? 'YBR_FULL' : undefined;
}

/** Decodes with our decoder (12-bit DCT, lossless). */
function decodeOwn(codec: string, frame: Uint8Array, d: PixelDescription): DecodedFrame {
  const image = decodeJpeg(frame);
  checkCodestreamGeometry(codec, d, image.height, image.width, image.components);
  const result: DecodedFrame = {
    bytes: nativeFromDecoded(samplesBytes(image.samples), image.samples.BYTES_PER_ELEMENT, d),
    planarConfiguration: 0,
  };
  const photometric = d.samplesPerPixel > 1 ? fullResolutionPhotometric(d) : undefined;
  if (photometric) result.photometricInterpretation = photometric;
  return result;
}

/**
 * A copy of a 3-component codestream whose markers make libjpeg read its colour space as
 * the data set says, as DCMTK (dcmdjpeg's default --conv-photometric) and GDCM do: YBR_*
 * samples are YCbCr (converted to RGB), RGB ones are not converted. libjpeg guesses
 * otherwise (ITU T.871, Adobe): a JFIF APP0 means YCbCr, an Adobe APP14 says by its
 * transform flag, else component identifiers 1,2,3 mean YCbCr and 'R','G','B' RGB. So the
 * JFIF marker becomes APP15, the Adobe transform flag and the identifiers (in the frame
 * header and every scan header) are set to match.
 */
export function withColourSpace(frame: Uint8Array, rgb: boolean): Uint8Array {
  const out = new Uint8Array(frame); // a copy, also of a Buffer (whose slice() is a view)
  const ids = rgb ? [82, 71, 66] : [1, 2, 3];
  const renamed = new Map<number, number>();
  let pos = 2;
  while (pos + 4 <= out.length) {
    if (out[pos] !== 0xff) {
      pos++; // entropy-coded data between scans
      continue;
    }
    const marker = out[pos + 1]!;
    if (marker === 0x00 || marker === 0xff || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += marker === 0xff ? 1 : 2;
      continue;
    }
    if (marker === 0xd9) break;
    const length = (out[pos + 2]! << 8) | out[pos + 3]!;
    const body = pos + 4;
    const text = (at: number, n: number) => String.fromCharCode(...out.subarray(at, at + n));
    if (marker === 0xe0 && rgb && text(body, 5) === 'JFIF\0') out[pos + 1] = 0xef;
    else if (marker === 0xee && text(body, 5) === 'Adobe' && length >= 14) out[body + 11] = rgb ? 0 : 1;
    else if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      if (out[body + 5] === 3) {
        for (let i = 0; i < 3; i++) {
          renamed.set(out[body + 6 + 3 * i]!, ids[i]!);
          out[body + 6 + 3 * i] = ids[i]!;
        }
      }
    } else if (marker === 0xda) {
      const n = out[body]!;
      for (let i = 0; i < n; i++) {
        const at = body + 1 + 2 * i;
        const id = renamed.get(out[at]!);
        if (id !== undefined) out[at] = id;
      }
    }
    pos += 2 + length;
  }
  return out;
}

/**
 * Decodes 8-bit DCT data with libjpeg-turbo. Colour comes back as RGB: YBR_* data
 * converted, RGB data as coded (see `withColourSpace`).
 */
async function decodeTurbo(codec: string, frame: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
  const coded =
    d.samplesPerPixel === 3 ? withColourSpace(frame, d.photometricInterpretation === 'RGB') : frame;
  const { info, decoded } = await runDecoder('libjpeg-turbo', 'JPEGDecoder', coded);
  checkCodestreamGeometry(codec, d, info.height, info.width, info.componentCount);
  const result: DecodedFrame = { bytes: nativeFromDecoded(decoded, 1, d), planarConfiguration: 0 };
  if (info.componentCount === 3) result.photometricInterpretation = 'RGB';
  return result;
}

async function decodeDct(codec: string, frame: Uint8Array, d: PixelDescription): Promise<DecodedFrame> {
  const header = readJpegFrameHeader(frame);
  if (!header) throw new DicomError('ERR_MALFORMED', `${codec}: no JPEG frame header in the frame`);
  if (header.rows > 0) checkCodestreamGeometry(codec, d, header.rows, header.columns, header.components);
  if (header.process === 3) return decodeOwn(codec, frame, d);
  if (header.precision === 8) return decodeTurbo(codec, frame, d);
  if (header.process === 0 || header.process === 1) return decodeOwn(codec, frame, d);
  throw new DicomError(
    'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
    `${codec}: ${header.precision}-bit SOF${header.process} JPEG is not supported`,
  );
}

const isJpegStart = (b: Uint8Array) => b[0] === 0xff && b[1] === 0xd8;

/** libjpeg-turbo's TJSAMP_444 and TJSAMP_422. */
const SUBSAMPLING = { '444': 0, '422': 1 } as const;

function subsampling(options: CodecEncodeOptions | undefined): '444' | '422' {
  return options?.['subsampling'] === '444' ? '444' : '422';
}

/**
 * JPEG Baseline (Process 1), 1.2.840.10008.1.2.4.50. Encoding takes 8-bit unsigned
 * samples; colour is coded as YCbCr, 4:2:2 by default (`subsampling: '444'` for none),
 * so RGB becomes YBR_FULL_422 (or YBR_FULL), PS3.5 §8.2.1. Options: `quality` 1-100 (90).
 */
export const jpegBaselineCodec: PixelCodec = {
  name: 'JPEG Baseline',
  lossy: true,
  lossyMethod: 'ISO_10918_1',
  decode(frame, description) {
    return decodeDct('JPEG Baseline', frame, description);
  },
  encodedImage(description, options): EncodedImage {
    if (description.samplesPerPixel === 1) {
      return { photometricInterpretation: description.photometricInterpretation, planarConfiguration: 0 };
    }
    return {
      photometricInterpretation: subsampling(options) === '444' ? 'YBR_FULL' : 'YBR_FULL_422',
      planarConfiguration: 0,
    };
  },
  async encode(pixels, d, options) {
    if (
      d.bitsStored > 8 ||
      d.pixelRepresentation === 1 ||
      (d.samplesPerPixel !== 1 && d.samplesPerPixel !== 3)
    ) {
      throw new DicomError(
        'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
        `JPEG Baseline codes 8-bit unsigned grey or colour samples, not ${d.bitsStored}-bit ${d.pixelRepresentation ? 'signed' : 'unsigned'} with ${d.samplesPerPixel} samples per pixel`,
      );
    }
    let samples = encoderSamples(pixels, d, false) as Uint8Array;
    const photometric = d.photometricInterpretation;
    if (d.samplesPerPixel === 3 && photometric !== 'RGB') {
      if (photometric !== 'YBR_FULL') {
        throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `JPEG Baseline cannot encode ${photometric}`);
      }
      samples = ybrToRgb(samples, 8); // the encoder converts RGB to YCbCr itself
    }
    const quality = Number(options?.['quality'] ?? 90);
    return runEncoder(
      'libjpeg-turbo',
      'JPEGEncoder',
      {
        width: d.columns,
        height: d.rows,
        bitsPerSample: 8,
        componentCount: d.samplesPerPixel,
        isSigned: false,
      },
      samples,
      (encoder) => {
        encoder.setProgressive!(0);
        encoder.setQuality!(Math.max(1, Math.min(100, Math.round(quality))));
        encoder.setSubSampling!(SUBSAMPLING[subsampling(options)]);
      },
    );
  },
  isFrameStart: isJpegStart,
};

/** JPEG Extended (Processes 2 & 4), 1.2.840.10008.1.2.4.51: 8 or 12 bits, decode only. */
export const jpegExtendedCodec: PixelCodec = {
  name: 'JPEG Extended',
  lossy: true,
  lossyMethod: 'ISO_10918_1',
  decode(frame, description) {
    return decodeDct('JPEG Extended', frame, description);
  },
  isFrameStart: isJpegStart,
};

/** JPEG Lossless (Process 14), 1.2.840.10008.1.2.4.57: any selection value, decode only. */
export const jpegLosslessCodec: PixelCodec = {
  name: 'JPEG Lossless',
  lossy: false,
  decode(frame, description) {
    try {
      return Promise.resolve(decodeOwn('JPEG Lossless', frame, description));
    } catch (error) {
      return Promise.reject(error);
    }
  },
  isFrameStart: isJpegStart,
};

/**
 * JPEG Lossless SV1 (Process 14, selection value 1), 1.2.840.10008.1.2.4.70. Encodes 2- to
 * 16-bit samples (Bits Stored), grey or colour (coded as they are: RGB stays RGB).
 */
export const jpegLosslessSv1Codec: PixelCodec = {
  name: 'JPEG Lossless SV1',
  lossy: false,
  decode: jpegLosslessCodec.decode,
  encodedImage(description): EncodedImage {
    return { photometricInterpretation: description.photometricInterpretation, planarConfiguration: 0 };
  },
  encode(pixels, d) {
    try {
      const samples = encoderSamples(pixels, d, false);
      return Promise.resolve(
        encodeJpegLossless({
          width: d.columns,
          height: d.rows,
          components: d.samplesPerPixel,
          precision: Math.max(2, d.bitsStored),
          samples,
        }),
      );
    } catch (error) {
      return Promise.reject(error);
    }
  },
  isFrameStart: isJpegStart,
};
