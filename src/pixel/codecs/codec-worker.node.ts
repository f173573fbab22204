/**
 * The worker thread of the codec pool (worker-pool.node.ts): runs the compressed codecs of
 * compressed.ts, and the rendering and PNG encoding of frames, one request at a time, and
 * answers with the result's buffer transferred.
 */
import { parentPort } from 'node:worker_threads';
import { DicomError } from '../../core/errors.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN } from '../../encoding/index.ts';
import { readDataSet } from '../../object/part10.ts';
import { type PixelDescription, pixelDescription } from '../description.ts';
import { type Frame, samplesToFrame, toRgb } from '../frames.ts';
import type { PixelArray } from '../native.ts';
import { encodePng, type PngImage } from '../png.ts';
import { type RenderOptions, renderDecodedFrame } from '../render.ts';
import { scaleToFit } from '../scale.ts';
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
    }
  | RenderPngRequest
  | RenderStoredPngRequest;

/**
 * RenderPngRequest from a native frame's stored bytes (getStoredFrame): unpacked, made
 * colour-by-pixel and RGB here, so that a large frame costs the caller's thread no CPU.
 */
export interface RenderStoredPngRequest {
  id: number;
  op: 'render-stored-png';
  /** The frame's bytes as stored, little endian, from bit `bitOffset` of the first byte. */
  bytes: Uint8Array;
  bitOffset: number;
  index: number;
  /** The data set without pixel data (its Pixel Data is native, tag 7FE0,0010). */
  header: Uint8Array;
  options: RenderOptions;
  fit?: { width?: number; height?: number; smooth: boolean };
}

/** A decoded frame rendered (render.ts), scaled to fit if asked (scale.ts), then PNG-encoded. */
export interface RenderPngRequest {
  id: number;
  op: 'render-png';
  /** The frame's pixel values, in the buffer of a `frame.pixelType` array. */
  bytes: Uint8Array;
  frame: Omit<Frame, 'pixels'> & { pixelType: PixelArrayType };
  /** The data set without pixel data, explicit VR little endian: what the LUT stages read. */
  header: Uint8Array;
  options: RenderOptions;
  fit?: { width?: number; height?: number; smooth: boolean };
}

export type PixelArrayType =
  | 'Uint8Array'
  | 'Int8Array'
  | 'Uint16Array'
  | 'Int16Array'
  | 'Uint32Array'
  | 'Int32Array'
  | 'Float32Array'
  | 'Float64Array';

const PIXEL_ARRAYS = {
  Uint8Array,
  Int8Array,
  Uint16Array,
  Int16Array,
  Uint32Array,
  Int32Array,
  Float32Array,
  Float64Array,
} as const;

function renderPng(request: RenderPngRequest | RenderStoredPngRequest): Uint8Array {
  const ds = readDataSet(request.header, EXPLICIT_VR_LITTLE_ENDIAN);
  let frame: Frame;
  if (request.op === 'render-stored-png') {
    const description = pixelDescription(ds);
    const decoded = { bytes: request.bytes, planarConfiguration: description.planarConfiguration };
    frame = toRgb(ds, samplesToFrame(description, request.index, decoded, request.bitOffset));
  } else {
    const { pixelType, ...shape } = request.frame;
    const Pixels = PIXEL_ARRAYS[pixelType];
    const { bytes } = request;
    const pixels = new Pixels(
      bytes.buffer as ArrayBuffer,
      bytes.byteOffset,
      bytes.byteLength / Pixels.BYTES_PER_ELEMENT,
    );
    frame = { ...shape, pixels: pixels as PixelArray };
  }
  let image = renderDecodedFrame(ds, frame, request.options);
  if (request.fit) image = scaleToFit(image, request.fit.width, request.fit.height, request.fit.smooth);
  return encodePng({ width: image.width, height: image.height, channels: image.channels, data: image.data });
}

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
    if (request.op === 'png' || request.op === 'render-png' || request.op === 'render-stored-png') {
      const png =
        request.op === 'png' ? encodePng({ ...request.image, data: request.bytes }) : renderPng(request);
      const out = ownBuffer(png);
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
