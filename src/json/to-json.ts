import { DicomError } from '../core/errors.ts';
import { type Tag, tagToHex } from '../core/tag.ts';
import { type VR, vrInfo } from '../core/vr.ts';
import type { SpecificCharacterSet } from '../encoding/charset/index.ts';
import { swapped } from '../object/byte-swap.ts';
import type { DataSet } from '../object/dataset.ts';
import type { Element } from '../object/element.ts';
import { decodeNumbers, decodeText, splitText } from '../object/values.ts';
import { encodeBase64 } from './base64.ts';
import { bulkDataUriOf } from './bulk-data.ts';
import { encodeEncapsulated } from './encapsulated.ts';
import { personNameToJson } from './person-name.ts';
import type { DicomJsonElement, DicomJsonObject, DicomJsonValue } from './types.ts';

export interface ToJsonOptions {
  /**
   * Values longer than this many bytes become BulkDataURI (when `bulkDataUri` gives one)
   * instead of InlineBinary or Value. Default: never. Only for the VRs PS3.18 §F.2.2 allows
   * a BulkDataURI for (not AE, AS, AT, CS, DA, DT, LO, PN, SH, TM, UI, UR, SQ).
   */
  bulkDataThreshold?: number;
  /**
   * Makes the BulkDataURI for an element; return undefined to inline it. Asked for values over
   * `bulkDataThreshold`, for every encapsulated Pixel Data, and for values not in memory (left
   * on disk by the reader, or read from JSON as an unresolved BulkDataURI). `path` holds the
   * tags from the top-level data set down to the element, `items` the item index within each
   * enclosing sequence (`items.length === path.length - 1`); both arrays are reused, so copy
   * them to keep them.
   */
  bulkDataUri?: (element: Element, path: readonly Tag[], items: readonly number[]) => string | undefined;
}

/** VRs that may carry a BulkDataURI (PS3.18 §F.2.2). */
const BULK_VRS: ReadonlySet<VR> = new Set<VR>([
  'DS',
  'FL',
  'FD',
  'IS',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SL',
  'SS',
  'ST',
  'SV',
  'UC',
  'UL',
  'UN',
  'US',
  'UT',
  'UV',
]);

const INTEGER_TEXT = /^[+-]?\d+$/;
const DECIMAL_TEXT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

/**
 * The DICOM JSON Model object of a data set (PS3.18 §F.2): a plain object that
 * JSON.stringify can write, keys in ascending tag order (§F.2.2; but see `dicomJsonToString`
 * for why JSON.stringify may not keep that order). Group Length elements are left out
 * (§F.2.2). Throws DicomError('ERR_JSON') for a value that is not in memory and gets no URI.
 */
export function dataSetToJson(ds: DataSet, options: ToJsonOptions = {}): DicomJsonObject {
  return new JsonEncoder(options).dataSet(ds);
}

class JsonEncoder {
  readonly #threshold: number;
  readonly #uri: ToJsonOptions['bulkDataUri'];
  readonly #tags: Tag[] = [];
  readonly #items: number[] = [];

  constructor(options: ToJsonOptions) {
    this.#threshold = options.bulkDataThreshold ?? Number.POSITIVE_INFINITY;
    this.#uri = options.bulkDataUri;
  }

  dataSet(ds: DataSet): DicomJsonObject {
    const out: DicomJsonObject = {};
    const charset = ds.characterSet;
    for (const element of ds.elements()) {
      const tag = element.tag;
      // Group Length attributes shall not be included (PS3.18 §F.2.2).
      if ((tag & 0xffff) === 0) continue;
      this.#tags.push(tag);
      out[tagToHex(tag)] = this.#element(element, charset);
      this.#tags.pop();
    }
    return out;
  }

  #path(): string {
    let text = '';
    for (let i = 0; i < this.#tags.length; i++) {
      if (i > 0) text += `[${this.#items[i - 1]}].`;
      text += tagToHex(this.#tags[i]!);
    }
    return text;
  }

