import { createLogger, type Logger, type LogLevel, SILENT_LOGGER } from '../../core/index.ts';
import { UsageError } from './dcmtk-args.ts';

/** DCMTK's logging options, as commander hands them over. */
export interface LogCliOptions {
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
  logLevel?: string;
}

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
type Level = (typeof LEVELS)[number];

/** Prints DCMTK-style "I: ..." lines at -v, "D: ..." at -d, "W:", "E:", "F:" from -q up. */
export class Console {
  readonly #level: number;
  readonly logger: Logger;
  constructor(options: LogCliOptions) {
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
