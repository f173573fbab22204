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

/** Characters of a peer-given value (AE title, address) that reach the shell as they are. */
const PLAIN = /[^\w.,:/@+=% -]/g;

/**
 * AE titles come from the network: anything but plain characters becomes `_`, so a peer
 * named `X;rm -rf ~` cannot run commands here (DCMTK's storescp sanitizes the same way for
 * its end-of-study command, but substitutes them raw on reception). Paths are ours and the
 * user's (the output directory, validated UIDs): they go as they are.
 */
function sanitized(value: string, what: string, console: Console | undefined): string {
  const clean = value.replace(PLAIN, '_');
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
 * when nothing arrived for `timeoutMs` after its last object (--eostudy-timeout).
 */
export class EndOfStudy {
  #study: string | undefined;
  #last: PlaceholderValues | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number | undefined,
    private readonly ended: (values: PlaceholderValues) => void | Promise<void>,
  ) {}

  /** An object of `study` was stored; ends the previous study first when it was another. */
  async received(study: string, values: PlaceholderValues): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#study !== undefined && this.#study !== study) await this.#end();
    this.#study = study;
    const { fileName: _, ...studyValues } = values;
    this.#last = studyValues;
    if (this.timeoutMs !== undefined) {
      this.#timer = setTimeout(() => void this.#end(), this.timeoutMs);
      this.#timer.unref();
    }
  }

  async #end(): Promise<void> {
    const last = this.#last;
    this.#study = undefined;
    this.#last = undefined;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (last) await this.ended(last);
  }
}
