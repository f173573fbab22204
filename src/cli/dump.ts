import { accessSync, constants, existsSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { DicomParseError } from '../core/errors.ts';
import { PIXEL_DATA, type Tag } from '../core/tag.ts';
import { swapped } from '../object/byte-swap.ts';
import type { DataSet } from '../object/dataset.ts';
import { type DumpOptions, dumpFile, type PixelDataValue } from '../object/dump.ts';
import { isBulkDataRef } from '../object/element.ts';
import { readBulkData, readDicomFile } from '../object/file.node.ts';
import type { DicomFile } from '../object/part10.ts';
import { Console, type LogCliOptions } from './common/console.ts';
import { COMMON_ALIASES, type DcmtkAliases, inCommandLineOrder, UsageError } from './common/dcmtk-args.ts';
import { describeError, EXIT } from './common/exit.ts';
import {
  addInputFilesOptions,
  INPUT_FILES_ALIASES,
  type InputFilesOptions,
  inputFiles,
} from './common/input-files.ts';
import {
  addParsingOptions,
  addReadOptions,
  PARSING_ALIASES,
  parseTagOrKeyword,
  READ_ALIASES,
  type ReadChoices,
  type ReadCliOptions,
  readOptionsOf,
} from './common/read-options.ts';

/** dcmdump's spellings of its options (DCMTK 3.6.7 dcmdump --help). */
export const DUMP_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  ...INPUT_FILES_ALIASES,
  ...READ_ALIASES,
  ...PARSING_ALIASES,
  '-ll': '--log-level',
  '-lc': '--log-config',
  '+U8': '--convert-to-utf8',
  '+L': '--print-all',
  '-L': '--print-short',
  '+T': '--print-tree',
  '-T': '--print-indented',
  '+F': '--print-filename',
  '+Fs': '--print-file-search',
  '+Un': '--map-uid-names',
  '-Un': '--no-uid-names',
  '+Qn': '--quote-nonascii',
  '+Qo': '--quote-as-octal',
  '-Qn': '--print-nonascii',
  '+C': '--print-color',
  '-C': '--no-color',
  '-E': '--stop-on-error',
  '+E': '--ignore-errors',
  '+P': '--search',
  '+s': '--search-all',
  '-s': '--search-first',
  '+p': '--prepend',
  '-p': '--no-prepend',
  '+W': '--write-pixel',
};

interface DumpCliOptions extends LogCliOptions, InputFilesOptions, ReadCliOptions {
  convertToUtf8?: boolean;
  search?: Tag[];
  writePixel?: string;
}

/** The choices of dcmdump's output option blocks, in which the last option given counts. */
interface OutputChoices {
  printAll: boolean;
  mapUidNames: boolean;
  tree: boolean;
  fileNames: 'none' | 'all' | 'found';
  quote: 'markup' | 'octal' | undefined;
  color: boolean;
  stopOnErrors: boolean;
  searchFirst: boolean;
  prepend: boolean;
  /** Options given, for dcmdump's checks of options that need --search. */
  given: Set<string>;
}

/**
 * `dicomkit dump [options] files...`: DCMTK's dcmdump, its options, output and exit code
 * (the number of files that could not be read). Text values are printed as the file stores
 * them, as dcmdump does; `+U8` converts them to UTF-8.
 */
