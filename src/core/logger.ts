/**
 * The logging seam of the library: a sink that takes leveled messages. Network layers log
 * every PDU and DIMSE message at `debug` (like DCMTK's `-d` and pynetdicom's debug_logger);
 * building those lines costs time, so they are made only when `debugEnabled` is true.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  readonly debugEnabled: boolean;
  log(level: LogLevel, message: string): void;
}

export const SILENT_LOGGER: Logger = { debugEnabled: false, log() {} };

const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** A logger whose threshold can change while it runs (the PACS's PUT /tools/log-level). */
export interface LevelledLogger extends Logger {
  level: LogLevel;
}

export function isLevelledLogger(logger: Logger): logger is LevelledLogger {
  return 'level' in logger;
}

/** A logger writing "D: ..." / "I: ..." lines (DCMTK's prefixes) through `write` from `level` up. */
export function createLogger(level: LogLevel, write: (line: string) => void): LevelledLogger {
  const prefix: Record<LogLevel, string> = { debug: 'D: ', info: 'I: ', warn: 'W: ', error: 'E: ' };
  let threshold = level;
  return {
    get debugEnabled() {
      return threshold === 'debug';
    },
    get level() {
      return threshold;
    },
    set level(value: LogLevel) {
      threshold = value;
    },
    log(at, message) {
      if (ORDER[at] < ORDER[threshold]) return;
      for (const line of message.split('\n')) write(prefix[at] + line);
    },
  };
}
