import { DicomError } from '../core/errors.ts';

/**
 * Base64 (RFC 4648 §4, the alphabet PS3.18 §F.2.7 InlineBinary uses) without Node's Buffer, so
 * the JSON layer runs in browsers too. Both directions work on whole typed arrays with lookup
 * tables: no per-byte string concatenation, a few milliseconds per megabyte.
 */

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const PAD = 0x3d; // '='

/** Character code of each 6-bit value. */
const ENCODE = new Uint8Array(64);
/** 6-bit value of each character code; 64 for whitespace (skipped), 255 for anything else. */
const DECODE = new Uint8Array(256).fill(255);
for (let i = 0; i < 64; i++) {
  ENCODE[i] = ALPHABET.charCodeAt(i);
  DECODE[ALPHABET.charCodeAt(i)] = i;
}
for (const c of [0x09, 0x0a, 0x0d, 0x20]) DECODE[c] = 64;

/** The output is ASCII, so any single-byte decoder turns it into a string natively. */
const ASCII_DECODER = new TextDecoder('latin1');

export function encodeBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  const whole = n - (n % 3);
  let o = 0;
  for (let i = 0; i < whole; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o] = ENCODE[v >>> 18]!;
    out[o + 1] = ENCODE[(v >>> 12) & 63]!;
    out[o + 2] = ENCODE[(v >>> 6) & 63]!;
    out[o + 3] = ENCODE[v & 63]!;
    o += 4;
  }
  const rest = n - whole;
  if (rest === 1) {
    const v = bytes[whole]!;
    out[o] = ENCODE[v >>> 2]!;
    out[o + 1] = ENCODE[(v & 3) << 4]!;
    out[o + 2] = PAD;
    out[o + 3] = PAD;
  } else if (rest === 2) {
    const v = (bytes[whole]! << 8) | bytes[whole + 1]!;
    out[o] = ENCODE[v >>> 10]!;
    out[o + 1] = ENCODE[(v >>> 4) & 63]!;
    out[o + 2] = ENCODE[(v & 15) << 2]!;
    out[o + 3] = PAD;
  }
  return ASCII_DECODER.decode(out);
}

function invalid(message: string): DicomError {
  return new DicomError('ERR_JSON', `InlineBinary is not valid base64: ${message}`);
}

/**
 * Decodes base64; padding is optional and ASCII whitespace (line breaks of MIME-style
 * producers) is skipped. Anything else outside the alphabet throws DicomError('ERR_JSON').
 */
export function decodeBase64(text: string): Uint8Array {
  let end = text.length;
  // Padding may only end the text; count it off first so the loop sees data characters only.
  while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  let padding = 0;
  while (end > 0 && text.charCodeAt(end - 1) === PAD && padding < 2) {
    end--;
    padding++;
    while (end > 0 && isSpace(text.charCodeAt(end - 1))) end--;
  }
  const out = new Uint8Array(Math.floor((end * 3) / 4));
  let o = 0;
  let i = 0;
  // Fast path: whole groups of four alphabet characters; leaves at the first other character.
  const whole = end - (end & 3);
  for (; i < whole; i += 4) {
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    if ((c0 | c1 | c2 | c3) > 0x7f) break;
    const a = DECODE[c0]!;
    const b = DECODE[c1]!;
    const c = DECODE[c2]!;
    const d = DECODE[c3]!;
    if ((a | b | c | d) > 63) break;
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    out[o] = v >>> 16;
    out[o + 1] = (v >>> 8) & 0xff;
    out[o + 2] = v & 0xff;
    o += 3;
  }
  let acc = 0;
  let count = 0;
  for (; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 256 ? DECODE[c]! : 255;
    if (v === 64) continue;
    if (v === 255) throw invalid(`character '${text[i]}' at ${i}`);
    acc = (acc << 6) | v;
    if (++count === 4) {
      out[o] = acc >>> 16;
      out[o + 1] = (acc >>> 8) & 0xff;
      out[o + 2] = acc & 0xff;
      o += 3;
      acc = 0;
      count = 0;
    }
  }
  if (count === 1) throw invalid('length leaves a single character');
  if (padding > 0 && ((count + padding) & 3) !== 0) throw invalid('padding does not complete a group');
  if (count === 2) {
    out[o++] = acc >>> 4;
  } else if (count === 3) {
    out[o++] = acc >>> 10;
    out[o++] = (acc >>> 2) & 0xff;
  }
  return o === out.length ? out : out.subarray(0, o);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
}
