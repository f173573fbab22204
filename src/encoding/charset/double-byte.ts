import { decodeEach, isPrivateUse } from './code-space.ts';

const REPLACEMENT = 0xfffd;
const SIZE = 94 * 94;

interface DoubleByteOptions {
  /** Bytes before the two GR bytes in the platform encoding (0x8F for JIS X 0212 in EUC-JP). */
  prefix?: readonly number[];
  /** 7-bit code -> code point where the set's standard mapping differs from the platform decoder. */
  overrides?: readonly (readonly [code: number, cp: number])[];
  /** Further code points encoded to a code, read back as the code's standard character. */
  aliases?: readonly (readonly [cp: number, code: number])[];
  /** Rows (1-94) that are vendor extensions: decoded for leniency, never produced by encode. */
  extensionRows?: readonly number[];
}

/**
 * A 94×94 set of two-byte characters (JIS X 0208, JIS X 0212, KS X 1001, GB 2312; PS3.3 Table
 * C.12-4), addressed by its 7-bit code (both bytes 0x21-0x7E). The mapping is read lazily from the
 * platform's EUC decoder, which puts the same set in GR (both bytes | 0x80).
 */
export class DoubleByteSet {
  readonly name: string;
  #label: string;
  #options: DoubleByteOptions;
  #table: Uint16Array | undefined;
  /** Code unit -> table index + 1; 0 when not encodable. */
  #reverse: Uint16Array | undefined;
  /** What the platform decoder gave for the overridden codes, kept for encoding. */
  #replaced: (readonly [cp: number, code: number])[] = [];

  constructor(name: string, label: string, options: DoubleByteOptions = {}) {
    this.name = name;
    this.#label = label;
    this.#options = options;
  }

  /** The code unit of the character at 7-bit bytes `b1`, `b2` (0x21-0x7E); U+FFFD when undefined. */
  decode(b1: number, b2: number): number {
    this.#table ??= this.#build();
    return this.#table[(b1 - 0x21) * 94 + (b2 - 0x21)]!;
  }

  /** The 7-bit code `(b1 << 8) | b2` of `unit`, or -1 when this set does not have it. */
  encode(unit: number): number {
    this.#reverse ??= this.#buildReverse();
    const entry = this.#reverse[unit]!;
    if (entry === 0) return -1;
    const index = entry - 1;
    return ((Math.floor(index / 94) + 0x21) << 8) | ((index % 94) + 0x21);
  }

  #build(): Uint16Array {
    const prefix = this.#options.prefix ?? [];
    const width = prefix.length + 2;
    const codes = new Uint8Array(SIZE * width);
    let o = 0;
    for (let r = 0; r < 94; r++) {
      for (let c = 0; c < 94; c++) {
        for (const p of prefix) codes[o++] = p;
        codes[o++] = 0xa1 + r;
        codes[o++] = 0xa1 + c;
      }
    }
    const decoded = decodeEach(this.#label, codes, width);
    const table = new Uint16Array(SIZE);
    for (let i = 0; i < SIZE; i++) {
      const cp = decoded[i]!;
      table[i] = cp < 0 || cp > 0xffff ? REPLACEMENT : cp;
    }
    for (const [code, cp] of this.#options.overrides ?? []) {
      const original = table[indexOf(code)]!;
      if (original !== cp) this.#replaced.push([original, code]);
      table[indexOf(code)] = cp;
    }
    return table;
  }

  #buildReverse(): Uint16Array {
    this.#table ??= this.#build();
    const table = this.#table;
    const skip = new Set(this.#options.extensionRows ?? []);
    const reverse = new Uint16Array(0x10000);
    for (let i = 0; i < SIZE; i++) {
      const u = table[i]!;
      // Codes a standard leaves undefined come out of the platform decoders as private use characters.
      if (u === REPLACEMENT || isPrivateUse(u) || skip.has(Math.floor(i / 94) + 1)) continue;
      if (reverse[u] === 0) reverse[u] = i + 1;
    }
    // What the platform decoder says for an overridden code still encodes to it (e.g. U+FF5E
    // FULLWIDTH TILDE, which Windows and the WHATWG decoder give for JIS X 0208 0x2141 WAVE DASH).
    for (const [cp, code] of [...(this.#options.aliases ?? []), ...this.#replaced]) {
      if (cp !== REPLACEMENT && reverse[cp] === 0) reverse[cp] = indexOf(code) + 1;
    }
    return reverse;
  }
}

function indexOf(code: number): number {
  return ((code >> 8) - 0x21) * 94 + ((code & 0xff) - 0x21);
}

/**
 * JIS X 0208 (ISO-IR 87). The overrides restore the JIS mapping that iconv (DCMTK) and Python
 * (pydicom) use where the WHATWG/ICU EUC-JP decoder follows Windows; rows 13 and 89-92 are the
 * NEC and IBM extensions of CP932, read but not written.
 */
export const JIS_X_0208 = new DoubleByteSet('JIS X 0208', 'euc-jp', {
  overrides: [
    [0x2141, 0x301c], // WAVE DASH, not FULLWIDTH TILDE
    [0x2142, 0x2016], // DOUBLE VERTICAL LINE, not PARALLEL TO
    [0x215d, 0x2212], // MINUS SIGN, not FULLWIDTH HYPHEN-MINUS
    [0x2171, 0x00a2], // CENT SIGN
    [0x2172, 0x00a3], // POUND SIGN
    [0x224c, 0x00ac], // NOT SIGN
  ],
  extensionRows: [13, 89, 90, 91, 92],
});

/** JIS X 0212 (ISO-IR 159), in EUC-JP after SS3 (0x8F); row 83 is an IBM extension. */
export const JIS_X_0212 = new DoubleByteSet('JIS X 0212', 'euc-jp', {
  prefix: [0x8f],
  overrides: [[0x2237, 0x007e]], // TILDE, which JIS X 0201 Romaji lacks
  extensionRows: [83],
});

/** KS X 1001 (ISO-IR 149), with the EURO SIGN and REGISTERED SIGN that its 1998 edition added. */
export const KS_X_1001 = new DoubleByteSet('KS X 1001', 'euc-kr', {
  overrides: [
    [0x2266, 0x20ac],
    [0x2267, 0x00ae],
  ],
});

/**
 * GB 2312 (ISO-IR 58), read through GB18030, whose mapping of 0x2124 (U+00B7 MIDDLE DOT, the
 * separator of transliterated names) and 0x212A (U+2014 EM DASH) is what Chinese text uses; the
 * characters of the original GB 2312 mapping are still accepted when encoding.
 */
export const GB_2312 = new DoubleByteSet('GB 2312', 'gb18030', {
  aliases: [
    [0x30fb, 0x2124],
    [0x2015, 0x212a],
  ],
});
