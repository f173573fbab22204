import { ITEM, PIXEL_DATA, SPECIFIC_CHARACTER_SET, type Tag } from '../core/tag.ts';
import { vrInfo } from '../core/vr.ts';
import { dcmtkUidName, lookupPrivate, lookupTag, lookupUid } from '../dictionary/index.ts';
import type { DataSet } from './dataset.ts';
import { type BulkDataRef, type Element, type Fragment, isBulkDataRef } from './element.ts';
import { dcmtkFloatText, printfG } from './float-text.ts';
import type { DicomFile } from './part10.ts';
import { decodeNumbers, decodeText, latin1 } from './values.ts';

/**
 * How text values reach the dump:
 * - `decoded`: as Unicode text, decoded with the data set's Specific Character Set (the
 *   library's default, for logs and programs);
 * - `stored`: the bytes as the file holds them, one character per byte (dcmdump's default;
 *   write the dump with the `latin1` encoding to get those bytes back);
 * - `utf8`: converted to UTF-8 as dcmdump's `+U8` does, one character per byte of UTF-8,
 *   with the converted lengths and (0008,0005) shown as `ISO_IR 192`.
 */
export type DumpCharacters = 'decoded' | 'stored' | 'utf8';

/** A value dcmdump's `+W` writes to a file: native pixel data, or one fragment. */
export interface PixelDataValue {
  value: Uint8Array | BulkDataRef;
  /** 16-bit words in big endian order, to be swapped: `+W` writes little endian. */
  swapWords: boolean;
}

/** Options of the dcmdump-style text dump; the names follow DCMTK's flags. */
export interface DumpOptions {
  /** Print long values whole (DCMTK `+L`); default shortens them to a 70-column value field. */
  printAll?: boolean;
  /** Print well-known UIDs as `=Name` (DCMTK `+Un`, its default). */
  mapUidNames?: boolean;
  /** Only elements with these tags (DCMTK `+P`), with their enclosing sequences' path when `prependPath`. */
  search?: readonly Tag[];
  /** With `search`: print the sequence path before the tag (DCMTK `+p`). */
  prependPath?: boolean;
  /** With `search`: only the first element found for each tag (DCMTK `-s`). */
  searchFirst?: boolean;
  /** Names and values as a tree, without tags, VRs and lengths (DCMTK `+T`). */
  tree?: boolean;
  /** ANSI colours, with dcmdump's palette (DCMTK `+C`). */
  color?: boolean;
  /** Non-ASCII and control characters of strings as XML character references or octal escapes (DCMTK `+Qn`, `+Qo`). */
  quote?: 'markup' | 'octal';
  /** See {@link DumpCharacters}; default `decoded`. */
  characters?: DumpCharacters;
  /** Print the data set alone, as dcmdump does for a data set read with `-f`. */
  dataSetOnly?: boolean;
  /**
   * Pixel data to files (DCMTK `+W`): called for native Pixel Data and for each item of
   * encapsulated Pixel Data, numbered from 0 in each dump; returns the file name printed
   * as the value (`=name`).
   */
  writePixelData?: (pixel: PixelDataValue, counter: number) => string;
}

const DIRECTORY_RECORD_SEQUENCE = 0x00041220;
const MEDIA_STORAGE_DIRECTORY = '1.2.840.10008.1.3.10';

/** Directory Record Types (PS3.3 §F.5, (0004,1430)); others print as PRIVATE, as in DCMTK. */
const DIRECTORY_RECORD_TYPES = new Set([
  'CURVE',
  'FILM BOX',
  'FILM SESSION',
  'IMAGE',
  'IMAGE BOX',
  'INTERPRETATION',
  'MODALITY LUT',
  'MRDR',
  'OVERLAY',
  'PATIENT',
  'PRINT QUEUE',
  'PRIVATE',
  'RESULTS',
  'SERIES',
  'STUDY',
  'STUDY COMPONENT',
  'TOPIC',
  'VISIT',
  'VOI LUT',
  'SR DOCUMENT',
  'PRESENTATION',
  'WAVEFORM',
  'RT DOSE',
  'RT STRUCTURE SET',
  'RT PLAN',
  'RT TREAT RECORD',
  'STORED PRINT',
  'KEY OBJECT DOC',
  'REGISTRATION',
  'FIDUCIAL',
  'RAW DATA',
  'SPECTROSCOPY',
  'ENCAP DOC',
  'VALUE MAP',
  'HANGING PROTOCOL',
  'STEREOMETRIC',
  'HL7 STRUC DOC',
  'PALETTE',
  'SURFACE',
  'MEASUREMENT',
  'IMPLANT',
  'IMPLANT GROUP',
  'IMPLANT ASSY',
  'PLAN',
  'SURFACE SCAN',
  'TRACT',
  'ASSESSMENT',
  'RADIOTHERAPY',
  'ANNOTATION',
]);

