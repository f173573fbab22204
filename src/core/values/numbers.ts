import { invalidValue, trimPadding } from './internal.ts';

/**
 * IS (Integer String) and DS (Decimal String), PS3.5 Table 6.2-1.
 *
 * The strict parsers follow the standard to the letter: only spaces as padding, the length
 * limits, the character set, the IS range. The lenient ones read what real files contain
 * (NUL padding, over-long values, '12.0' in an IS) and answer undefined rather than throw.
 * Each takes one value: split a multi-valued element on '\' first.
 */

/** PS3.5 Table 6.2-1: IS is at most 12 bytes, DS at most 16 (padding included). */
export const IS_MAX_LENGTH = 12;
export const DS_MAX_LENGTH = 16;
/** PS3.5 Table 6.2-1 IS: "-2^31 <= n <= (2^31 - 1)". */
export const IS_MIN = -(2 ** 31);
export const IS_MAX = 2 ** 31 - 1;

// PS3.5 Table 6.2-1 IS: "only the characters 0 - 9, with an optional leading '+' or '-'".
const IS_PATTERN = /^[+-]?[0-9]+$/;
// PS3.5 Table 6.2-1 DS: a fixed point number (digits, optional sign, optional '.') or a
// floating point number "as defined in ANSI X3.9, with an 'E' or 'e' to indicate the start
// of the exponent". X3.9 (FORTRAN 77) allows '1.', '.5' and an optionally signed exponent.
const DS_PATTERN = /^[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;

/** "It may be padded with leading and/or trailing spaces. Embedded spaces are not allowed." */
function trimSpaces(text: string): string {
  return text.replace(/^ +| +$/g, '');
}

// ---------------------------------------------------------------------------------------
// IS

export function parseIS(text: string): number {
  if (text.length > IS_MAX_LENGTH) {
    throw invalidValue('IS', text, `longer than ${IS_MAX_LENGTH} characters (PS3.5 Table 6.2-1)`);
  }
  const value = trimSpaces(text);
  if (!IS_PATTERN.test(value)) throw invalidValue('IS', text, 'expected an optionally signed integer');
  const n = Number(value);
  if (n < IS_MIN || n > IS_MAX) throw invalidValue('IS', text, 'out of range -2^31 to 2^31-1');
  // '-0' is a legal IS and means 0; an integer has no signed zero.
  return n === 0 ? 0 : n;
}

/**
 * Reads an IS as real files write it: any length, NUL or space padding, and integral values
 * written as decimals ('12.0', '1e3', which some writers produce). Undefined for an empty
 * value, garbage, a fraction, or a number beyond the safe-integer range.
 */
export function parseISLenient(text: string): number | undefined {
  const value = trimWhitespace(text);
  if (!IS_PATTERN.test(value) && !DS_PATTERN.test(value)) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n)) return undefined;
  return n === 0 ? 0 : n;
}

/** The decimal form of an integer in the IS range; throws ERR_INVALID_VALUE otherwise. */
export function formatIS(n: number): string {
  if (!Number.isInteger(n)) throw invalidValue('IS', String(n), 'not an integer');
  if (n < IS_MIN || n > IS_MAX) throw invalidValue('IS', String(n), 'out of range -2^31 to 2^31-1');
  // String(-0) is already '0'; the longest result, '-2147483648', is 11 characters.
  return String(n);
}

// ---------------------------------------------------------------------------------------
// DS

/** Throws on garbage, an over-long value, or a number too large for a double (e.g. '1e999'). */
export function parseDS(text: string): number {
  if (text.length > DS_MAX_LENGTH) {
    throw invalidValue('DS', text, `longer than ${DS_MAX_LENGTH} characters (PS3.5 Table 6.2-1)`);
  }
  const value = trimSpaces(text);
  if (!DS_PATTERN.test(value))
    throw invalidValue('DS', text, 'expected a decimal number such as 1.5 or 1.5e3');
  const n = Number(value);
  if (!Number.isFinite(n)) throw invalidValue('DS', text, 'too large for a 64-bit float');
  return n;
}

