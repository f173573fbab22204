import { DicomError, type DicomErrorOptions } from '../core/errors.ts';
import { makeTag, PIXEL_DATA, SPECIFIC_CHARACTER_SET, type Tag } from '../core/tag.ts';
import { formatDS } from '../core/values/numbers.ts';
import { isVR, type VR, vrInfo } from '../core/vr.ts';
import { DEFAULT_CHARACTER_SET, SpecificCharacterSet } from '../encoding/charset/index.ts';
import { DataSet } from '../object/dataset.ts';
import { Element } from '../object/element.ts';
import { encodeValue } from '../object/values.ts';
import { decodeBase64 } from './base64.ts';
import { bulkDataPlaceholder } from './bulk-data.ts';
import { parseEncapsulated } from './encapsulated.ts';
import { personNameFromJson } from './person-name.ts';
import type { DicomJsonObject } from './types.ts';

export interface FromJsonOptions {
  /**
   * Resolves a BulkDataURI (PS3.18 §F.2.6) to the value bytes: little endian for binary VRs,
   * the encapsulated stream (PS3.5 §A.4) for encapsulated Pixel Data. Without it, or when it
   * returns undefined, the element keeps a placeholder: `bulkDataUriOf(element)` gives the URI,
   * `dataSetToJson` writes it back, and encoding the data set to bytes fails with ERR_IO
   * (value not loaded) rather than writing an empty value. A returned undefined is warned about.
   */
  resolveBulkData?: (uri: string, tag: Tag, vr: VR) => Uint8Array | undefined;
  /** Told about input that was read but not kept as given (e.g. null in a US value). */
  onWarning?: (message: string) => void;
}

/** The DicomError('ERR_JSON') of bad JSON input; `path` names the attribute, e.g. '00081115[0].00081150'. */
export class DicomJsonError extends DicomError {
  readonly path: string;
  constructor(path: string, message: string, options?: DicomErrorOptions) {
    super('ERR_JSON', path === '' ? message : `${path}: ${message}`, options);
    this.path = path;
  }
}

const UTF8_TERM = 'ISO_IR 192';
const KEY = /^[0-9A-Fa-f]{8}$/;
const NUMBER_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER_TEXT = /^[+-]?\d+$/;
const NON_ASCII = /[^\x00-\x7f]/;
const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;

/** Range of each binary integer VR (PS3.5 §6.2). */
const INTEGER_RANGE: Partial<Record<VR, readonly [number, number]>> = {
  US: [0, 0xffff],
  SS: [-0x8000, 0x7fff],
  UL: [0, 0xffffffff],
  SL: [-0x80000000, 0x7fffffff],
};

/**
 * A DataSet from a DICOM JSON Model object (PS3.18 §F.2). Accepts keys in any order and
 * lower-case hex, IS/DS/SV/UV as numbers or strings (§F.2.3.1), PN as name objects (or plain
 * strings), null for empty values (§F.2.5). Text is encoded with the Specific Character Set
 * the JSON declares (0008,0005); when it declares none and holds non-ASCII text in a VR that
 * uses it, (0008,0005) is set to 'ISO_IR 192' (UTF-8, the JSON's own repertoire, §F.2) so
 * every string can be encoded. Throws DicomJsonError ('ERR_JSON') naming the key path.
 */
export function jsonToDataSet(json: DicomJsonObject, options: FromJsonOptions = {}): DataSet {
  if (!isObject(json)) throw new DicomJsonError('', 'a DICOM JSON data set must be an object');
  const decoder = new JsonDecoder(options);
  let charset = DEFAULT_CHARACTER_SET;
  let utf8: Element | undefined;
  if (!('00080005' in json) && hasNonAsciiText(json)) {
    charset = SpecificCharacterSet.from([UTF8_TERM]);
    utf8 = new Element(SPECIFIC_CHARACTER_SET, 'CS', encodeValue('CS', [UTF8_TERM], DEFAULT_CHARACTER_SET));
  }
  const ds = new DataSet();
  if (utf8) ds.add(utf8);
  decoder.fill(ds, json as Record<string, unknown>, charset);
  return ds;
}

class JsonDecoder {
  readonly #resolve: FromJsonOptions['resolveBulkData'];
  readonly #warn: FromJsonOptions['onWarning'];
  /** Keys and item indexes from the top down to the attribute being read. */
  readonly #path: (string | number)[] = [];

