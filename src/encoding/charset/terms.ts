import {
  type CodeElement,
  G0_ASCII,
  G0_JIS_X_0208,
  G0_JIS_X_0212,
  G0_ROMAJI,
  G1_ARABIC,
  G1_CYRILLIC,
  G1_GB_2312,
  G1_GREEK,
  G1_HEBREW,
  G1_KATAKANA,
  G1_KS_X_1001,
  G1_LATIN_1,
  G1_LATIN_2,
  G1_LATIN_3,
  G1_LATIN_4,
  G1_LATIN_5,
  G1_LATIN_9,
  G1_THAI,
} from './code-elements.ts';
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
  type SingleByteSet,
  THAI,
} from './single-byte.ts';

export type TermKind = 'single-byte' | 'iso-2022' | 'utf-8' | 'gb18030' | 'gbk';

/** A defined term of Specific Character Set (0008,0005), PS3.3 §C.12.1.1.2. */
export interface DefinedTerm {
  readonly term: string;
  readonly kind: TermKind;
  /** For 'single-byte' (Table C.12-2): the one 8-bit set, no code extensions. */
  readonly set?: SingleByteSet;
  /** For 'iso-2022' (Tables C.12-3 and C.12-4): the code elements the term brings in. */
  readonly elements?: readonly CodeElement[];
}

const single = (term: string, set: SingleByteSet): DefinedTerm => ({ term, kind: 'single-byte', set });
const iso2022 = (term: string, ...elements: CodeElement[]): DefinedTerm => ({
  term,
  kind: 'iso-2022',
  elements,
});

const TERMS: ReadonlyMap<string, DefinedTerm> = new Map(
  (
    [
      // Table C.12-2: single-byte, without code extensions. ISO_IR 6 is not listed there (the
      // default repertoire is "no value") but is common and unambiguous.
      single('ISO_IR 6', ASCII),
      single('ISO_IR 100', LATIN_1),
      single('ISO_IR 101', LATIN_2),
      single('ISO_IR 109', LATIN_3),
      single('ISO_IR 110', LATIN_4),
      single('ISO_IR 144', CYRILLIC),
      single('ISO_IR 127', ARABIC),
      single('ISO_IR 126', GREEK),
      single('ISO_IR 138', HEBREW),
      single('ISO_IR 148', LATIN_5),
      single('ISO_IR 203', LATIN_9),
      single('ISO_IR 13', JIS_X_0201),
      single('ISO_IR 166', THAI),
      // Table C.12-3: single-byte, with code extensions. Each brings ASCII (or JIS X 0201
      // Romaji) as G0 and its 96-character set as G1.
      iso2022('ISO 2022 IR 6', G0_ASCII),
      iso2022('ISO 2022 IR 100', G0_ASCII, G1_LATIN_1),
      iso2022('ISO 2022 IR 101', G0_ASCII, G1_LATIN_2),
      iso2022('ISO 2022 IR 109', G0_ASCII, G1_LATIN_3),
      iso2022('ISO 2022 IR 110', G0_ASCII, G1_LATIN_4),
      iso2022('ISO 2022 IR 144', G0_ASCII, G1_CYRILLIC),
      iso2022('ISO 2022 IR 127', G0_ASCII, G1_ARABIC),
      iso2022('ISO 2022 IR 126', G0_ASCII, G1_GREEK),
      iso2022('ISO 2022 IR 138', G0_ASCII, G1_HEBREW),
      iso2022('ISO 2022 IR 148', G0_ASCII, G1_LATIN_5),
      iso2022('ISO 2022 IR 203', G0_ASCII, G1_LATIN_9),
      iso2022('ISO 2022 IR 13', G0_ROMAJI, G1_KATAKANA),
      iso2022('ISO 2022 IR 166', G0_ASCII, G1_THAI),
      // Table C.12-4: multi-byte, with code extensions.
      iso2022('ISO 2022 IR 87', G0_JIS_X_0208),
      iso2022('ISO 2022 IR 159', G0_JIS_X_0212),
      iso2022('ISO 2022 IR 149', G1_KS_X_1001),
      iso2022('ISO 2022 IR 58', G1_GB_2312),
      // Table C.12-5: multi-byte, without code extensions; each must be the only value.
      { term: 'ISO_IR 192', kind: 'utf-8' },
      { term: 'GB18030', kind: 'gb18030' },
      { term: 'GBK', kind: 'gbk' },
    ] satisfies DefinedTerm[]
  ).map((t): [string, DefinedTerm] => [t.term, t]),
);

/** The first value when (0008,0005) has several and value 1 is empty (PS3.3 §C.12.1.1.2). */
const EMPTY_FIRST = iso2022('', G0_ASCII);

const ISO_8859_PART: Readonly<Record<number, number>> = {
  1: 100,
  2: 101,
  3: 109,
  4: 110,
  5: 144,
  6: 127,
  7: 126,
  8: 138,
  9: 148,
  11: 166,
  15: 203,
};
const LATIN_PART: Readonly<Record<number, number>> = { 1: 100, 2: 101, 3: 109, 4: 110, 5: 148, 9: 203 };

