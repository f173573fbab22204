/**
 * Test helpers: byte strings written the way pydicom prints them ('\x1b$B;3ED'), each character
 * standing for one byte.
 */

export function bytes(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => {
    const b = c.charCodeAt(0);
    if (b > 0xff) throw new Error(`not a byte: U+${b.toString(16)}`);
    return b;
  });
}

export function latin1(data: Uint8Array): string {
  return String.fromCharCode(...data);
}
