import Fastify, { type FastifyInstance } from 'fastify';
import { IndexWriter } from '../ingest.ts';
import type { Pacs } from '../server.ts';
import type { HttpContext } from './context.ts';
import { toHttpError } from './errors.ts';
import { modalityRoutes } from './modalities.ts';
import { resourceRoutes } from './resources.ts';
import { systemRoutes } from './system.ts';
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

/** Addresses only this machine can reach. */
function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^(::ffff:)?127\./.test(host);
}

/**
 * Starts the REST API on `config.http.host`: loopback by default. There is no authentication
 * yet, so another address is served with a warning naming the config key (Orthanc refuses
 * remote access unless `RemoteAccessAllowed`; here the bind address is that choice).
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
  const ctx: HttpContext = { pacs, writer: new IndexWriter(pacs.index, config.duplicates === 'overwrite') };
  const table = [...systemRoutes(ctx), ...resourceRoutes(ctx), ...uploadRoutes(ctx), ...modalityRoutes(ctx)];
  for (const route of table) app.route({ method: route.method, url: route.url, handler: route.handler });

  const host = config.http.host;
  if (!isLoopback(host)) {
    logger.log(
      'warn',
      `the REST API listens on ${host} without authentication: whoever reaches it can read and delete everything (config key http.host; 127.0.0.1 keeps it local)`,
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
      const closing = app.close();
      if (options.abort) app.server.closeAllConnections();
      await closing;
    },
  };
}
