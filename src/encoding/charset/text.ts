/**
 * Fast paths shared by the codecs: most DICOM text is ASCII, and these turn bytes into a string
 * without building anything but the string itself.
 */

// ASCII is a subset of UTF-8, and the platform's UTF-8 decoder is the fastest bytes->string path.
const utf8 = new TextDecoder('utf-8');

const CHUNK = 8192;

/** Index of the first byte that is not 7-bit (>= 0x80) or, with `stopAtEscape`, is ESC; else the length. */
export function firstSpecial(bytes: Uint8Array, stopAtEscape: boolean): number {
  const n = bytes.length;
  let i = 0;
  if (stopAtEscape) {
    while (i < n) {
      const b = bytes[i]!;
      if (b >= 0x80 || b === 0x1b) break;
      i++;
    }
  } else {
    while (i < n && bytes[i]! < 0x80) i++;
  }
  return i;
}

/** Bytes known to be all below 0x80. */
export function decodeAscii(bytes: Uint8Array): string {
  return utf8.decode(bytes);
}

/**
 * ISO 8859-1 exactly: byte b is U+00bb, 0x80-0x9F included (the platform's 'iso-8859-1' label is
 * really windows-1252, so it cannot be used here).
 */
export function decodeLatin1(bytes: Uint8Array): string {
  if (firstSpecial(bytes, false) === bytes.length) return utf8.decode(bytes);
  return unitsToString(bytes, bytes.length);
}

/** The first `length` UTF-16 code units of `units` as a string. */
export function unitsToString(units: Uint8Array | Uint16Array, length: number): string {
  if (length <= CHUNK)
    return String.fromCharCode.apply(null, units.subarray(0, length) as unknown as number[]);
  let text = '';
  for (let i = 0; i < length; i += CHUNK) {
    const end = Math.min(i + CHUNK, length);
    text += String.fromCharCode.apply(null, units.subarray(i, end) as unknown as number[]);
  }
  return text;
}
