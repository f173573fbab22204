import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import { generateUid } from '../core/index.ts';
import { TRANSFER_SYNTAX_UID } from '../core/tag.ts';
import { EXPLICIT_VR_LITTLE_ENDIAN, transferSyntax } from '../encoding/transfer-syntax.ts';
import { DataSet } from '../object/dataset.ts';
import { type ParseDumpOptions, type ParsedDump, parseDump } from '../object/dump-parse.ts';
import { writeDicomFile } from '../object/file.node.ts';
import type { DicomFile } from '../object/part10.ts';
import type { WriteOptions } from '../object/part10-writer.ts';
import { latin1 } from '../object/values.ts';
import type { Padding } from '../object/writer.ts';
import { Console, type LogCliOptions } from './common/console.ts';
import { COMMON_ALIASES, type DcmtkAliases, inCommandLineOrder, UsageError } from './common/dcmtk-args.ts';
import { describeError, EXIT } from './common/exit.ts';
import { paddingOf } from './common/output-encoding.ts';

/** dump2dcm's spellings of its options (DCMTK 3.6.7 dump2dcm --help). */
export const DUMP2DCM_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  '-ll': '--log-level',
  '-lc': '--log-config',
  '+f': '--read-meta-info',
  '-f': '--ignore-meta-info',
  '+rl': '--read-file-little',
  '+rb': '--read-file-big',
  '+l': '--line',
  '+Ug': '--generate-new-uids',
  '-Uo': '--dont-overwrite-uids',
  '+Uo': '--overwrite-uids',
  '+F': '--write-file',
  '-F': '--write-dataset',
  '+Fu': '--update-meta-info',
  '+t=': '--write-xfer-same',
  '+te': '--write-xfer-little',
  '+tb': '--write-xfer-big',
  '+ti': '--write-xfer-implicit',
  '+td': '--write-xfer-deflated',
  '-E': '--stop-on-error',
  '+E': '--ignore-errors',
  '+u': '--enable-new-vr',
  '-u': '--disable-new-vr',
  '+g=': '--group-length-recalc',
  '+g': '--group-length-create',
  '-g': '--group-length-remove',
  '+e': '--length-explicit',
  '-e': '--length-undefined',
  '-p=': '--padding-retain',
  '-p': '--padding-off',
  // Two values: file and item padding.
  '+p': ['--padding-create', '--padding-item'],
  '--padding-create': ['--padding-create', '--padding-item'],
  '+cl': '--compression-level',
};

interface Dump2dcmOptions extends LogCliOptions {
  line?: string;
  paddingCreate?: string;
  paddingItem?: string;
  compressionLevel?: string;
}

/** The choices of dump2dcm's option blocks, in which the last option given counts. */
interface Choices {
  readMeta: boolean;
  bigEndianFiles: boolean;
  generateUids: boolean;
  overwriteUids: boolean;
  write: 'file' | 'dataset' | 'update-meta';
  syntax: string | undefined;
  stopOnErrors: boolean;
  groupLength: 'keep' | 'create' | 'remove';
  undefinedLengths: boolean;
  padding: 'retain' | 'off' | 'create';
  newVRs: boolean;
  /** Options given, for dump2dcm's checks. */
  given: Set<string>;
}

/**
 * `dicomkit dump2dcm [options] dumpfile-in dcmfile-out`: DCMTK's dump2dcm. The dump is UTF-8
 * (dicomkit dump +U8, dcmdump +U8) or, when that does not decode, the raw bytes of each value
 * as dcmdump prints them; binary values may be read from files (`OW =pixels.raw`).
 */
