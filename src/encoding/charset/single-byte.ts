import { decodeEach, isPrivateUse } from './code-space.ts';
import { type Codec, cannotEncode, type TextRules } from './codec.ts';
import { decodeAscii, decodeLatin1, firstSpecial, unitsToString } from './text.ts';

const REPLACEMENT = 0xfffd;

/**
 * An 8-bit character set: the 256-entry table from bytes to UTF-16 code units, and its inverse.
 * In ISO 2022 terms the low half is a G0 set and the high half (0xA0-0xFF) a G1 set; the same
 * object serves both the terms without code extensions (PS3.3 Table C.12-2) and the code
 * elements of the terms with them (Table C.12-3).
 */
export class SingleByteSet {
  readonly name: string;
  /** Byte b decodes to U+00bb for every byte (ISO 8859-1), so no table lookup is needed. */
  readonly identity: boolean;
  /** Bytes 0x00-0x7F decode to ASCII. */
  readonly asciiCompatible: boolean;
  #build: () => Uint16Array;
  #encodable: (byte: number) => boolean;
  #table: Uint16Array | undefined;
  #reverse: Map<number, number> | undefined;

  constructor(
    name: string,
    build: () => Uint16Array,
    options: { identity?: boolean; asciiCompatible?: boolean; encodable?: (byte: number) => boolean } = {},
  ) {
    this.name = name;
    this.identity = options.identity ?? false;
    this.asciiCompatible = options.asciiCompatible ?? true;
    this.#build = build;
    this.#encodable = options.encodable ?? (() => true);
  }

  /** Byte -> code unit; U+FFFD where the set defines nothing. Built on first use. */
  get table(): Uint16Array {
    this.#table ??= this.#build();
    return this.#table;
  }

  /** The byte that decodes to `unit`, or -1. The lowest byte wins when two decode alike. */
  encode(unit: number): number {
    const table = this.table;
    if (unit < 0x80 && table[unit] === unit) return this.#encodable(unit) ? unit : -1;
    if (this.#reverse === undefined) {
      const reverse = new Map<number, number>();
      for (let b = 0; b < 256; b++) {
        const u = table[b]!;
        if (u !== REPLACEMENT && this.#encodable(b) && !reverse.has(u)) reverse.set(u, b);
      }
      this.#reverse = reverse;
    }
    return this.#reverse.get(unit) ?? -1;
  }
}

function identityTable(): Uint16Array {
  const table = new Uint16Array(256);
  for (let b = 0; b < 256; b++) table[b] = b;
  return table;
}

/**
 * A part of ISO 8859 read from the platform decoder. Only 0xA0-0xFF are asked for: 0x00-0x7F are
 * ASCII and 0x80-0x9F the C1 controls in every part, whereas the WHATWG labels 'iso-8859-9' and
 * 'iso-8859-11' are really windows-1254 and windows-874, which put printable characters there.
 * windows-874 puts the codes TIS 620 leaves undefined in the Private Use Area; those become U+FFFD.
 */
function iso8859(name: string, label: string): SingleByteSet {
  return new SingleByteSet(name, () => {
    const table = identityTable();
    const high = new Uint8Array(0x60);
    for (let i = 0; i < 0x60; i++) high[i] = 0xa0 + i;
    const decoded = decodeEach(label, high, 1);
    for (let i = 0; i < 0x60; i++) {
      const cp = decoded[i]!;
      table[0xa0 + i] = cp < 0 || cp > 0xffff || isPrivateUse(cp) ? REPLACEMENT : cp;
    }
    return table;
  });
}

/**
 * The default repertoire (ISO-IR 6, PS3.5 §6.1.2.2). Only ASCII is encoded, but bytes above 0x7F,
 * which a conformant value cannot contain, are read as ISO 8859-1 like pydicom and DCMTK do, so
 * that a mislabelled file still shows its text.
 */
export const ASCII = new SingleByteSet('ISO_IR 6', identityTable, {
  identity: true,
  encodable: (b) => b < 0x80,
});
export const LATIN_1 = new SingleByteSet('ISO_IR 100', identityTable, { identity: true });
export const LATIN_2 = iso8859('ISO_IR 101', 'iso-8859-2');
export const LATIN_3 = iso8859('ISO_IR 109', 'iso-8859-3');
export const LATIN_4 = iso8859('ISO_IR 110', 'iso-8859-4');
export const CYRILLIC = iso8859('ISO_IR 144', 'iso-8859-5');
export const ARABIC = iso8859('ISO_IR 127', 'iso-8859-6');
export const GREEK = iso8859('ISO_IR 126', 'iso-8859-7');
export const HEBREW = iso8859('ISO_IR 138', 'iso-8859-8');
export const LATIN_5 = iso8859('ISO_IR 148', 'windows-1254');
export const THAI = iso8859('ISO_IR 166', 'windows-874');
export const LATIN_9 = iso8859('ISO_IR 203', 'iso-8859-15');

/**
 * JIS X 0201 (ISO_IR 13): Romaji in 0x00-0x7F, which is ASCII but for YEN SIGN at 0x5C and
 * OVERLINE at 0x7E, and half-width katakana in 0xA1-0xDF. Where BACKSLASH delimits values, 0x5C
 * is the delimiter, not a yen sign (PS3.5 §6.1.2.3, §6.2): the codecs check that first.
 */
export const JIS_X_0201 = new SingleByteSet(
  'ISO_IR 13',
  () => {
    const table = identityTable();
    table[0x5c] = 0x00a5;
    table[0x7e] = 0x203e;
    table[0xa0] = REPLACEMENT;
    for (let b = 0xa1; b <= 0xdf; b++) table[b] = 0xff61 + (b - 0xa1);
    for (let b = 0xe0; b <= 0xff; b++) table[b] = REPLACEMENT;
    return table;
  },
  { asciiCompatible: false },
);

/** A defined term without code extensions whose set is one of the above (PS3.3 Table C.12-2). */
export class SingleByteCodec implements Codec {
  #set: SingleByteSet;
  #name: string;

  constructor(set: SingleByteSet, name: string) {
    this.#set = set;
    this.#name = name;
  }

  decode(bytes: Uint8Array, rules: TextRules): string {
    const set = this.#set;
    if (set.identity) return decodeLatin1(bytes);
    const n = bytes.length;
    if (set.asciiCompatible && firstSpecial(bytes, false) === n) return decodeAscii(bytes);
    const table = set.table;
    const units = new Uint16Array(n);
    for (let i = 0; i < n; i++) {
      const b = bytes[i]!;
      units[i] = b === 0x5c && rules.multiValued ? 0x5c : table[b]!;
    }
    return unitsToString(units, n);
  }

  encode(text: string, rules: TextRules): Uint8Array {
    const n = text.length;
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const u = text.charCodeAt(i);
      if (u === 0x5c && rules.multiValued) {
        out[i] = 0x5c;
        continue;
      }
      const b = this.#set.encode(u);
      // A character that would come out as 0x5C (YEN SIGN in JIS X 0201) would read back as a delimiter.
      if (b < 0 || (b === 0x5c && rules.multiValued)) throw cannotEncode(text, i, this.#name);
      out[i] = b;
    }
    return out;
  }
}
