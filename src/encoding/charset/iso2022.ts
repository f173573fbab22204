import {
  type CodeElement,
  G0_ASCII,
  G0_ROMAJI,
  G1_KATAKANA,
  G1_LATIN_1,
  readEscape,
} from './code-elements.ts';
import { ByteSink, type Codec, cannotEncode, isReset, type TextRules } from './codec.ts';
import { decodeAscii, firstSpecial, unitsToString } from './text.ts';

const ESC = 0x1b;
const REPLACEMENT = 0xfffd;

/**
 * Text with ISO 2022 code extensions (PS3.5 §6.1.2.5): G0 in GL and G1 in GR, designated by
 * escape sequences, no shift functions. The initial sets are those of value 1 of (0008,0005)
 * (ASCII when it is empty); they become active again at every reset byte (PS3.5 §6.1.2.5.3).
 */
export class Iso2022Codec implements Codec {
  #name: string;
  #initialG0: CodeElement;
  #initialG1: CodeElement | undefined;
  /** Every declared element, in the order of the values of (0008,0005): the encoder's preference. */
  #declared: readonly CodeElement[];
  /** What GR bytes mean while no G1 is designated: the first declared G1 set, else ISO 8859-1. */
  #fallbackG1: CodeElement;

  /** `terms` holds the elements of each value of (0008,0005), value 1 first. */
  constructor(terms: readonly (readonly CodeElement[])[], name: string) {
    this.#name = name;
    const first = terms[0] ?? [];
    // A multi-byte G0 set as value 1 would leave no way to write ASCII; ASCII stays initial then.
    this.#initialG0 = first.find((e) => e.slot === 'G0' && e.single !== undefined) ?? G0_ASCII;
    this.#initialG1 = first.find((e) => e.slot === 'G1');
    const declared: CodeElement[] = [];
    for (const e of terms.flat()) if (!declared.includes(e)) declared.push(e);
    // The initial G0 set is always there to return to, even when no value names it.
    if (!declared.includes(this.#initialG0)) declared.unshift(this.#initialG0);
    this.#declared = declared;
    this.#fallbackG1 = declared.find((e) => e.slot === 'G1') ?? G1_LATIN_1;
  }

  decode(bytes: Uint8Array, rules: TextRules): string {
    const n = bytes.length;
    if (this.#initialG0 === G0_ASCII && firstSpecial(bytes, true) === n) return decodeAscii(bytes);
    // Every byte yields at most one code unit, so the output fits in n units.
    const units = new Uint16Array(n);
    let g0 = this.#initialG0;
    let g1 = this.#initialG1;
    let o = 0;
    let i = 0;
    while (i < n) {
      const b = bytes[i]!;
      if (b === ESC) {
        const { length, element } = readEscape(bytes, i);
        if (element === undefined) units[o++] = REPLACEMENT;
        else if (element.slot === 'G0') g0 = element;
        else g1 = element;
        i += length;
      } else if (b < 0x80) {
        const double = g0.double;
        if (b >= 0x21 && b <= 0x7e && double !== undefined) {
          // Inside a two-byte G0 set every GL byte, 0x5C '^' '=' included, is half a character.
          const b2 = bytes[i + 1] ?? 0;
          if (b2 >= 0x21 && b2 <= 0x7e) {
            units[o++] = double.decode(b, b2);
            i += 2;
          } else {
            units[o++] = REPLACEMENT;
            i += 1;
          }
          continue;
        }
        if (isReset(b, rules)) {
          g0 = this.#initialG0;
          g1 = this.#initialG1;
          units[o++] = b;
        } else if (b <= 0x20 || b === 0x7f || g0.single === undefined) {
          // C0 controls, SPACE and DEL mean the same whatever G0 holds (ISO/IEC 2022 §6.2).
          units[o++] = b;
        } else {
          units[o++] = g0.single.table[b]!;
        }
        i += 1;
      } else if (b < 0xa0) {
        units[o++] = b; // C1 controls
        i += 1;
      } else {
        const set = g1 ?? this.#fallbackG1;
        if (set.double !== undefined) {
          const b2 = bytes[i + 1] ?? 0;
          if (b >= 0xa1 && b <= 0xfe && b2 >= 0xa1 && b2 <= 0xfe) {
            units[o++] = set.double.decode(b & 0x7f, b2 & 0x7f);
            i += 2;
          } else {
            units[o++] = REPLACEMENT;
            i += 1;
          }
        } else {
          units[o++] = set.single!.table[b]!;
          i += 1;
        }
      }
    }
    return unitsToString(units, o);
  }

  /**
   * For each character: an active set that has it if no escape sequence is needed, otherwise
   * the first declared set that has it, after its escape sequence. Before every reset byte and at
   * the end of the value the initial sets are designated again (PS3.5 §6.1.2.5.3), so each value,
   * PN component and component group can be read on its own.
   *
   * Escape sequences are also repeated where ISO 2022 would not need them but decoders that read
   * the text as runs, each decoded by the one converter its escape sequence selects (DCMTK,
   * pydicom), would fail: a run started by a G0 escape holds only that set, a run started by a
   * G1 escape that set and ASCII. So 'ﾔﾏﾀﾞ山田ﾀﾛｳ' under ISO 2022 IR 13\ISO 2022 IR 87 gets an
   * ESC ) I before 'ﾀﾛｳ' although G1 still holds the katakana.
   */
  encode(text: string, rules: TextRules): Uint8Array {
    const sink = new ByteSink(text.length + 8);
    const initialG0 = this.#initialG0;
    const initialG1 = this.#initialG1;
    let g0 = initialG0;
    let g1 = initialG1;
    /** The set of the last escape sequence written; undefined while none was since the last reset. */
    let run: CodeElement | undefined;
    const designate = (e: CodeElement): void => {
      sink.push(ESC);
      sink.pushAll(e.escape);
      if (e.slot === 'G0') g0 = e;
      else g1 = e;
      run = e;
    };
    /** True when `e` is designated and a run decoder reads it without a new escape sequence. */
    const ready = (e: CodeElement): boolean => {
      if (e !== (e.slot === 'G0' ? g0 : g1)) return false;
      if (run === undefined) return e === initialG0 || e === initialG1;
      if (run.slot === 'G0') return e === run;
      return e === run || e === G0_ASCII || (run === G1_KATAKANA && e === G0_ROMAJI);
    };
    const restore = (): void => {
      if (g0 !== initialG0) designate(initialG0);
      if (g1 !== initialG1) {
        if (initialG1 === undefined) g1 = undefined;
        else designate(initialG1);
      }
      // Decoders return to the initial sets here too, whatever escape came last.
      run = undefined;
    };
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      if (u < 0x80 && isReset(u, rules)) {
        restore();
        sink.push(u);
        continue;
      }
      if (u < 0x20 || u === 0x7f) {
        // ESC in the text would be read as an escape sequence.
        if (u === ESC) throw cannotEncode(text, i, this.#name);
        sink.push(u);
        continue;
      }
      let code = ready(g0) ? encodeWith(g0, u, rules) : -1;
      if (code < 0 && g1 !== undefined && ready(g1)) code = encodeWith(g1, u, rules);
      if (code < 0) {
        const e = this.#declared.find((d) => encodeWith(d, u, rules) >= 0);
        if (e === undefined) throw cannotEncode(text, i, this.#name);
        designate(e);
        code = encodeWith(e, u, rules);
      }
      if (code > 0xff) sink.push(code >> 8);
      sink.push(code & 0xff);
    }
    restore();
    return sink.result();
  }
}

/**
 * The byte(s) of `u` in element `e` as invoked in DICOM (G0 in GL, G1 in GR), packed big-endian
 * in one number; -1 when `e` lacks it. SPACE counts as a G0 character so that it is written in
 * a single-byte G0 set, as ISO-2022-JP encoders do.
 */
function encodeWith(e: CodeElement, u: number, rules: TextRules): number {
  if (e.double !== undefined) {
    if (u < 0x80) return -1;
    const code = e.double.encode(u);
    return code < 0 ? -1 : e.slot === 'G0' ? code : code | 0x8080;
  }
  if (u === 0x20) return e.slot === 'G0' ? 0x20 : -1;
  const b = e.single!.encode(u);
  if (e.slot === 'G0') {
    // A byte that is structure (0x5C where it delimits values, say) cannot stand for another character.
    return b >= 0x21 && b <= 0x7e && !(isReset(b, rules) && b !== u) ? b : -1;
  }
  return b >= 0xa0 ? b : -1;
}