/** DCMTK prints long values cut to this many characters (its DCM_OptPrintLineLength). */
const MAX_VALUE_COLUMNS = 70;
/** The value column is padded to this width before the `#` comment. */
const VALUE_COLUMN_WIDTH = 40;
/** Width of the name column of a tree dump (DCM_OptPrintAttributeNameLength). */
const TREE_NAME_WIDTH = 35;

/** dcmdump's ANSI palette (DCMTK's DCMDATA_ANSI_ESCAPE_CODE_*). */
const ANSI = {
  reset: '\x1b[0m',
  tag: '\x1b[22m\x1b[32m',
  vr: '\x1b[22m\x1b[31m',
  value: '\x1b[1m\x1b[37m',
  info: '\x1b[1m\x1b[30m',
  length: '\x1b[22m\x1b[36m',
  vm: '\x1b[22m\x1b[35m',
  name: '\x1b[22m\x1b[33m',
  topName: '\x1b[1m\x1b[33m',
  sequence: '\x1b[22m\x1b[32m',
  topSequence: '\x1b[1m\x1b[32m',
  item: '\x1b[1m\x1b[30m',
  line: '\x1b[1m\x1b[30m',
  comment: '\x1b[1m\x1b[30m',
} as const;
type Colour = keyof typeof ANSI;

/** Transfer syntax names as DCMTK 3.6's DcmXfer spells them in "# Used TransferSyntax:". */
const DCMTK_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Little Endian Implicit',
  '1.2.840.10008.1.2.1': 'Little Endian Explicit',
  '1.2.840.10008.1.2.2': 'Big Endian Explicit',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended, Process 2+4',
  '1.2.840.10008.1.2.4.52': 'JPEG Extended, Process 3+5',
  '1.2.840.10008.1.2.4.53': 'JPEG Spectral Selection, Non-hierarchical, Process 6+8',
  '1.2.840.10008.1.2.4.54': 'JPEG Spectral Selection, Non-hierarchical, Process 7+9',
  '1.2.840.10008.1.2.4.55': 'JPEG Full Progression, Non-hierarchical, Process 10+12',
  '1.2.840.10008.1.2.4.56': 'JPEG Full Progression, Non-hierarchical, Process 11+13',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless, Non-hierarchical, Process 14',
  '1.2.840.10008.1.2.4.58': 'JPEG Lossless, Non-hierarchical, Process 15',
  '1.2.840.10008.1.2.4.59': 'JPEG Extended, Hierarchical, Process 16+18',
  '1.2.840.10008.1.2.4.60': 'JPEG Extended, Hierarchical, Process 17+19',
  '1.2.840.10008.1.2.4.61': 'JPEG Spectral Selection, Hierarchical, Process 20+22',
  '1.2.840.10008.1.2.4.62': 'JPEG Spectral Selection, Hierarchical, Process 21+23',
  '1.2.840.10008.1.2.4.63': 'JPEG Full Progression, Hierarchical, Process 24+26',
  '1.2.840.10008.1.2.4.64': 'JPEG Full Progression, Hierarchical, Process 25+27',
  '1.2.840.10008.1.2.4.65': 'JPEG Lossless, Hierarchical, Process 28',
  '1.2.840.10008.1.2.4.66': 'JPEG Lossless, Hierarchical, Process 29',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, Non-hierarchical, 1st Order Prediction',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Lossy (Near-lossless)',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 (Lossless only)',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000 (Lossless or Lossy)',
  '1.2.840.10008.1.2.4.100': 'MPEG2 Main Profile @ Main Level',
  '1.2.840.10008.1.2.4.101': 'MPEG2 Main Profile @ High Level',
  '1.2.840.10008.1.2.4.102': 'MPEG-4 AVC/H.264 High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.103': 'MPEG-4 AVC/H.264 BD-compatible High Profile / Level 4.1',
  '1.2.840.10008.1.2.4.104': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 2D Video',
  '1.2.840.10008.1.2.4.105': 'MPEG-4 AVC/H.264 High Profile / Level 4.2 For 3D Video',
  '1.2.840.10008.1.2.4.106': 'MPEG-4 AVC/H.264 Stereo High Profile / Level 4.2',
  '1.2.840.10008.1.2.4.107': 'HEVC/H.265 Main Profile / Level 5.1',
  '1.2.840.10008.1.2.4.108': 'HEVC/H.265 Main 10 Profile / Level 5.1',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
  '1.2.840.113619.5.2': 'Private GE Little Endian Implicit with big endian pixel data',
};

