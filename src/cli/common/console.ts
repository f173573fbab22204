import { createLogger, type Logger, type LogLevel, SILENT_LOGGER } from '../../core/index.ts';
import { UsageError } from './dcmtk-args.ts';
import { type LogConfig, loadLogConfig } from './log-config.ts';

/** DCMTK's logging options, as commander hands them over. */
export interface LogCliOptions {
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  logLevel?: string;
  /** DCMTK's -lc: a log4cplus configuration file (log-config.ts). */
  logConfig?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

/** Prints DCMTK-style "I: ..." lines at -v, "D: ..." at -d, "W:", "E:", "F:" from -q up. */
export class Console {
  readonly #level: number;
  readonly logger: Logger;
  /** With -lc: where lines go instead of stderr, and the name of the tool's own logger. */
  readonly #config: { config: LogConfig; logger: string } | undefined;
  /** `tool`: the name -lc files know the tool by (`${appname}`, logger dcmtk.apps.TOOL). */
  constructor(options: LogCliOptions, tool = 'dicomkit') {
    if (options.logConfig !== undefined) {
      // As DCMTK's oflog: the file decides everything the other options would.
      if (options.quiet || options.verbose || options.debug)
        throw new UsageError('--log-config not allowed with --verbose, --debug or --quiet');
      if (options.logLevel !== undefined) throw new UsageError('--log-config not allowed with --log-level');
      const config = loadLogConfig(options.logConfig, tool);
      const logger = `dcmtk.apps.${tool}`;
      this.#config = { config, logger };
      this.#level = Math.min(config.levelOf(logger), LEVELS.length);
      const network = 'dcmtk.dcmnet';
      const index: Record<LogLevel, number> = { debug: 1, info: 2, warn: 3, error: 4 };
      // As without -lc: the library's lines show at debug; below that only its errors.
      const debugEnabled = config.levelOf(network) <= 1;
      this.logger = {
        debugEnabled,
        log: (at, message) => {
          if (debugEnabled || at === 'error') config.log(network, index[at], message);
        },
      };
      return;
    }
    this.#config = undefined;
    let level: Level = 'warn';
    if (options.logLevel !== undefined) {
      if (!(LEVELS as readonly string[]).includes(options.logLevel)) {
        throw new UsageError(`--log-level: '${options.logLevel}' is not one of ${LEVELS.join(', ')}`);
      }
      level = options.logLevel as Level;
    } else if (options.debug) level = 'debug';
    else if (options.verbose) level = 'info';
    else if (options.quiet) level = 'fatal';
    this.#level = LEVELS.indexOf(level);
    // The library's own lines join ours at -d: every PDU and DIMSE message, readably.
    const libraryLevel: LogLevel = this.#level <= 1 ? 'debug' : 'error';
    this.logger =
      this.#level <= 3
        ? createLogger(libraryLevel, (line) => process.stderr.write(`${line}\n`))
        : SILENT_LOGGER;
  }
  get verbose(): boolean {
    return this.#level <= 2;
  }
  enabled(level: Level): boolean {
    return LEVELS.indexOf(level) >= this.#level;
  }
  #write(level: Level, prefix: string, text: string): void {
    if (!this.enabled(level)) return;
    if (this.#config) {
      this.#config.config.log(this.#config.logger, LEVELS.indexOf(level), text);
      return;
    }
    for (const line of text.split('\n')) process.stderr.write(`${prefix}: ${line}\n`);
  }
  debug(text: string): void {
    this.#write('debug', 'D', text);
  }
  info(text: string): void {
    this.#write('info', 'I', text);
  }
  warn(text: string): void {
    this.#write('warn', 'W', text);
  }
  error(text: string): void {
    this.#write('error', 'E', text);
  }
  fatal(text: string): void {
    this.#write('fatal', 'F', text);
  }
}
