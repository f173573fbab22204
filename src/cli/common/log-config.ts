import {
  closeSync,
  existsSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import { hostname } from 'node:os';
import { UsageError } from './dcmtk-args.ts';
import { standardOutputDiscarded } from './standard-output.ts';

/**
 * DCMTK's `-lc` (`--log-config`): a log4cplus configuration file, as DCMTK's tools read it
 * through oflog (Debian ships two: /etc/dcmtk/logger.cfg and filelog.cfg). Read from it:
 * - `log4cplus.rootLogger = LEVEL, appender...` and `log4cplus.logger.NAME = [LEVEL][, appender...]`
 *   (levels and appenders inherited along dotted names; `log4cplus.additivity.NAME = false`);
 * - appenders: ConsoleAppender (stdout, or stderr with `logToStderr`), FileAppender (`File`,
 *   `Append`), RollingFileAppender (also `MaxFileSize`, `MaxBackupIndex`),
 *   DailyRollingFileAppender (`Schedule`, `MaxBackupIndex`; rolled as DCMTK's oflog rolls it),
 *   NullAppender; each with `Threshold`;
 * - layouts: SimpleLayout (the default), TTCCLayout, and PatternLayout's `ConversionPattern`
 *   with %c{n} %d{fmt} %D{fmt} %m %n %p %r %t %i %h %H %% and width, alignment, precision;
 * - `${appname}` (the tool's name), other `${NAME}` from the file's own properties or the
 *   environment.
 * A tool's own lines log as `dcmtk.apps.TOOL`, the library's network lines as `dcmtk.dcmnet`.
 */

export const LOG_LEVELS = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL', 'OFF'] as const;
/** Index in LOG_LEVELS: 0 (TRACE) to 6 (OFF). */
export type LevelIndex = number;
const OFF = 6;

interface LogEvent {
  level: LevelIndex;
  logger: string;
  message: string;
  time: Date;
}

interface Appender {
  threshold: LevelIndex;
  append(event: LogEvent): void;
}

interface LoggerEntry {
  level?: LevelIndex;
  appenders: string[];
  additive: boolean;
}

const started = Date.now();

export class LogConfig {
  readonly #loggers: Map<string, LoggerEntry>;
  readonly #appenders: Map<string, Appender>;
  readonly #resolved = new Map<string, { level: LevelIndex; appenders: Appender[] }>();

  constructor(loggers: Map<string, LoggerEntry>, appenders: Map<string, Appender>) {
    this.#loggers = loggers;
    this.#appenders = appenders;
  }

  /** The level `logger` logs from (its own, or its nearest ancestor's, or the root's). */
  levelOf(logger: string): LevelIndex {
    return this.#resolve(logger).level;
  }

  log(logger: string, level: LevelIndex, message: string): void {
    const { level: from, appenders } = this.#resolve(logger);
    if (level < from || level >= OFF) return;
    const event = { level, logger, message, time: new Date() };
    for (const appender of appenders) if (level >= appender.threshold) appender.append(event);
  }

  #resolve(logger: string): { level: LevelIndex; appenders: Appender[] } {
    let resolved = this.#resolved.get(logger);
    if (resolved) return resolved;
    let level: LevelIndex | undefined;
    const names = new Set<string>();
    // From the logger up to the root: the nearest level; every appender until additivity stops.
    for (let name: string | undefined = logger; name !== undefined; name = parentOf(name)) {
      const entry = this.#loggers.get(name);
      if (!entry) continue;
      level ??= entry.level;
      for (const appender of entry.appenders) names.add(appender);
      if (!entry.additive) break;
    }
    const root = this.#loggers.get('');
    level ??= root?.level ?? 1;
    resolved = {
      level,
      appenders: [...names].map((name) => this.#appenders.get(name)).filter((a): a is Appender => !!a),
    };
    this.#resolved.set(logger, resolved);
    return resolved;
  }
}

/** 'a.b.c' -> 'a.b' -> 'a' -> '' (the root) -> undefined. */
function parentOf(name: string): string | undefined {
  if (name === '') return undefined;
  const dot = name.lastIndexOf('.');
  return dot < 0 ? '' : name.slice(0, dot);
}

/** Reads `path` as DCMTK's -lc does; a missing file is DCMTK's usage error. */
export function loadLogConfig(path: string, appname: string): LogConfig {
  // Loaded once per run: a second load would open its files again (truncating, without
  // Append) and lose what the first had logged, such as --arguments' line.
  const key = `${appname}\0${path}`;
  let config = loaded.get(key);
  if (config) return config;
  if (!existsSync(path)) throw new UsageError('Specified --log-config file does not exist');
  config = parseLogConfig(readFileSync(path, 'utf8'), appname);
  loaded.set(key, config);
  return config;
}

const loaded = new Map<string, LogConfig>();

export function parseLogConfig(text: string, appname: string): LogConfig {
  const raw = parseProperties(text);
  const props = new Map<string, string>();
  for (const [key, value] of raw) props.set(key, substitute(value, raw, appname));
  const loggers = new Map<string, LoggerEntry>();
  const additivity = (name: string) =>
    (props.get(`log4cplus.additivity.${name}`) ?? 'true').toLowerCase() !== 'false';
  const root = props.get('log4cplus.rootLogger');
  loggers.set('', { ...loggerValue(root ?? 'DEBUG'), additive: false });
  for (const [key, value] of props) {
    if (!key.startsWith('log4cplus.logger.')) continue;
    const name = key.slice('log4cplus.logger.'.length);
    loggers.set(name, { ...loggerValue(value), additive: additivity(name) });
  }
  const appenders = new Map<string, Appender>();
  const wanted = new Set([...loggers.values()].flatMap((entry) => entry.appenders));
  for (const name of wanted) {
    const appender = makeAppender(name, props);
    if (appender) appenders.set(name, appender);
  }
  return new LogConfig(loggers, appenders);
}

/** Java-style properties: `key = value` (or `key: value`), `#`/`!` comments, `\` continuations. */
function parseProperties(text: string): Map<string, string> {
  const props = new Map<string, string>();
  let pending = '';
  for (const rawLine of text.split(/\r?\n/)) {
    const line = pending + rawLine.trim();
    pending = '';
    if (line.endsWith('\\')) {
      pending = line.slice(0, -1);
      continue;
    }
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    const at = line.search(/[=:]/);
    if (at < 0) continue;
    props.set(line.slice(0, at).trim(), line.slice(at + 1).trim());
  }
  return props;
}

function substitute(value: string, props: Map<string, string>, appname: string): string {
  return value.replace(/\$\{([^}]*)\}/g, (_, name: string) =>
    name === 'appname' ? appname : (props.get(name) ?? process.env[name] ?? ''),
  );
}

