import { DicomError } from '../../core/errors.ts';
import { DataSet } from '../../object/dataset.ts';
import { concatParts, DataSetEncoder } from '../../object/writer.ts';
import type { PixelDescription } from '../description.ts';
import type { Frame } from '../frames.ts';
import type { PngImage } from '../png.ts';
import type { RenderOptions } from '../render.ts';
import { sharedCodecPool } from './codec-pool.node.ts';
import type { PixelArrayType } from './codec-worker.node.ts';
import { COMPRESSED_CODECS } from './compressed.ts';
import { type CodecRegistry, type DecodedFrame, defaultCodecs, type PixelCodec } from './registry.ts';
import { CodecWorkerPool } from './worker-pool.node.ts';

/**
 * The compressed codecs for Node: the same codecs as compressed.ts (JPEG, JPEG-LS, JPEG
 * 2000, HTJ2K), each decode and encode run on a worker thread of a shared pool so the
 * event loop stays responsive. `registerNodeCodecs()` puts them in the default registry;
 * `closeCodecWorkers()` ends the pool's threads (not needed to exit: idle workers are unref'd).
 */

export { closeCodecWorkers } from './codec-pool.node.ts';

/** The pool the registered codecs use, created on first use. */
export function codecWorkerPool(): CodecWorkerPool {
  return sharedCodecPool(() => new CodecWorkerPool());
}

/** A codec that forwards to `local`'s twin in a worker of `pool`. */
export function workerCodec(uid: string, local: PixelCodec, pool?: CodecWorkerPool): PixelCodec {
  const choose = () => pool ?? codecWorkerPool();
  const codec: PixelCodec = {
    name: local.name,
    lossy: local.lossy,
    async decode(frame: Uint8Array, description: PixelDescription, options = {}): Promise<DecodedFrame> {
      const response = await choose().run({ op: 'decode', uid, bytes: frame, description }, options.signal);
      const decoded: DecodedFrame = {
        bytes: response.bytes,
        planarConfiguration: response.planarConfiguration ?? 0,
      };
      if (response.photometricInterpretation)
        decoded.photometricInterpretation = response.photometricInterpretation;
      return decoded;
    },
  };
  if (local.lossyMethod) Object.assign(codec, { lossyMethod: local.lossyMethod });
  if (local.encodedImage) codec.encodedImage = local.encodedImage;
  if (local.isFrameStart) codec.isFrameStart = local.isFrameStart;
  if (local.encode) {
    codec.encode = async (pixels, description, options = {}) => {
      const { signal, ...settings } = options;
      const response = await choose().run(
        { op: 'encode', uid, bytes: pixels, description, options: settings },
        signal,
      );
      return response.bytes;
    };
  }
  return codec;
}

/**
 * `encodePng` (png.ts, default options) on a worker of the shared pool: a large image's row
 * filtering and deflate take hundreds of ms, which a server's event loop cannot spare.
 */
export async function encodePngOnWorker(image: PngImage, signal?: AbortSignal): Promise<Uint8Array> {
  if (!(image.data instanceof Uint8Array)) {
    throw new DicomError('ERR_INVALID_VALUE', 'encodePngOnWorker takes 8-bit samples');
  }
  const { data, ...shape } = image;
  const response = await codecWorkerPool().run({ op: 'png', bytes: data, image: shape }, signal);
  return response.bytes;
}

/**
 * A decoded frame rendered (`renderDecodedFrame`), scaled to fit `fit` if given (`scaleToFit`)
 * and PNG-encoded, all on a worker of the shared pool. `ds` goes along without its pixel
 * data (values left on disk are left out too: the LUT stages read none of them).
 */
export async function renderPngOnWorker(
  ds: DataSet,
  frame: Frame,
  options: Omit<RenderOptions, 'bulkSource' | 'codecs' | 'signal'> = {},
  fit?: { width?: number; height?: number; smooth: boolean },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const { pixels, ...shape } = frame;
  const pixelType = pixels.constructor.name as PixelArrayType;
  const response = await codecWorkerPool().run(
    {
      op: 'render-png',
      bytes: new Uint8Array(pixels.buffer, pixels.byteOffset, pixels.byteLength),
      frame: { ...shape, pixelType },
      header: headerBytes(ds),
      options: { ...options },
      ...(fit ? { fit } : {}),
    },
    signal,
  );
  return response.bytes;
}

/**
 * renderPngOnWorker from a native frame's stored bytes (`getStoredFrame` of plain Pixel Data,
 * not encapsulated): unpacking, colour conversion and rendering all run on the worker. The
 * bytes are handed over (their buffer detached here), not copied, when they fill their
 * buffer: pass bytes nothing else will read. A 4096x4096 16-bit preview kept the event loop
 * busy ~75 ms when its frame was decoded on it, ~10-15 ms now (mostly reading the frame).
 */
export async function renderStoredPngOnWorker(
  ds: DataSet,
  stored: { bytes: Uint8Array; bitOffset: number },
  index: number,
  options: Omit<RenderOptions, 'bulkSource' | 'codecs' | 'signal'> = {},
  fit?: { width?: number; height?: number; smooth: boolean },
  signal?: AbortSignal,
): Promise<Uint8Array> {
  const response = await codecWorkerPool().run(
    {
      op: 'render-stored-png',
      bytes: stored.bytes,
      bitOffset: stored.bitOffset,
      index,
      header: headerBytes(ds),
      options: { ...options },
      ...(fit ? { fit } : {}),
    },
    signal,
    { handOver: true },
  );
  return response.bytes;
}

/** `ds` without pixel data and values left on disk, explicit VR little endian (what the LUT stages read). */
function headerBytes(ds: DataSet): Uint8Array {
  const header = new DataSet();
  for (const element of ds.elements()) {
    if (PIXEL_DATA_TAGS.has(element.tag) || (element.bytes === undefined && !element.items)) continue;
    header.add(element);
  }
  return concatParts(new DataSetEncoder().encode(header, { explicitVR: true, littleEndian: true }));
}

/** Float, Double Float and plain Pixel Data (PS3.3 §C.7.6.3): the frame carries its values. */
const PIXEL_DATA_TAGS = new Set([0x7fe00008, 0x7fe00009, 0x7fe00010]);

export interface RegisterNodeCodecsOptions {
  /** The pool to run on; default one shared pool of min(2, available parallelism) threads. */
  pool?: CodecWorkerPool;
}

/** Registers the worker-backed compressed codecs in `registry` (default `defaultCodecs`). */
export function registerNodeCodecs(
  registry: CodecRegistry = defaultCodecs,
  options: RegisterNodeCodecsOptions = {},
): void {
  for (const [uid, codec] of Object.entries(COMPRESSED_CODECS)) {
    registry.register(uid, workerCodec(uid, codec, options.pool));
  }
}