export function dump2dcmCommand(): Command {
  const choices: Choices = {
    readMeta: true,
    bigEndianFiles: false,
    generateUids: false,
    overwriteUids: false,
    write: 'file',
    syntax: undefined,
    stopOnErrors: true,
    groupLength: 'keep',
    undefinedLengths: false,
    // DCMTK's dump2dcm removes padding unless told -p= (its --help says otherwise; its code,
    // and what it writes, say this).
    padding: 'off',
    newVRs: true,
    given: new Set(),
  };
  const command = new Command('dump2dcm')
    .description('convert a DCMTK-style text dump to a DICOM file')
    .argument(
      '<dumpfile-in>',
      'dump input (dcmdump layout, e.g. "(0008,0052) CS [PATIENT] # QueryRetrieveLevel")',
    )
    .argument('<dcmfile-out>', 'DICOM output file')
    .option('-q, --quiet', 'quiet mode, print no warnings and errors')
    .option('-v, --verbose', 'verbose mode, print processing details')
    .option('-d, --debug', 'debug mode, print debug information')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (DCMTK -ll)')
    .option(
      '--log-config <file>',
      'log4cplus configuration file: levels, console and file appenders, layouts (DCMTK -lc)',
    )
    .option('--arguments', 'print expanded command line arguments, with -v (DCMTK --arguments)')
    .option('--read-meta-info', 'read meta information if present (DCMTK +f, default)')
    .option('--ignore-meta-info', 'ignore file meta information (DCMTK -f)')
    .option('--read-file-little', 'read OW data from =files as little endian (DCMTK +rl, default)')
    .option('--read-file-big', 'read OW data from =files as big endian (DCMTK +rb)')
    .option('--line <max-length>', 'maximum line length (DCMTK +l; default: no limit, DCMTK: 4096)')
    .option('--generate-new-uids', 'generate new Study/Series/SOP Instance UID (DCMTK +Ug)')
    .option('--dont-overwrite-uids', 'do not overwrite existing UIDs (DCMTK -Uo, default)')
    .option('--overwrite-uids', 'overwrite existing UIDs (DCMTK +Uo)')
    .option('--write-file', 'write file format with meta information (DCMTK +F, default)')
    .option('--write-dataset', 'write a data set without meta information (DCMTK -F)')
    .option('--update-meta-info', 'update SOP class and instance in the meta information (DCMTK +Fu)')
    .option(
      '--write-xfer-same',
      'write in the transfer syntax of the dump meta, else explicit LE (DCMTK +t=, default)',
    )
    .option('--write-xfer-little', 'write explicit VR little endian (DCMTK +te)')
    .option('--write-xfer-big', 'write explicit VR big endian (DCMTK +tb)')
    .option('--write-xfer-implicit', 'write implicit VR little endian (DCMTK +ti)')
    .option('--write-xfer-deflated', 'write deflated explicit VR little endian (DCMTK +td)')
    .option('--stop-on-error', 'do not write if the dump is damaged (DCMTK -E, default)')
    .option('--ignore-errors', 'write what parses, skipping damaged lines (DCMTK +E)')
    .option('--enable-new-vr', 'enable support for new VRs (UN/UT) (DCMTK +u, default)')
    .option('--disable-new-vr', 'disable support for new VRs, convert to OB (DCMTK -u)')
    .option('--group-length-recalc', 'recalculate group lengths if present (DCMTK +g=, default)')
    .option('--group-length-create', 'always write with group length elements (DCMTK +g)')
    .option('--group-length-remove', 'always write without group length elements (DCMTK -g)')
    .option('--length-explicit', 'write sequences and items with explicit length (DCMTK +e, default)')
    .option('--length-undefined', 'write sequences and items with undefined length (DCMTK -e)')
    .option('--padding-retain', 'do not change data set trailing padding (DCMTK -p=)')
    .option('--padding-off', 'no data set trailing padding, at any level (DCMTK -p, default)')
    .option(
      '--padding-create <f>',
      'align the file on a multiple of f bytes and items on one of i bytes: DCMTK +p f i (two values)',
    )
    .option('--padding-item <i>', 'the item padding i of --padding-create (its second value)')
    .option(
      '--compression-level <level>',
      'deflate compression level 0-9, with --write-xfer-deflated (DCMTK +cl, default 6)',
    );
  const on = inCommandLineOrder(command, choices.given);
  on('read-meta-info', () => (choices.readMeta = true));
  on('ignore-meta-info', () => (choices.readMeta = false));
  on('read-file-little', () => (choices.bigEndianFiles = false));
  on('read-file-big', () => (choices.bigEndianFiles = true));
  on('generate-new-uids', () => (choices.generateUids = true));
  on('dont-overwrite-uids', () => (choices.overwriteUids = false));
  on('overwrite-uids', () => (choices.overwriteUids = true));
  on('write-file', () => (choices.write = 'file'));
  on('write-dataset', () => (choices.write = 'dataset'));
  on('update-meta-info', () => (choices.write = 'update-meta'));
  on('write-xfer-same', () => (choices.syntax = undefined));
  on('write-xfer-little', () => (choices.syntax = EXPLICIT_VR_LITTLE_ENDIAN));
  on('write-xfer-big', () => (choices.syntax = '1.2.840.10008.1.2.2'));
  on('write-xfer-implicit', () => (choices.syntax = '1.2.840.10008.1.2'));
  on('write-xfer-deflated', () => (choices.syntax = '1.2.840.10008.1.2.1.99'));
  on('stop-on-error', () => (choices.stopOnErrors = true));
  on('ignore-errors', () => (choices.stopOnErrors = false));
  on('group-length-recalc', () => (choices.groupLength = 'keep'));
  on('group-length-create', () => (choices.groupLength = 'create'));
  on('group-length-remove', () => (choices.groupLength = 'remove'));
  on('length-explicit', () => (choices.undefinedLengths = false));
  on('length-undefined', () => (choices.undefinedLengths = true));
  on('padding-retain', () => (choices.padding = 'retain'));
  on('padding-off', () => (choices.padding = 'off'));
  on('padding-create', () => (choices.padding = 'create'));
  on('enable-new-vr', () => (choices.newVRs = true));
  on('disable-new-vr', () => (choices.newVRs = false));
  return command.action(async (input: string, output: string, options: Dump2dcmOptions) => {
    process.exitCode = await runDump2dcm(input, output, options, choices);
  });
}