/**
 * Reads a DS as real files write it: any length, NUL or whitespace padding. Undefined for an
 * empty value, garbage (including 'NaN' and 'Inf', which DS cannot hold), or overflow.
 */
export function parseDSLenient(text: string): number | undefined {
  const value = trimWhitespace(text);
  if (!DS_PATTERN.test(value)) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The shortest DS for `n` that fits in 16 characters (PS3.5 Table 6.2-1), in the spirit of
 * pydicom's `format_number_as_ds`.
 *
 * Among the forms of at most 16 characters, the one that reads back closest to `n` wins
 * (exactly `n` whenever possible, with the fewest digits). At equal precision the notation
 * Python's repr uses for that magnitude wins (plain for 1e-4 <= |n| < 1e16, exponent
 * outside), so the exponent form appears only when the magnitude calls for it or plain
 * notation would lose precision: 1e15 is '1000000000000000', 1e16 is '1e16', 1/3 is
 * '0.33333333333333', 1.5e-10 is '1.5e-10', 1.234567890123456e-5 is '1.23456789012e-5'.
 * The exponent has no '+' or leading zeros, to save characters. Negative zero is written
 * '0'. Throws ERR_INVALID_VALUE for NaN and infinities, which DS cannot represent.
 */
export function formatDS(n: number): string {
  if (!Number.isFinite(n)) throw invalidValue('DS', String(n), 'NaN and infinities have no DS form');
  if (n === 0) return '0';
  let best: Candidate | undefined;
  // toExponential(p - 1) gives p significant digits, correctly rounded; 17 always round-trips.
  for (let p = 1; p <= 17; p++) {
    const [mantissa, exponentText] = n.toExponential(p - 1).split('e') as [string, string];
    const negative = mantissa.startsWith('-');
    const digits = mantissa.replace(/[-.]/g, '').replace(/0+$/, '') || '0';
    const exponent = Number(exponentText);
    // Python's repr, which pydicom starts from, writes plain notation for 1e-4 <= |n| < 1e16
    // and exponent notation outside; the same split decides ties here.
    const plainPreferred = exponent >= -4 && exponent < 16;
    const candidates = [
      { text: plainForm(negative, digits, exponent), preferred: plainPreferred },
      { text: exponentForm(negative, digits, exponent), preferred: !plainPreferred },
    ];
    for (const { text, preferred } of candidates) {
      if (text.length > DS_MAX_LENGTH) continue;
      const candidate = { text, error: Math.abs(Number(text) - n), preferred };
      if (best === undefined || isBetter(candidate, best)) best = candidate;
    }
    // An exact preferred form at the fewest digits cannot be beaten by more digits.
    if (best !== undefined && best.error === 0 && best.preferred) break;
  }
  // A 16-character budget always admits the exponent form with one digit.
  return best!.text;
}

interface Candidate {
  text: string;
  /** |Number(text) - n| */
  error: number;
  /** Whether this is the notation Python's repr would choose for n's magnitude. */
  preferred: boolean;
}

/** Closer to n first; at equal precision the preferred notation, then the shorter string. */
function isBetter(a: Candidate, b: Candidate): boolean {
  if (a.error !== b.error) return a.error < b.error;
  if (a.preferred !== b.preferred) return a.preferred;
  return a.text.length < b.text.length;
}

/** '123.45', '0.00012', '1200' from significant digits and the decimal exponent of the first. */
function plainForm(negative: boolean, digits: string, exponent: number): string {
  const sign = negative ? '-' : '';
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return sign + digits.padEnd(exponent + 1, '0');
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** '1.2345e-7', '1e20': no '+' and no leading zeros in the exponent, to save characters. */
function exponentForm(negative: boolean, digits: string, exponent: number): string {
  const mantissa = digits.length === 1 ? digits : `${digits[0]}.${digits.slice(1)}`;
  return `${negative ? '-' : ''}${mantissa}e${exponent}`;
}

function trimWhitespace(text: string): string {
  return trimPadding(text).trim();
}