function levelIndex(text: string): LevelIndex | undefined {
  const upper = text.trim().toUpperCase();
  if (upper === 'ALL') return 0;
  if (upper === '' || upper === 'NOTSET' || upper === 'INHERITED') return undefined;
  const at = (LOG_LEVELS as readonly string[]).indexOf(upper);
  return at < 0 ? undefined : at;
}

function loggerValue(value: string): { level?: LevelIndex; appenders: string[] } {
  const [level = '', ...appenders] = value.split(',').map((part) => part.trim());
  const index = levelIndex(level);
  return { ...(index !== undefined ? { level: index } : {}), appenders: appenders.filter(Boolean) };
}

function makeAppender(name: string, props: Map<string, string>): Appender | undefined {
  const prefix = `log4cplus.appender.${name}`;
  const kind = (props.get(prefix) ?? '').replace(/^log4cplus::/, '');
  const option = (key: string) => props.get(`${prefix}.${key}`);
  const flag = (key: string, fallback: boolean) => {
    const v = option(key);
    return v === undefined ? fallback : v.toLowerCase() === 'true';
  };
  const threshold = levelIndex(option('Threshold') ?? '') ?? 0;
  const layout = makeLayout(option('layout') ?? 'SimpleLayout', option('layout.ConversionPattern'));
  switch (kind) {
    case 'ConsoleAppender': {
      const fd = flag('logToStderr', false) ? 2 : 1;
      return {
        threshold,
        append: (event) => {
          if (!standardOutputDiscarded()) writeAll(fd, layout(event));
        },
      };
    }
    case 'DailyRollingFileAppender': {
      const file = option('File');
      if (!file) return undefined;
      const rolling = new DailyRollingFile(
        file,
        option('Schedule') ?? 'DAILY',
        Math.max(Number(option('MaxBackupIndex') ?? 10) || 0, 0),
      );
      process.once('exit', () => rolling.close());
      return { threshold, append: (event) => rolling.write(layout(event), event.time) };
    }
    case 'FileAppender':
    case 'RollingFileAppender': {
      const file = option('File');
      if (!file) return undefined;
      const rolling = kind === 'RollingFileAppender';
      const maxSize = rolling ? Math.max(byteSize(option('MaxFileSize')) ?? 10 << 20, 200 * 1024) : Infinity;
      const backups = rolling ? Math.max(Number(option('MaxBackupIndex') ?? 1) || 0, 0) : 0;
      let fd: number | undefined;
      let size = 0;
      const openFile = (append: boolean) => {
        fd = openSync(file, append ? 'a' : 'w');
        size = append ? statSync(file).size : 0;
      };
      return {
        threshold,
        append(event) {
          if (fd === undefined) openFile(flag('Append', true));
          const bytes = Buffer.from(layout(event));
          if (size > 0 && size + bytes.length > maxSize) {
            closeSync(fd!);
            // file -> file.1 -> ... -> file.N; the oldest goes.
            if (backups === 0) rmSync(file, { force: true });
            for (let n = backups; n >= 1; n--) {
              const from = n === 1 ? file : `${file}.${n - 1}`;
              if (existsSync(from)) renameSync(from, `${file}.${n}`);
            }
            openFile(false);
          }
          writeAll(fd!, bytes);
          size += bytes.length;
        },
      };
    }
    case 'NullAppender':
      return { threshold: OFF, append() {} };
    default:
      process.stderr.write(`log4cplus:ERROR Cannot find AppenderFactory: "${props.get(prefix) ?? ''}"\n`);
      return undefined;
  }
}

