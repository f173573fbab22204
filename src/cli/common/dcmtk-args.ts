import type { Command } from 'commander';

/**
 * DCMTK spells options `+P`, `-Un`, `-aet`: words after one dash or a plus, which
 * commander would read as bundles of one-letter flags. Each tool lists its DCMTK spellings
 * here and they are rewritten to the long options commander knows before it parses. An
 * option taking several values (`+tls KEY CERT`) maps to one long option per value.
 */
export type DcmtkAliases = Readonly<Record<string, string | readonly string[]>>;

/**
 * Rewrites DCMTK spellings to long options. `takesValue(long)` says whether a long option
 * reads the next argument, which is then copied as it is (so `-aet -v` keeps `-v` as a title).
 */
export function translateDcmtkArgs(
  args: readonly string[],
  aliases: DcmtkAliases,
  takesValue: (long: string) => boolean = () => false,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') {
      out.push(...args.slice(i));
      break;
    }
    const long = Object.hasOwn(aliases, arg) ? aliases[arg]! : arg;
    if (typeof long === 'string') {
      out.push(long);
      if (takesValue(long) && i + 1 < args.length) out.push(args[++i]!);
      continue;
    }
    for (const option of long) {
      out.push(option);
      if (i + 1 < args.length) out.push(args[++i]!);
    }
  }
  return out;
}

/**
 * DCMTK evaluates some options as blocks in which the last one given counts (`+L -L`).
 * commander emits an event per option in command line order: the function returned runs
 * `apply` when the option named is met, and records the name in `given` when one is passed
 * (for DCMTK's checks of options that need or exclude others).
 */
export function inCommandLineOrder(
  command: Command,
  given?: Set<string>,
): (name: string, apply: () => void) => void {
  return (name, apply) => {
    command.on(`option:${name}`, () => {
      given?.add(name);
      apply();
    });
  };
}

/** A command line the tool cannot act on: DCMTK's exit code 1 and one line saying why. */
export class UsageError extends Error {}

/**
 * Thrown by an option that does its work alone and ends the run (DCMTK's exclusive options:
 * --list-ciphers, --verify-cert, ...): the tool exits with `exitCode` and prints nothing more.
 */
export class EndOfRun extends Error {
  constructor(readonly exitCode: number) {
    super(`end of run, exit code ${exitCode}`);
  }
}

/** Options every tool shares, with DCMTK's spellings. */
export const COMMON_ALIASES: DcmtkAliases = {
  '-q': '--quiet',
  '-v': '--verbose',
  '-d': '--debug',
  '-h': '--help',
};

/**
 * The words of a DCMTK command file (`storescu @options.txt ...`): separated by white space,
 * with double or single quotes keeping spaces inside one word ("MY AE" is one AE title).
 */
export function commandFileWords(text: string): string[] {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  for (const match of text.matchAll(pattern)) words.push(match[1] ?? match[2] ?? match[3]!);
  return words;
}

/**
 * Replaces each `@file` argument with the words of that file, as DCMTK's tools do; `read`
 * returns a file's text. A lone `@` and anything after `--` stay as they are.
 */
export function expandCommandFiles(args: readonly string[], read: (path: string) => string): string[] {
  const end = args.indexOf('--');
  const options = end < 0 ? args : args.slice(0, end);
  const rest = end < 0 ? [] : args.slice(end);
  return [
    ...options.flatMap((arg) =>
      arg.length > 1 && arg.startsWith('@') ? commandFileWords(read(arg.slice(1))) : [arg],
    ),
    ...rest,
  ];
}

/** DCMTK's --arguments line: the arguments once expanded and spelled long, one per quote. */
export function argumentsLine(tool: string, args: readonly string[]): string {
  return `calling '${tool}' with ${args.length} arguments: ${args.map((a) => `'${a}'`).join(' ')} `;
}