/** The name DCMTK's dumps and logs give a transfer syntax, or undefined for syntaxes it does not know. */
export function dcmtkSyntaxName(uid: string): string | undefined {
  return DCMTK_SYNTAX_NAMES[uid];
}

function hex4(n: number): string {
  return n.toString(16).padStart(4, '0');
}

/** `gggg,eeee` in lower-case hex, as DCMTK's dumps and XML write tags. */
export function dcmtkTagText(tag: Tag): string {
  return `${hex4(tag >>> 16)},${hex4(tag & 0xffff)}`;
}

/** Tags as DCMTK prints them: lower-case hex. */
export function dumpTag(tag: Tag): string {
  return `(${dcmtkTagText(tag)})`;
}

/** The name in the comment column: keyword, `RETIRED_` keyword, or DCMTK's placeholders. */
export function elementName(tag: Tag, dataset?: DataSet): string {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (group & 1 && group > 8) {
    if (element === 0) return 'PrivateGroupLength';
    if (element >= 0x10 && element <= 0xff) return 'PrivateCreator';
    const creator = dataset?.privateCreatorOf(tag);
    const entry = creator === undefined ? undefined : lookupPrivate(creator, tag);
    return entry ? entry.name.replace(/[^A-Za-z0-9]+/g, '') || 'Unknown Tag & Data' : 'Unknown Tag & Data';
  }
  if (element === 0 && group !== 0 && group !== 2) return 'GenericGroupLength';
  const entry = lookupTag(tag);
  if (!entry) return 'Unknown Tag & Data';
  return entry.retired ? `RETIRED_${entry.keyword}` : entry.keyword;
}

/** Joins values with backslashes, cutting the list the way dcmdump does when it is long. */
function joinShortened(values: string[], printAll: boolean): string {
  const full = values.join('\\');
  if (printAll || full.length <= MAX_VALUE_COLUMNS) return full;
  let out = '';
  for (let i = 0; i < values.length; i++) {
    const next = i === 0 ? values[i]! : `${out}\\${values[i]}`;
    if (next.length + 3 > MAX_VALUE_COLUMNS) break;
    out = next;
  }
  return `${out}...`;
}

interface ValueText {
  text: string;
  vm: number;
  /** A remark such as "(no value available)" rather than a value (dcmdump colours it apart). */
  info?: boolean;
  /** The length column when it differs from the stored length (values converted to UTF-8). */
  length?: number;
}

/** The VRs whose values DCMTK's `+U8` converts (its DcmCharString classes). */
const CONVERTED_VRS = new Set(['LO', 'LT', 'PN', 'SH', 'ST', 'UC', 'UT']);

const UTF8 = new TextEncoder();

/** A string of UTF-16 code units as its UTF-8 bytes, one character per byte. */
function utf8Bytes(text: string): string {
  return latin1(UTF8.encode(text));
}

/** dcmdump's `+Qn`: XML markup for reserved, control and non-ASCII characters. */
function quoteAsMarkup(text: string): string {
  let out = '';
  for (const c of text) {
    const code = c.charCodeAt(0);
    if (c === '<') out += '&lt;';
    else if (c === '>') out += '&gt;';
    else if (c === '&') out += '&amp;';
    else if (c === '"') out += '&quot;';
    else if (c === "'") out += '&apos;';
    else if (code < 32 || code >= 127) out += `&#${code};`;
    else out += c;
  }
  return out;
}

