import { DicomError } from '../core/errors.ts';
import { type Tag, tryParseTag } from '../core/tag.ts';
import { isVR, type VR, vrInfo } from '../core/vr.ts';
import { lookupKeyword, lookupTag, uidOf, uidOfDcmtkName } from '../dictionary/index.ts';
import { DataSet } from './dataset.ts';
import { Element } from './element.ts';

/** A parsed dump: file meta elements (group 0002) and the data set. */
export interface ParsedDump {
  meta: DataSet;
  dataset: DataSet;
  /** With `ignoreErrors`: the lines skipped, as ERR_DUMP_SYNTAX errors naming them. */
  errors: DicomError[];
}

function fail(lineNumber: number, message: string): never {
  throw new DicomError('ERR_DUMP_SYNTAX', `line ${lineNumber}: ${message}`);
}

interface Open {
  element: Element;
  /** The data set the sequence belongs to. */
  owner: DataSet;
}

/**
 * Parses DCMTK's dump format (dcmdump output, dump2dcm input): one element per line as
 * `(gggg,eeee) VR value # comment`, values in brackets for strings, `\` between values,
 * sequences and items opened by their `(Sequence ...)`/`(Item ...)` lines and closed by the
 * delimitation lines. A keyword may stand for the tag, and the VR may be left out for
 * dictionary elements.
 */
export interface ParseDumpOptions {
  /**
   * The text holds each value's bytes as they are in the file (one character per byte, as
   * dcmdump prints without +U8), not Unicode: values are stored without character set
   * conversion.
   */
  rawBytes?: boolean;
  /** Skip the lines that do not parse and go on (dump2dcm +E); they are listed in `errors`. */
  ignoreErrors?: boolean;
  /** Lines longer than this are errors (dump2dcm +l). Default: no limit. */
  maxLineLength?: number;
  /**
   * Reads the file a binary value names as `=path` (dump2dcm's way to take pixel data, e.g.
   * from dcmdump +W); without it such values are errors.
   */
  readValueFile?: (path: string) => Uint8Array;
  /** The OW values read from files are big endian (dump2dcm +rb). */
  bigEndianWordFiles?: boolean;
}

export function parseDump(text: string, options: ParseDumpOptions = {}): ParsedDump {
  const meta = new DataSet();
  const dataset = new DataSet();
  let current = dataset;
  const open: Open[] = [];
  const lines = text.split(/\r?\n/);
  const errors: DicomError[] = [];
  const parseLine = (lineNumber: number, text: string): void => {
    if (options.maxLineLength !== undefined && text.length > options.maxLineLength)
      fail(lineNumber, `line longer than ${options.maxLineLength} characters`);
    const line = text.trim();
    if (line.length === 0 || line.startsWith('#')) return;
    const m =
      /^(\([0-9A-Fa-f]{4},[0-9A-Fa-f]{4}\)|[0-9A-Fa-f]{4},[0-9A-Fa-f]{4}|[A-Za-z][A-Za-z0-9]*)\s*(.*)$/.exec(
        line,
      );
    if (!m) fail(lineNumber, `expected a tag: '${line}'`);
    const tag = tryParseTag(m[1]!) ?? lookupKeyword(m[1]!)?.tag;
    if (tag === undefined) fail(lineNumber, `unknown tag or keyword '${m[1]}'`);
    let rest = m[2]!;
    let vrText: string | undefined;
    const vrMatch = /^([A-Za-z?]{2})(?:\s+|$)(.*)$/.exec(rest);
    if (vrMatch && (isVR(vrMatch[1]!) || vrMatch[1] === '??' || vrMatch[1] === 'na' || vrMatch[1] === 'pi')) {
      vrText = vrMatch[1];
      rest = vrMatch[2]!;
    }
    const value = extractValue(rest);

    if (tag === 0xfffee000) {
      const top = open[open.length - 1];
      if (!top) fail(lineNumber, 'item outside a sequence');
      if (top.element.fragments) {
        top.element.fragments.push(
          value.startsWith('(')
            ? new Uint8Array(0)
            : value.startsWith('=')
              ? valueFile(value.slice(1), 'OB', lineNumber, options)
              : parseHex(value, 1, lineNumber),
        );
        return;
      }
      const item = new DataSet(top.owner);
      item.undefinedLength = /undefined length/.test(value);
      top.element.items!.push(item);
      current = item;
      return;
    }
    if (tag === 0xfffee00d) {
      const top = open[open.length - 1];
      if (!top || current === top.owner) fail(lineNumber, 'item delimitation outside an item');
      current = top.owner;
      return;
    }
    if (tag === 0xfffee0dd) {
      const top = open.pop();
      if (!top) fail(lineNumber, 'sequence delimitation outside a sequence');
      current = top.owner;
      return;
    }

    const target = tag >>> 16 === 2 && open.length === 0 ? meta : current;
    let vr: VR;
    if (vrText === undefined || vrText === '??') {
      const entry = lookupTag(tag);
      vr = vrText === '??' ? 'UN' : (entry?.vr ?? fail(lineNumber, `VR needed for ${m[1]}`));
      if (entry && entry.vrs.length > 1 && entry.vrs.includes('SS'))
        vr = target.number(0x00280103) === 1 ? 'SS' : 'US';
    } else if (isVR(vrText)) {
      vr = vrText;
    } else {
      fail(lineNumber, `'${vrText}' is not a VR for an element`);
    }

    if (value.startsWith('(Sequence') || (vr === 'SQ' && value.startsWith('('))) {
      const element = new Element(tag, 'SQ', undefined, true);
      element.items = [];
      element.undefinedLength = /undefined length/.test(value);
      target.add(element);
      open.push({ element, owner: target });
      return;
    }
    if (value.startsWith('(PixelSequence')) {
      const element = new Element(tag, vr, undefined, true);
      element.fragments = [];
      element.undefinedLength = true;
      target.add(element);
      open.push({ element, owner: target });
      return;
    }
    try {
      if (value.startsWith('=') && vrInfo(vr).kind === 'bytes') {
        target.set(tag, valueFile(value.slice(1), vr, lineNumber, options), vr);
        return;
      }
      setValue(target, tag, vr, value, lineNumber, options.rawBytes ?? false);
    } catch (error) {
      if (error instanceof DicomError && error.code === 'ERR_DUMP_SYNTAX') throw error;
      fail(lineNumber, (error as Error).message);
    }
  };
  for (let index = 0; index < lines.length; index++) {
    try {
      parseLine(index + 1, lines[index]!);
    } catch (error) {
      if (!options.ignoreErrors || !(error instanceof DicomError)) throw error;
      errors.push(error);
    }
  }
  if (open.length > 0) {
    // dcmdump prints every delimiter, but hand-written dumps often stop early: close quietly.
    open.length = 0;
  }
  return { meta, dataset, errors };
}

