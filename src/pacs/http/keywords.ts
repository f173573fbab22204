import type { Tag } from '../../core/index.ts';
import { keywordOf, tagOf } from '../../dictionary/index.ts';
import { DataSet } from '../../object/index.ts';
import { badRequest } from './errors.ts';

/**
 * Data sets as keyword-keyed JSON, the way Orthanc's `?simplify` and its query bodies write
 * them: `{ "PatientName": "Doe^John", "ReferencedSeriesSequence": [ { ... } ] }`. Multiple
 * values are joined with a backslash, as in the DICOM string; binary values are null. DICOM
 * JSON (PS3.18 Annex F) is the lossless form; this one is for people and scripts.
 */

const BINARY_VRS = new Set(['OB', 'OD', 'OF', 'OL', 'OV', 'OW', 'UN']);
const GROUP_LENGTH = 0x0000;

export type Simplified = { [keyword: string]: string | null | Simplified[] };

export function simplify(ds: DataSet): Simplified {
  return keyedBy(ds, (tag) => keywordOf(tag) ?? hex(tag));
}

/** Orthanc's `?short`: the same values keyed by tag, `"0010,0020"`. */
export function shortTags(ds: DataSet): Simplified {
  return keyedBy(ds, (tag) => {
    const text = (tag >>> 0).toString(16).padStart(8, '0');
    return `${text.slice(0, 4)},${text.slice(4)}`;
  });
}

function keyedBy(ds: DataSet, nameOf: (tag: Tag) => string): Simplified {
  const out: Simplified = {};
  for (const element of ds.elements()) {
    if ((element.tag & 0xffff) === GROUP_LENGTH) continue;
    const name = nameOf(element.tag);
    if (element.items) out[name] = element.items.map((item) => keyedBy(item, nameOf));
    else if (BINARY_VRS.has(element.vr)) out[name] = null;
    else out[name] = (ds.strings(element.tag) ?? []).map((v) => v.trim()).join('\\');
  }
  return out;
}

function hex(tag: Tag): string {
  return (tag >>> 0).toString(16).toUpperCase().padStart(8, '0');
}

/** A keyword ('PatientName') or a tag ('00100010', '0010,0010') as a tag; 400 when neither. */
export function tagFromKey(key: string): Tag {
  const hexTag = /^\(?([0-9a-f]{4}),?([0-9a-f]{4})\)?$/i.exec(key.trim());
  if (hexTag) return Number.parseInt(hexTag[1]! + hexTag[2]!, 16);
  try {
    return tagOf(key.trim());
  } catch (error) {
    throw badRequest((error as Error).message, 'ERR_UNKNOWN_KEYWORD');
  }
}

/**
 * Fills `ds` from keyword-keyed JSON (a C-FIND identifier, say): a string or number is the
 * value (backslashes separate values), an array of strings is several values, null or '' asks
 * for the attribute (universal matching), an array of objects is a sequence's items.
 */
export function fillFromKeywords(ds: DataSet, json: Record<string, unknown>, path = 'Query'): void {
  for (const [key, value] of Object.entries(json)) {
    const tag = tagFromKey(key);
    const where = `${path}.${key}`;
    try {
      if (value === null || value === '') {
        ds.set(tag, undefined);
      } else if (typeof value === 'string' || typeof value === 'number') {
        ds.set(tag, String(value));
      } else if (Array.isArray(value) && value.every((v) => typeof v === 'string' || typeof v === 'number')) {
        ds.set(tag, value.map(String));
      } else if (
        Array.isArray(value) &&
        value.every((v) => typeof v === 'object' && v !== null && !Array.isArray(v))
      ) {
        const items = value.map((v, i) => {
          const item = new DataSet(ds);
          fillFromKeywords(item, v as Record<string, unknown>, `${where}[${i}]`);
          return item;
        });
        ds.set(tag, items, 'SQ');
      } else {
        throw badRequest(`${where}: a string, a number, a list of them, null or a list of objects`);
      }
    } catch (error) {
      if (error instanceof Error && !('status' in error)) {
        throw badRequest(`${where}: ${error.message}`, 'ERR_INVALID_VALUE');
      }
      throw error;
    }
  }
}

/** Whether any string value needs more than ASCII (then the identifier says ISO_IR 192). */
export function needsUtf8(json: unknown): boolean {
  if (typeof json === 'string') return /[^\x00-\x7f]/.test(json);
  if (Array.isArray(json)) return json.some(needsUtf8);
  if (typeof json === 'object' && json !== null) return Object.values(json).some(needsUtf8);
  return false;
}