/** dcmdump's `+Qo`: control and non-ASCII characters as three-digit octal escapes. */
function quoteAsOctal(text: string): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    out += code < 32 || code >= 127 ? `\\${code.toString(8).padStart(3, '0')}` : text[i];
  }
  return out;
}

/** The value column and value multiplicity of one element, as dcmdump shows them. */
export function formatValue(element: Element, dataset: DataSet, options: DumpOptions = {}): ValueText {
  const printAll = options.printAll ?? false;
  const vr = element.vr;
  const info = vrInfo(vr);
  if (element.bulk && !element.bytes) return { text: '(not loaded)', vm: 1, info: true };
  const bytes = element.bytes;
  // dcmdump counts an empty OB/OW/UN... as one value and empty strings or numbers as none.
  if (!bytes || bytes.length === 0)
    return { text: '(no value available)', vm: info.kind === 'bytes' ? 1 : 0, info: true };
  if (info.kind === 'text') return formatText(element, dataset, options);
  const little = element.littleEndian;
  if (info.kind === 'number') {
    const numbers = decodeNumbers(bytes, vr, little);
    let strings: string[];
    if (vr === 'AT') strings = (numbers as number[]).map((t) => dumpTag(t));
    else if (vr === 'FL') strings = (numbers as number[]).map((n) => dcmtkFloatText(n, 9));
    else if (vr === 'FD') strings = (numbers as number[]).map((n) => dcmtkFloatText(n, 17));
    else strings = numbers.map(String);
    return { text: joinShortened(strings, printAll), vm: strings.length };
  }
  // OB, OW, OF, OD, OL, OV, UN: VM 1, printed as hex words or floats like dcmdump.
  let strings: string[];
  if (vr === 'OF' || vr === 'OD') {
    strings = (decodeNumbers(bytes, vr === 'OF' ? 'FL' : 'FD', little) as number[]).map((n) =>
      printfG(n, vr === 'OF' ? 9 : 17),
    );
  } else if (vr === 'OW' || vr === 'OL' || vr === 'OV') {
    const unit = info.unitSize;
    strings = [];
    for (let i = 0; i + unit <= bytes.length; i += unit) {
      let word = '';
      for (let j = 0; j < unit; j++) word += hex2(bytes[little ? i + unit - 1 - j : i + j]!);
      strings.push(word);
      if (!printAll && strings.length * (unit * 2 + 1) > MAX_VALUE_COLUMNS + 8) break;
    }
  } else {
    strings = byteStrings(bytes, printAll);
  }
  return { text: joinShortened(strings, printAll), vm: 1 };
}

function byteStrings(bytes: Uint8Array, printAll: boolean): string[] {
  const strings: string[] = [];
  const limit = printAll ? bytes.length : Math.min(bytes.length, 32);
  for (let i = 0; i < limit; i++) strings.push(hex2(bytes[i]!));
  if (!printAll && bytes.length > limit) strings.push('..');
  return strings;
}

function formatText(element: Element, dataset: DataSet, options: DumpOptions): ValueText {
  const vr = element.vr;
  const characters = options.characters ?? 'decoded';
  // The value multiplicity is counted on the decoded text: in a multi-byte character set a
  // byte 0x5C can be half of a character rather than a delimiter.
  const decoded = stripPadding(decodeText(element, dataset.characterSet), vr);
  if (decoded.length === 0) return { text: '(no value available)', vm: 0, info: true };
  const vm = vrInfo(vr).multiValued ? decoded.split('\\').length : 1;
  let shown = decoded;
  let length: number | undefined;
  if (characters === 'stored') shown = stripPadding(latin1(element.bytes!), vr);
  else if (characters === 'utf8' && CONVERTED_VRS.has(vr)) {
    shown = utf8Bytes(decoded);
    length = shown.length + (shown.length & 1);
  } else if (characters === 'utf8') shown = stripPadding(latin1(element.bytes!), vr);
  if (vr === 'UI' && (options.mapUidNames ?? true) && vm === 1) {
    // DCMTK's name where it has its own, so that dumps diff cleanly against dcmdump's.
    const name = dcmtkUidName(shown) ?? lookupUid(shown)?.keyword;
    if (name) return { text: `=${name}`, vm: 1 };
  }
  // As DcmByteString::print: at most 70 characters are quoted, and a value that does not fit
  // in 70 columns with its brackets is cut to 66 and "...".
  const printAll = options.printAll ?? false;
  let body = printAll ? shown : shown.slice(0, MAX_VALUE_COLUMNS);
  if (options.quote === 'markup') body = quoteAsMarkup(body);
  else if (options.quote === 'octal') body = quoteAsOctal(body);
  const text =
    !printAll && body.length + 2 > MAX_VALUE_COLUMNS
      ? `[${body.slice(0, MAX_VALUE_COLUMNS - 4)}...`
      : `[${body}]`;
  return length === undefined ? { text, vm } : { text, vm, length };
}