  constructor(options: FromJsonOptions) {
    this.#resolve = options.resolveBulkData;
    this.#warn = options.onWarning;
  }

  #pathText(): string {
    let text = '';
    for (const part of this.#path)
      text += typeof part === 'number' ? `[${part}]` : text === '' ? part : `.${part}`;
    return text;
  }

  #fail(message: string, cause?: unknown): never {
    throw new DicomJsonError(this.#pathText(), message, cause === undefined ? undefined : { cause });
  }

  #warning(message: string): void {
    this.#warn?.(`${this.#pathText()}: ${message}`);
  }

  /** Adds the attributes of `json` to `ds`, whose enclosing character set is `inherited`. */
  fill(ds: DataSet, json: Record<string, unknown>, inherited: SpecificCharacterSet): void {
    const keys = Object.keys(json);
    const tags: Tag[] = new Array(keys.length);
    let sorted = true;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (!KEY.test(key)) {
        this.#path.push(key);
        this.#fail(`'${key}' is not a tag: keys are 8 hexadecimal digits (PS3.18 §F.2.2)`);
      }
      const tag = makeTag(Number.parseInt(key.slice(0, 4), 16), Number.parseInt(key.slice(4), 16));
      tags[i] = tag;
      if (i > 0 && tag <= tags[i - 1]!) sorted = false;
    }
    let order = keys.map((_, i) => i);
    if (!sorted) {
      order = order.sort((a, b) => tags[a]! - tags[b]!);
      for (let i = 1; i < order.length; i++) {
        if (tags[order[i]!] === tags[order[i - 1]!]) {
          this.#path.push(keys[order[i]!]!);
          this.#fail(`the tag is given twice (as '${keys[order[i - 1]!]}' too)`);
        }
      }
    }
    // (0008,0005) first: the other text values of this data set are encoded with it.
    let charset = inherited;
    const own = tags.indexOf(SPECIFIC_CHARACTER_SET);
    if (own >= 0) {
      this.#path.push(keys[own]!);
      const element = this.#element(SPECIFIC_CHARACTER_SET, json[keys[own]!], ds, DEFAULT_CHARACTER_SET);
      const terms = element.bytes ? splitTerms(element.bytes) : [];
      charset = SpecificCharacterSet.from(terms);
      for (const warning of charset.warnings) this.#warning(warning);
      this.#path.pop();
      ds.add(element);
    }
    for (const i of order) {
      const tag = tags[i]!;
      if (tag === SPECIFIC_CHARACTER_SET) continue;
      const key = keys[i]!;
      this.#path.push(key);
      if ((tag & 0xffff) === 0) {
        // Group Length attributes are not part of the model (PS3.18 §F.2.2); writers recompute them.
        this.#warning('Group Length attribute ignored');
      } else {
        ds.add(this.#element(tag, json[key], ds, charset));
      }
      this.#path.pop();
    }
  }

  #element(tag: Tag, attr: unknown, ds: DataSet, charset: SpecificCharacterSet): Element {
    if (!isObject(attr)) this.#fail('an attribute must be an object with "vr"');
    const record = attr as Record<string, unknown>;
    const vr = record.vr;
    if (vr === undefined) this.#fail('the attribute has no "vr"');
    if (typeof vr !== 'string' || !isVR(vr)) this.#fail(`unknown VR ${JSON.stringify(vr)}`);
    const value = record.Value;
    const inline = record.InlineBinary;
    const uri = record.BulkDataURI;
    const given =
      (value !== undefined ? 1 : 0) + (inline !== undefined ? 1 : 0) + (uri !== undefined ? 1 : 0);
    if (given > 1)
      this.#fail('an attribute holds at most one of Value, InlineBinary, BulkDataURI (PS3.18 §F.2.2)');

    const element = new Element(tag, vr, undefined, true);
    if (vr === 'SQ') {
      if (inline !== undefined || uri !== undefined) this.#fail('a sequence takes Value, not bulk data');
      element.items = value === undefined ? [] : this.#items(value, ds, charset);
      return element;
    }
    if (inline !== undefined) {
      if (typeof inline !== 'string') this.#fail('InlineBinary must be a base64 string');
      let bytes: Uint8Array;
      try {
        bytes = decodeBase64(inline);
      } catch (error) {
        this.#fail((error as Error).message, error);
      }
      setBytes(element, bytes);
      return element;
    }
    if (uri !== undefined) {
      if (typeof uri !== 'string') this.#fail('BulkDataURI must be a string');
      const bytes = this.#resolve?.(uri, tag, vr);
      if (bytes !== undefined) {
        if (!(bytes instanceof Uint8Array)) this.#fail(`resolveBulkData gave no Uint8Array for ${uri}`);
        setBytes(element, bytes);
      } else {
        if (this.#resolve) this.#warning(`BulkDataURI '${uri}' was not resolved; kept as a reference`);
        element.bulk = bulkDataPlaceholder(uri);
      }
      return element;
    }
    if (value === undefined) {
      element.bytes = new Uint8Array(0);
      return element;
    }
    if (!Array.isArray(value)) this.#fail('Value must be an array');
    element.bytes = this.#encode(vr, value, tag === SPECIFIC_CHARACTER_SET ? DEFAULT_CHARACTER_SET : charset);
    return element;
  }

  #items(value: unknown, parent: DataSet, charset: SpecificCharacterSet): DataSet[] {
    if (!Array.isArray(value)) this.#fail('Value must be an array');
    const items: DataSet[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) {
      this.#path.push(i);
      const item = value[i];
      // An empty item is {} (PS3.18 §F.2.5); null is no item at all.
      if (!isObject(item)) this.#fail('a sequence item must be an object');
      const ds = new DataSet(parent);
      this.fill(ds, item as Record<string, unknown>, charset);
      items[i] = ds;
      this.#path.pop();
    }
    return items;
  }

  #encode(vr: VR, values: unknown[], charset: SpecificCharacterSet): Uint8Array {
    const info = vrInfo(vr);
    try {
      if (info.kind === 'text') return encodeValue(vr, this.#texts(vr, values), charset);
      if (info.kind === 'number') return encodeValue(vr, this.#numbers(vr, values), charset);
    } catch (error) {
      if (error instanceof DicomJsonError) throw error;
      this.#fail((error as Error).message, error);
    }
    return this.#fail(`${vr} takes InlineBinary or BulkDataURI, not Value (PS3.18 §F.2.2)`);
  }

  /** The strings of a text VR's values; null stands for an empty value (PS3.18 §F.2.5). */
  #texts(vr: VR, values: unknown[]): string[] {
    const info = vrInfo(vr);
    if (!info.multiValued && values.length > 1)
      this.#fail(`${vr} holds one value, Value has ${values.length}`);
    const out: string[] = new Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      let text: string;
      if (v === null || v === undefined) text = '';
      else if (typeof v === 'string') text = v;
      else if (typeof v === 'number' && (vr === 'IS' || vr === 'DS')) text = this.#numberText(vr, v);
      else if (vr === 'PN' && isObject(v)) {
        const name = personNameFromJson(v as object);
        if (typeof name !== 'string') this.#fail(`value ${i + 1}: ${name.error}`);
        text = name;
      } else {
        this.#fail(`value ${i + 1} of ${vr} must be ${vr === 'PN' ? 'a name object' : 'a string'} or null`);
      }
      if (info.multiValued && text.includes('\\')) {
        this.#fail(`value ${i + 1} holds '\\', the value delimiter of ${vr}`);
      }
      out[i] = text;
    }
    return out;
  }

  #numberText(vr: 'IS' | 'DS', n: number): string {
    if (!Number.isFinite(n)) this.#fail(`${vr} cannot hold ${n}`);
    if (vr === 'IS') {
      if (!Number.isInteger(n)) this.#fail(`IS needs an integer, got ${n}`);
      return String(n);
    }
    // Negative zero is a value of its own in DS text (image orientations hold it); keep it.
    if (Object.is(n, -0)) return '-0';
    return decimalText(n);
  }

  /** Binary numbers; AT from 'GGGGEEEE'; nulls dropped, as binary VRs have no empty value. */
  #numbers(vr: VR, values: unknown[]): number[] | bigint[] {
    const out: (number | bigint)[] = [];
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v === null || v === undefined) {
        this.#warning(`value ${i + 1} is null: dropped, ${vr} has no empty value`);
        continue;
      }
      out.push(this.#number(vr, v, i + 1));
    }
    return out as number[] | bigint[];
  }

  #badValue(vr: VR, position: number, why: string): never {
    return this.#fail(`value ${position} of ${vr}: ${why}`);
  }

  #number(vr: VR, v: unknown, position: number): number | bigint {
    if (vr === 'AT') {
      if (typeof v !== 'string' || !KEY.test(v))
        return this.#badValue(vr, position, `expected a tag as 'GGGGEEEE', got ${JSON.stringify(v)}`);
      return Number.parseInt(v, 16);
    }
    if (vr === 'SV' || vr === 'UV') {
      let big: bigint;
      if (typeof v === 'bigint') big = v;
      else if (typeof v === 'number' && Number.isInteger(v)) big = BigInt(v);
      else if (typeof v === 'string' && INTEGER_TEXT.test(v.trim())) big = BigInt(v.trim());
      else
        return this.#badValue(
          vr,
          position,
          `expected an integer (number or string), got ${JSON.stringify(v)}`,
        );
      const ok = vr === 'SV' ? big >= -TWO_63 && big < TWO_63 : big >= 0n && big < TWO_64;
      return ok ? big : this.#badValue(vr, position, `${big} is out of range`);
    }
    let n: number;
    if (typeof v === 'number') n = v;
    else if (typeof v === 'string' && NUMBER_TEXT.test(v.trim())) n = Number(v.trim());
    else if (typeof v === 'string' && (vr === 'FL' || vr === 'FD') && /^[+-]?(?:NaN|Infinity)$/.test(v)) {
      n = Number(v);
    } else return this.#badValue(vr, position, `expected a number, got ${JSON.stringify(v)}`);
    const range = INTEGER_RANGE[vr];
    if (range && !(Number.isInteger(n) && n >= range[0] && n <= range[1])) {
      return this.#badValue(vr, position, `${n} is not an integer in [${range[0]}, ${range[1]}]`);
    }
    return n;
  }
}

