import { randomUUID } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { formatTag } from '../../core/index.ts';
import { type Keyword, keywordOf } from '../../dictionary/index.ts';
import { dataSetToJson, dicomJsonToString } from '../../json/index.ts';
import { DataSet } from '../../object/index.ts';
import type { QueryLevel } from '../index/types.ts';
import { type HttpContext, jsonBody, jsonObject, params, queryParam, type Route } from './context.ts';
import { badRequest, HttpError, notFound } from './errors.ts';
import { runMaybeAsJob } from './jobs.ts';
import { fillFromKeywords, needsUtf8, shortTags, simplify } from './keywords.ts';
import { LEVELS, parseLevel, TYPE } from './levels.ts';
import { normalizeQuery } from './normalize.ts';
import { identifiersJson, peerOf } from './operations.ts';
import { type NamedModality, remoteModalities, timeoutOf } from './remote.ts';

/**
 * Query/retrieve against a modality through REST, as Orthanc's /modalities/{id}/query and
 * /queries/...: a C-FIND's answers are kept under an ID; each answer (or all of them) can then
 * be retrieved by C-MOVE, or its children queried. Orthanc's scripts (and pyorthanc's
 * `query`/`retrieve`) drive exactly this sequence, so the routes, bodies and answers follow
 * Orthanc's; the answers themselves are DICOM JSON (or `?simplify` / `?short`), as every data
 * set of this API is.
 */

/** Queries kept, the least recently used dropped first (Orthanc's `QueryRetrieveSize`). */
const KEPT_QUERIES = 100;

interface StoredQuery {
  /** The modality's name in the config. */
  modality: string;
  level: QueryLevel;
  /** The identifier sent. */
  query: DataSet;
  answers: DataSet[];
  /** The query's `Timeout` (ms), inherited by its retrieves and child queries. */
  timeout: number | undefined;
  /** The query's `LocalAet`, inherited the same way. */
  localAeTitle: string | undefined;
}

/**
 * Keys each level's query asks for when the caller did not, so that every answer can be
 * retrieved and its children queried (Orthanc adds the same ones).
 */
const RETURN_KEYS: Record<QueryLevel, readonly Keyword[]> = {
  PATIENT: ['PatientID'],
  STUDY: ['PatientID', 'AccessionNumber', 'StudyInstanceUID'],
  SERIES: ['PatientID', 'AccessionNumber', 'StudyInstanceUID', 'SeriesInstanceUID'],
  IMAGE: ['PatientID', 'AccessionNumber', 'StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'],
};

/**
 * The keys naming an answer in a C-MOVE or in the query of its children: the Patient ID in the
 * Patient Root model, the unique keys of the levels down to the answer's in Study Root
 * (PS3.4 §C.4.2.2.1, §C.6.2.1), the models Orthanc's SCU uses.
 */
const NAMING_KEYS: Record<QueryLevel, readonly Keyword[]> = {
  PATIENT: ['PatientID'],
  STUDY: ['StudyInstanceUID'],
  SERIES: ['StudyInstanceUID', 'SeriesInstanceUID'],
  IMAGE: ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID'],
};

/** Orthanc's routes for the queries of an answer's children. */
const CHILD_QUERIES: readonly { route: string; level: QueryLevel }[] = [
  { route: 'query-studies', level: 'STUDY' },
  { route: 'query-series', level: 'SERIES' },
  { route: 'query-instances', level: 'IMAGE' },
];

const depth = (level: QueryLevel): number => LEVELS.indexOf(level);

/** The kept queries, most recently used last. */
class QueryArchive {
  readonly #queries = new Map<string, StoredQuery>();

