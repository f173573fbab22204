import { writeFileSync } from 'node:fs';
import { Command } from 'commander';
import { vrInfo } from '../core/vr.ts';
import { dataSetToDcmtkXml, dataSetToNativeXml } from '../json/index.ts';
import type { DataSet } from '../object/dataset.ts';
import { readBulkData, readDicomFile } from '../object/file.node.ts';
import type { DicomFile, ReadOptions } from '../object/part10.ts';
import { Console, type LogCliOptions } from './common/console.ts';
import { COMMON_ALIASES, type DcmtkAliases, inCommandLineOrder } from './common/dcmtk-args.ts';
import { describeError } from './common/exit.ts';
import {
  addReadOptions,
  READ_ALIASES,
  type ReadChoices,
  type ReadCliOptions,
  readOptionsOf,
} from './common/read-options.ts';

/** dcm2xml's spellings of its options (DCMTK 3.6.7 dcm2xml --help). */
export const XML_ALIASES: DcmtkAliases = {
  ...COMMON_ALIASES,
  ...READ_ALIASES,
  '-ll': '--log-level',
  '-lc': '--log-config',
  '+Cr': '--charset-require',
  '+Ca': '--charset-assume',
  '+Cc': '--charset-check-all',
  '+U8': '--convert-to-utf8',
  '-dtk': '--dcmtk-format',
  '-nat': '--native-format',
  '+Xn': '--use-xml-namespace',
  '+Xd': '--add-dtd-reference',
  '+Wn': '--write-element-name',
  '-Wn': '--no-element-name',
  '+Wb': '--write-binary-data',
  '+Eh': '--encode-hex',
  '+Eu': '--encode-uuid',
  '+Eb': '--encode-base64',
};

/** dcm2xml's exit codes (dcm2xml.cc): what failed decides the number. */
export const XML_EXIT = {
  ok: 0,
  /** A command line error, or the output file cannot be created. */
  commandLine: 1,
  cannotCreateOutput: 1,
  /** The XML could not be written to the output file (e.g. no (0008,0005) for non-ASCII text). */
  writeFile: 2,
  /** ... or to standard output. */
  writeStdout: 3,
  cannotReadInput: 5,
  emptyFileName: 6,
} as const;

/** The old names dcm2xml accepts for --charset-assume. */
const CHARSET_NAMES: Readonly<Record<string, string>> = {
  'latin-1': 'ISO_IR 100',
  'latin-2': 'ISO_IR 101',
  'latin-3': 'ISO_IR 109',
  'latin-4': 'ISO_IR 110',
  'latin-5': 'ISO_IR 148',
  cyrillic: 'ISO_IR 144',
  arabic: 'ISO_IR 127',
  greek: 'ISO_IR 126',
  hebrew: 'ISO_IR 138',
};

/** The character sets --charset-assume may name: those with an XML encoding (dcm2xml's list). */
const ASSUMABLE = new Set([
  'ISO_IR 192',
  'ISO_IR 100',
  'ISO_IR 101',
  'ISO_IR 109',
  'ISO_IR 110',
  'ISO_IR 148',
  'ISO_IR 144',
  'ISO_IR 127',
  'ISO_IR 126',
  'ISO_IR 138',
]);

/** Text VRs (0008,0005) applies to (PS3.5 §6.1.2.3), which dcm2xml checks for non-ASCII text. */
const CHARSET_VRS = new Set(['PN', 'LO', 'LT', 'SH', 'ST', 'UC', 'UT']);

interface XmlCliOptions extends LogCliOptions, ReadCliOptions {
  charsetAssume?: string;
  charsetCheckAll?: boolean;
  convertToUtf8?: boolean;
  useXmlNamespace?: boolean;
  addDtdReference?: boolean;
  writeBinaryData?: boolean;
}

/** The options of one block of which the last one given counts, as DCMTK's option blocks do. */
interface LastOf {
  format: 'dcmtk' | 'native';
  names: boolean;
  encoding: 'hex' | 'uuid' | 'base64' | undefined;
  /** Options given, for DCMTK's conflict and dependence checks. */
  given: Set<string>;
}

class UsageError extends Error {}

/**
 * `dicomkit xml [options] dcmfile-in [xmlfile-out]`: DCMTK's dcm2xml. The DCMTK-specific format
 * by default, the Native DICOM Model of PS3.19 with --native-format; dcm2xml's option spellings
 * and exit codes. Values over 4 KB (+R) are not loaded unless +M, so binary values show as
 * `loaded="no"`, as dcm2xml shows them.
 */