  #askUri(element: Element): string | undefined {
    return this.#uri?.(element, this.#tags, this.#items);
  }

  #element(element: Element, charset: SpecificCharacterSet): DicomJsonElement {
    if (element.items) {
      // A UN of undefined length read as a sequence is one (PS3.5 §6.2.2); JSON has no UN
      // with items, so it is written as SQ.
      const out: DicomJsonElement = { vr: 'SQ' };
      if (element.items.length > 0) {
        const items: DicomJsonObject[] = new Array(element.items.length);
        for (let i = 0; i < items.length; i++) {
          this.#items.push(i);
          items[i] = this.dataSet(element.items[i]!);
          this.#items.pop();
        }
        out.Value = items;
      }
      return out;
    }
    const vr = element.vr;
    if (element.fragments) return this.#encapsulated(element);
    const bytes = element.bytes;
    if (bytes === undefined) {
      if (element.bulk === undefined) return { vr };
      const uri = this.#askUri(element) ?? bulkDataUriOf(element);
      if (uri !== undefined) return { vr, BulkDataURI: uri };
      throw new DicomError(
        'ERR_JSON',
        `${this.#path()}: the value (${element.bulk.length} bytes) is not in memory; ` +
          'give bulkDataUri a URI for it or read the file with its values loaded',
      );
    }
    if (bytes.length === 0) return { vr };
    if (bytes.length > this.#threshold && BULK_VRS.has(vr)) {
      const uri = this.#askUri(element);
      if (uri !== undefined) return { vr, BulkDataURI: uri };
    }
    const info = vrInfo(vr);
    switch (info.kind) {
      case 'text':
        return valueOrEmpty(vr, textValues(element, charset));
      case 'number':
        return valueOrEmpty(vr, numberValues(bytes, vr, element.littleEndian));
      default: {
        // InlineBinary is the little endian encoding (PS3.18 §F.2.7); swap big endian sources.
        const little = element.littleEndian || info.unitSize === 1 ? bytes : swapped(bytes, info.unitSize);
        return { vr, InlineBinary: encodeBase64(little) };
      }
    }
  }

  /**
   * Encapsulated Pixel Data: a BulkDataURI when the callback gives one, else InlineBinary of
   * the whole encapsulated value as PS3.5 §A.4 encodes it (items, Basic Offset Table first,
   * then the sequence delimiter), so the fragments and offset table are kept.
   */
  #encapsulated(element: Element): DicomJsonElement {
    const vr = element.vr;
    const uri = this.#askUri(element);
    if (uri !== undefined) return { vr, BulkDataURI: uri };
    const fragments: Uint8Array[] = [];
    for (const fragment of element.fragments!) {
      if (!(fragment instanceof Uint8Array)) {
        throw new DicomError(
          'ERR_JSON',
          `${this.#path()}: encapsulated pixel data fragments are not in memory; give bulkDataUri a URI for them`,
        );
      }
      fragments.push(fragment);
    }
    return { vr, InlineBinary: encodeBase64(encodeEncapsulated(fragments)) };
  }
}

function valueOrEmpty(vr: VR, values: DicomJsonValue[]): DicomJsonElement {
  // An empty attribute has no "Value" (PS3.18 §F.2.5).
  return values.length === 0 ? { vr } : { vr, Value: values };
}

/** Strings, numbers for IS and DS, name objects for PN; null for empty values (§F.2.5). */
function textValues(element: Element, charset: SpecificCharacterSet): DicomJsonValue[] {
  const vr = element.vr;
  const strings = splitText(decodeText(element, charset), vr);
  const out: DicomJsonValue[] = new Array(strings.length);
  for (let i = 0; i < strings.length; i++) {
    const s = strings[i]!;
    if (s.length === 0) out[i] = null;
    else if (vr === 'PN') out[i] = personNameToJson(s);
    else if (vr === 'IS' || vr === 'DS') out[i] = numberText(s, vr);
    else out[i] = s;
  }
  return out;
}

/**
 * IS and DS as JSON numbers (PS3.18 §F.2.3); the original string when it is not a number or
 * a number would not give back the same value (§F.2.3.1 allows strings for these VRs).
 */
function numberText(text: string, vr: 'IS' | 'DS'): number | string {
  if (vr === 'IS') {
    if (!INTEGER_TEXT.test(text)) return text;
    const n = Number(text);
    return Number.isSafeInteger(n) ? n : text;
  }
  if (!DECIMAL_TEXT.test(text)) return text;
  const n = Number(text);
  if (!Number.isFinite(n)) return text;
  return exactDecimal(text, n) ? n : text;
}

/** Up to 15 significant digits survive decimal -> double -> decimal; beyond, check. */
function exactDecimal(text: string, n: number): boolean {
  const digits = significantDigits(text);
  if (digits.length <= 15) return true;
  return significantDigits(Math.abs(n).toPrecision(Math.min(digits.length, 100))) === digits;
}

