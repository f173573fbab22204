import { deflateSync, gunzipSync, inflateSync } from 'fflate';
import { DicomParseError } from '../core/errors.ts';

/**
 * Raw deflate (RFC 1951) for Deflated Explicit VR Little Endian (PS3.5 §A.5). fflate is
 * pure JavaScript, so this layer keeps running in browsers.
 */
export function inflateRaw(bytes: Uint8Array, offset: number): Uint8Array {
  try {
    return inflateSync(bytes);
  } catch (error) {
    throw new DicomParseError(
      'ERR_MALFORMED',
      `deflated data set does not inflate (${String(error)})`,
      offset,
      {
        cause: error,
      },
    );
  }
}

export function deflateRaw(bytes: Uint8Array, level: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 = 6): Uint8Array {
  return deflateSync(bytes, { level });
}

export { gunzipSync };