export function xmlCommand(): Command {
  const last: LastOf = {
    format: 'dcmtk',
    names: true,
    encoding: undefined,
    given: new Set(),
  };
  const command = new Command('xml')
    .description('convert a DICOM file to XML, as DCMTK dcm2xml (DCMTK format or PS3.19 Native DICOM Model)')
    .argument('<dcmfile-in>', 'DICOM input file to be converted')
    .argument('[xmlfile-out]', 'XML output file (default: stdout)');
  const read = addReadOptions(command, { loadAll: false });
  command
    .option('--charset-require', 'require (0008,0005) for non-ASCII text (DCMTK +Cr, default)')
    .option('--charset-assume <charset>', 'assume this character set when (0008,0005) is absent (DCMTK +Ca)')
    .option('--charset-check-all', 'check all text values for non-ASCII characters (DCMTK +Cc)')
    .option('--convert-to-utf8', 'convert text affected by (0008,0005) to UTF-8 (DCMTK +U8)')
    .option('--dcmtk-format', 'output in DCMTK-specific format (DCMTK -dtk, default)')
    .option('--native-format', 'output in Native DICOM Model format, PS3.19 (DCMTK -nat)')
    .option('--use-xml-namespace', 'add the XML namespace declaration to the root element (DCMTK +Xn)')
    .option('--add-dtd-reference', 'add a reference to dcm2xml.dtd (DCMTK +Xd)')
    .option('--write-element-name', 'write the names of the data elements (DCMTK +Wn, default)')
    .option('--no-element-name', 'do not write the names of the data elements (DCMTK -Wn)')
    .option('--write-binary-data', 'write binary data of OB and OW elements (DCMTK +Wb)')
    .option('--encode-hex', 'encode binary data as hex numbers (DCMTK +Eh, default for DCMTK format)')
    .option('--encode-uuid', 'encode binary data as a UUID reference (DCMTK +Eu, default for native)')
    .option('--encode-base64', 'encode binary data as Base64 (DCMTK +Eb)')
    .option('-q, --quiet', 'print no warnings and errors')
    .option('-v, --verbose', 'print processing details')
    .option('-d, --debug', 'print debug information')
    .option('--log-level <level>', 'fatal, error, warn, info, debug or trace (DCMTK -ll)')
    .option(
      '--log-config <file>',
      'log4cplus configuration file: levels, console and file appenders, layouts (DCMTK -lc)',
    )
    .option('--arguments', 'print expanded command line arguments, with -v (DCMTK --arguments)');
  const on = inCommandLineOrder(command, last.given);
  on('dcmtk-format', () => (last.format = 'dcmtk'));
  on('native-format', () => (last.format = 'native'));
  on('write-element-name', () => (last.names = true));
  on('no-element-name', () => (last.names = false));
  on('encode-hex', () => (last.encoding = 'hex'));
  on('encode-uuid', () => (last.encoding = 'uuid'));
  on('encode-base64', () => (last.encoding = 'base64'));
  for (const name of ['use-xml-namespace', 'add-dtd-reference', 'write-binary-data', 'charset-assume'])
    on(name, () => undefined);
  return command.action(async (input: string, output: string | undefined, options: XmlCliOptions) => {
    process.exitCode = await runXml(input, output, options, last, read);
  });
}

/** dcm2xml's checks of options that exclude or need each other. */
function checkOptions(options: XmlCliOptions, last: LastOf): void {
  const native = last.format === 'native';
  for (const name of [
    'add-dtd-reference',
    'write-element-name',
    'no-element-name',
    'write-binary-data',
    'encode-hex',
  ]) {
    if (native && last.given.has(name)) throw new UsageError(`--${name} not allowed with --native-format`);
  }
  if (last.encoding === 'hex' && !options.writeBinaryData)
    throw new UsageError('--encode-hex only allowed with --write-binary-data');
  if (last.encoding === 'uuid' && !native)
    throw new UsageError('--encode-uuid only allowed with --native-format');
  if (last.encoding === 'base64' && !native && !options.writeBinaryData)
    throw new UsageError('--encode-base64 only allowed with --write-binary-data');
}

