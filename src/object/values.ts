import { DicomError } from '../core/errors.ts';
import { formatDS } from '../core/values/numbers.ts';
import { type VR, vrInfo } from '../core/vr.ts';
import { lookupTag } from '../dictionary/index.ts';
import type { SpecificCharacterSet } from '../encoding/charset/index.ts';
import { swapped } from './byte-swap.ts';
import type { DataSet } from './dataset.ts';
import type { Element } from './element.ts';

/** Decoded values of one element. */
export type Value = string[] | number[] | bigint[] | Uint8Array | DataSet[];

/** Bytes to a string one byte per code unit: for VRs limited to the default repertoire. */
export function latin1(bytes: Uint8Array, start = 0, end = bytes.length): string {
  if (end - start < 4096) {
    let text = '';
    for (let i = start; i < end; i++) text += String.fromCharCode(bytes[i]!);
    return text;
  }
  let text = '';
  for (let i = start; i < end; i += 4096) {
    text += String.fromCharCode.apply(
      null,
      bytes.subarray(i, Math.min(end, i + 4096)) as unknown as number[],
    );
  }
  return text;
}

/** Strips the padding and insignificant spaces of one text value (PS3.5 §6.2). */
function trimValue(text: string, vr: VR): string {
  let end = text.length;
  while (end > 0) {
    const c = text.charCodeAt(end - 1);
    if (c !== 0x20 && c !== 0) break;
    end--;
  }
  let start = 0;
  // Leading spaces are significant only in the free-text VRs.
  if (vr !== 'LT' && vr !== 'ST' && vr !== 'UT' && vr !== 'UC') {
    while (start < end && text.charCodeAt(start) === 0x20) start++;
  }
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

/** The text of an element as stored, decoded but not split or trimmed. */
export function decodeText(element: Element, charset: SpecificCharacterSet, vr: VR = element.vr): string {
  const bytes = element.bytes;
  if (!bytes) return '';
  const info = vrInfo(vr);
  if (info.usesCharset && !charset.isDefault) return charset.decode(bytes, vr);
  if (info.usesCharset) {
    for (let i = 0; i < bytes.length; i++) {
      if (bytes[i]! > 0x7f || bytes[i] === 0x1b) return charset.decode(bytes, vr);
    }
  }
  return latin1(bytes);
}

/** Splits and trims text values; an empty value has VM 0. */
export function splitText(text: string, vr: VR): string[] {
  if (text.length === 0) return [];
  const info = vrInfo(vr);
  if (!info.multiValued) {
    const one = trimValue(text, vr);
    return one.length === 0 ? [] : [one];
  }
  if (text.indexOf('\\') < 0) {
    const one = trimValue(text, vr);
    return one.length === 0 ? [] : [one];
  }
  return text.split('\\').map((v) => trimValue(v, vr));
}

function parseNumber(text: string, vr: VR): number {
  if (text.length === 0) return Number.NaN;
  return vr === 'IS' ? Number.parseInt(text, 10) : Number(text);
}

/** Decodes an element's value; cached on the element. */
export function decodeValue(element: Element, charset: SpecificCharacterSet): Value | undefined {
  if (element.items) return element.items;
  if (element.cache !== undefined) return element.cache as Value;
  const bytes = element.bytes;
  if (!bytes) return undefined;
  const vr = element.vr === 'UN' ? (textVRInDictionary(element.tag) ?? 'UN') : element.vr;
  const info = vrInfo(vr);
  let value: Value;
  switch (info.kind) {
    case 'text': {
      const strings = splitText(decodeText(element, charset, vr), vr);
      value = vr === 'IS' || vr === 'DS' ? strings.map((s) => parseNumber(s, vr)) : strings;
      break;
    }
    case 'number':
      value = decodeNumbers(bytes, vr, element.littleEndian);
      break;
    default:
      value = element.littleEndian || info.unitSize === 1 ? bytes : swapped(bytes, info.unitSize);
      break;
  }
  element.cache = value;
  return value;
}

/**
 * The dictionary's VR for a tag when it is a text VR. A writer that did not know a public
 * element sends it as UN (PS3.5 §6.2.2); its value is still the text of the real VR, which
 * the data set's accessors then read as such (pydicom does the same), so that an RT Dose
 * with its SOP Class UID as UN names its class instead of the value's first byte. Binary
 * VRs stay bytes: their byte order as UN is not certain. The element keeps VR UN, so files,
 * dumps and DICOM JSON show and write it as it was.
 */
function textVRInDictionary(tag: number): VR | undefined {
  const vr = lookupTag(tag)?.vr;
  return vr !== undefined && vrInfo(vr).kind === 'text' ? vr : undefined;
}

export function decodeNumbers(bytes: Uint8Array, vr: VR, littleEndian: boolean): number[] | bigint[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const size = vrInfo(vr).unitSize;
  const count = Math.floor(bytes.length / (vr === 'AT' ? 4 : size));
  const le = littleEndian;
  if (vr === 'SV' || vr === 'UV') {
    const out: bigint[] = new Array(count);
    for (let i = 0; i < count; i++)
      out[i] = vr === 'SV' ? view.getBigInt64(i * 8, le) : view.getBigUint64(i * 8, le);
    return out;
  }
  const out: number[] = new Array(count);
  for (let i = 0; i < count; i++) {
    switch (vr) {
      case 'US':
        out[i] = view.getUint16(i * 2, le);
        break;
      case 'SS':
        out[i] = view.getInt16(i * 2, le);
        break;
      case 'UL':
        out[i] = view.getUint32(i * 4, le);
        break;
      case 'SL':
        out[i] = view.getInt32(i * 4, le);
        break;
      case 'FL':
        out[i] = view.getFloat32(i * 4, le);
        break;
      case 'FD':
        out[i] = view.getFloat64(i * 8, le);
        break;
      case 'AT':
        // Group then element, each in the transfer syntax's byte order (PS3.5 §6.2 AT).
        out[i] = (view.getUint16(i * 4, le) * 0x10000 + view.getUint16(i * 4 + 2, le)) >>> 0;
        break;
      default:
        throw new DicomError('ERR_INVALID_VR', `${vr} is not a binary number VR`);
    }
  }
  return out;
}

function encodeText(
  vr: VR,
  values: readonly (string | number | bigint)[],
  charset: SpecificCharacterSet,
): Uint8Array {
  const strings = values.map((v) => {
    if (typeof v === 'string') return v;
    if (vr === 'DS' && typeof v === 'number') return formatDS(v);
    if (vr === 'IS' && typeof v === 'number' && !Number.isInteger(v)) {
      throw new DicomError('ERR_INVALID_VALUE', `IS needs an integer, got ${v}`);
    }
    return String(v);
  });
  const info = vrInfo(vr);
  if (!info.multiValued && strings.length > 1) {
    throw new DicomError('ERR_INVALID_VALUE', `${vr} holds a single value, got ${strings.length}`);
  }
  const text = strings.join('\\');
  let bytes: Uint8Array;
  if (info.usesCharset) {
    bytes = charset.encode(text, vr);
  } else {
    bytes = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c > 0x7f)
        throw new DicomError('ERR_CHARSET', `${vr} allows only the default repertoire, got '${text[i]}'`);
      bytes[i] = c;
    }
  }
  return pad(bytes, info.padByte);
}

