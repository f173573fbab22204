/**
 * The worker thread of the codec pool (worker-pool.node.ts): runs the compressed codecs of
 * compressed.ts, and PNG encoding of rendered images, one request at a time, and answers with
 * the result's buffer transferred.
 */
import { parentPort } from 'node:worker_threads';
import { DicomError } from '../../core/errors.ts';
import type { PixelDescription } from '../description.ts';
import { encodePng, type PngImage } from '../png.ts';
import { COMPRESSED_CODECS } from './compressed.ts';

export type CodecRequest =
  | {
      id: number;
      op: 'decode' | 'encode';
      uid: string;
      bytes: Uint8Array;
      description: PixelDescription;
      options?: Record<string, unknown>;
    }
  | {
      id: number;
      /** An 8-bit image (`bytes`, channels interleaved) to PNG, with png.ts's default options. */
      op: 'png';
      bytes: Uint8Array;
      image: Omit<PngImage, 'data'>;
    };

export type CodecResponse =
  | {
      id: number;
      ok: true;
      bytes: Uint8Array;
      planarConfiguration?: 0 | 1;
      photometricInterpretation?: string;
    }
  | { id: number; ok: false; code?: string; message: string };

async function handle(request: CodecRequest): Promise<{ response: CodecResponse; transfer: ArrayBuffer[] }> {
  const { id } = request;
  try {
    if (request.op === 'png') {
      const out = ownBuffer(encodePng({ ...request.image, data: request.bytes }));
      return { response: { id, ok: true, bytes: out }, transfer: [out.buffer as ArrayBuffer] };
    }
    const { op, uid, bytes, description } = request;
    const codec = COMPRESSED_CODECS[uid];
    if (!codec) throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `no codec for ${uid} in the worker`);
    if (op === 'decode') {
      const decoded = await codec.decode(bytes, description);
      const out = ownBuffer(decoded.bytes);
      const response: CodecResponse = {
        id,
        ok: true,
        bytes: out,
        planarConfiguration: decoded.planarConfiguration,
      };
      if (decoded.photometricInterpretation)
        response.photometricInterpretation = decoded.photometricInterpretation;
      return { response, transfer: [out.buffer as ArrayBuffer] };
    }
    if (!codec.encode) throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `${codec.name} cannot encode`);
    const out = ownBuffer(await codec.encode(bytes, description, request.options ?? {}));
    return { response: { id, ok: true, bytes: out }, transfer: [out.buffer as ArrayBuffer] };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    const response: CodecResponse = { id, ok: false, message };
    if (error instanceof DicomError) response.code = error.code;
    return { response, transfer: [] };
  }
}

/** The bytes in a buffer of their own, so transferring it moves nothing else. */
function ownBuffer(bytes: Uint8Array): Uint8Array {
  return bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength
    ? bytes
    : new Uint8Array(bytes);
}

if (parentPort) {
  const port = parentPort;
  port.on('message', (request: CodecRequest) => {
    void handle(request).then(({ response, transfer }) => port.postMessage(response, transfer));
  });
}