  add(query: StoredQuery): string {
    const id = randomUUID();
    this.#queries.set(id, query);
    while (this.#queries.size > KEPT_QUERIES) this.#queries.delete(this.#queries.keys().next().value!);
    return id;
  }

  get(id: string): StoredQuery {
    const query = this.#queries.get(id);
    if (!query) throw notFound(`no query ${id} (the last ${KEPT_QUERIES} used are kept)`);
    this.#queries.delete(id);
    this.#queries.set(id, query);
    return query;
  }

  delete(id: string): void {
    if (!this.#queries.delete(id)) throw notFound(`no query ${id}`);
  }

  ids(): string[] {
    return [...this.#queries.keys()];
  }
}

/** One data set or a list as the request asks: DICOM JSON, `?simplify` (keywords) or `?short` (tags). */
function sendDataSets(request: FastifyRequest, reply: FastifyReply, value: DataSet | DataSet[]): unknown {
  const list = Array.isArray(value) ? value : [value];
  const form =
    queryParam(request, 'simplify') !== undefined
      ? simplify
      : queryParam(request, 'short') !== undefined
        ? shortTags
        : undefined;
  if (form) return Array.isArray(value) ? list.map(form) : form(value);
  const json = list.map((ds) => dataSetToJson(ds));
  return reply.type('application/json').send(dicomJsonToString(Array.isArray(value) ? json : json[0]!));
}

/** The keys of an answer named by `keys`, with their values; a 502 when the modality left one out. */
function namingValues(
  answer: DataSet,
  keys: readonly Keyword[],
  where: string,
): Partial<Record<Keyword, string>> {
  const values: Partial<Record<Keyword, string>> = {};
  for (const key of keys) {
    const value = answer.string(key)?.trim();
    if (!value) {
      throw new HttpError(
        502,
        'ERR_INVALID_VALUE',
        `${where} has no ${key}: the modality did not return it, and it names the answer`,
      );
    }
    values[key] = value;
  }
  return values;
}

export function queryRoutes(ctx: HttpContext): Route[] {
  const { config } = ctx.pacs;
  const remote = remoteModalities(ctx);
  const archive = new QueryArchive();

  /**
   * Runs a C-FIND at `level` with the caller's keys (keyword or tag: value) and the `fixed`
   * ones (an answer's naming keys, which win), keeps the answers; answers Orthanc's
   * `{ ID, Path }`.
   */
  async function runQuery(
    m: NamedModality,
    level: QueryLevel,
    body: Record<string, unknown>,
    fixed: Partial<Record<Keyword, string>>,
    inheritedTimeout?: number,
  ): Promise<{ ID: string; Path: string }> {
    const keys = body.Query ?? {};
    if (typeof keys !== 'object' || keys === null || Array.isArray(keys)) {
      throw badRequest('Query must be an object of keyword: value');
    }
    const limit = body.Limit;
    if (limit !== undefined && (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 0)) {
      throw badRequest('Limit must be a whole number');
    }
    if (body.Normalize !== undefined && typeof body.Normalize !== 'boolean') {
      throw badRequest('Normalize must be true or false');
    }
    const timeout = timeoutOf(body) ?? inheritedTimeout;
    const identifier = new DataSet();
    if (needsUtf8(keys) || needsUtf8(fixed)) identifier.set('SpecificCharacterSet', 'ISO_IR 192');
    fillFromKeywords(identifier, keys as Record<string, unknown>);
    for (const [key, value] of Object.entries(fixed)) identifier.set(key as Keyword, value);
    // As Orthanc, by default: only the keys of this level and those above it (normalize.ts).
    if (body.Normalize !== false) {
      const dropped = normalizeQuery(identifier, level);
      if (dropped.length > 0) {
        ctx.pacs.logger.log(
          'warn',
          `query to ${m.name}: not sent, as keys of no ${level} query (Normalize: false sends them): ${dropped.map((t) => keywordOf(t) ?? formatTag(t)).join(', ')}`,
        );
      }
    }
    identifier.set('QueryRetrieveLevel', level);
    for (const key of RETURN_KEYS[level]) if (!identifier.has(key)) identifier.set(key, undefined);
    const answers = await remote.find(m, level, identifier, { limit: limit as number | undefined, timeout });
    const id = archive.add({
      modality: m.name,
      level,
      query: identifier,
      answers,
      timeout,
      localAeTitle: m.localAeTitle,
    });
    return { ID: id, Path: `/queries/${id}` };
  }

  function query(request: FastifyRequest): StoredQuery {
    return archive.get(params(request).id!);
  }

  function answerOf(request: FastifyRequest): { stored: StoredQuery; index: number; answer: DataSet } {
    const stored = query(request);
    const text = params(request).index!;
    const index = Number(text);
    const answer = /^\d+$/.test(text) ? stored.answers[index] : undefined;
    if (!answer) {
      throw notFound(`no answer ${text} to query ${params(request).id} (it has ${stored.answers.length})`);
    }
    return { stored, index, answer };
  }

  /** The modality a kept query asked; a 404 once it is no longer configured. */
  function modalityOf(stored: StoredQuery): NamedModality {
    const m = remote.named(stored.modality);
    return stored.localAeTitle ? { ...m, localAeTitle: stored.localAeTitle } : m;
  }

  /**
   * Orthanc's retrieve body: an AE title as text (or a JSON string), or `{ "TargetAet",
   * "Timeout", "RetrieveMethod", "LocalAet" }` (C-MOVE by default, or C-GET into this PACS);
   * none means a C-MOVE to this PACS, under the AE title the modality is called with.
   */
  async function retrieveOptions(
    request: FastifyRequest,
    stored: StoredQuery,
  ): Promise<{
    m: NamedModality;
    target: string;
    timeout?: number;
    body: unknown;
    method: 'C-MOVE' | 'C-GET';
  }> {
    const body = await jsonBody(request, { text: true });
    const m = remote.callingAs(modalityOf(stored), body);
    if (typeof body === 'string') return { m, target: remote.targetOf(body), body, method: 'C-MOVE' };
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw badRequest('the body must be an AE title or a JSON object');
    }
    // C-GET brings the instances back on the association itself: into this PACS, no target.
    const { RetrieveMethod: method = 'C-MOVE', TargetAet } = body as {
      RetrieveMethod?: unknown;
      TargetAet?: unknown;
    };
    if (method !== 'C-MOVE' && method !== 'C-GET') throw badRequest('RetrieveMethod must be C-MOVE or C-GET');
    const ours = [config.aeTitle, m.localAeTitle];
    if (method === 'C-GET' && TargetAet !== undefined && !ours.includes(remote.targetOf(TargetAet))) {
      throw badRequest(`a C-GET retrieves into this PACS (${config.aeTitle}); leave out TargetAet`);
    }
    return {
      m,
      target: remote.targetOf(TargetAet ?? m.localAeTitle),
      timeout: timeoutOf(body),
      body,
      method,
    };
  }

  async function retrieve(
    request: FastifyRequest,
    stored: StoredQuery,
    answers: readonly { answer: DataSet; index: number }[],
  ): Promise<Record<string, unknown>> {
    const { m, target, timeout, body, method } = await retrieveOptions(request, stored);
    const identifiers = answers.map(({ answer, index }) => {
      const values = namingValues(answer, NAMING_KEYS[stored.level], `answer ${index}`);
      const identifier = new DataSet();
      if (needsUtf8(values)) identifier.set('SpecificCharacterSet', 'ISO_IR 192');
      for (const [key, value] of Object.entries(values)) identifier.set(key as Keyword, value);
      identifier.set('QueryRetrieveLevel', stored.level);
      return identifier;
    });
    const peer = peerOf(m, timeout ?? stored.timeout);
    const level = stored.level;
    const json = identifiersJson(identifiers);
    return runMaybeAsJob(
      ctx,
      body,
      method === 'C-GET'
        ? { kind: 'get', ...peer, level, identifiers: json }
        : { kind: 'move', ...peer, level, identifiers: json, target },
    );
  }

  const routes: Route[] = [
    {
      // Body: { "Level": "Study", "Query": { "PatientName": "DOE*", "StudyDate": "" }, "Limit"?: n,
      // "Timeout"?: s }. Answer: { "ID", "Path" }, the answers then under /queries/{ID}/answers.
      method: 'POST',
      url: '/modalities/:name/query',
      async handler(request) {
        const body = await jsonObject(request);
        const m = remote.callingAs(remote.named(params(request).name!), body);
        return runQuery(m, parseLevel(body.Level), body, {});
      },
    },
    {
      method: 'GET',
      url: '/queries',
      async handler() {
        return archive.ids();
      },
    },
    {
      method: 'GET',
      url: '/queries/:id',
      async handler(request) {
        query(request);
        return ['answers', 'level', 'modality', 'query', 'retrieve'];
      },
    },
    {
      method: 'DELETE',
      url: '/queries/:id',
      async handler(request) {
        archive.delete(params(request).id!);
        return {};
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/answers',
      async handler(request, reply) {
        const stored = query(request);
        if (queryParam(request, 'expand') === undefined) return stored.answers.map((_, i) => String(i));
        return sendDataSets(request, reply, stored.answers);
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/answers/:index',
      async handler(request) {
        const { stored } = answerOf(request);
        const below = CHILD_QUERIES.filter((c) => depth(c.level) > depth(stored.level)).map((c) => c.route);
        return ['content', 'retrieve', ...below];
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/answers/:index/content',
      async handler(request, reply) {
        return sendDataSets(request, reply, answerOf(request).answer);
      },
    },
    {
      // Body: the target AE title as text, or { "TargetAet"?, "Timeout"? }; default: this PACS.
      method: 'POST',
      url: '/queries/:id/answers/:index/retrieve',
      async handler(request) {
        const { stored, index, answer } = answerOf(request);
        return retrieve(request, stored, [{ answer, index }]);
      },
    },
    {
      method: 'POST',
      url: '/queries/:id/retrieve',
      async handler(request) {
        const stored = query(request);
        return retrieve(
          request,
          stored,
          stored.answers.map((answer, index) => ({ answer, index })),
        );
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/level',
      async handler(request, reply) {
        return reply.type('text/plain').send(TYPE[query(request).level]);
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/modality',
      async handler(request, reply) {
        return reply.type('text/plain').send(query(request).modality);
      },
    },
    {
      method: 'GET',
      url: '/queries/:id/query',
      async handler(request, reply) {
        return sendDataSets(request, reply, query(request).query);
      },
    },
  ];
  for (const child of CHILD_QUERIES) {
    routes.push({
      // Body: { "Query"?: { ... }, "Timeout"?: s }; the answer's naming keys are added.
      method: 'POST',
      url: `/queries/:id/answers/:index/${child.route}`,
      async handler(request) {
        const { stored, index, answer } = answerOf(request);
        if (depth(child.level) <= depth(stored.level)) {
          throw notFound(
            `query ${params(request).id} is at the ${TYPE[stored.level].toLowerCase()} level: its answers have no ${child.route.slice(6)}`,
          );
        }
        const fixed = namingValues(answer, NAMING_KEYS[stored.level], `answer ${index}`);
        const body = await jsonObject(request);
        return runQuery(remote.callingAs(modalityOf(stored), body), child.level, body, fixed, stored.timeout);
      },
    });
  }
  return routes;
}
