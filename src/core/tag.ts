import { DicomError } from './errors.ts';

/**
 * A data element tag as one unsigned 32-bit number, group in the high 16 bits
 * (PS3.5 §7.1.1). Numbers compare and hash faster than strings or objects.
 */
export type Tag = number;

export function makeTag(group: number, element: number): Tag {
  return ((group & 0xffff) * 0x10000 + (element & 0xffff)) >>> 0;
}

export function tagGroup(tag: Tag): number {
  return tag >>> 16;
}

export function tagElement(tag: Tag): number {
  return tag & 0xffff;
}

/** Private tags have an odd group number (PS3.5 §7.8). Groups 1, 3, 5, 7 and FFFF are not private. */
export function isPrivateTag(tag: Tag): boolean {
  const group = tag >>> 16;
  return (group & 1) === 1 && group > 8 && group !== 0xffff;
}

/** (gggg,0010-00FF) reserve a block for a private creator (PS3.5 §7.8.1). */
export function isPrivateCreatorTag(tag: Tag): boolean {
  const element = tag & 0xffff;
  return isPrivateTag(tag) && element >= 0x10 && element <= 0xff;
}

export function isGroupLengthTag(tag: Tag): boolean {
  return (tag & 0xffff) === 0;
}

const HEX4 = (n: number): string => n.toString(16).toUpperCase().padStart(4, '0');

/** `(0010,0010)` as DCMTK prints it. */
export function formatTag(tag: Tag): string {
  return `(${HEX4(tag >>> 16)},${HEX4(tag & 0xffff)})`;
}

/** `00100010` as DICOM JSON keys it (PS3.18 §F.2.1.1). */
export function tagToHex(tag: Tag): string {
  return HEX4(tag >>> 16) + HEX4(tag & 0xffff);
}

const TAG_PATTERN = /^\(?\s*([0-9a-fA-F]{4})\s*,?\s*([0-9a-fA-F]{4})\s*\)?$/;

/** Accepts `(gggg,eeee)`, `gggg,eeee` and `ggggeeee`; returns undefined for anything else. */
export function tryParseTag(text: string): Tag | undefined {
  const m = TAG_PATTERN.exec(text.trim());
  if (!m) return undefined;
  return makeTag(Number.parseInt(m[1]!, 16), Number.parseInt(m[2]!, 16));
}

export function parseTag(text: string): Tag {
  const tag = tryParseTag(text);
  if (tag === undefined) throw new DicomError('ERR_INVALID_TAG', `not a tag: '${text}'`);
  return tag;
}

/** Tags with a special meaning in the encoding (PS3.5 §7.5). */
export const ITEM = 0xfffee000;
export const ITEM_DELIMITATION = 0xfffee00d;
export const SEQUENCE_DELIMITATION = 0xfffee0dd;
export const PIXEL_DATA = 0x7fe00010;
export const SPECIFIC_CHARACTER_SET = 0x00080005;
export const TRANSFER_SYNTAX_UID = 0x00020010;
/** Value length meaning "undefined, ends with a delimiter" (PS3.5 §7.1.1). */
export const UNDEFINED_LENGTH = 0xffffffff;
