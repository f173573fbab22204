// Deterministic mutations of valid bytes, for the decoders' robustness tests: every input a
// peer or a file can hold must end in a value or a typed DicomError, never anything else.

/** xorshift32: the same sequence for the same seed, so a failure can be replayed. */
export function random(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 0x100000000;
  };
}

/**
 * One mutation of `bytes`: a flipped byte, a run of 0xFF or 0x00 (lengths that claim too
 * much or nothing), a truncation, a duplicated or deleted slice.
 */
export function mutate(bytes: Uint8Array, next: () => number): Uint8Array {
  const at = Math.floor(next() * bytes.length);
  const out = new Uint8Array(bytes);
  switch (Math.floor(next() * 6)) {
    case 0:
      out[at] = Math.floor(next() * 256);
      return out;
    case 1:
      out.fill(0xff, at, Math.min(bytes.length, at + 1 + Math.floor(next() * 4)));
      return out;
    case 2:
      out.fill(0x00, at, Math.min(bytes.length, at + 1 + Math.floor(next() * 4)));
      return out;
    case 3:
      return out.subarray(0, at);
    case 4: {
      const end = Math.min(bytes.length, at + 1 + Math.floor(next() * 64));
      const copy = new Uint8Array(bytes.length + (end - at));
      copy.set(bytes.subarray(0, end));
      copy.set(bytes.subarray(at), end);
      return copy;
    }
    default: {
      const end = Math.min(bytes.length, at + 1 + Math.floor(next() * 64));
      const copy = new Uint8Array(bytes.length - (end - at));
      copy.set(bytes.subarray(0, at));
      copy.set(bytes.subarray(end), at);
      return copy;
    }
  }
}
