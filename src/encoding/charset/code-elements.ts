import { type DoubleByteSet, GB_2312, JIS_X_0208, JIS_X_0212, KS_X_1001 } from './double-byte.ts';
import {
  ARABIC,
  ASCII,
  CYRILLIC,
  GREEK,
  HEBREW,
  JIS_X_0201,
  LATIN_1,
  LATIN_2,
  LATIN_3,
  LATIN_4,
  LATIN_5,
  LATIN_9,
  SingleByteSet,
  THAI,
} from './single-byte.ts';

/**
 * A graphic character set as ISO 2022 designates it: which element (G0, invoked in GL 0x21-0x7E,
 * or G1, invoked in GR 0xA1-0xFE; DICOM uses no shifts, PS3.5 §6.1.2.5.1), its escape sequence
 * and its characters (PS3.3 Tables C.12-3 and C.12-4).
 */
export interface CodeElement {
  readonly id: string;
  readonly slot: 'G0' | 'G1';
  /** The escape sequence without its leading ESC. */
  readonly escape: Uint8Array;
  /** Exactly one of `single` (the half of an 8-bit set that `slot` selects) and `double`. */
  readonly single?: SingleByteSet;
  readonly double?: DoubleByteSet;
}

function element(
  id: string,
  slot: 'G0' | 'G1',
  sequence: string,
  set: SingleByteSet | DoubleByteSet,
): CodeElement {
  const bytes = Uint8Array.from(sequence, (c) => c.charCodeAt(0));
  return set instanceof SingleByteSet
    ? { id, slot, escape: bytes, single: set }
    : { id, slot, escape: bytes, double: set };
}

export const G0_ASCII = element('ISO-IR 6', 'G0', '(B', ASCII);
export const G0_ROMAJI = element('ISO-IR 14', 'G0', '(J', JIS_X_0201);
export const G1_KATAKANA = element('ISO-IR 13', 'G1', ')I', JIS_X_0201);
export const G1_LATIN_1 = element('ISO-IR 100', 'G1', '-A', LATIN_1);
export const G1_LATIN_2 = element('ISO-IR 101', 'G1', '-B', LATIN_2);
export const G1_LATIN_3 = element('ISO-IR 109', 'G1', '-C', LATIN_3);
export const G1_LATIN_4 = element('ISO-IR 110', 'G1', '-D', LATIN_4);
export const G1_CYRILLIC = element('ISO-IR 144', 'G1', '-L', CYRILLIC);
export const G1_ARABIC = element('ISO-IR 127', 'G1', '-G', ARABIC);
export const G1_GREEK = element('ISO-IR 126', 'G1', '-F', GREEK);
export const G1_HEBREW = element('ISO-IR 138', 'G1', '-H', HEBREW);
export const G1_LATIN_5 = element('ISO-IR 148', 'G1', '-M', LATIN_5);
export const G1_THAI = element('ISO-IR 166', 'G1', '-T', THAI);
export const G1_LATIN_9 = element('ISO-IR 203', 'G1', '-b', LATIN_9);
export const G0_JIS_X_0208 = element('ISO-IR 87', 'G0', '$B', JIS_X_0208);
export const G0_JIS_X_0212 = element('ISO-IR 159', 'G0', '$(D', JIS_X_0212);
export const G1_KS_X_1001 = element('ISO-IR 149', 'G1', '$)C', KS_X_1001);
export const G1_GB_2312 = element('ISO-IR 58', 'G1', '$)A', GB_2312);

/**
 * Escape sequence (without ESC) -> element, for decoding. Beyond the sequences DICOM defines,
 * the older and the long forms of the JIS X 0208 designation (ESC $ @, ESC $ ( B) are read too,
 * as ISO-2022-JP decoders do.
 */
const BY_ESCAPE = new Map<string, CodeElement>([
  ...[
    G0_ASCII,
    G0_ROMAJI,
    G1_KATAKANA,
    G1_LATIN_1,
    G1_LATIN_2,
    G1_LATIN_3,
    G1_LATIN_4,
    G1_CYRILLIC,
    G1_ARABIC,
    G1_GREEK,
    G1_HEBREW,
    G1_LATIN_5,
    G1_THAI,
    G1_LATIN_9,
    G0_JIS_X_0208,
    G0_JIS_X_0212,
    G1_KS_X_1001,
    G1_GB_2312,
  ].map((e): [string, CodeElement] => [String.fromCharCode(...e.escape), e]),
  ['$@', G0_JIS_X_0208],
  ['$(B', G0_JIS_X_0208],
]);

/**
 * The escape sequence starting at `bytes[start]` (an ESC): ISO 2022 intermediate bytes
 * 0x20-0x2F then one final byte 0x30-0x7E (ISO/IEC 2022 §13.1). Returns its length and the
 * element it designates (undefined when it designates nothing known). When no final byte follows,
 * the length covers ESC and the intermediate bytes only.
 */
export function readEscape(bytes: Uint8Array, start: number): { length: number; element?: CodeElement } {
  let i = start + 1;
  while (i < bytes.length && bytes[i]! >= 0x20 && bytes[i]! <= 0x2f) i++;
  if (i >= bytes.length || bytes[i]! < 0x30 || bytes[i]! > 0x7e) return { length: i - start };
  const key = String.fromCharCode(...bytes.subarray(start + 1, i + 1));
  const found = BY_ESCAPE.get(key);
  return found === undefined ? { length: i + 1 - start } : { length: i + 1 - start, element: found };
}