/** dump2dcm's checks of the values and combinations of its options. */
function checkOptions(options: Dump2dcmOptions, choices: Choices): Checked {
  const checked: Checked = {};
  if (options.line !== undefined) {
    const n = Number(options.line);
    if (!Number.isInteger(n) || n < 80)
      throw new UsageError(`--line: '${options.line}' is not a length from 80`);
    checked.maxLine = n;
  }
  if (options.compressionLevel !== undefined) {
    const n = Number(options.compressionLevel);
    if (!Number.isInteger(n) || n < 0 || n > 9)
      throw new UsageError(`--compression-level: '${options.compressionLevel}' is not a level 0..9`);
    if (choices.syntax !== '1.2.840.10008.1.2.1.99')
      throw new UsageError('--compression-level only allowed with --write-xfer-deflated');
    checked.level = n;
  }
  if (choices.write === 'dataset') {
    for (const name of ['update-meta-info', 'padding-retain', 'padding-create'])
      if (choices.given.has(name)) throw new UsageError(`--${name} not allowed with --write-dataset`);
  }
  if (choices.overwriteUids && !choices.generateUids)
    throw new UsageError('--overwrite-uids only allowed with --generate-new-uids');
  const padding = paddingOf(options.paddingCreate, options.paddingItem);
  if (choices.padding === 'create' && padding) checked.padding = padding;
  return checked;
}

interface Checked {
  maxLine?: number;
  level?: number;
  padding?: Padding;
}

async function runDump2dcm(
  input: string,
  output: string,
  options: Dump2dcmOptions,
  choices: Choices,
): Promise<number> {
  let console: Console;
  let checked: ReturnType<typeof checkOptions>;
  try {
    console = new Console(options, 'dump2dcm');
    checked = checkOptions(options, choices);
  } catch (error) {
    process.stderr.write(`E: dicomkit dump2dcm: ${(error as Error).message}\n`);
    return EXIT.commandLine;
  }
  let parsed: ParsedDump;
  try {
    console.info(`reading dump file: ${input}`);
    const bytes = await readFile(input);
    const parseOptions: ParseDumpOptions = {
      ignoreErrors: !choices.stopOnErrors,
      bigEndianWordFiles: choices.bigEndianFiles,
      readValueFile: (path) => readFileSync(path),
      ...(checked.maxLine !== undefined ? { maxLineLength: checked.maxLine } : {}),
    };
    // A dump is UTF-8 (dicomkit dump +U8, dcmdump +U8) or, when that does not decode, the
    // raw bytes of each value as dcmdump prints them without +U8.
    try {
      parsed = parseDump(new TextDecoder('utf-8', { fatal: true }).decode(bytes), parseOptions);
    } catch (error) {
      if (!(error instanceof TypeError)) throw error;
      parsed = parseDump(latin1(bytes), { ...parseOptions, rawBytes: true });
    }
  } catch (error) {
    console.error(`dicomkit dump2dcm: ${describeError(error, console.enabled('debug'))}`);
    return EXIT.inputFile;
  }
  for (const error of parsed.errors) console.error(`dicomkit dump2dcm: ${error.message} (skipped, +E)`);
  // -f: the meta lines of the dump are left out, and the meta made anew.
  const meta = choices.readMeta ? parsed.meta : new DataSet();
  const dataset = parsed.dataset;
  let write = choices.write;
  if (choices.generateUids) {
    const uids: [number, string][] = [
      [0x0020000d, 'Study'],
      [0x0020000e, 'Series'],
      [0x00080018, 'SOP'],
    ];
    for (const [tag, what] of uids) {
      if (!choices.overwriteUids && dataset.string(tag)) continue;
      console.info(`generating new ${what} Instance UID`);
      dataset.set(tag, generateUid(), 'UI');
      // The meta's Media Storage SOP Instance UID must follow the new SOP Instance UID.
      if (tag === 0x00080018 && write === 'file') write = 'update-meta';
    }
  }
  if (write === 'update-meta') {
    meta.delete(0x00020002);
    meta.delete(0x00020003);
  }
  const uid = choices.syntax ?? meta.string(TRANSFER_SYNTAX_UID) ?? EXPLICIT_VR_LITTLE_ENDIAN;
  const file: DicomFile = {
    meta,
    dataset,
    transferSyntax: transferSyntax(uid),
    hasMeta: meta.size > 0,
    dataSetOffset: 0,
    warnings: [],
  };
  const writeOptions: WriteOptions = {
    transferSyntax: uid,
    withoutMeta: write === 'dataset',
    sequenceLength: choices.undefinedLengths ? 'undefined' : 'defined',
    groupLength: choices.groupLength,
    // DCMTK's -p, implicit with -F: padding goes at every level.
    padding: checked.padding ?? (choices.padding === 'off' || write === 'dataset' ? 'remove' : 'keep'),
    newVRsAsOB: !choices.newVRs,
    ...(checked.level !== undefined ? { deflateLevel: checked.level as WriteOptions['deflateLevel'] } : {}),
  };
  try {
    console.info('writing DICOM file');
    await writeDicomFile(output, file, writeOptions);
  } catch (error) {
    console.error(
      `dicomkit dump2dcm: ${describeError(error, console.enabled('debug'))}: writing file: ${output}`,
    );
    return EXIT.inputFile;
  }
  console.info('dump successfully converted');
  return EXIT.ok;
}
