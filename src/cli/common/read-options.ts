import type { Command } from 'commander';
import { type Tag, tryParseTag } from '../../core/tag.ts';
import { lookupKeyword } from '../../dictionary/index.ts';
import type { ReadOptions } from '../../object/part10.ts';
import { type DcmtkAliases, inCommandLineOrder, UsageError } from './dcmtk-args.ts';
import { EBE, ELE, ILE } from './transfer-syntaxes.ts';

/** DCMTK's input options of the file tools (dcmdump, dcm2xml): file format, transfer syntax, long values. */
export const READ_ALIASES: DcmtkAliases = {
  '+f': '--read-file',
  '+fo': '--read-file-only',
  '-f': '--read-dataset',
  '-t=': '--read-xfer-auto',
  '-td': '--read-xfer-detect',
  '-te': '--read-xfer-little',
  '-tb': '--read-xfer-big',
  '-ti': '--read-xfer-implicit',
  '+M': '--load-all',
  '-M': '--load-short',
  '+R': '--max-read-length',
};

/** dcmdump's parsing options whose behaviour is dicomkit's reader's own, and +st/+sb. */
export const PARSING_ALIASES: DcmtkAliases = {
  '+ao': '--accept-odd-length',
  '+ev': '--use-explicit-vr',
  '-vr': '--assume-implicit',
  '+ui': '--enable-cp246',
  '-uc': '--retain-un',
  '+sq': '--maxlength-seq',
  '+oi': '--illegal-obow-conv',
  '+pe': '--use-expl-pixdata',
  '-Ep': '--handle-parse-errors',
  '+bd': '--bitstream-deflated',
  '+bz': '--bitstream-zlib',
  '+st': '--stop-after-elem',
  '+sb': '--stop-before-elem',
  '-dc': '--disable-correction',
};

/** The choices of DCMTK's option blocks, in which the last option given counts. */
export interface ReadChoices {
  format: 'auto' | 'file' | 'dataset';
  transferSyntax: 'auto' | 'detect' | typeof ELE | typeof EBE | typeof ILE;
  loadAll: boolean;
}

export interface ReadCliOptions {
  maxReadLength?: string;
  stopAfterElem?: Tag;
  stopBeforeElem?: Tag;
}

export function parseTagOrKeyword(text: string): Tag {
  const tag = tryParseTag(text) ?? lookupKeyword(text)?.tag;
  if (tag === undefined) throw new UsageError(`unknown tag or keyword: ${text}`);
  return tag;
}

/**
 * Adds the input options to `command` and returns the choices they make, filled in as
 * commander meets the options, in command line order (DCMTK's "last one counts"). dcmdump
 * loads long values by default, dcm2xml does not (`loadAll`).
 */
export function addReadOptions(command: Command, defaults: { loadAll: boolean }): ReadChoices {
  const choices: ReadChoices = { format: 'auto', transferSyntax: 'auto', loadAll: defaults.loadAll };
  const byDefault = (all: boolean) => (all === defaults.loadAll ? ', default' : '');
  command
    .option('--read-file', 'read file format or data set (DCMTK +f, default)')
    .option('--read-file-only', 'read file format only (DCMTK +fo)')
    .option('--read-dataset', 'read data set without file meta information (DCMTK -f)')
    .option('--read-xfer-auto', 'use TS recognition (DCMTK -t=, default)')
    .option('--read-xfer-detect', 'ignore TS specified in the file meta header (DCMTK -td)')
    .option('--read-xfer-little', 'read with explicit VR little endian TS, with -f (DCMTK -te)')
    .option('--read-xfer-big', 'read with explicit VR big endian TS, with -f (DCMTK -tb)')
    .option('--read-xfer-implicit', 'read with implicit VR little endian TS, with -f (DCMTK -ti)')
    .option('--load-all', `load very long tag values (DCMTK +M${byDefault(true)})`)
    .option('--load-short', `do not load very long values, e.g. pixel data (DCMTK -M${byDefault(false)})`)
    .option(
      '--max-read-length <kbytes>',
      'threshold for long values in kbytes, 4..4194302 (DCMTK +R, default 4)',
    );
  const on = inCommandLineOrder(command);
  on('read-file', () => (choices.format = 'auto'));
  on('read-file-only', () => (choices.format = 'file'));
  on('read-dataset', () => (choices.format = 'dataset'));
  on('read-xfer-auto', () => (choices.transferSyntax = 'auto'));
  on('read-xfer-detect', () => (choices.transferSyntax = 'detect'));
  on('read-xfer-little', () => (choices.transferSyntax = ELE));
  on('read-xfer-big', () => (choices.transferSyntax = EBE));
  on('read-xfer-implicit', () => (choices.transferSyntax = ILE));
  on('load-all', () => (choices.loadAll = true));
  on('load-short', () => (choices.loadAll = false));
  return choices;
}

