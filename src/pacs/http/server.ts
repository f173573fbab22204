import { createHash, timingSafeEqual } from 'node:crypto';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Pacs } from '../server.ts';
import { changeRoutes } from './changes.ts';
import { contentRoutes } from './content.ts';
import type { HttpContext } from './context.ts';
import { toHttpError } from './errors.ts';
import { imageRoutes } from './images.ts';
import { JobRegistry, jobRoutes } from './jobs.ts';
import { modalityRoutes } from './modalities.ts';
import { operations } from './operations.ts';
import { queryRoutes } from './queries.ts';
import { resourceRoutes } from './resources.ts';
import { systemRoutes } from './system.ts';
import { toolRoutes } from './tools.ts';
import { uploadRoutes } from './upload.ts';

/** The PACS's HTTP server (REST API now; DICOMweb and the UI later, each its own route table). */
export interface PacsHttp {
  app: FastifyInstance;
  host: string;
  /** The port listened on (the OS's choice when the config says 0). */
  port: number;
  /** Base URL, e.g. http://127.0.0.1:8042. */
  url: string;
  /** Stops listening and waits for requests in progress; `abort` cuts them. */
  close(options?: { abort?: boolean }): Promise<void>;
}

/** The jobs of the REST API, beside the file store (see JobRegistry). */
const JOBS_FILE = 'jobs.json';

/** Addresses only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host);
}

/** Password check in constant time, so its duration says nothing about the password. */
function samePassword(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The user of a valid `Authorization: Basic` header (RFC 7617), or undefined. */
function basicUser(header: string | undefined, users: Record<string, string>): string | undefined {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  const name = decoded.slice(0, colon);
  const expected = Object.hasOwn(users, name) ? users[name]! : undefined;
  // Compare even for an unknown name, so timing does not tell which names exist.
  const ok = samePassword(decoded.slice(colon + 1), expected ?? '\0unknown');
  return ok && expected !== undefined ? name : undefined;
}

/**
 * Starts the REST API on `config.http.host`: loopback by default. As Orthanc does with
 * `RemoteAccessAllowed` and `RegisteredUsers`: requests from outside `localAddresses` are
 * refused (403) unless `http.remoteAccessAllowed`, which the config accepts only with
 * `http.users`; with users, every request needs HTTP Basic authentication (401 otherwise).
 */
export async function startHttp(pacs: Pacs): Promise<PacsHttp> {
  const { config, logger } = pacs;
  const app = Fastify({ logger: false });
  // Bodies that are not JSON reach the routes as streams (POST /instances reads a file from one).
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));
  app.setErrorHandler((error, request, reply) => {
    const e = toHttpError(error);
    const level = e.status === 500 ? 'error' : e.status >= 500 ? 'warn' : 'info';
    logger.log(level, `REST ${request.method} ${request.url}: ${e.status} ${e.code}: ${e.message}`);
    return reply.code(e.status).send(e.body());
  });
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send({ error: `no route ${request.method} ${request.url}`, code: 'ERR_NO_ROUTE' }),
  );
  // Each operation logs its own line at info (stored, deleted, C-MOVE...); every request at debug.
  app.addHook('onResponse', async (request, reply) => {
    logger.log(
      'debug',
      `REST ${request.method} ${request.url} from ${request.ip}: ${reply.statusCode} (${Math.round(reply.elapsedTime)} ms)`,
    );
  });
  const users = config.http.users;
  const authenticate = Object.keys(users).length > 0;
  app.addHook('onRequest', async (request, reply) => {
    if (
      !config.http.remoteAccessAllowed &&
      !(await pacs.access.isLocal(request.socket.remoteAddress ?? ''))
    ) {
      logger.log(
        'warn',
        `REST ${request.method} ${request.url} from ${request.ip} refused: not a local address (config keys http.remoteAccessAllowed with http.users, or localAddresses)`,
      );
      return reply.code(403).send({
        error: 'remote access is not allowed (http.remoteAccessAllowed)',
        code: 'ERR_REMOTE_ACCESS',
      });
    }
    if (authenticate && !basicUser(request.headers.authorization, users)) {
      return reply
        .code(401)
        .header('www-authenticate', 'Basic realm="dicomkit", charset="UTF-8"')
        .send({ error: 'authentication required', code: 'ERR_UNAUTHORIZED' });
    }
    return undefined;
  });
  const ctx: HttpContext = { pacs, jobs: new JobRegistry(logger, join(config.storage.path, JOBS_FILE)) };
  ctx.jobs.start(operations(ctx));
  const table = [
    ...systemRoutes(ctx),
    ...toolRoutes(ctx),
    ...resourceRoutes(ctx),
    ...contentRoutes(ctx),
    ...imageRoutes(ctx),
    ...uploadRoutes(ctx),
    ...modalityRoutes(ctx),
    ...queryRoutes(ctx),
    ...jobRoutes(ctx),
    ...changeRoutes(ctx),
  ];
  for (const route of table) app.route({ method: route.method, url: route.url, handler: route.handler });

  const host = config.http.host;
  if (!isLoopback(host) && !config.http.remoteAccessAllowed) {
    logger.log(
      'info',
      `the REST API listens on ${host} but serves local addresses only (config key http.remoteAccessAllowed, with http.users)`,
    );
  }
  await app.listen({ host, port: config.http.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.http.port;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.log('info', `REST API on ${url}`);
  return {
    app,
    host,
    port,
    url,
    async close(options = {}) {
      ctx.jobs.close();
      const closing = app.close();
      if (options.abort) app.server.closeAllConnections();
      await closing;
    },
  };
}
