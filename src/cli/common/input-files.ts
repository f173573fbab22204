import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { Console } from './console.ts';
import { type DcmtkAliases, UsageError } from './dcmtk-args.ts';

/** DCMTK's spellings of the directory scanning options (storescu, dcmdump, ...). */
export const INPUT_FILES_ALIASES: DcmtkAliases = {
  '+sd': '--scan-directories',
  '+sp': '--scan-pattern',
  '-r': '--no-recurse',
  '+r': '--recurse',
};

export interface InputFilesOptions {
  scanDirectories?: boolean;
  scanPattern?: string;
  recurse?: boolean;
}

export function addInputFilesOptions(command: Command): Command {
  return (
    command
      .option('--scan-directories', 'scan directories for input files (DCMTK +sd)')
      .option(
        '--scan-pattern <pattern>',
        'pattern for filename matching, wildcards * ? (DCMTK +sp, with +sd)',
      )
      // The positive option first: commander then leaves the value undefined unless one is given.
      .option('--recurse', 'recurse within specified directories (DCMTK +r)')
      .option('--no-recurse', 'do not recurse within directories (DCMTK -r, default)')
  );
}

/** A file name pattern with DCMTK's (fnmatch's) wildcards `*` and `?`. */
function glob(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
  );
}

/**
 * The input files as DCMTK's tools determine them: files as given; directories only with
 * `+sd`, their files in name order, matching `+sp`, and sub-directories with `+r`.
 */
export function inputFiles(paths: readonly string[], options: InputFilesOptions, console: Console): string[] {
  if (options.scanPattern !== undefined && !options.scanDirectories)
    throw new UsageError('--scan-pattern (+sp) needs --scan-directories (+sd)');
  if (options.recurse && !options.scanDirectories)
    throw new UsageError('--recurse (+r) needs --scan-directories (+sd)');
  const out: string[] = [];
  const pattern = options.scanPattern !== undefined ? glob(options.scanPattern) : undefined;
  const walk = (dir: string): void => {
    const entries = readdirSync(dir, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
    );
    for (const entry of entries) {
      const path = join(dir, entry.name);
      // The entry's type comes with the listing; a stat per file cost ~5 us each on 2,000 files.
      // Links (and file systems that report no type) are followed with a stat, as before.
      const directory =
        entry.isDirectory() ||
        ((entry.isSymbolicLink() || !(entry.isFile() || entry.isDirectory())) &&
          statSync(path, { throwIfNoEntry: false })?.isDirectory() === true);
      if (directory) {
        if (options.recurse) walk(path);
      } else if (!pattern || pattern.test(entry.name)) {
        out.push(path);
      }
    }
  };
  if (options.scanDirectories) console.info('determining input files ...');
  for (const path of paths) {
    if (statSync(path, { throwIfNoEntry: false })?.isDirectory()) {
      if (options.scanDirectories) walk(path);
      else console.warn(`ignoring directory because option --scan-directories is not set: ${path}`);
    } else {
      out.push(path);
    }
  }
  return out;
}