/**
 * Sets bytes from InlineBinary or a resolved BulkDataURI. Pixel Data that parses exactly as
 * an encapsulated stream (PS3.5 §A.4: items, then the sequence delimiter ending the bytes)
 * becomes fragments, mirroring what dataSetToJson writes for encapsulated Pixel Data.
 */
function setBytes(element: Element, bytes: Uint8Array): void {
  if (element.tag === PIXEL_DATA && (element.vr === 'OB' || element.vr === 'OW')) {
    const fragments = parseEncapsulated(bytes);
    if (fragments) {
      element.fragments = fragments;
      element.undefinedLength = true;
      return;
    }
  }
  element.bytes = bytes;
}

function isObject(value: unknown): value is object {
  return (
    typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array)
  );
}

/** The defined terms of an encoded (0008,0005) value. */
function splitTerms(bytes: Uint8Array): string[] {
  let text = '';
  for (let i = 0; i < bytes.length; i++) text += String.fromCharCode(bytes[i]!);
  return text.split('\\').map((t) => t.trim());
}

/**
 * DS text of a number, at most 16 characters (PS3.5 §6.2). JavaScript's shortest round-trip
 * form is what formatDS picks whenever it is plain notation that fits (1e-4 <= |n| < 1e16);
 * taking it directly spares formatDS's search for the values DS mostly holds.
 */
