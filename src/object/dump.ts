import type { Tag } from '../core/tag.ts';
import { vrInfo } from '../core/vr.ts';
import { lookupPrivate, lookupTag, lookupUid } from '../dictionary/index.ts';
import type { DataSet } from './dataset.ts';
import { type Element, isBulkDataRef } from './element.ts';
import { dcmtkFloatText, printfG } from './float-text.ts';
import type { DicomFile } from './part10.ts';
import { decodeNumbers, decodeText } from './values.ts';

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
}

/** DCMTK prints long values cut to this many characters (its DCM_OptPrintLineLength). */
const MAX_VALUE_COLUMNS = 70;
/** The value column is padded to this width before the `#` comment. */
const VALUE_COLUMN_WIDTH = 40;

const DCMTK_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Little Endian Implicit',
  '1.2.840.10008.1.2.1': 'Little Endian Explicit',
  '1.2.840.10008.1.2.2': 'Big Endian Explicit',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
};

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
}

/** The value column and value multiplicity of one element, as dcmdump shows them. */
export function formatValue(element: Element, dataset: DataSet, options: DumpOptions = {}): ValueText {
  const printAll = options.printAll ?? false;
  const vr = element.vr;
  const info = vrInfo(vr);
  if (element.bulk && !element.bytes) return { text: '(not loaded)', vm: 1 };
  const bytes = element.bytes;
  // dcmdump counts an empty OB/OW/UN... as one value and empty strings or numbers as none.
  if (!bytes || bytes.length === 0)
    return { text: '(no value available)', vm: info.kind === 'bytes' ? 1 : 0 };
  if (info.kind === 'text') {
    // Shown as stored, less the padding at the very end, as dcmdump does: spaces inside a
    // multi-valued string are part of what the file holds.
    const stored = stripPadding(decodeText(element, dataset.characterSet), vr);
    if (stored.length === 0) return { text: '(no value available)', vm: 0 };
    const values = info.multiValued ? stored.split('\\') : [stored];
    if (vr === 'UI' && (options.mapUidNames ?? true) && values.length === 1) {
      const entry = lookupUid(values[0]!);
      if (entry?.keyword) return { text: `=${entry.keyword}`, vm: 1 };
    }
    let text = `[${values.join('\\')}]`;
    if (!printAll && text.length > MAX_VALUE_COLUMNS) text = `${text.slice(0, MAX_VALUE_COLUMNS - 3)}...`;
    return { text, vm: values.length };
  }
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
    strings = [];
    const limit = printAll ? bytes.length : Math.min(bytes.length, 32);
    for (let i = 0; i < limit; i++) strings.push(hex2(bytes[i]!));
    if (!printAll && bytes.length > limit) strings.push('..');
  }
  const text = joinShortened(strings, printAll);
  return { text, vm: 1 };
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

function line(
  level: number,
  tag: Tag,
  vr: string,
  value: string,
  length: string,
  vm: number,
  name: string,
  prefix?: string,
): string {
  // With +P dcmdump prints no indentation (or the sequence path) but pads as if indented.
  const indent = '  '.repeat(level);
  const head = `${prefix ?? indent}${dumpTag(tag)} ${vr} ${value}`;
  const width =
    (prefix ?? indent).length + 15 + VALUE_COLUMN_WIDTH + (prefix === undefined ? 0 : indent.length);
  const padded = value.length < VALUE_COLUMN_WIDTH ? head.padEnd(width) : head;
  return `${padded} # ${length.padStart(3)},${String(vm).padStart(2)} ${name}`;
}

function lengthOf(element: Element): string {
  return String(element.bytes?.length ?? element.bulk?.length ?? 0);
}