/** dcmdump's parsing options (see {@link PARSING_ALIASES}). */
export function addParsingOptions(command: Command): Command {
  return command
    .option('--accept-odd-length', 'accept odd length attributes (DCMTK +ao; always)')
    .option('--use-explicit-vr', 'use explicit VR from data set (DCMTK +ev; always)')
    .option('--assume-implicit', 'read an element with a non-standard VR as implicit VR (DCMTK -vr; always)')
    .option('--enable-cp246', 'read undefined length UN as implicit VR (DCMTK +ui; always)')
    .option('--retain-un', 'retain elements as UN (DCMTK -uc; always)')
    .option('--maxlength-seq', 'read undefined length private elements as sequences (DCMTK +sq; always)')
    .option('--illegal-obow-conv', 'read undefined length OB/OW elements as sequences (DCMTK +oi; always)')
    .option(
      '--use-expl-pixdata',
      'read explicit length pixel data in encapsulated syntaxes (DCMTK +pe; always)',
    )
    .option('--handle-parse-errors', 'stop parsing at an error (DCMTK -Ep; always)')
    .option(
      '--disable-correction',
      "disable automatic data correction (DCMTK -dc; always: dicomkit's reader makes no corrections)",
    )
    .option('--bitstream-deflated', 'expect deflated bitstream (DCMTK +bd; zlib format is read too)')
    .option('--bitstream-zlib', 'expect deflated zlib bitstream (DCMTK +bz; raw deflate is read too)')
    .option(
      '--stop-after-elem <tag>',
      'stop parsing after this top-level element (DCMTK +st)',
      parseTagOrKeyword,
    )
    .option(
      '--stop-before-elem <tag>',
      'stop parsing before this top-level element (DCMTK +sb)',
      parseTagOrKeyword,
    );
}

const FORCED_NAMES: Record<string, string> = {
  [ELE]: '--read-xfer-little',
  [EBE]: '--read-xfer-big',
  [ILE]: '--read-xfer-implicit',
};

/** The library's read options for the choices made, with DCMTK's checks of the combinations. */
export function readOptionsOf(choices: ReadChoices, options: ReadCliOptions): ReadOptions {
  const read: ReadOptions = { format: choices.format };
  if (choices.transferSyntax === 'detect') read.detectTransferSyntax = true;
  else if (choices.transferSyntax !== 'auto') {
    if (choices.format !== 'dataset')
      throw new UsageError(`${FORCED_NAMES[choices.transferSyntax]} only allowed with --read-dataset`);
    read.forceTransferSyntax = choices.transferSyntax;
  }
  if (!choices.loadAll) read.bulkDataThreshold = maxReadLength(options.maxReadLength);
  else if (options.maxReadLength !== undefined) maxReadLength(options.maxReadLength);
  if (options.stopAfterElem !== undefined) read.stopAfterTag = options.stopAfterElem;
  if (options.stopBeforeElem !== undefined) read.stopAtTag = options.stopBeforeElem;
  return read;
}

/** `+R k`: kbytes in DCMTK's range, as bytes; 4 KB when not given. */
export function maxReadLength(text: string | undefined): number {
  if (text === undefined) return 4096;
  const k = Number(text);
  if (!Number.isInteger(k) || k < 4 || k > 4194302)
    throw new UsageError(`--max-read-length: '${text}' is not a number of kbytes in 4..4194302`);
  return k * 1024;
}