async function runXml(
  input: string,
  output: string | undefined,
  options: XmlCliOptions,
  last: LastOf,
  read: ReadChoices,
): Promise<number> {
  let console: Console;
  try {
    console = new Console(options, 'dcm2xml');
  } catch (error) {
    process.stderr.write(`E: dicomkit xml: ${(error as Error).message}\n`);
    return XML_EXIT.commandLine;
  }
  const say = (line: string) => {
    if (console.enabled('error')) process.stderr.write(`${line}\n`);
  };
  let readOptions: ReadOptions;
  try {
    checkOptions(options, last);
    readOptions = readOptionsOf(read, options);
  } catch (error) {
    process.stderr.write(`E: dicomkit xml: ${(error as Error).message}\n`);
    return XML_EXIT.commandLine;
  }
  if (input.length === 0) {
    say('E: dicomkit xml: invalid filename: <empty string>');
    return XML_EXIT.emptyFileName;
  }
  const native = last.format === 'native';
  let file: DicomFile;
  try {
    // The Native DICOM Model writes every value, so everything is read; the DCMTK format shows
    // values over the threshold as not loaded, as dcm2xml (which reads them only with +M).
    if (native) delete readOptions.bulkDataThreshold;
    file = await readDicomFile(input, readOptions);
    // dcm2xml loads text values whatever their length: it counts their values (VM).
    await loadText(file.dataset);
  } catch (error) {
    say(`E: dicomkit xml: ${input}: ${describeError(error, console.enabled('debug'))}`);
    return XML_EXIT.cannotReadInput;
  }
  if (console.enabled('info')) for (const warning of file.warnings) say(`W: ${warning}`);
  const toFile = output !== undefined && output !== '-';
  if (toFile) {
    try {
      // dcm2xml creates the output before it writes: a failure leaves it empty.
      writeFileSync(output, '');
    } catch (error) {
      say(`E: dicomkit xml: cannot create ${output}: ${(error as NodeJS.ErrnoException).code ?? error}`);
      return XML_EXIT.cannotCreateOutput;
    }
  }
  let xml: Uint8Array;
  try {
    // As dcm2xml: an unusable --charset-assume is an error of the writing (exit 2 or 3).
    if (options.charsetAssume !== undefined) assumeCharset(file, options);
    const source = read.format === 'dataset' ? file.dataset : file;
    const common = {
      convertToUtf8: options.convertToUtf8 ?? false,
      checkAllStrings: options.charsetCheckAll ?? false,
      namespace: options.useXmlNamespace ?? false,
    };
    xml = native
      ? dataSetToNativeXml(source, {
          ...common,
          binaryEncoding: last.encoding === 'base64' ? 'base64' : 'uuid',
        })
      : dataSetToDcmtkXml(source, {
          ...common,
          elementNames: last.names,
          writeBinary: options.writeBinaryData ?? false,
          binaryEncoding: last.encoding === 'base64' ? 'base64' : 'hex',
          documentType: options.addDtdReference ?? false,
          transferSyntax: file.transferSyntax.uid,
        });
  } catch (error) {
    say(`E: dicomkit xml: ${input}: ${describeError(error, console.enabled('debug'))}`);
    return toFile ? XML_EXIT.writeFile : XML_EXIT.writeStdout;
  }
  try {
    if (toFile) writeFileSync(output, xml);
    else await writeStdout(xml);
  } catch (error) {
    say(`E: dicomkit xml: cannot write ${toFile ? output : 'to standard output'}: ${describeError(error)}`);
    return toFile ? XML_EXIT.writeFile : XML_EXIT.writeStdout;
  }
  return XML_EXIT.ok;
}

function writeStdout(bytes: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    process.stdout.write(bytes, (error) => (error ? reject(error) : resolve()));
  });
}

/** Loads the text values a threshold left on disk, at every depth. */
async function loadText(ds: DataSet): Promise<void> {
  for (const element of ds.elements()) {
    if (element.items) {
      for (const item of element.items) await loadText(item);
      continue;
    }
    if (element.bytes === undefined && element.bulk !== undefined && vrInfo(element.vr).kind === 'text') {
      element.bytes = await readBulkData(element.bulk);
      element.bulk = undefined;
    }
  }
}

/**
 * --charset-assume: without (0008,0005) and with non-ASCII text, dcm2xml inserts (0008,0005)
 * with the assumed character set (not in a DICOMDIR); with only ASCII text it ignores it.
 */
function assumeCharset(file: DicomFile, options: XmlCliOptions): void {
  const ds = file.dataset;
  if (ds.has('SpecificCharacterSet')) return;
  if (!hasNonAscii(ds, options.charsetCheckAll ?? false)) return;
  const term = CHARSET_NAMES[options.charsetAssume!] ?? options.charsetAssume!;
  if (!ASSUMABLE.has(term))
    throw new Error(`character set '${options.charsetAssume}' specified with --charset-assume not supported`);
  if (file.meta.string('MediaStorageSOPClassUID')?.replace(/\0+$/, '').trim() === '1.2.840.10008.1.3.10')
    return;
  ds.set('SpecificCharacterSet', term);
}

function hasNonAscii(ds: DataSet, all: boolean): boolean {
  for (const element of ds.elements()) {
    if (element.items) {
      if (element.items.some((item) => hasNonAscii(item, all))) return true;
      continue;
    }
    const bytes = element.bytes;
    if (bytes === undefined || vrInfo(element.vr).kind !== 'text') continue;
    if (!all && !CHARSET_VRS.has(element.vr)) continue;
    if (bytes.some((b) => b > 0x7f)) return true;
  }
  return false;
}
