import { DicomError } from '../../core/errors.ts';

/**
 * Where the ISO 2022 state returns to its initial sets, and which bytes are structure rather
 * than text (PS3.5 §6.1.2.5.3, §6.2): the value delimiter for multi-valued VRs, and the
 * component and group delimiters of PN.
 */
export interface TextRules {
  /** BACKSLASH (0x5C) separates values (every text VR but LT, ST, UT, UR). */
  readonly multiValued: boolean;
  /** '^' separates components and '=' component groups (PS3.5 §6.2.1). */
  readonly personName: boolean;
}

export const SINGLE_VALUED: TextRules = Object.freeze({ multiValued: false, personName: false });
export const MULTI_VALUED: TextRules = Object.freeze({ multiValued: true, personName: false });
export const PERSON_NAME: TextRules = Object.freeze({ multiValued: true, personName: true });

/**
 * True for the bytes at which the active character sets return to the initial ones: TAB, LF,
 * FF, CR always, BACKSLASH for multi-valued VRs, '^' and '=' for PN (PS3.5 §6.1.2.5.3).
 */
export function isReset(b: number, rules: TextRules): boolean {
  switch (b) {
    case 0x09:
    case 0x0a:
    case 0x0c:
    case 0x0d:
      return true;
    case 0x5c:
      return rules.multiValued;
    case 0x5e:
    case 0x3d:
      return rules.personName;
    default:
      return false;
  }
}

/** One way of turning a whole element value into text and back. Stateless; shared freely. */
export interface Codec {
  decode(bytes: Uint8Array, rules: TextRules): string;
  /** Throws DicomError('ERR_CHARSET') for text it cannot encode. */
  encode(text: string, rules: TextRules): Uint8Array;
}

/** The error for the character at `index` of `text`, named by code point. */
export function cannotEncode(text: string, index: number, setName: string): DicomError {
  const cp = text.codePointAt(index) ?? 0;
  const hex = cp.toString(16).toUpperCase().padStart(4, '0');
  const shown = cp < 0x20 || (cp >= 0xd800 && cp <= 0xdfff) ? '' : `'${String.fromCodePoint(cp)}' `;
  return new DicomError(
    'ERR_CHARSET',
    `cannot encode ${shown}(U+${hex}) at index ${index} with Specific Character Set ${setName}`,
  );
}

/** A byte buffer that grows by doubling, for encoders whose output length is not known up front. */
export class ByteSink {
  #bytes: Uint8Array;
  #length = 0;

  constructor(capacity: number) {
    this.#bytes = new Uint8Array(Math.max(16, capacity));
  }

  push(b: number): void {
    if (this.#length === this.#bytes.length) this.#grow(1);
    this.#bytes[this.#length++] = b;
  }

  pushAll(bytes: Uint8Array): void {
    if (this.#length + bytes.length > this.#bytes.length) this.#grow(bytes.length);
    this.#bytes.set(bytes, this.#length);
    this.#length += bytes.length;
  }

  /** The bytes written, as a view when the buffer is full and a copy trimmed to length otherwise. */
  result(): Uint8Array {
    return this.#length === this.#bytes.length ? this.#bytes : this.#bytes.slice(0, this.#length);
  }

  #grow(extra: number): void {
    const next = new Uint8Array(Math.max(this.#bytes.length * 2, this.#length + extra));
    next.set(this.#bytes.subarray(0, this.#length));
    this.#bytes = next;
  }
}