const SEP = '[\\s_-]*';
const ISO_IR = new RegExp(`^ISO${SEP}IR${SEP}(\\d+)$`);
const ISO_2022_IR = new RegExp(`^ISO${SEP}2022${SEP}IR${SEP}(\\d+)$`);
const ISO_8859 = new RegExp(`^(?:ISO${SEP})?8859${SEP}(\\d+)$`);
const LATIN = new RegExp(`^LATIN${SEP}(\\d)$`);

/**
 * The defined term that `value` most likely means, as DCMTK and pydicom read common misspellings
 * ('ISO_IR100', 'ISO-IR 100', 'iso_ir 100', 'utf8', 'ISO-8859-1', 'GB2312'), or undefined.
 * With several values, 'ISO_IR n' means 'ISO 2022 IR n' (pydicom does the same).
 */
function respell(value: string, multiple: boolean): string | undefined {
  const upper = value.toUpperCase();
  let term: string | undefined;
  let m: RegExpExecArray | null;
  if (TERMS.has(value)) term = value;
  else if (TERMS.has(upper)) term = upper;
  else if ((m = ISO_2022_IR.exec(upper))) term = `ISO 2022 IR ${Number(m[1])}`;
  else if ((m = ISO_IR.exec(upper))) term = `ISO_IR ${Number(m[1])}`;
  else if ((m = ISO_8859.exec(upper)) && ISO_8859_PART[Number(m[1])])
    term = `ISO_IR ${ISO_8859_PART[Number(m[1])]}`;
  else if ((m = LATIN.exec(upper)) && LATIN_PART[Number(m[1])]) term = `ISO_IR ${LATIN_PART[Number(m[1])]}`;
  else if (new RegExp(`^UTF${SEP}8$`).test(upper)) term = 'ISO_IR 192';
  else if (new RegExp(`^GB${SEP}18030$`).test(upper)) term = 'GB18030';
  else if (new RegExp(`^(?:GB${SEP}2312|EUC${SEP}CN)$`).test(upper)) term = 'ISO 2022 IR 58';
  if (term === undefined) return undefined;
  if (term === 'ISO 2022 IR 192') term = 'ISO_IR 192';
  const extended = term.replace('ISO_IR ', 'ISO 2022 IR ');
  // The multi-byte ISO 2022 sets have no 'ISO_IR' spelling; value 1 designates them initially.
  if (term !== extended && TERMS.has(extended) && (multiple || !TERMS.has(term))) term = extended;
  return TERMS.has(term) ? term : undefined;
}

export interface NormalizedTerms {
  /** The terms as understood, one per value kept; empty for the default repertoire. */
  readonly terms: readonly string[];
  readonly defined: readonly DefinedTerm[];
  readonly warnings: readonly string[];
}

/**
 * Reads the values of (0008,0005). Never throws: what cannot be understood is reported in
 * `warnings` and replaced by the fallback DCMTK and pydicom use (ISO 8859-1) or dropped.
 */
export function normalizeTerms(values: readonly string[] | undefined): NormalizedTerms {
  const raw = (values ?? []).map((v) => v.replace(/^[\s\0]+|[\s\0]+$/g, ''));
  if (raw.length === 0 || (raw.length === 1 && raw[0] === ''))
    return { terms: [], defined: [], warnings: [] };
  const multiple = raw.length > 1;
  const terms: string[] = [];
  const defined: DefinedTerm[] = [];
  const warnings: string[] = [];
  for (let i = 0; i < raw.length; i++) {
    const value = raw[i]!;
    if (value === '') {
      // Only value 1 may be empty: it then stands for ISO 2022 IR 6 (PS3.3 §C.12.1.1.2).
      if (i === 0) {
        terms.push('');
        defined.push(EMPTY_FIRST);
      } else warnings.push(`value ${i + 1} of Specific Character Set is empty; ignored`);
      continue;
    }
    let term = respell(value, multiple);
    if (term === undefined) {
      if (i > 0) {
        warnings.push(`unknown Specific Character Set '${value}'; ignored`);
        continue;
      }
      term = multiple ? 'ISO 2022 IR 100' : 'ISO_IR 100';
      warnings.push(`unknown Specific Character Set '${value}'; text is read as ISO 8859-1 ('${term}')`);
    } else if (term !== value) {
      warnings.push(`'${value}' is not a defined term of Specific Character Set; read as '${term}'`);
    }
    if (terms.includes(term)) {
      warnings.push(`Specific Character Set '${term}' is repeated; ignored`);
      continue;
    }
    terms.push(term);
    defined.push(TERMS.get(term)!);
  }
  // UTF-8, GB18030 and GBK allow no code extensions, so they must stand alone (PS3.3 §C.12.1.1.2).
  const alone = defined.findIndex((d) => d.kind === 'utf-8' || d.kind === 'gb18030' || d.kind === 'gbk');
  if (alone >= 0 && defined.length > 1) {
    warnings.push(`'${terms[alone]}' cannot be combined with other character sets; the others are ignored`);
    return { terms: [terms[alone]!], defined: [defined[alone]!], warnings };
  }
  return { terms, defined, warnings };
}