function significantDigits(text: string): string {
  const e = text.search(/[eE]/);
  const mantissa = (e < 0 ? text : text.slice(0, e)).replace(/[+\-.]/g, '');
  let start = 0;
  while (start < mantissa.length - 1 && mantissa.charCodeAt(start) === 0x30) start++;
  return mantissa.slice(start);
}

/** Binary numbers as JSON numbers; AT as 'GGGGEEEE'; 64-bit beyond 2^53 and non-finite floats as strings. */
function numberValues(bytes: Uint8Array, vr: VR, littleEndian: boolean): DicomJsonValue[] {
  const values = decodeNumbers(bytes, vr, littleEndian);
  if (vr === 'SV' || vr === 'UV') {
    return (values as bigint[]).map((v) => {
      const n = Number(v);
      // §F.2.3.1: 64-bit integers a JSON number cannot hold exactly go as strings.
      return Number.isSafeInteger(n) ? n : v.toString();
    });
  }
  const numbers = values as number[];
  if (vr === 'AT') return numbers.map(tagToHex);
  if (vr === 'FL' || vr === 'FD') {
    // JSON has no NaN or Infinity (JSON.stringify would write null): keep them as strings.
    for (let i = 0; i < numbers.length; i++) {
      if (!Number.isFinite(numbers[i]!)) return numbers.map((n) => (Number.isFinite(n) ? n : String(n)));
    }
  }
  return numbers;
}

/**
 * JSON text of a DICOM JSON object with attributes in ascending tag order at every level
 * (PS3.18 §F.2.2). JSON.stringify cannot promise that: ECMAScript enumerates keys that look
 * like array indices first, so '30060020' would come before '00080016'. `indent` as for
 * JSON.stringify; an array of data sets (a §F.2.1 multiple results response) is accepted.
 */
export function dicomJsonToString(
  json: DicomJsonObject | readonly DicomJsonObject[],
  indent?: number,
): string {
  const parts: string[] = [];
  const pad = indent === undefined || indent <= 0 ? '' : ' '.repeat(Math.min(indent, 10));
  const nl = pad === '' ? '' : '\n';
  const colon = pad === '' ? ':' : ': ';

  const writeDataSet = (ds: DicomJsonObject, depth: string): void => {
    const keys = Object.keys(ds).sort();
    if (keys.length === 0) {
      parts.push('{}');
      return;
    }
    const inner = depth + pad;
    parts.push('{');
    keys.forEach((key, k) => {
      if (k > 0) parts.push(',');
      parts.push(nl, inner, JSON.stringify(key), colon);
      writeAttribute(ds[key]!, inner);
    });
    parts.push(nl, depth, '}');
  };

  const writeAttribute = (attr: DicomJsonElement, depth: string): void => {
    const inner = depth + pad;
    parts.push('{', nl, inner, '"vr"', colon, JSON.stringify(attr.vr));
    for (const key of Object.keys(attr)) {
      if (key === 'vr') continue;
      const value = (attr as unknown as Record<string, unknown>)[key];
      if (value === undefined) continue;
      parts.push(',', nl, inner, JSON.stringify(key), colon);
      if (key === 'Value' && attr.vr === 'SQ' && Array.isArray(value))
        writeItems(value as DicomJsonObject[], inner);
      else parts.push(pad === '' ? JSON.stringify(value) : indented(value, pad, inner));
    }
    parts.push(nl, depth, '}');
  };

  const writeItems = (items: readonly DicomJsonObject[], depth: string): void => {
    if (items.length === 0) {
      parts.push('[]');
      return;
    }
    const inner = depth + pad;
    parts.push('[');
    items.forEach((item, i) => {
      if (i > 0) parts.push(',');
      parts.push(nl, inner);
      writeDataSet(item, inner);
    });
    parts.push(nl, depth, ']');
  };

  if (Array.isArray(json)) writeItems(json as readonly DicomJsonObject[], '');
  else writeDataSet(json as DicomJsonObject, '');
  return parts.join('');
}

/** JSON.stringify with indentation, continued at the current depth. */
function indented(value: unknown, pad: string, depth: string): string {
  return JSON.stringify(value, null, pad).replace(/\n/g, `\n${depth}`);
}
