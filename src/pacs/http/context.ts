import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Pacs } from '../server.ts';
import { badRequest } from './errors.ts';
import type { JobRegistry } from './jobs.ts';

/** What every route table gets. */
export interface HttpContext {
  pacs: Pacs;
  /** The calls running, or run, as jobs (`"Asynchronous": true`). */
  jobs: JobRegistry;
}

/** One row of a route table (Orthanc's OrthancRestApi registers its routes the same way, per domain). */
export interface Route {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  handler(request: FastifyRequest, reply: FastifyReply): Promise<unknown>;
}

export function params(request: FastifyRequest): Record<string, string> {
  return request.params as Record<string, string>;
}

/** A query parameter, present without value (`?expand`) as ''. */
export function queryParam(request: FastifyRequest, name: string): string | undefined {
  const value = (request.query as Record<string, string | string[] | undefined>)[name];
  return Array.isArray(value) ? value[0] : value;
}

/** `?limit=` and `?since=` as Orthanc's lists take them. */
export function paging(request: FastifyRequest): { since: number; limit: number | undefined } {
  const number = (name: string): number | undefined => {
    const text = queryParam(request, name);
    if (text === undefined) return undefined;
    const value = Number(text);
    if (text === '' || !Number.isInteger(value) || value < 0) {
      throw badRequest(`${name} must be a whole number, not ${JSON.stringify(text)}`);
    }
    return value;
  };
  return { since: number('since') ?? 0, limit: number('limit') || undefined };
}

/** As Fastify's own limit on JSON bodies. */
const JSON_BODY_LIMIT = 1 << 20;

/** The text of bodies read from a stream: a stream is read once, a body may be asked for twice. */
const bodyTexts = new WeakMap<FastifyRequest, Promise<string>>();

/**
 * The JSON body ({} when there is none), whatever its content type: Orthanc reads JSON from
 * any body, and its documented calls send it with curl's `-d` (form-encoded). Fastify parses
 * application/json; text/plain comes as a string, the rest as a stream. A body that is not
 * JSON is a 400, unless `text` allows a bare word (an ID, an AE title), answered as a string.
 */
export async function jsonBody(request: FastifyRequest, options: { text?: boolean } = {}): Promise<unknown> {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (!isStream(body) && typeof body !== 'string') return body;
  let read = bodyTexts.get(request);
  if (!read) {
    read = shortBodyText(body, 'JSON', JSON_BODY_LIMIT);
    bodyTexts.set(request, read);
  }
  const text = (await read).trim();
  if (text === '') return {};
  if (options.text && !/^[[{"]/.test(text)) return text;
  // `null` as Fastify takes it from application/json: no body.
  return parseJson(text) ?? {};
}

/** A JSON body that must be an object. */
export async function jsonObject(request: FastifyRequest): Promise<Record<string, unknown>> {
  const body = await jsonBody(request);
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('the body must be a JSON object');
  }
  return body as Record<string, unknown>;
}

export function isStream(value: unknown): value is AsyncIterable<Uint8Array> {
  return typeof value === 'object' && value !== null && Symbol.asyncIterator in value;
}

/** Bodies of a name or an identifier are short: a longer one is refused rather than read. */
const SHORT_BODY_LIMIT = 4096;

/**
 * A short request body as text: Fastify's string or our raw stream (any content type but
 * JSON, curl's `-d` form type included). `what` names the expected content in the error.
 */
export async function shortBodyText(body: unknown, what: string, limit = SHORT_BODY_LIMIT): Promise<string> {
  if (typeof body === 'string') return body;
  if (body === undefined || body === null) return '';
  if (!isStream(body)) throw badRequest(`the body must be ${what}, as text`);
  const chunks: Uint8Array[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    if (size > limit) throw badRequest(`the body is longer than ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** JSON text of a body, or a 400 saying why it is not JSON. */
export function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw badRequest(`the body is not JSON: ${(error as Error).message}`);
  }
}
