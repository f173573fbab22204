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

/** The JSON body as Fastify parsed it ({} when there is none), or a 400 for anything not JSON. */
export function jsonBody(request: FastifyRequest): unknown {
  const body = request.body;
  if (body === undefined || body === null) return {};
  if (isStream(body)) throw badRequest('the body must be JSON (content-type: application/json)');
  return body;
}

/** A JSON body that must be an object. */
export function jsonObject(request: FastifyRequest): Record<string, unknown> {
  const body = jsonBody(request);
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

/**
 * A short JSON body whatever its content type: Orthanc reads JSON from any body, and its
 * documented calls send it with curl's `-d` (application/x-www-form-urlencoded); Fastify
 * hands text/plain over as a string, the rest as a stream.
 */
export async function shortJsonBody(request: FastifyRequest, what: string, limit?: number): Promise<unknown> {
  const body = request.body;
  if (!isStream(body) && typeof body !== 'string') return jsonBody(request);
  const text = (await shortBodyText(body, what, limit)).trim();
  return text === '' ? {} : parseJson(text);
}