export function dumpCommand(): Command {
  const output: OutputChoices = {
    printAll: false,
    mapUidNames: true,
    tree: false,
    fileNames: 'none',
    quote: undefined,
    color: false,
    stopOnErrors: true,
    searchFirst: false,
    prepend: false,
    given: new Set(),
  };
  const command = new Command('dump')
    .description('print DICOM files in DCMTK dcmdump layout (tag, VR, value, # length, VM, name)')
    .argument('<dcmfile-in...>', 'DICOM input file or directory to be dumped')
    .option('-q, --quiet', 'quiet mode, print no warnings and errors')
    .option('-v, --verbose', 'verbose mode, print processing details')
    .option('-d, --debug', 'debug mode, print debug information')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (DCMTK -ll)')
    .option(
      '--log-config <file>',
      'log4cplus configuration file: levels, console and file appenders, layouts (DCMTK -lc)',
    )
    .option('--arguments', 'print expanded command line arguments, with -v (DCMTK --arguments)');
  addInputFilesOptions(command);
  const read = addReadOptions(command, { loadAll: true });
  addParsingOptions(command)
    .option('--convert-to-utf8', 'convert values affected by (0008,0005) to UTF-8 (DCMTK +U8)')
    .option('--print-all', 'print long tag values completely (DCMTK +L)')
    .option('--print-short', 'print long tag values shortened (DCMTK -L, default)')
    .option('--print-tree', 'print hierarchical structure as a simple tree (DCMTK +T)')
    .option('--print-indented', 'print hierarchical structure indented (DCMTK -T, default)')
    .option('--print-filename', 'print header with filename for each input file (DCMTK +F)')
    .option(
      '--print-file-search',
      'print header with filename only for files that contain a searched tag (DCMTK +Fs)',
    )
    .option('--map-uid-names', 'map well-known UID numbers to names (DCMTK +Un, default)')
    .option('--no-uid-names', 'do not map well-known UID numbers to names (DCMTK -Un)')
    .option('--quote-nonascii', 'quote non-ASCII and control chars as XML markup (DCMTK +Qn)')
    .option('--quote-as-octal', 'quote non-ASCII and control chars as octal numbers (DCMTK +Qo)')
    .option('--print-nonascii', 'print non-ASCII and control chars (DCMTK -Qn, default)')
    .option('--print-color', 'use ANSI escape codes for colored output (DCMTK +C)')
    .option('--no-color', 'do not use any ANSI escape codes (DCMTK -C, default)')
    .option('--stop-on-error', 'do not print if file is damaged (DCMTK -E, default)')
    .option('--ignore-errors', 'attempt to print even if file is damaged (DCMTK +E)')
    .option(
      '--search <tag>',
      'print the textual dump of this tag or keyword, repeatable (DCMTK +P)',
      (v, all: Tag[] = []) => [...all, parseTagOrKeyword(v)],
    )
    .option('--search-all', 'print all instances of searched tags (DCMTK +s, default)')
    .option('--search-first', 'only print first instance of searched tags (DCMTK -s)')
    .option('--prepend', 'prepend sequence hierarchy to printed tag (DCMTK +p, with --search)')
    .option('--no-prepend', 'do not prepend hierarchy to tag (DCMTK -p, default)')
    .option(
      '--write-pixel <directory>',
      'write pixel data to .raw files in this directory, little endian (DCMTK +W)',
    );
  const on = inCommandLineOrder(command, output.given);
  on('print-all', () => (output.printAll = true));
  on('print-short', () => (output.printAll = false));
  on('map-uid-names', () => (output.mapUidNames = true));
  on('no-uid-names', () => (output.mapUidNames = false));
  on('print-tree', () => (output.tree = true));
  on('print-indented', () => (output.tree = false));
  on('print-filename', () => (output.fileNames = 'all'));
  on('print-file-search', () => (output.fileNames = 'found'));
  on('quote-nonascii', () => (output.quote = 'markup'));
  on('quote-as-octal', () => (output.quote = 'octal'));
  on('print-nonascii', () => (output.quote = undefined));
  on('print-color', () => (output.color = true));
  on('no-color', () => (output.color = false));
  on('stop-on-error', () => (output.stopOnErrors = true));
  on('ignore-errors', () => (output.stopOnErrors = false));
  on('search-all', () => (output.searchFirst = false));
  on('search-first', () => (output.searchFirst = true));
  on('prepend', () => (output.prepend = true));
  on('no-prepend', () => (output.prepend = false));
  return command.action(async (paths: string[], options: DumpCliOptions) => {
    process.exitCode = await runDump(paths, options, read, output);
  });
}

/** dcmdump's checks of options that need --search or exclude each other. */
function checkOptions(options: DumpCliOptions, output: OutputChoices): void {
  const searching = (options.search?.length ?? 0) > 0;
  const needSearch = ['print-file-search', 'search-all', 'search-first', 'prepend', 'no-prepend'];
  for (const name of needSearch) {
    if (output.given.has(name) && !searching) throw new UsageError(`--${name} only allowed with --search`);
  }
  if (output.prepend && output.tree) throw new UsageError('--prepend not allowed with --print-tree');
}