export function pad(bytes: Uint8Array, padByte: number): Uint8Array {
  if ((bytes.length & 1) === 0) return bytes;
  const out = new Uint8Array(bytes.length + 1);
  out.set(bytes);
  out[bytes.length] = padByte;
  return out;
}

/** Encodes values for a VR, little endian, padded to even length. */
export function encodeValue(vr: VR, value: Value, charset: SpecificCharacterSet): Uint8Array {
  const info = vrInfo(vr);
  if (value instanceof Uint8Array) {
    if (info.kind === 'text') return pad(value, info.padByte);
    return pad(value, 0);
  }
  const list = value as readonly unknown[];
  if (info.kind === 'text') return encodeText(vr, list as (string | number)[], charset);
  if (info.kind === 'number') {
    const unit = vr === 'AT' ? 4 : info.unitSize;
    const out = new Uint8Array(list.length * unit);
    const view = new DataView(out.buffer);
    list.forEach((raw, i) => {
      const v = typeof raw === 'string' ? Number(raw) : raw;
      switch (vr) {
        case 'US':
          view.setUint16(i * 2, Number(v), true);
          break;
        case 'SS':
          view.setInt16(i * 2, Number(v), true);
          break;
        case 'UL':
          view.setUint32(i * 4, Number(v), true);
          break;
        case 'SL':
          view.setInt32(i * 4, Number(v), true);
          break;
        case 'FL':
          view.setFloat32(i * 4, Number(v), true);
          break;
        case 'FD':
          view.setFloat64(i * 8, Number(v), true);
          break;
        case 'SV':
          view.setBigInt64(i * 8, BigInt(v as number | bigint), true);
          break;
        case 'UV':
          view.setBigUint64(i * 8, BigInt(v as number | bigint), true);
          break;
        case 'AT':
          view.setUint16(i * 4, Number(v) >>> 16, true);
          view.setUint16(i * 4 + 2, Number(v) & 0xffff, true);
          break;
        default:
          break;
      }
    });
    return out;
  }
  throw new DicomError('ERR_INVALID_VALUE', `${vr} takes bytes (Uint8Array)`);
}
