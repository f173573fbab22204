import type { FastifyRequest } from 'fastify';
import { PIXEL_DATA } from '../../core/index.ts';
import type { DicomFile } from '../../object/index.ts';
import { fileBulkSource } from '../../pixel/bulk-source.node.ts';
import { pixelWithNodeCodecs } from '../../pixel/codecs/load.node.ts';
import type { RenderOptions } from '../../pixel/index.ts';
import { type HttpContext, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound } from './errors.ts';
import { checkId, readInstance } from './levels.ts';

/**
 * The images of stored instances, as Orthanc serves them: `/instances/{id}/frames` (frame
 * numbers, from 0), `.../preview` and `.../rendered` (PNG through the grayscale pipeline of
 * PS3.4 §N.2, or RGB), the same per frame under `.../frames/{n}/`, and `.../frames/{n}/raw`
 * (the frame's bytes as stored: compressed for encapsulated syntaxes). The header is read
 * from the file and pixel data left on disk, so a frame of a large multi-frame object costs
 * one frame of memory; the pixel layer and its codecs load on the first image asked for. The
 * frame is rendered and PNG-encoded on the codec pool's worker threads: for a large image that
 * takes hundreds of ms, which the event loop serving DICOM associations cannot spare.
 */

/** Largest side `?width`/`?height` may ask for, against requests that would allocate gigabytes. */
const MAX_SIDE = 8192;
/**
 * Values shorter than this are read with the header; pixel data and other bulk stay on disk.
 * Large enough for every LUT (a 16-bit palette of 65,536 entries is 128 KiB).
 */
const BULK_THRESHOLD = 1024 * 1024;

export function imageRoutes(ctx: HttpContext): Route[] {
  const { index, storage } = ctx.pacs;

  async function openInstance(request: FastifyRequest): Promise<{ id: string; file: DicomFile }> {
    const id = checkId('IMAGE', params(request).id!);
    return { id, file: await readInstance(index, storage, id, { bulkDataThreshold: BULK_THRESHOLD }) };
  }

  async function frameCountOf(file: DicomFile, id: string): Promise<number> {
    const pixel = await pixelWithNodeCodecs();
    if (!pixel.pixelDataElement(file.dataset)) {
      throw new HttpError(400, 'ERR_INVALID_VALUE', `instance ${id} has no pixel data`);
    }
    return pixel.frameCount(file.dataset);
  }

  /** The frame named in the URL (0 for the routes without one), checked against the image. */
  async function frameOf(request: FastifyRequest, file: DicomFile, id: string): Promise<number> {
    const count = await frameCountOf(file, id);
    const text = params(request).frame;
    if (text === undefined) return 0;
    const frame = Number(text);
    if (!/^\d+$/.test(text) || frame >= count) {
      throw notFound(`instance ${id} has no frame ${text} (frames 0 to ${count - 1})`);
    }
    return frame;
  }

  async function render(request: FastifyRequest, withOptions: boolean): Promise<Uint8Array> {
    const { id, file } = await openInstance(request);
    const index = await frameOf(request, file, id);
    const options: RenderOptions = {};
    const size = withOptions ? renderedSize(request) : {};
    if (withOptions) {
      const center = numberParam(request, 'window-center');
      const width = numberParam(request, 'window-width');
      if ((center === undefined) !== (width === undefined)) {
        throw badRequest('window-center and window-width go together');
      }
      if (center !== undefined && width !== undefined) {
        if (width <= 0) throw badRequest('window-width must be positive');
        options.window = { center, width };
      }
    }
    const pixel = await pixelWithNodeCodecs();
    const fit =
      size.width !== undefined || size.height !== undefined
        ? { ...size, smooth: queryFlag(request, 'smooth') }
        : undefined;
    const { renderPngOnWorker, renderStoredPngOnWorker } = await import(
      '../../pixel/codecs/node-codecs.node.ts'
    );
    const pixelData = pixel.pixelDataElement(file.dataset);
    if (pixelData?.tag === PIXEL_DATA && !pixelData.fragments) {
      // Native: only the frame's bytes are read here; a worker unpacks, renders and encodes.
      const stored = await pixel.getStoredFrame(file, index, { bulkSource: fileBulkSource });
      return renderStoredPngOnWorker(file.dataset, stored, index, options, fit);
    }
    // Compressed: decoded on the codec workers, then rendered and encoded on a worker.
    const frame = await pixel.getFrame(file, index, { colorSpace: 'rgb', bulkSource: fileBulkSource });
    return renderPngOnWorker(file.dataset, frame, options, fit);
  }

  const png = (withOptions: boolean): Route['handler'] =>
    async function handler(request, reply) {
      const bytes = await render(request, withOptions);
      return reply.type('image/png').header('content-length', String(bytes.length)).send(Buffer.from(bytes));
    };

  return [
    {
      method: 'GET',
      url: '/instances/:id/frames',
      async handler(request) {
        const { id, file } = await openInstance(request);
        const count = await frameCountOf(file, id);
        return Array.from({ length: count }, (_, i) => i);
      },
    },
    { method: 'GET', url: '/instances/:id/preview', handler: png(false) },
    { method: 'GET', url: '/instances/:id/rendered', handler: png(true) },
    { method: 'GET', url: '/instances/:id/frames/:frame/preview', handler: png(false) },
    { method: 'GET', url: '/instances/:id/frames/:frame/rendered', handler: png(true) },
    {
      method: 'GET',
      url: '/instances/:id/frames/:frame/raw',
      async handler(request, reply) {
        const { id, file } = await openInstance(request);
        const frame = await frameOf(request, file, id);
        const pixel = await pixelWithNodeCodecs();
        const stored = await pixel.getStoredFrame(file, frame, { bulkSource: fileBulkSource });
        if (stored.bitOffset !== 0) {
          // A frame of 1-bit data that starts inside a byte: no byte range holds it alone.
          throw new HttpError(
            415,
            'ERR_UNSUPPORTED',
            `frame ${frame} of ${id} does not start on a byte boundary`,
          );
        }
        return reply
          .type('application/octet-stream')
          .header('content-length', String(stored.bytes.length))
          .send(Buffer.from(stored.bytes.buffer, stored.bytes.byteOffset, stored.bytes.length));
      },
    },
  ];
}

function numberParam(request: FastifyRequest, name: string): number | undefined {
  const text = queryParam(request, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value))
    throw badRequest(`${name} must be a number, not ${JSON.stringify(text)}`);
  return value;
}

/** `?smooth`, `?smooth=1` and `?smooth=true` ask; absent, `0` and `false` do not. */
function queryFlag(request: FastifyRequest, name: string): boolean {
  const text = queryParam(request, name);
  return text !== undefined && text !== '0' && text.toLowerCase() !== 'false';
}

function renderedSize(request: FastifyRequest): { width?: number; height?: number } {
  const side = (name: string): number | undefined => {
    const value = numberParam(request, name);
    if (value === undefined || value === 0) return undefined;
    if (!Number.isInteger(value) || value < 0 || value > MAX_SIDE) {
      throw badRequest(`${name} must be a whole number from 1 to ${MAX_SIDE}`);
    }
    return value;
  };
  const width = side('width');
  const height = side('height');
  return { ...(width !== undefined ? { width } : {}), ...(height !== undefined ? { height } : {}) };
}