async function runDump(
  paths: string[],
  options: DumpCliOptions,
  read: ReadChoices,
  output: OutputChoices,
): Promise<number> {
  let console: Console;
  let files: string[];
  let readOptions: ReturnType<typeof readOptionsOf>;
  try {
    console = new Console(options, 'dcmdump');
    checkOptions(options, output);
    readOptions = readOptionsOf(read, options);
    files = inputFiles(paths, options, console);
  } catch (error) {
    process.stderr.write(`E: dicomkit dump: ${(error as Error).message}\n`);
    return EXIT.commandLine;
  }
  if (files.length === 0) {
    console.fatal('no input files to be dumped');
    return EXIT.commandLine;
  }
  const pixelDirectory = usablePixelDirectory(options.writePixel, console);
  const search = options.search && options.search.length > 0 ? options.search : undefined;
  let errors = 0;
  let dumped = 0;
  for (const [index, path] of files.entries()) {
    if (output.fileNames === 'all') {
      // A blank line separates consecutive dumps.
      if (index > 0) process.stdout.write('\n');
      process.stdout.write(`# dcmdump (${index + 1}/${files.length}): ${path}\n`);
    }
    let file: DicomFile | undefined;
    try {
      file = await readDicomFile(path, readOptions);
    } catch (error) {
      errors++;
      console.error(`dicomkit dump: ${path}: ${describeError(error, options.debug)}`);
      if (error instanceof DicomParseError && !output.stopOnErrors)
        file = error.partial as DicomFile | undefined;
    }
    if (!file) continue;
    // The reader's notes on what it tolerated; dcmdump has no such lines unless asked (-v).
    if (console.enabled('info')) for (const warning of file.warnings) process.stderr.write(`W: ${warning}\n`);
    const dumpOptions: DumpOptions = {
      printAll: output.printAll,
      mapUidNames: output.mapUidNames,
      tree: output.tree,
      color: output.color,
      characters: options.convertToUtf8 ? 'utf8' : 'stored',
      dataSetOnly: read.format === 'dataset',
      ...(output.quote ? { quote: output.quote } : {}),
      ...(search ? { search, prependPath: output.prepend, searchFirst: output.searchFirst } : {}),
      ...(pixelDirectory
        ? { writePixelData: pixelWriter(join(pixelDirectory, basename(path)), console) }
        : {}),
    };
    if (pixelDirectory) await loadPixelData(file.dataset);
    if (options.convertToUtf8)
      console.info(
        'converting all element values that are affected by Specific Character Set (0008,0005) to UTF-8',
      );
    const text = dumpFile(file, dumpOptions);
    if (search) {
      if (text.length === 0) continue;
      dumped++;
      if (output.fileNames !== 'all' && dumped > 1) process.stdout.write('\n');
      if (output.fileNames === 'found') process.stdout.write(`# dcmdump (${dumped}): ${path}\n`);
    }
    // One character per byte: the bytes of the file, or of the UTF-8 that +U8 made.
    process.stdout.write(Buffer.from(text, 'latin1'));
  }
  return Math.min(errors, 255);
}

/** +W's directory, or undefined (with dcmdump's warning) when it cannot be written to. */
function usablePixelDirectory(directory: string | undefined, console: Console): string | undefined {
  if (directory === undefined) return undefined;
  if (!statSync(directory, { throwIfNoEntry: false })?.isDirectory()) {
    console.warn('directory specified for --write-pixel does not exist, ignoring this option');
    return undefined;
  }
  try {
    accessSync(directory, constants.W_OK);
  } catch {
    console.warn('directory specified for --write-pixel is not writeable, ignoring this option');
    return undefined;
  }
  return directory;
}

/**
 * +W: each pixel value to `<directory>/<file name>.<n>.raw`, 16-bit words little endian, as
 * dcmdump writes them; a file already there is left alone, with dcmdump's warning.
 */
function pixelWriter(prefix: string, console: Console): (pixel: PixelDataValue, counter: number) => string {
  return (pixel, counter) => {
    const name = `${prefix}.${counter}.raw`;
    if (existsSync(name)) {
      console.warn(`Output file for pixel data already exists, skipping: ${name}`);
      return name;
    }
    try {
      // loadPixelData() has read what -M left on disk.
      let bytes = pixel.value as Uint8Array;
      if (pixel.swapWords) bytes = swapped(bytes, 2);
      writeFileSync(name, bytes);
    } catch (error) {
      console.warn(`Can't open output file for pixel data: ${name} (${(error as Error).message})`);
    }
    return name;
  };
}

/** Reads the Pixel Data values and fragments -M left on disk, at every depth, for +W. */
async function loadPixelData(dataset: DataSet): Promise<void> {
  for (const element of dataset.elements()) {
    if (element.items) for (const item of element.items) await loadPixelData(item);
    if (element.tag !== PIXEL_DATA) continue;
    if (element.bulk && !element.bytes) {
      element.bytes = await readBulkData(element.bulk);
      element.bulk = undefined;
    }
    if (element.fragments) {
      for (const [i, fragment] of element.fragments.entries())
        if (isBulkDataRef(fragment)) element.fragments[i] = await readBulkData(fragment);
    }
  }
}
