/**
 * Reads a character set's mapping out of the platform's `TextDecoder`, so that dicomkit ships no
 * mapping tables of its own: every code in a code space is decoded once, lazily, and the
 * results become both the decode table and (inverted) the encode table of that set.
 */

const SEPARATOR = 0x0a;

/**
 * Decodes `count` byte sequences of `width` bytes each (packed one after the other in `codes`)
 * and returns the code point each decodes to, or -1 when the decoder rejects it.
 *
 * The sequences go through one decoder call with a LF after each: the WHATWG decoders never
 * swallow an ASCII byte into a multi-byte character (an invalid sequence gives U+FFFD and the
 * ASCII byte is read again), so the output splits back into exactly one piece per sequence
 * even when some sequences are invalid.
 */
export function decodeEach(label: string, codes: Uint8Array, width: number): Int32Array {
  const count = codes.length / width;
  const input = new Uint8Array(count * (width + 1));
  for (let i = 0; i < count; i++) {
    input.set(codes.subarray(i * width, i * width + width), i * (width + 1));
    input[i * (width + 1) + width] = SEPARATOR;
  }
  const pieces = new TextDecoder(label).decode(input).split('\n');
  // The text ends with a separator, so the split leaves one empty piece at the end.
  if (pieces.length !== count + 1) throw new Error(`decoder '${label}' did not keep its input aligned`);
  const result = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    const piece = pieces[i]!;
    const cp = piece.codePointAt(0);
    const single = cp !== undefined && piece.length === (cp > 0xffff ? 2 : 1);
    result[i] = single && cp !== 0xfffd ? cp : -1;
  }
  return result;
}

/** True for the Private Use Area of the BMP, where decoders put codes a standard left undefined. */
export function isPrivateUse(cp: number): boolean {
  return cp >= 0xe000 && cp <= 0xf8ff;
}
