/**
 * Byte-swaps `bytes` in units of `unit` (2, 4 or 8) into a new array: the conversion
 * between little and big endian for binary VRs (PS3.5 §7.3). A trailing partial unit is
 * copied as it is; unit 1 returns the input.
 */
export function swapped(bytes: Uint8Array, unit: number): Uint8Array {
  if (unit <= 1) return bytes;
  const out = new Uint8Array(bytes.length);
  const whole = bytes.length - (bytes.length % unit);
  if (unit === 2) {
    for (let i = 0; i < whole; i += 2) {
      out[i] = bytes[i + 1]!;
      out[i + 1] = bytes[i]!;
    }
  } else {
    for (let i = 0; i < whole; i += unit)
      for (let j = 0; j < unit; j++) out[i + j] = bytes[i + unit - 1 - j]!;
  }
  out.set(bytes.subarray(whole), whole);
  return out;
}
