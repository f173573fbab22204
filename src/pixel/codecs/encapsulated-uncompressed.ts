import { DicomError } from '../../core/errors.ts';
import { nativeFrameBits, type PixelDescription } from '../description.ts';
import type { DecodedFrame, PixelCodec } from './registry.ts';

/**
 * Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5
 * §A.4.11): each frame is one fragment holding the frame as native pixel data would, so
 * frames of 1-bit data start on a byte boundary and a frame can be read without the others.
 */
export const encapsulatedUncompressedCodec: PixelCodec = {
  name: 'Encapsulated Uncompressed',
  lossy: false,
  decode(frame: Uint8Array, description: PixelDescription): Promise<DecodedFrame> {
    const length = Math.ceil(nativeFrameBits(description) / 8);
    if (frame.length < length) {
      return Promise.reject(
        new DicomError('ERR_UNEXPECTED_END', `uncompressed frame holds ${frame.length} of ${length} bytes`),
      );
    }
    return Promise.resolve({
      bytes: frame.subarray(0, length),
      planarConfiguration: description.planarConfiguration,
    });
  },
  encode(pixels: Uint8Array): Promise<Uint8Array> {
    return Promise.resolve(pixels.slice());
  },
};