/** Trailing padding: NUL for UI, spaces for the other text VRs (PS3.5 §6.2). */
function stripPadding(text: string, vr: string): string {
  let end = text.length;
  const pad = vr === 'UI' ? 0 : 0x20;
  while (end > 0 && (text.charCodeAt(end - 1) === pad || (vr === 'UI' && text.charCodeAt(end - 1) === 0x20)))
    end--;
  return text.slice(0, end);
}

function hex2(n: number): string {
  return n < 16 ? `0${n.toString(16)}` : n.toString(16);
}

/** One printed line, as DcmObject::printInfoLine puts it together. */
interface LineParts {
  /** DCMTK's nesting level: 1 for the elements of a data set. */
  level: number;
  tag: Tag;
  vr: string;
  text: string;
  info: boolean;
  length: string;
  vm: number;
  name: string;
  /** Sequence path printed before the line (`+P` with `+p`). */
  path?: string;
  /** A sequence or encapsulated pixel data: coloured as one in trees. */
  sequence?: boolean;
}

/** Writes dcmdump's lines for one file or data set into `out`. */
class DumpPrinter {
  readonly out: string[] = [];
  #pixelCounter = 0;
  readonly #tree: boolean;
  readonly #printAll: boolean;

  constructor(readonly options: DumpOptions) {
    this.#tree = options.tree ?? false;
    this.#printAll = options.printAll ?? false;
  }

