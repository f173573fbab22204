import type { Tag } from '../tag.ts';
import { tagToHex } from '../tag.ts';
import { invalidValue, trimPadding } from './internal.ts';

/**
 * AT, Attribute Tag (PS3.5 Table 6.2-1): a tag as a value, e.g. in Frame Increment Pointer.
 * In binary encodings it is two uint16 (group, element) and the encoding layer reads it; in
 * DICOM JSON an AT value is a string of 8 hex digits, group then element (PS3.18 §F.2.3,
 * Table F.2.3-1), which is what these functions format and parse.
 */

const AT_JSON_PATTERN = /^[0-9A-Fa-f]{8}$/;

/** '00100010', upper-case as PS3.18 §F.2.1.1 writes tags. */
export function formatAttributeTag(tag: Tag): string {
  if (!Number.isInteger(tag) || tag < 0 || tag > 0xffffffff) {
    throw invalidValue('AT', String(tag), 'not a 32-bit tag');
  }
  return tagToHex(tag);
}

/** Accepts exactly 8 hex digits (either case, padding aside); other tag forms are parseTag's job. */
export function parseAttributeTag(text: string): Tag {
  const value = trimPadding(text);
  if (!AT_JSON_PATTERN.test(value))
    throw invalidValue('AT', text, "expected 8 hex digits such as '00100010'");
  return Number.parseInt(value, 16) >>> 0;
}

export function tryParseAttributeTag(text: string): Tag | undefined {
  const value = trimPadding(text);
  return AT_JSON_PATTERN.test(value) ? Number.parseInt(value, 16) >>> 0 : undefined;
}
