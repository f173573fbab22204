import { createReadStream } from 'node:fs';
import type { FastifyReply } from 'fastify';
import { PIXEL_DATA, type Tag, vrInfo } from '../../core/index.ts';
import { keywordOf } from '../../dictionary/index.ts';
import { type DicomJsonObject, dataSetToJson, dicomJsonToString } from '../../json/index.ts';
import { swapped } from '../../object/byte-swap.ts';
import { readBulkData } from '../../object/file.node.ts';
import type { BulkDataRef, DataSet } from '../../object/index.ts';
import type { QueryLevel } from '../index/types.ts';
import { type HttpContext, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound } from './errors.ts';
import { simplify, tagFromKey } from './keywords.ts';
import { checkId, LEVELS, locateResource, ROUTE, readInstance, TYPE } from './levels.ts';

/**
 * What Orthanc serves from inside stored files, besides /tags: `/instances/{id}/content/...`
 * (raw access, walking sequences by item number and encapsulated pixel data by fragment),
 * `/instances/{id}/header` (the file meta) and `/{level}/{id}/shared-tags` (the attributes
 * every instance of a patient, study or series has with the same value). Read from the files
 * on disk; the index is only asked where they are.
 */

/** Values at least this long stay on disk until asked for (pixel data, large overlays...). */
const BULK_THRESHOLD = 64 * 1024;
const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);

/** A tag as Orthanc writes it in content paths: `0010-0010`, lower case. */
function pathTag(tag: Tag): string {
  const hex = (tag >>> 0).toString(16).padStart(8, '0');
  return `${hex.slice(0, 4)}-${hex.slice(4)}`;
}

/** A path segment naming a tag: `0010-0010`, `00100010`, `0010,0010` or a keyword. */
function segmentTag(segment: string): Tag {
  return tagFromKey(segment.replace(/^([0-9a-f]{4})-([0-9a-f]{4})$/i, '$1$2'));
}

function itemNumber(segment: string, count: number, what: string): number {
  const n = Number(segment);
  if (!/^\d+$/.test(segment) || n >= count) {
    throw notFound(`${what} has no item ${segment} (${count === 0 ? 'none' : `0 to ${count - 1}`})`);
  }
  return n;
}

/**
 * Sends a value: from memory, or streamed from the stored file (pixel data may be gigabytes,
 * PS3.5 §A.4 fragments too), swapped to little endian only when it is in memory already or
 * small enough to read whole.
 */
async function sendValue(
  reply: FastifyReply,
  value: Uint8Array | BulkDataRef,
  swapUnit = 1,
): Promise<FastifyReply> {
  reply.type('application/octet-stream');
  if (value instanceof Uint8Array) return reply.send(asBuffer(swapped(value, swapUnit)));
  if (!value.source)
    throw new HttpError(500, 'ERR_IO', 'a value left out of memory has no file to read it from');
  if (swapUnit > 1) return reply.send(asBuffer(swapped(await readBulkData(value), swapUnit)));
  reply.header('content-length', String(value.length));
  if (value.length === 0) return reply.send(Buffer.alloc(0));
  return reply.send(
    createReadStream(value.source, { start: value.offset, end: value.offset + value.length - 1 }),
  );
}

/** The same bytes as a Buffer, not a copy. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
}

/**
 * Walks `segments` from the data set: a tag, then for a sequence an item number and a tag
 * again, and so on; for encapsulated pixel data a fragment number (0 is the Basic Offset
 * Table, PS3.5 §A.4). Answers what Orthanc answers at each stop: the tags of a data set, the
 * item numbers of a sequence, the fragment numbers of encapsulated pixel data, a value as
 * text, or binary bytes.
 */
async function walk(dataset: DataSet, segments: string[], reply: FastifyReply): Promise<unknown> {
  let current = dataset;
  let where = 'the instance';
  for (let i = 0; ; ) {
    if (i === segments.length) return current.tags().map(pathTag);
    const tag = segmentTag(segments[i]!);
    const element = current.element(tag);
    if (!element) throw notFound(`${where} has no ${pathTag(tag)}`);
    where = pathTag(tag);
    i++;
    if (element.items) {
      if (i === segments.length) return element.items.map((_, n) => String(n));
      current = element.items[itemNumber(segments[i]!, element.items.length, where)]!;
      where += `/${segments[i]}`;
      i++;
      continue;
    }
    if (element.fragments) {
      if (i === segments.length) return element.fragments.map((_, n) => String(n));
      const fragment = element.fragments[itemNumber(segments[i]!, element.fragments.length, where)]!;
      if (i + 1 !== segments.length) throw notFound(`a fragment of ${where} has nothing below it`);
      return sendValue(reply, fragment);
    }
    if (i !== segments.length) throw notFound(`${where} is not a sequence`);
    if (BINARY_VRS.has(element.vr)) {
      const unit = element.littleEndian ? 1 : vrInfo(element.vr).unitSize;
      return sendValue(reply, element.bulk ?? element.bytes ?? new Uint8Array(), unit);
    }
    const values = current.strings(tag) ?? [];
    return reply.type('text/plain; charset=utf-8').send(values.join('\\'));
  }
}

