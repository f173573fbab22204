import { type VR, vrInfo } from '../../core/vr.ts';
import { G0_ASCII } from './code-elements.ts';
import { type Codec, MULTI_VALUED, PERSON_NAME, SINGLE_VALUED, type TextRules } from './codec.ts';
import { Iso2022Codec } from './iso2022.ts';
import { Gb18030Codec, Utf8Codec } from './multi-byte.ts';
import { ASCII, SingleByteCodec } from './single-byte.ts';
import { type DefinedTerm, normalizeTerms } from './terms.ts';

const DEFAULT_CODEC = new SingleByteCodec(ASCII, 'ISO_IR 6 (the default repertoire)');

function rulesFor(vr: VR): TextRules {
  if (vr === 'PN') return PERSON_NAME;
  return vrInfo(vr).multiValued ? MULTI_VALUED : SINGLE_VALUED;
}

function onlyAscii(d: DefinedTerm): boolean {
  return d.set === ASCII || d.elements?.every((e) => e === G0_ASCII) === true;
}

function codecFor(defined: readonly DefinedTerm[], name: string): Codec {
  if (defined.every(onlyAscii)) return DEFAULT_CODEC;
  const first = defined[0]!;
  switch (first.kind) {
    case 'utf-8':
      return new Utf8Codec();
    case 'gb18030':
      return new Gb18030Codec(false);
    case 'gbk':
      return new Gb18030Codec(true);
    case 'single-byte':
      // normalizeTerms turns every single-byte term of a multi-valued list into its ISO 2022 form.
      return new SingleByteCodec(first.set!, name);
    default:
      return new Iso2022Codec(
        defined.map((d) => d.elements ?? []),
        name,
      );
  }
}

/** Recently read values of (0008,0005): most data sets of a study share one. */
const cache = new Map<string, SpecificCharacterSet>();
const CACHE_LIMIT = 64;

/**
 * The character repertoires of a data set, from Specific Character Set (0008,0005)
 * (PS3.3 §C.12.1.1.2, PS3.5 §6.1): turns the bytes of text values into strings and back.
 * Immutable; one instance serves any number of values.
 */
export class SpecificCharacterSet {
  /** The terms as understood after normalising their spelling, one per value kept; empty for the default. */
  readonly terms: readonly string[];
  /** What was not a defined term and how it was read instead. */
  readonly warnings: readonly string[];
  /** True when the only repertoire is the default (ASCII); lets callers take a fast path. */
  readonly isDefault: boolean;
  #codec: Codec;

  static #default = new SpecificCharacterSet([], [], DEFAULT_CODEC);

  private constructor(terms: readonly string[], warnings: readonly string[], codec: Codec) {
    this.terms = Object.freeze([...terms]);
    this.warnings = Object.freeze([...warnings]);
    this.#codec = codec;
    this.isDefault = codec === DEFAULT_CODEC;
  }

  /**
   * From the values of (0008,0005); undefined or empty means the default repertoire. Unknown or
   * misspelled terms ('ISO_IR100', 'ISO-IR 100', 'utf8') are read the way DCMTK and pydicom read
   * them (obvious spellings normalised, otherwise ISO 8859-1) and recorded in `warnings`, never
   * thrown.
   */
  static from(values: readonly string[] | undefined): SpecificCharacterSet {
    if (values === undefined || values.length === 0) return SpecificCharacterSet.#default;
    const key = values.join('\\');
    const cached = cache.get(key);
    if (cached !== undefined) return cached;
    const { terms, defined, warnings } = normalizeTerms(values);
    const name =
      terms.length === 0 ? 'ISO_IR 6 (the default repertoire)' : terms.map((t) => `'${t}'`).join('\\');
    const charset = new SpecificCharacterSet(terms, warnings, codecFor(defined, name));
    if (cache.size >= CACHE_LIMIT) cache.delete(cache.keys().next().value!);
    cache.set(key, charset);
    return charset;
  }

  /**
   * Decodes one whole element value (all its values with their backslash delimiters, padding
   * included or not) of a text VR. VRs that do not use the Specific Character Set (PS3.5 §6.1.2.3:
   * AE, CS, DA, UI, ...) are read with the default repertoire. Never throws: bytes that mean
   * nothing in the repertoire become U+FFFD (or, in the default repertoire, ISO 8859-1).
   */
  decode(bytes: Uint8Array, vr: VR): string {
    const codec = vrInfo(vr).usesCharset ? this.#codec : DEFAULT_CODEC;
    return codec.decode(bytes, rulesFor(vr));
  }

  /**
   * The inverse of `decode`: text to bytes, with the escape sequences ISO 2022 needs, no padding.
   * Throws DicomError('ERR_CHARSET') naming the first character the repertoire cannot encode.
   */
  encode(text: string, vr: VR): Uint8Array {
    const codec = vrInfo(vr).usesCharset ? this.#codec : DEFAULT_CODEC;
    return codec.encode(text, rulesFor(vr));
  }
}

/** The default repertoire (ISO-IR 6, PS3.5 §6.1.2.2): what applies when (0008,0005) is absent. */
export const DEFAULT_CHARACTER_SET: SpecificCharacterSet = SpecificCharacterSet.from(undefined);