  #colour(colour: Colour): string {
    return this.options.color ? ANSI[colour] : '';
  }

  /** `# ...` header lines: a blank line, then comment lines. */
  header(...lines: string[]): void {
    this.out.push('');
    const last = lines.length - 1;
    // In a tree, DCMTK's nesting (empty at this level) still sets the tree lines' colour.
    const start = `${this.#colour('comment')}${this.#tree ? this.#colour('line') : ''}`;
    lines.forEach((text, i) => {
      this.out.push(`${start}${text}${i === last ? this.#colour('reset') : ''}`);
    });
  }

  /** With `characters: 'utf8'`: the data set's own (0008,0005), which directory records compare theirs with. */
  rootCharacterSet = '';

  line(parts: LineParts): void {
    let text = parts.text;
    // printInfoLine's limit, for remarks and names that no value formatter has cut.
    if (!this.#printAll && text.length > MAX_VALUE_COLUMNS)
      text = `${text.slice(0, MAX_VALUE_COLUMNS - 3)}...`;
    const c = (colour: Colour) => this.#colour(colour);
    const valueStart = `${c('value')}${parts.info && text.length > 0 ? c('info') : ''}${text}`;
    if (this.#tree) {
      const bars = '| '.repeat(parts.level - 1);
      const nameColour: Colour =
        parts.tag === ITEM
          ? 'item'
          : parts.sequence
            ? parts.level === 1
              ? 'topSequence'
              : 'sequence'
            : parts.level === 1
              ? 'topName'
              : 'name';
      const pad = ' '.repeat(Math.max(0, TREE_NAME_WIDTH - parts.name.length - 2 * parts.level));
      this.out.push(`${c('line')}${bars}${c(nameColour)}${parts.name} ${pad}${valueStart}${c('reset')}`);
      return;
    }
    const path = parts.path === undefined ? '' : `${c('tag')}${parts.path}`;
    const indent = '  '.repeat(parts.level - 1);
    const pad = ' '.repeat(Math.max(0, VALUE_COLUMN_WIDTH - text.length));
    this.out.push(
      `${path}${indent}${c('tag')}${dumpTag(parts.tag)} ${c('vr')}${parts.vr} ${valueStart}${pad}` +
        `${c('comment')} # ${c('length')}${parts.length.padStart(3)}${c('comment')},` +
        `${c('vm')}${String(parts.vm).padStart(2)} ${c('name')}${parts.name}${c('reset')}`,
    );
  }

  dataSet(dataset: DataSet, level: number, converted = false): void {
    for (const element of dataset.elements()) {
      if (converted && element.tag > SPECIFIC_CHARACTER_SET) {
        this.#convertedCharacterSet(level);
        converted = false;
      }
      if (converted && element.tag === SPECIFIC_CHARACTER_SET) {
        this.#convertedCharacterSet(level);
        converted = false;
        continue;
      }
      this.element(element, dataset, level);
    }
    if (converted) this.#convertedCharacterSet(level);
  }

  /** (0008,0005) as dcmdump `+U8` leaves it: `ISO_IR 192`, added when absent. */
  #convertedCharacterSet(level: number, path?: string): void {
    this.line({
      ...(path === undefined ? {} : { path }),
      level,
      tag: SPECIFIC_CHARACTER_SET,
      vr: 'CS',
      text: '[ISO_IR 192]',
      info: false,
      length: '10',
      vm: 1,
      name: 'SpecificCharacterSet',
    });
  }

  element(element: Element, dataset: DataSet, level: number, path?: string): void {
    const name = elementName(element.tag, dataset);
    const at = path === undefined ? {} : { path };
    if (element.items) {
      this.#sequence(element, name, level, at);
      return;
    }
    if (element.fragments) {
      this.#pixelSequence(element, name, level, at);
      return;
    }
    const sink = this.options.writePixelData;
    if (sink && element.tag === PIXEL_DATA && (element.bytes || element.bulk)) {
      const value = element.bytes ?? element.bulk!;
      const swapWords = element.vr === 'OW' && !element.littleEndian;
      const text = `=${sink({ value, swapWords }, this.#pixelCounter++)}`;
      this.line({
        level,
        tag: element.tag,
        vr: element.vr,
        text,
        info: false,
        length: lengthOf(element),
        vm: 1,
        name,
        ...at,
      });
      return;
    }
    const { text, vm, info, length } = formatValue(element, dataset, this.options);
    this.line({
      level,
      tag: element.tag,
      vr: shownVR(element),
      text,
      info: info ?? false,
      length: length === undefined ? lengthOf(element) : String(length),
      vm,
      name,
      ...at,
    });
  }

  #sequence(element: Element, name: string, level: number, at: { path?: string }): void {
    const items = element.items!;
    // A UN element of undefined length was read as a sequence (PS3.5 §6.2.2): shown as SQ.
    const undefinedLength = element.undefinedLength || element.vr === 'UN';
    const vr = element.vr === 'UN' ? 'SQ' : element.vr;
    const how = undefinedLength ? 'undefined' : 'explicit';
    this.line({
      level,
      tag: element.tag,
      vr,
      text: this.#tree ? '' : `(Sequence with ${how} length #=${items.length})`,
      info: true,
      length: undefinedLength ? 'u/l' : String(element.readLength ?? '?'),
      vm: 1,
      name,
      sequence: true,
      ...at,
    });
    for (const item of items) {
      if (element.tag === DIRECTORY_RECORD_SEQUENCE) {
        this.#directoryRecord(item, level + 1);
        continue;
      }
      const itemHow = item.undefinedLength ? 'undefined' : 'explicit';
      this.line({
        level: level + 1,
        tag: ITEM,
        vr: 'na',
        text: this.#tree ? '' : `(Item with ${itemHow} length #=${item.size})`,
        info: true,
        length: item.undefinedLength ? 'u/l' : String(item.readLength ?? '?'),
        vm: 1,
        name: 'Item',
      });
      this.dataSet(item, level + 2);
      if (!this.#tree) {
        const text = item.undefinedLength
          ? '(ItemDelimitationItem)'
          : '(ItemDelimitationItem for re-encoding)';
        this.#delimiter(level + 1, 0xfffee00d, text, 'ItemDelimitationItem');
      }
    }
    if (!this.#tree) {
      const text = undefinedLength
        ? '(SequenceDelimitationItem)'
        : '(SequenceDelimitationItem for re-encod.)';
      this.#delimiter(level, 0xfffee0dd, text, 'SequenceDelimitationItem');
    }
  }

  /**
   * An item of a DICOMDIR's Directory Record Sequence, as DCMTK's DcmDirectoryRecord prints
   * it: its record type, and a comment line with the offset other records refer to it by
   * (PS3.10 §8.5) and the file it references.
   */
  #directoryRecord(item: DataSet, level: number): void {
    const offset = item.readOffset ?? 0;
    const type = item.string(0x00041430) ?? '';
    const length = item.undefinedLength ? 'u/l' : String(item.readLength ?? '?');
    const shared = { level, tag: ITEM, vr: 'na', info: true, length, vm: 1, name: 'Item' };
    const converted = this.#convertsRecord(item);
    if (this.#tree) {
      this.line({ ...shared, text: `"Directory Record" (offset=$${offset})` });
      this.dataSet(item, level + 1, converted);
      return;
    }
    const known = DIRECTORY_RECORD_TYPES.has(type) ? type : 'PRIVATE';
    this.line({ ...shared, text: `"Directory Record" ${known} #=${item.size}` });
    let comment = `#  offset=$${offset}`;
    const mrdr = item.values(0x00041504);
    if (Array.isArray(mrdr) && typeof mrdr[0] === 'number') comment += `  refMRDR=$${mrdr[0]}`;
    const file = item.strings(0x00041500);
    if (file && file.length > 0) comment += `  refFileID="${file.join('\\')}"`;
    this.out.push(`${this.#colour('info')}${'  '.repeat(level - 1)}${comment}${this.#colour('reset')}`);
    this.dataSet(item, level + 1, converted);
    const end = item.undefinedLength ? '"ItemDelimitationItem"' : '"ItemDelimitationItem for re-encoding"';
    this.#delimiter(level, 0xfffee00d, end, 'ItemDelimitationItem');
  }

  #pixelSequence(element: Element, name: string, level: number, at: { path?: string }): void {
    const fragments = element.fragments!;
    this.line({
      level,
      tag: element.tag,
      vr: element.vr,
      text: this.#tree ? '' : `(PixelSequence #=${fragments.length})`,
      info: true,
      length: 'u/l',
      vm: 1,
      name,
      // Coloured as an element in trees: the element keeps its OB/OW tag (DcmPixelData).
      ...at,
    });
    for (const fragment of fragments) {
      const { text, info } = this.#fragmentText(fragment);
      const length = String(fragment.length);
      this.line({ level: level + 1, tag: ITEM, vr: 'pi', text, info, length, vm: 1, name: 'Item' });
    }
    if (!this.#tree)
      this.#delimiter(level, 0xfffee0dd, '(SequenceDelimitationItem)', 'SequenceDelimitationItem');
  }

  #fragmentText(fragment: Fragment): { text: string; info: boolean } {
    const sink = this.options.writePixelData;
    if (sink)
      return { text: `=${sink({ value: fragment, swapWords: false }, this.#pixelCounter++)}`, info: false };
    if (isBulkDataRef(fragment)) return { text: '(not loaded)', info: true };
    if (fragment.length === 0) return { text: '(no value available)', info: true };
    return { text: joinShortened(byteStrings(fragment, this.#printAll), this.#printAll), info: false };
  }

  #delimiter(level: number, tag: Tag, text: string, name: string): void {
    this.line({ level, tag, vr: 'na', text, info: true, length: '0', vm: 0, name });
  }

  /**
   * dcmdump `+P`: each tag in turn, every element with it at any depth (depth first, in
   * order), printed with its contents; `searchFirst` stops at the first.
   */
  search(sets: readonly DataSet[], tags: readonly Tag[], converted?: DataSet): void {
    for (const tag of tags) {
      if (converted && tag === SPECIFIC_CHARACTER_SET) {
        // +U8 has set (0008,0005) of the data set to ISO_IR 192, adding it when absent.
        this.#convertedCharacterSet(1, this.options.prependPath ? '' : undefined);
        if (this.options.searchFirst) continue;
      }
      const visit = (dataset: DataSet, path: string, record: boolean): boolean => {
        const convertedHere = dataset === converted || (record && this.#convertsRecord(dataset));
        for (const element of dataset.elements()) {
          if (element.tag === tag) {
            if (tag !== SPECIFIC_CHARACTER_SET || !convertedHere)
              this.element(element, dataset, 1, this.options.prependPath ? path : undefined);
            else if (dataset !== converted)
              this.#convertedCharacterSet(1, this.options.prependPath ? path : undefined);
            if (this.options.searchFirst) return true;
          }
          if (element.items) {
            const records = element.tag === DIRECTORY_RECORD_SEQUENCE;
            for (const item of element.items)
              if (visit(item, `${path}${dumpTag(element.tag)}.`, records)) return true;
          }
        }
        return false;
      };
      for (const set of sets) if (visit(set, '', false)) break;
    }
  }

  /**
   * +U8 in a DICOMDIR: a record with a character set of its own other than the DICOMDIR's is
   * converted from it, and its (0008,0005) becomes ISO_IR 192 (DcmDirectoryRecord::convertCharacterSet).
   */
  #convertsRecord(item: DataSet): boolean {
    if (this.options.characters !== 'utf8') return false;
    const own = item.strings(SPECIFIC_CHARACTER_SET)?.join('\\');
    return own !== undefined && own !== this.rootCharacterSet;
  }
}

