import { existsSync } from 'node:fs';
import { Command } from 'commander';
import { createLogger } from '../core/index.ts';
import { ConfigError, loadConfigFile, resolveConfig } from '../pacs/config.ts';
import { describeError } from './common/exit.ts';

interface PacsCliOptions {
  config?: string;
  aet?: string;
  port?: string;
  host?: string;
  httpPort?: string;
  storage?: string;
  allowUnknownCallers?: boolean;
  fsync?: boolean;
  reindex?: boolean;
  verbose?: boolean;
  debug?: boolean;
  quiet?: boolean;
}

/** The default config file, read from the working directory when it exists. */
export const DEFAULT_CONFIG_FILE = 'dicomkit.json';

/**
 * The config file to read (ARCHITECTURE.md "Configuration"): `--config`, else the
 * DICOMKIT_CONFIG environment variable, else ./dicomkit.json when there is one, else none.
 * A file named by the option or the variable must exist.
 */
export function configFile(
  option: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
): string | undefined {
  if (option) return option;
  if (env.DICOMKIT_CONFIG) return env.DICOMKIT_CONFIG;
  return existsSync(DEFAULT_CONFIG_FILE) ? DEFAULT_CONFIG_FILE : undefined;
}

/** `dicomkit pacs`: the PACS server with the embedded defaults of ARCHITECTURE.md. */
export function pacsCommand(): Command {
  return new Command('pacs')
    .description(
      'run the PACS: storage SCP for every storage SOP class, query/retrieve SCP (patient and study root: FIND, MOVE, GET), SQLite index, file store',
    )
    .option(
      '-c, --config <file>',
      `JSON config file (default: $DICOMKIT_CONFIG, else ./${DEFAULT_CONFIG_FILE} if present; keys: aeTitle, dicom, http, storage, index, duplicates, allowUnknownCallers, localAddresses, modalities, logLevel)`,
    )
    .option('--aet <title>', 'our AE title (default DICOMKIT)')
    .option('--port <port>', 'DICOM port (default 4242)')
    .option(
      '--host <address>',
      'DICOM listening address (default 0.0.0.0: modalities must reach it; access control guards it)',
    )
    .option('--http-port <port>', 'HTTP port (default 8042)')
    .option('--storage <dir>', 'where files and the index live (default ./dicomkit-data)')
    .option('--allow-unknown-callers', 'accept callers that are neither local nor configured modalities')
    .option('--no-fsync', 'do not fsync each received file (survives a process crash, not a power cut)')
    .option('--reindex', 'rebuild the index from the stored files before serving')
    .option('-v, --verbose', 'log every association and operation (default)')
    .option('-d, --debug', 'also log every PDU and DIMSE message')
    .option('-q, --quiet', 'log warnings and errors only')
    .action(async (options: PacsCliOptions) => {
      let config: ReturnType<typeof resolveConfig>;
      const path = configFile(options.config);
      try {
        const file = path ? loadConfigFile(path) : {};
        const merged: Record<string, unknown> = { ...file };
        const dicom = { ...((file.dicom as Record<string, unknown>) ?? {}) };
        const http = { ...((file.http as Record<string, unknown>) ?? {}) };
        const storage = { ...((file.storage as Record<string, unknown>) ?? {}) };
        if (options.aet) merged.aeTitle = options.aet;
        if (options.port) dicom.port = Number(options.port);
        if (options.host) dicom.host = options.host;
        if (options.httpPort) http.port = Number(options.httpPort);
        if (options.storage) storage.path = options.storage;
        if (options.allowUnknownCallers) merged.allowUnknownCallers = true;
        if (options.fsync === false) storage.fsync = false;
        if (options.debug) merged.logLevel = 'debug';
        else if (options.quiet) merged.logLevel = 'warn';
        merged.dicom = dicom;
        merged.http = http;
        merged.storage = storage;
        config = resolveConfig(merged);
      } catch (error) {
        process.stderr.write(`E: ${error instanceof ConfigError ? error.message : describeError(error)}\n`);
        process.exitCode = 1;
        return;
      }
      const logger = createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`));
      logger.log('info', path ? `config: ${path}` : 'config: none (embedded defaults)');
      // Loaded here, not at the top: the server pulls in fastify and SQLite, which every other
      // dicomkit command would otherwise load at start-up (~0.1 s of each echoscu or storescu).
      const { startPacs } = await import('../pacs/server.ts');
      const pacs = await startPacs(config, { logger, reindex: options.reindex ?? false });
      const stop = (signal: string): void => {
        logger.log('info', `${signal}: shutting down`);
        pacs.close().catch((error: unknown) => logger.log('error', `shutting down: ${describeError(error)}`));
      };
      process.once('SIGINT', () => stop('SIGINT'));
      process.once('SIGTERM', () => stop('SIGTERM'));
      // Closed by a signal or by POST /tools/shutdown.
      await pacs.closed;
    });
}
