import { Command } from 'commander';
import { DicomParseError } from '../core/errors.ts';
import { type Tag, tryParseTag } from '../core/tag.ts';
import { lookupKeyword } from '../dictionary/index.ts';
import { dumpFile } from '../object/dump.ts';
import { readDicomFile } from '../object/file.node.ts';
import type { DicomFile } from '../object/part10.ts';
import { COMMON_ALIASES, type DcmtkAliases } from './common/dcmtk-args.ts';
import { describeError, EXIT } from './common/exit.ts';

export const DUMP_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  '+P': '--search',
  '+p': '--prepend',
  '-p': '--no-prepend',
  '+L': '--print-all',
  '-L': '--print-short',
  '+Un': '--map-uid-names',
  '-Un': '--no-uid-names',
  '+E': '--ignore-errors',
  '-E': '--stop-on-error',
  '-M': '--load-short',
  '+M': '--load-all',
  '+sb': '--stop-before-elem',
};

function parseTagOrKeyword(text: string): Tag {
  const tag = tryParseTag(text) ?? lookupKeyword(text)?.tag;
  if (tag === undefined) throw new Error(`unknown tag or keyword: ${text}`);
  return tag;
}

interface DumpCliOptions {
  search?: Tag[];
  prepend?: boolean;
  printAll?: boolean;
  uidNames: boolean;
  ignoreErrors?: boolean;
  loadShort?: boolean;
  stopBeforeElem?: Tag;
  quiet?: boolean;
  verbose?: boolean;
  debug?: boolean;
}

export function dumpCommand(): Command {
  return new Command('dump')
    .description('print DICOM files in DCMTK dcmdump layout (tag, VR, value, # length, VM, name)')
    .argument('<files...>', 'DICOM files (Part 10 or bare data sets)')
    .option(
      '--search <tag>',
      'print only elements with this tag or keyword (DCMTK +P), repeatable',
      (v, all: Tag[] = []) => [...all, parseTagOrKeyword(v)],
    )
    .option('--prepend', 'with --search, print the sequence path before the tag (DCMTK +p)')
    .option('--no-prepend', 'do not print the sequence path (DCMTK -p, default)')
    .option('--print-all', 'print long values completely (DCMTK +L)')
    .option('--print-short', 'shorten long values (DCMTK -L, default)')
    .option('--map-uid-names', 'print well-known UIDs as names (DCMTK +Un, default)')
    .option('--no-uid-names', 'print UIDs as numbers (DCMTK -Un)')
    .option('--ignore-errors', 'print what was read of a damaged file (DCMTK +E)')
    .option('--stop-on-error', 'print nothing of a damaged file (DCMTK -E, default)')
    .option('--load-short', 'do not load values over 4 KB, e.g. pixel data (DCMTK -M)')
    .option('--load-all', 'load every value (DCMTK +M, default)')
    .option('--stop-before-elem <tag>', 'stop reading before this tag (DCMTK +sb)', parseTagOrKeyword)
    .option('-q, --quiet', 'print no warnings and errors')
    .option('-v, --verbose', 'print processing details')
    .option('-d, --debug', 'print debug information')
    .action(async (files: string[], options: DumpCliOptions) => {
      process.exitCode = await runDump(files, options);
    });
}

async function runDump(files: string[], options: DumpCliOptions): Promise<number> {
  let status: number = EXIT.ok;
  const dumpOptions = {
    printAll: options.printAll ?? false,
    mapUidNames: options.uidNames,
    ...(options.search ? { search: options.search, prependPath: options.prepend ?? false } : {}),
  };
  for (const [index, path] of files.entries()) {
    if (options.search && index > 0) process.stdout.write('\n');
    let file: DicomFile | undefined;
    let failure: unknown;
    try {
      file = await readDicomFile(path, {
        ...(options.loadShort ? { bulkDataThreshold: 4096 } : {}),
        ...(options.stopBeforeElem !== undefined ? { stopAtTag: options.stopBeforeElem } : {}),
      });
    } catch (error) {
      failure = error;
      if (error instanceof DicomParseError && options.ignoreErrors)
        file = error.partial as DicomFile | undefined;
    }
    if (file) {
      if (options.verbose) for (const warning of file.warnings) process.stderr.write(`W: ${warning}\n`);
      process.stdout.write(dumpFile(file, dumpOptions));
    }
    if (failure !== undefined) {
      status = EXIT.inputFile;
      if (!options.quiet)
        process.stderr.write(`E: dicomkit dump: ${path}: ${describeError(failure, options.debug)}\n`);
    }
  }
  return status;
}