export function decimalText(n: number): string {
  const magnitude = Math.abs(n);
  if (magnitude >= 1e-4 && magnitude < 1e16) {
    const text = String(n);
    if (text.length <= 16) return text;
  }
  return formatDS(n);
}

/**
 * True when a text VR that uses the Specific Character Set holds a non-ASCII string, outside
 * items that declare their own (0008,0005). Ignores malformed parts: the decoder reports them.
 */
function hasNonAsciiText(json: Record<string, unknown>): boolean {
  for (const key in json) {
    const attr = json[key];
    if (!isObject(attr)) continue;
    const { vr, Value: value } = attr as Record<string, unknown>;
    if (!Array.isArray(value) || typeof vr !== 'string' || !isVR(vr)) continue;
    if (vr === 'SQ') {
      for (const item of value) {
        if (isObject(item) && !('00080005' in item) && hasNonAsciiText(item as Record<string, unknown>))
          return true;
      }
    } else if (vrInfo(vr).usesCharset) {
      for (const v of value) {
        if (typeof v === 'string' && NON_ASCII.test(v)) return true;
        if (vr === 'PN' && isObject(v)) {
          for (const group of Object.values(v))
            if (typeof group === 'string' && NON_ASCII.test(group)) return true;
        }
      }
    }
  }
  return false;
}