interface Schedule {
  /** The start of the period `time` falls in (local time). */
  start(time: Date): Date;
  /** The start of the period after the one starting at `start`. */
  next(start: Date): Date;
  /** The suffix of a finished period's file. */
  suffix: string;
}

const addMs = (ms: number) => (start: Date) => new Date(start.getTime() + ms);
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/** DailyRollingFileAppender's schedules, as DCMTK's oflog (log4cplus 1.0) computes them. */
const SCHEDULES = {
  MONTHLY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), 1),
    next: (s: Date) => new Date(s.getFullYear(), s.getMonth() + 1, 1),
    suffix: '%Y-%m',
  },
  WEEKLY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), t.getDate() - t.getDay()),
    next: addMs(7 * DAY),
    suffix: '%Y-%W',
  },
  DAILY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), t.getDate()),
    next: addMs(DAY),
    suffix: '%Y-%m-%d',
  },
  TWICE_DAILY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), t.getDate(), t.getHours() >= 12 ? 12 : 0),
    next: addMs(12 * HOUR),
    suffix: '%Y-%m-%d-%p',
  },
  HOURLY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), t.getDate(), t.getHours()),
    next: addMs(HOUR),
    suffix: '%Y-%m-%d-%H',
  },
  MINUTELY: {
    start: (t: Date) => new Date(t.getFullYear(), t.getMonth(), t.getDate(), t.getHours(), t.getMinutes()),
    next: addMs(MINUTE),
    suffix: '%Y-%m-%d-%H-%M',
  },
} satisfies Record<string, Schedule>;

/**
 * log4cplus's DailyRollingFileAppender as DCMTK's oflog has it: the file is appended to; at
 * the first event of a new period, and when the program ends, it is renamed to
 * `FILE.<period>` (an earlier file of that name moves to `.1`, `.1` to `.2`... up to
 * MaxBackupIndex) and an empty FILE started. So each run of a tool leaves its lines in
 * `FILE.<period>[.n]`, as DCMTK's tools do.
 */
