import { spawn } from 'node:child_process';
import type { Console } from './network.ts';

/** What DCMTK's storescp substitutes in --exec-on-reception and --exec-on-eostudy commands. */
export interface PlaceholderValues {
  /** #p: the directory the (last) object was written to. */
  directory: string;
  /** #f: the file name of the object, without its directory (reception only). */
  fileName?: string;
  /** #a: the calling AE title of the peer. */
  callingAeTitle: string;
  /** #c: the AE title the peer called us by. */
  calledAeTitle: string;
  /** #r: the peer's address. */
  remoteAddress: string;
}

/** Characters of a peer-given value (AE title, address) that do not reach the shell as they are. */
const UNUSUAL = /[^\w.,:/@+=% -]/g;

/**
 * AE titles come from the network: anything but plain characters becomes `_`, so a peer
 * named `X;rm -rf ~` cannot run commands here (DCMTK's storescp sanitizes the same way for
 * its end-of-study command, but substitutes them raw on reception). Paths are ours and the
 * user's (the output directory, validated UIDs): they go as they are.
 */
function sanitized(value: string, what: string, console: Console | undefined): string {
  const clean = value.replace(UNUSUAL, '_');
  if (clean !== value)
    console?.warn(`Sanitized unusual characters in ${what}, converted from "${value}" to "${clean}".`);
  return clean;
}

/** The command line with #p, #f, #a, #c and #r replaced (DCMTK storescp's placeholders). */
export function substitutePlaceholders(
  command: string,
  values: PlaceholderValues,
  console?: Console,
): string {
  return command.replace(/#([pfacr])/g, (whole, key: string) => {
    switch (key) {
      case 'p':
        return values.directory;
      case 'f':
        return values.fileName ?? whole;
      case 'a':
        return sanitized(values.callingAeTitle, 'calling aetitle', console);
      case 'c':
        return sanitized(values.calledAeTitle, 'called aetitle', console);
      default:
        return sanitized(values.remoteAddress, 'peer address', console);
    }
  });
}

/**
 * Runs a command line through /bin/sh, its output going to ours. In the background unless
 * `wait` (DCMTK's --exec-sync), which resolves once it exited; a failure to start is logged,
 * never thrown: a hook must not fail a store.
 */
export function runHook(commandLine: string, wait: boolean, console: Console): Promise<void> {
  console.info(`executing command: ${commandLine}`);
  return new Promise((resolve) => {
    const child = spawn('/bin/sh', ['-c', commandLine], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('error', (error) => {
      console.error(`cannot execute command ${commandLine}: ${error.message}`);
      resolve();
    });
    if (!wait) {
      child.unref();
      resolve();
      return;
    }
    child.once('exit', () => resolve());
  });
}

/**
 * DCMTK's end-of-study rule: a study is complete when an object of another study arrives, or
 * when nothing arrived for `timeoutMs` after its last object (--eostudy-timeout). `ended`
 * gets the last object's placeholders (but #f) and the study's files in arrival order.
 */
export class EndOfStudy {
  #study: string | undefined;
  #last: PlaceholderValues | undefined;
  #files: string[] = [];
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly ended: (values: PlaceholderValues, files: readonly string[]) => void | Promise<void>,
  ) {}

  /** `path`, an object of `study`, was stored; ends the previous study first when it was another. */
  async received(study: string, values: PlaceholderValues, path: string): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#study !== undefined && this.#study !== study) await this.#end();
    this.#study = study;
    const { fileName: _, ...studyValues } = values;
    this.#last = studyValues;
    this.#files.push(path);
    if (this.timeoutMs !== undefined) {
      this.#timer = setTimeout(() => void this.#end(), this.timeoutMs);
      this.#timer.unref();
    }
  }

  async #end(): Promise<void> {
    const last = this.#last;
    const files = this.#files;
    this.#study = undefined;
    this.#last = undefined;
    this.#files = [];
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (last) await this.ended(last, files);
  }
}

/**
 * DCMTK's --rename-on-eostudy names: the first two letters of each file name (after the
 * timestamp and serial number of --timenames), then 000001, 000002... in arrival order.
 */
export function endOfStudyNames(fileNames: readonly string[], timeNames: boolean): string[] {
  return fileNames.map((name, i) => {
    let prefix = name.slice(0, 2);
    if (timeNames) {
      const serial = name.indexOf('_');
      prefix = serial >= 0 ? name.slice(serial + 6, serial + 8) : name.slice(18, 20);
    }
    return `${prefix}${String(i + 1).padStart(6, '0')}`;
  });
}

/**
 * DCMTK's --timenames: YYYYMMDDHHMMSSPPP.MODALITY, with _NNNN after the time when the name
 * would repeat the last one written (two objects in the same millisecond).
 */
export class TimeNames {
  #last: string | undefined;
  #counter = -1;

  next(modality: string, extension: string, now = new Date()): string {
    const p = (n: number, w = 2) => String(n).padStart(w, '0');
    const time = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}${p(now.getMilliseconds(), 3)}`;
    const candidate =
      this.#counter < 0
        ? `${time}.${modality}${extension}`
        : `${time}_${p(this.#counter, 4)}.${modality}${extension}`;
    let name: string;
    if (candidate === this.#last) {
      this.#counter++;
      name = `${time}_${p(this.#counter, 4)}.${modality}${extension}`;
    } else {
      this.#counter = -1;
      name = `${time}.${modality}${extension}`;
    }
    this.#last = name;
    return name;
  }

  /** A new study directory cannot hold a repeated name: the serial starts over. */
  reset(): void {
    this.#counter = -1;
  }
}
