import { DicomParseError } from '../core/errors.ts';

/**
 * Deflate for Deflated Explicit VR Little Endian (raw deflate, RFC 1951; PS3.5 §A.5), gzip'd
 * files and PNG (zlib format, RFC 1950), in whatever runtime this layer runs in.
 *
 * Node has zlib built in (`process.getBuiltinModule`, Node >= 20.16): native, and it spares
 * every process fflate's import, which builds its Huffman tables when loaded (~12 ms of each
 * CLI command's start-up, though few commands ever meet a deflated object). Browsers (and an
 * older Node) import fflate, pure JavaScript, once, before this module finishes loading.
 */
export interface DeflateCodec {
  inflateRaw(bytes: Uint8Array): Uint8Array;
  /** zlib format (RFC 1950). */
  inflateZlib(bytes: Uint8Array): Uint8Array;
  deflateRaw(bytes: Uint8Array, level: number): Uint8Array;
  gunzip(bytes: Uint8Array): Uint8Array;
  /** zlib format (RFC 1950), as PNG's IDAT wants it. */
  deflateZlib(bytes: Uint8Array, level: number): Uint8Array;
}

/** The few node:zlib functions used, typed here so this isomorphic layer imports nothing of Node. */
interface NodeZlib {
  inflateRawSync(bytes: Uint8Array): Uint8Array;
  inflateSync(bytes: Uint8Array): Uint8Array;
  deflateRawSync(bytes: Uint8Array, options: { level: number }): Uint8Array;
  gunzipSync(bytes: Uint8Array): Uint8Array;
  deflateSync(bytes: Uint8Array, options: { level: number }): Uint8Array;
}

/** zlib's compression levels: 0 stores, 1 is fastest, 9 smallest. */
export type DeflateLevel = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
type Level = DeflateLevel;

/** A Node Buffer as a plain Uint8Array over the same bytes (Buffer's `slice` shares memory). */
const plain = (bytes: Uint8Array): Uint8Array =>
  new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);

function nodeCodec(zlib: NodeZlib): DeflateCodec {
  return {
    inflateRaw: (bytes) => plain(zlib.inflateRawSync(bytes)),
    inflateZlib: (bytes) => plain(zlib.inflateSync(bytes)),
    deflateRaw: (bytes, level) => plain(zlib.deflateRawSync(bytes, { level })),
    gunzip: (bytes) => plain(zlib.gunzipSync(bytes)),
    deflateZlib: (bytes, level) => plain(zlib.deflateSync(bytes, { level })),
  };
}

/** fflate's codec, which browsers use; exported so tests can hold both codecs to one behaviour. */
export async function fflateCodec(): Promise<DeflateCodec> {
  const fflate = await import('fflate');
  return {
    inflateRaw: (bytes) => fflate.inflateSync(bytes),
    inflateZlib: (bytes) => fflate.unzlibSync(bytes),
    deflateRaw: (bytes, level) => fflate.deflateSync(bytes, { level: level as Level }),
    gunzip: (bytes) => fflate.gunzipSync(bytes),
    deflateZlib: (bytes, level) => fflate.zlibSync(bytes, { level: level as Level }),
  };
}

function builtinZlib(): NodeZlib | undefined {
  const host = globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } };
  return host.process?.getBuiltinModule?.('node:zlib') as NodeZlib | undefined;
}

const zlib = builtinZlib();
/** The codec in use: node:zlib where the runtime has it, fflate elsewhere. */
export const deflateCodec: DeflateCodec = zlib ? nodeCodec(zlib) : await fflateCodec();

/** A zlib (RFC 1950) header: deflate method, and the check bits of RFC 1950 §2.2. */
function hasZlibHeader(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && (bytes[0]! & 0x0f) === 8 && ((bytes[0]! << 8) | bytes[1]!) % 31 === 0;
}

/**
 * Inflates a deflated data set. PS3.5 §A.5 wants raw deflate; some writers wrap it in zlib's
 * format (what DCMTK reads with `+bz`), which is tried when raw deflate fails on such a header.
 */
export function inflateRaw(bytes: Uint8Array, offset: number): Uint8Array {
  try {
    return deflateCodec.inflateRaw(bytes);
  } catch (error) {
    if (hasZlibHeader(bytes)) {
      try {
        return deflateCodec.inflateZlib(bytes);
      } catch {
        // Report the raw deflate failure: that is the format the standard asks for.
      }
    }
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

export function deflateRaw(bytes: Uint8Array, level: Level = 6): Uint8Array {
  return deflateCodec.deflateRaw(bytes, level);
}

export function gunzipSync(bytes: Uint8Array): Uint8Array {
  return deflateCodec.gunzip(bytes);
}