export class DailyRollingFile {
  readonly #file: string;
  readonly #schedule: Schedule;
  readonly #maxBackupIndex: number;
  #fd: number | undefined;
  #scheduled: string;
  #nextRollover: Date;

  /** `schedule`: MONTHLY, WEEKLY, DAILY (also for an unknown one), TWICE_DAILY, HOURLY, MINUTELY. */
  constructor(file: string, scheduleName: string, maxBackupIndex: number, now = new Date()) {
    const schedules: Record<string, Schedule> = SCHEDULES;
    const schedule = schedules[scheduleName.toUpperCase()] ?? SCHEDULES.DAILY;
    this.#file = file;
    this.#schedule = schedule;
    this.#maxBackupIndex = maxBackupIndex;
    const start = schedule.start(now);
    this.#scheduled = this.#nameFor(start);
    this.#nextRollover = schedule.next(start);
    // Opened at once, as log4cplus does: a run that logs nothing still rolls an empty file.
    this.#fd = openSync(file, 'a');
  }

  write(text: string, time: Date): void {
    if (this.#fd === undefined) return;
    if (time >= this.#nextRollover) this.#rollover(time);
    writeAll(this.#fd!, text);
  }

  close(): void {
    if (this.#fd === undefined) return;
    this.#rollover(new Date());
    closeSync(this.#fd!);
    this.#fd = undefined;
  }

  #nameFor(start: Date): string {
    return `${this.#file}.${strftime(this.#schedule.suffix, start, false)}`;
  }

  #rollover(now: Date): void {
    closeSync(this.#fd!);
    // scheduled.1 -> .2 ... the oldest (MaxBackupIndex) goes; then scheduled -> scheduled.1.
    const scheduled = this.#scheduled;
    rmSync(`${scheduled}.${this.#maxBackupIndex}`, { force: true });
    for (let n = this.#maxBackupIndex - 1; n >= 1; n--) {
      if (existsSync(`${scheduled}.${n}`)) renameSync(`${scheduled}.${n}`, `${scheduled}.${n + 1}`);
    }
    if (this.#maxBackupIndex > 0 && existsSync(scheduled)) renameSync(scheduled, `${scheduled}.1`);
    if (existsSync(this.#file)) renameSync(this.#file, scheduled);
    this.#fd = openSync(this.#file, 'w');
    if (now >= this.#nextRollover) {
      this.#scheduled = this.#nameFor(this.#nextRollover);
      this.#nextRollover = this.#schedule.next(this.#nextRollover);
    }
  }
}

function writeAll(fd: number, text: string | Uint8Array): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done);
}

/** "5MB", "500KB", "1048576": bytes. */
function byteSize(text: string | undefined): number | undefined {
  const m = /^\s*(\d+)\s*(MB|KB)?\s*$/i.exec(text ?? '');
  if (!m) return undefined;
  const unit = m[2]?.toUpperCase();
  return Number(m[1]) * (unit === 'MB' ? 1 << 20 : unit === 'KB' ? 1024 : 1);
}

type Layout = (event: LogEvent) => string;

function makeLayout(kind: string, pattern: string | undefined): Layout {
  switch (kind.replace(/^log4cplus::/, '')) {
    case 'PatternLayout':
      return patternLayout(pattern ?? '%m%n');
    case 'TTCCLayout':
      return patternLayout('%r [%t] %p %c <> - %m%n', false);
    default:
      return patternLayout('%p - %m%n', false);
  }
}

/** log4cplus's PatternLayout: %[-][min][.max]X[{option}]. */
export function patternLayout(pattern: string, splitLines = true): Layout {
  const parts: ((event: LogEvent) => string)[] = [];
  const re = /%(-?)(\d*)(?:\.(\d+))?([a-zA-Z%])(?:\{([^}]*)\})?/g;
  let last = 0;
  for (let m = re.exec(pattern); m; m = re.exec(pattern)) {
    const literal = pattern.slice(last, m.index);
    if (literal) parts.push(() => literal);
    last = re.lastIndex;
    const [, left, min, max, char, option] = m;
    const convert = conversion(char!, option);
    parts.push((event) => {
      let text = convert(event);
      if (max) text = text.slice(Math.max(0, text.length - Number(max)));
      if (min && text.length < Number(min))
        text = left ? text.padEnd(Number(min)) : text.padStart(Number(min));
      return text;
    });
  }
  const tail = pattern.slice(last);
  if (tail) parts.push(() => tail);
  const render = (event: LogEvent): string => parts.map((part) => part(event)).join('');
  return (event) => {
    // PatternLayout: a message of several lines is a record per line, as DCMTK's oflog writes
    // them (--arguments' message, which ends in a newline, gets an empty record). The simple and
    // TTCC layouts write the message as it is.
    if (!splitLines) return render(event);
    return event.message
      .split('\n')
      .map((line) => render({ ...event, message: line }))
      .join('');
  };
}

function conversion(char: string, option: string | undefined): (event: LogEvent) => string {
  switch (char) {
    case 'm':
      return (e) => e.message;
    case 'n':
      return () => '\n';
    case 'p':
      return (e) => LOG_LEVELS[e.level]!;
    case 'c': {
      const keep = option ? Number(option) : 0;
      return (e) => (keep > 0 ? e.logger.split('.').slice(-keep).join('.') : e.logger);
    }
    case 'd':
      return (e) => strftime(option ?? '%Y-%m-%d %H:%M:%S', e.time, true);
    case 'D':
      return (e) => strftime(option ?? '%Y-%m-%d %H:%M:%S', e.time, false);
    case 'r':
      return (e) => String(e.time.getTime() - started);
    case 't':
    case 'T':
    case 'i':
      return () => String(process.pid);
    case 'h':
    case 'H':
      return () => hostname();
    case '%':
      return () => '%';
    default:
      // Source locations (%l %L %F %M), NDC and MDC (%x %X): dicomkit has none to show.
      return () => '';
  }
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

/** strftime's common fields, and log4cplus's %q (milliseconds) and %Q (with microseconds). */
export function strftime(format: string, time: Date, utc: boolean): string {
  const get = {
    year: utc ? time.getUTCFullYear() : time.getFullYear(),
    month: utc ? time.getUTCMonth() : time.getMonth(),
    day: utc ? time.getUTCDate() : time.getDate(),
    weekday: utc ? time.getUTCDay() : time.getDay(),
    hours: utc ? time.getUTCHours() : time.getHours(),
    minutes: utc ? time.getUTCMinutes() : time.getMinutes(),
    seconds: utc ? time.getUTCSeconds() : time.getSeconds(),
  };
  const two = (n: number) => String(n).padStart(2, '0');
  const ms = String(time.getMilliseconds()).padStart(3, '0');
  return format.replace(/%([a-zA-Z%])/g, (whole, field: string) => {
    switch (field) {
      case 'Y':
        return String(get.year);
      case 'y':
        return two(get.year % 100);
      case 'm':
        return two(get.month + 1);
      case 'd':
        return two(get.day);
      case 'e':
        return String(get.day).padStart(2, ' ');
      case 'H':
        return two(get.hours);
      case 'I':
        return two(((get.hours + 11) % 12) + 1);
      case 'p':
        return get.hours < 12 ? 'AM' : 'PM';
      case 'M':
        return two(get.minutes);
      case 'S':
        return two(get.seconds);
      case 'q':
        return ms;
      case 'Q':
        return `${ms}.000`;
      case 'W': {
        // Week of the year, Monday first: days before the year's first Monday are week 00.
        const start = utc ? Date.UTC(get.year, 0, 1) : new Date(get.year, 0, 1).getTime();
        const today = utc
          ? Date.UTC(get.year, get.month, get.day)
          : new Date(get.year, get.month, get.day).getTime();
        const yearDay = Math.round((today - start) / 86_400_000);
        return two(Math.floor((yearDay + 7 - ((get.weekday + 6) % 7)) / 7));
      }
      case 'b':
        return MONTHS[get.month]!;
      case 'a':
        return DAYS[get.weekday]!;
      case '%':
        return '%';
      default:
        return whole;
    }
  });
}