/** A data set as /tags answers it: DICOM JSON, or keyword: value with ?simplify. */
function tagsReply(reply: FastifyReply, simplified: boolean, dataset: DataSet): unknown {
  if (simplified) return simplify(dataset);
  return reply.type('application/json').send(dicomJsonToString(dataSetToJson(dataset)));
}

export function contentRoutes(ctx: HttpContext): Route[] {
  const { index, storage } = ctx.pacs;

  /**
   * The top-level attributes (pixel data and other bulk values aside) that every instance of
   * the resource has, with the same value, as DICOM JSON: the first instance's, kept while
   * each other instance has them alike (compared decoded, so character sets may differ).
   */
  async function sharedTags(
    level: QueryLevel,
    id: string,
  ): Promise<{ first: DataSet; shared: DicomJsonObject }> {
    const located = locateResource(index, level, id);
    if (located.length === 0) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
    let first: DataSet | undefined;
    let shared: DicomJsonObject | undefined;
    for (const file of located) {
      const dataset = (await readInstance(index, storage, file.sopInstanceUid, { stopAtTag: PIXEL_DATA }))
        .dataset;
      // Values left on disk get no URI: they are dropped below, whatever their bytes.
      const json = dataSetToJson(dataset, { bulkDataUri: () => '' });
      if (!shared) {
        first = dataset;
        shared = json;
        for (const [key, value] of Object.entries(json)) if ('BulkDataURI' in value) delete shared[key];
        continue;
      }
      for (const [key, value] of Object.entries(shared))
        if (JSON.stringify(json[key]) !== JSON.stringify(value)) delete shared[key];
    }
    return { first: first!, shared: shared! };
  }

  const routes: Route[] = [
    {
      method: 'GET',
      url: '/instances/:id/content',
      async handler(request, reply) {
        const id = checkId('IMAGE', params(request).id!);
        const file = await readInstance(index, storage, id, { bulkDataThreshold: BULK_THRESHOLD });
        return walk(file.dataset, [], reply);
      },
    },
    {
      method: 'GET',
      url: '/instances/:id/content/*',
      async handler(request, reply) {
        const id = checkId('IMAGE', params(request).id!);
        const segments = (params(request)['*'] ?? '').split('/').filter((s) => s !== '');
        if (segments.length === 0) throw badRequest('name a tag after /content/');
        const file = await readInstance(index, storage, id, { bulkDataThreshold: BULK_THRESHOLD });
        return walk(file.dataset, segments, reply);
      },
    },
    {
      // The file meta information (PS3.10 §7.1), as /tags answers the data set.
      method: 'GET',
      url: '/instances/:id/header',
      async handler(request, reply) {
        const id = checkId('IMAGE', params(request).id!);
        const file = await readInstance(index, storage, id, { stopAtTag: 0x00080000 });
        return tagsReply(reply, queryParam(request, 'simplify') !== undefined, file.meta);
      },
    },
  ];
  for (const level of LEVELS.filter((l) => l !== 'IMAGE')) {
    routes.push({
      method: 'GET',
      url: `/${ROUTE[level]}/:id/shared-tags`,
      async handler(request, reply) {
        const id = checkId(level, params(request).id!);
        const { first, shared } = await sharedTags(level, id);
        if (queryParam(request, 'simplify') === undefined)
          return reply.type('application/json').send(dicomJsonToString(shared));
        // Keyword: value of the first instance (decoded in its own character set), shared keys only.
        const names = new Set(Object.keys(shared).map((key) => keywordOf(Number.parseInt(key, 16)) ?? key));
        return Object.fromEntries(Object.entries(simplify(first)).filter(([name]) => names.has(name)));
      },
    });
  }
  return routes;
}