/** Dumps a data set in dcmdump's layout, one line per element, items indented. */
export function dumpDataSet(
  dataset: DataSet,
  options: DumpOptions = {},
  level = 0,
  out: string[] = [],
  path = '',
): string[] {
  const search = options.search ? new Set(options.search) : undefined;
  for (const element of dataset.elements()) {
    const name = elementName(element.tag, dataset);
    if (element.items) {
      if (!search) {
        const undefinedLength = element.undefinedLength || element.vr === 'UN';
        const how = undefinedLength ? 'undefined' : 'explicit';
        const vr = element.vr === 'UN' ? 'SQ' : element.vr;
        const length = undefinedLength ? 'u/l' : String(element.readLength ?? '?');
        out.push(
          line(
            level,
            element.tag,
            vr,
            `(Sequence with ${how} length #=${element.items.length})`,
            length,
            1,
            name,
          ),
        );
      }
      for (const item of element.items) {
        if (!search) {
          const how = item.undefinedLength ? 'undefined' : 'explicit';
          out.push(
            line(
              level + 1,
              0xfffee000,
              'na',
              `(Item with ${how} length #=${item.size})`,
              item.undefinedLength ? 'u/l' : String(item.readLength ?? '?'),
              1,
              'Item',
            ),
          );
        }
        dumpDataSet(item, options, level + 2, out, `${path}${dumpTag(element.tag)}.`);
        if (!search) {
          const text = item.undefinedLength
            ? '(ItemDelimitationItem)'
            : '(ItemDelimitationItem for re-encoding)';
          out.push(line(level + 1, 0xfffee00d, 'na', text, '0', 0, 'ItemDelimitationItem'));
        }
      }
      if (!search) {
        const undefinedLength = element.undefinedLength || element.vr === 'UN';
        const text = undefinedLength
          ? '(SequenceDelimitationItem)'
          : '(SequenceDelimitationItem for re-encod.)';
        out.push(line(level, 0xfffee0dd, 'na', text, '0', 0, 'SequenceDelimitationItem'));
      }
      continue;
    }
    if (search && !search.has(element.tag)) continue;
    if (element.fragments) {
      const prefix = search ? (options.prependPath ? path : '') : undefined;
      out.push(
        line(
          level,
          element.tag,
          element.vr,
          `(PixelSequence #=${element.fragments.length})`,
          'u/l',
          1,
          name,
          prefix,
        ),
      );
      if (search) continue;
      for (const fragment of element.fragments) {
        let text: string;
        if (isBulkDataRef(fragment)) text = '(not loaded)';
        else if (fragment.length === 0) text = '(no value available)';
        else {
          const hex: string[] = [];
          const limit = options.printAll ? fragment.length : Math.min(fragment.length, 32);
          for (let i = 0; i < limit; i++) hex.push(hex2(fragment[i]!));
          if (limit < fragment.length) hex.push('..');
          text = joinShortened(hex, options.printAll ?? false);
        }
        out.push(line(level + 1, 0xfffee000, 'pi', text, String(fragment.length), 1, 'Item'));
      }
      out.push(
        line(level, 0xfffee0dd, 'na', '(SequenceDelimitationItem)', '0', 0, 'SequenceDelimitationItem'),
      );
      continue;
    }
    const { text, vm } = formatValue(element, dataset, options);
    const prefix = search ? (options.prependPath ? path : '') : undefined;
    out.push(line(level, element.tag, element.vr, text, lengthOf(element), vm, name, prefix));
  }
  return out;
}

/** The whole dcmdump output for a file: meta header, then data set. */
export function dumpFile(file: DicomFile, options: DumpOptions = {}): string {
  const out: string[] = [];
  if (options.search) {
    // dcmdump +P searches for each tag in turn, through the whole file.
    for (const tag of options.search) {
      const one = { ...options, search: [tag] };
      dumpDataSet(file.meta, one, 0, out);
      dumpDataSet(file.dataset, one, 0, out);
    }
    return out.length > 0 ? `${out.join('\n')}\n` : '';
  }
  if (!options.search) {
    out.push('', '# Dicom-File-Format', '');
    if (file.hasMeta) {
      out.push('# Dicom-Meta-Information-Header', '# Used TransferSyntax: Little Endian Explicit');
      dumpDataSet(file.meta, options, 0, out);
      out.push('');
    }
    const ts = file.transferSyntax;
    out.push('# Dicom-Data-Set', `# Used TransferSyntax: ${DCMTK_SYNTAX_NAMES[ts.uid] ?? ts.name}`);
  } else {
    dumpDataSet(file.meta, options, 0, out);
  }
  dumpDataSet(file.dataset, options, 0, out);
  return `${out.join('\n')}\n`;
}