/** The bytes of a `=path` value, OW words swapped from big endian with `bigEndianWordFiles`. */
function valueFile(path: string, vr: VR, lineNumber: number, options: ParseDumpOptions): Uint8Array {
  if (!options.readValueFile) fail(lineNumber, `values from files (=${path}) are not read here`);
  let bytes: Uint8Array;
  try {
    bytes = options.readValueFile(path);
  } catch (error) {
    fail(lineNumber, `cannot read ${path}: ${(error as { code?: string }).code ?? (error as Error).message}`);
  }
  if (vr === 'OW' && options.bigEndianWordFiles) {
    bytes = bytes.slice();
    for (let i = 0; i + 1 < bytes.length; i += 2) [bytes[i], bytes[i + 1]] = [bytes[i + 1]!, bytes[i]!];
  }
  return bytes;
}

/** The value text: a bracketed string (up to its last `]`), or the word(s) before `#`. */
function extractValue(rest: string): string {
  if (rest.startsWith('[')) {
    const close = rest.lastIndexOf(']');
    return close > 0 ? rest.slice(0, close + 1) : rest;
  }
  if (rest.startsWith('(')) {
    const close = rest.indexOf(')');
    return close > 0 ? rest.slice(0, close + 1) : rest;
  }
  const hash = rest.search(/\s#/);
  return (hash >= 0 ? rest.slice(0, hash) : rest.startsWith('#') ? '' : rest).trim();
}

function parseHex(text: string, unit: number, lineNumber: number): Uint8Array {
  if (text.length === 0) return new Uint8Array(0);
  const words = text.split('\\');
  const out = new Uint8Array(words.length * unit);
  words.forEach((word, i) => {
    if (!/^[0-9A-Fa-f]+$/.test(word) || word.length > unit * 2)
      fail(lineNumber, `not a hex value: '${word}'`);
    let v = BigInt(`0x${word}`);
    // Little endian, as dump2dcm reads OW data by default (+rl).
    for (let j = 0; j < unit; j++) {
      out[i * unit + j] = Number(v & 0xffn);
      v >>= 8n;
    }
  });
  return out;
}

function setValue(target: DataSet, tag: Tag, vr: VR, value: string, lineNumber: number, raw: boolean): void {
  if (value === '' || value.startsWith('(no value')) {
    target.set(tag, vrInfo(vr).kind === 'bytes' ? new Uint8Array(0) : [], vr);
    return;
  }
  const info = vrInfo(vr);
  if (info.kind === 'text') {
    let text: string;
    if (value.startsWith('[')) text = value.slice(1, value.endsWith(']') ? -1 : undefined);
    else if (value.startsWith('=')) {
      const name = value.slice(1);
      const uid = uidOf(name) ?? uidOfDcmtkName(name);
      if (!uid) fail(lineNumber, `unknown UID name '${name}'`);
      text = uid;
    } else text = value;
    if (raw && info.usesCharset) {
      const bytes = new Uint8Array(text.length);
      for (let i = 0; i < text.length; i++) bytes[i] = text.charCodeAt(i) & 0xff;
      target.set(tag, bytes, vr);
      return;
    }
    target.set(tag, info.multiValued ? text.split('\\') : [text], vr);
    return;
  }
  if (vr === 'AT') {
    const tags = value.split('\\').map((t) => tryParseTag(t) ?? fail(lineNumber, `not a tag: '${t}'`));
    target.set(tag, tags, vr);
    return;
  }
  if (info.kind === 'number') {
    const parts = value.split('\\');
    if (vr === 'SV' || vr === 'UV')
      target.set(
        tag,
        parts.map((p) => BigInt(p.trim())),
        vr,
      );
    else {
      const numbers = parts.map((p) => {
        const n = Number(p.trim());
        if (p.trim() === '' || Number.isNaN(n)) fail(lineNumber, `not a number: '${p}'`);
        return n;
      });
      target.set(tag, numbers, vr);
    }
    return;
  }
  // Binary VRs.
  if (vr === 'OF' || vr === 'OD') {
    const numbers = value.split('\\').map(Number);
    const out = new Uint8Array(numbers.length * (vr === 'OF' ? 4 : 8));
    const view = new DataView(out.buffer);
    for (const [i, n] of numbers.entries()) {
      if (vr === 'OF') view.setFloat32(i * 4, n, true);
      else view.setFloat64(i * 8, n, true);
    }
    target.set(tag, out, vr);
    return;
  }
  const unit = vr === 'OW' ? 2 : vr === 'OL' ? 4 : vr === 'OV' ? 8 : 1;
  target.set(tag, parseHex(value, unit, lineNumber), vr);
}