/** DICOMDIR's offsets, which DCMTK types `up` (a UL that points into the file). */
const OFFSET_TAGS = new Set([0x00041200, 0x00041202, 0x00041400, 0x00041410, 0x00041420, 0x00041504]);

/**
 * The VR column: as read, except that DCMTK shows an element of unknown VR read in implicit
 * VR as `??`, and DICOMDIR's offsets as `up`.
 */
function shownVR(element: Element): string {
  if (element.vr === 'UN' && element.implicitVR) return '??';
  if (element.vr === 'UL' && OFFSET_TAGS.has(element.tag)) return 'up';
  return element.vr;
}

function lengthOf(element: Element): string {
  return String(element.bytes?.length ?? element.bulk?.length ?? 0);
}

/** Dumps a data set in dcmdump's layout, one line per element, items indented. */
export function dumpDataSet(dataset: DataSet, options: DumpOptions = {}): string[] {
  const printer = new DumpPrinter(options);
  if (options.search) printer.search([dataset], options.search);
  else printer.dataSet(dataset, 1);
  return printer.out;
}

/**
 * The whole dcmdump output for a file: meta header, then data set, or with `search` only the
 * elements found. Empty when a search finds nothing.
 */
export function dumpFile(file: DicomFile, options: DumpOptions = {}): string {
  const printer = new DumpPrinter(options);
  // A DICOMDIR (Basic Directory IOD) has no SOP Common Module: +U8 leaves its own
  // (0008,0005) alone and converts each record from the record's character set.
  const directory = file.meta.string(0x00020002) === MEDIA_STORAGE_DIRECTORY;
  const convertRoot = options.characters === 'utf8' && !directory;
  if (options.search) {
    const sets = options.dataSetOnly ? [file.dataset] : [file.meta, file.dataset];
    printer.search(sets, options.search, convertRoot ? file.dataset : undefined);
    return printer.out.length > 0 ? `${printer.out.join('\n')}\n` : '';
  }
  if (!options.dataSetOnly) {
    printer.header('# Dicom-File-Format');
    // DCMTK always has a meta header object; a file without one shows it empty.
    printer.header(
      '# Dicom-Meta-Information-Header',
      `# Used TransferSyntax: ${file.hasMeta ? 'Little Endian Explicit' : 'Unknown Transfer Syntax'}`,
    );
    printer.dataSet(file.meta, 1);
  }
  const ts = file.transferSyntax;
  printer.rootCharacterSet = directory
    ? ''
    : (file.dataset.strings(SPECIFIC_CHARACTER_SET)?.join('\\') ?? '');
  printer.header('# Dicom-Data-Set', `# Used TransferSyntax: ${dcmtkSyntaxName(ts.uid) ?? ts.name}`);
  printer.dataSet(file.dataset, 1, convertRoot);
  return `${printer.out.join('\n')}\n`;
}
