import { DicomError } from '../../core/errors.ts';

/**
 * A JPEG Lossless encoder, Process 14 with selection value 1 (ITU T.81 Annex H; the DICOM
 * syntax 1.2.840.10008.1.2.4.70, PS3.5 §8.2.1): one SOF3 frame, one interleaved scan,
 * predictor 1 (Ra; the first line from the left, the first column from above, the first
 * sample from 2^(P-1)), no point transform, and one Huffman table per image built from the
 * difference categories' counts (Annex K.2). Samples are unsigned P-bit values; signed
 * DICOM pixels are coded as their P-bit two's complement patterns, as DCMTK and GDCM do.
 */

export interface LosslessImage {
  width: number;
  height: number;
  components: number;
  /** Sample precision P, 2-16 (Bits Stored). */
  precision: number;
  /** Colour-by-pixel samples, each < 2^P. */
  samples: ArrayLike<number>;
}

/** Difference category SSSS (Table H.2): 0 for 0, else the bit length of |d|; 16 for 32768. */
function category(d: number): number {
  if (d === 0) return 0;
  return 32 - Math.clz32(d < 0 ? -d : d);
}

/**
 * Code lengths from symbol counts (T.81 Annex K.2, as IJG's jpeg_gen_optimal_table): the
 * reserved symbol 256 keeps any code from being all ones; lengths are cut to 16 bits.
 * Returns BITS (counts of codes of length 1-16) and HUFFVAL (symbols by length).
 */
export function optimalHuffmanTable(counts: ArrayLike<number>): { bits: Uint8Array; values: Uint8Array } {
  const freq = new Float64Array(257);
  for (let i = 0; i < counts.length; i++) freq[i] = counts[i]!;
  freq[256] = 1;
  const size = new Int32Array(257);
  const others = new Int32Array(257).fill(-1);
  for (;;) {
    let c1 = -1;
    let v = Infinity;
    for (let i = 0; i <= 256; i++) {
      if (freq[i] && freq[i]! <= v) {
        v = freq[i]!;
        c1 = i;
      }
    }
    let c2 = -1;
    v = Infinity;
    for (let i = 0; i <= 256; i++) {
      if (freq[i] && freq[i]! <= v && i !== c1) {
        v = freq[i]!;
        c2 = i;
      }
    }
    if (c2 < 0) break;
    freq[c1]! += freq[c2]!;
    freq[c2] = 0;
    size[c1]!++;
    while (others[c1]! >= 0) {
      c1 = others[c1]!;
      size[c1]!++;
    }
    others[c1] = c2;
    size[c2]!++;
    while (others[c2]! >= 0) {
      c2 = others[c2]!;
      size[c2]!++;
    }
  }
  const bits = new Int32Array(33);
  for (let i = 0; i <= 256; i++) if (size[i]) bits[size[i]!]!++;
  for (let i = 32; i > 16; i--) {
    while (bits[i]! > 0) {
      let j = i - 2;
      while (bits[j] === 0) j--;
      bits[i]! -= 2;
      bits[i - 1]!++;
      bits[j + 1]! += 2;
      bits[j]!--;
    }
  }
  let last = 16;
  while (bits[last] === 0) last--;
  bits[last]!--; // drop the reserved code
  const values: number[] = [];
  for (let length = 1; length <= 32; length++) {
    for (let s = 0; s < 256; s++) if (size[s] === length) values.push(s);
  }
  return { bits: Uint8Array.from(bits.subarray(1, 17)), values: Uint8Array.from(values) };
}

/** Grows on demand; writes entropy-coded bits with 0xFF byte stuffing (T.81 §F.1.2.3). */
class ByteWriter {
  bytes: Uint8Array;
  length = 0;
  #bits = 0;
  #count = 0;

  constructor(capacity: number) {
    this.bytes = new Uint8Array(capacity);
  }

  #ensure(n: number): void {
    if (this.length + n <= this.bytes.length) return;
    const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.length + n));
    grown.set(this.bytes.subarray(0, this.length));
    this.bytes = grown;
  }

  byte(b: number): void {
    this.#ensure(1);
    this.bytes[this.length++] = b;
  }

  u16(v: number): void {
    this.byte(v >> 8);
    this.byte(v & 0xff);
  }

  /** Appends the low n (<= 16) bits of value. */
  bits(value: number, n: number): void {
    this.#bits = ((this.#bits << n) | (value & ((1 << n) - 1))) >>> 0;
    this.#count += n;
    while (this.#count >= 8) {
      this.#count -= 8;
      const b = (this.#bits >>> this.#count) & 0xff;
      this.#ensure(2);
      this.bytes[this.length++] = b;
      if (b === 0xff) this.bytes[this.length++] = 0;
    }
    this.#bits &= (1 << this.#count) - 1;
  }

  /** Pads the last byte with 1 bits (T.81 §F.1.2.3). */
  flushBits(): void {
    if (this.#count > 0) this.bits(0x7f, 8 - this.#count);
  }
}

/** Encodes one image as a JPEG Lossless SV1 codestream (SOI ... EOI). */
export function encodeJpegLossless(image: LosslessImage): Uint8Array {
  const { width, height, components: n, precision: p, samples } = image;
  if (p < 2 || p > 16) {
    throw new DicomError('ERR_INVALID_VALUE', `JPEG Lossless codes 2 to 16 bits per sample, not ${p}`);
  }
  if (width < 1 || height < 1 || width > 65535 || height > 65535 || n < 1 || n > 4) {
    throw new DicomError('ERR_INVALID_VALUE', `JPEG Lossless cannot code ${width}x${height}x${n}`);
  }
  const total = width * height * n;
  if (samples.length < total) {
    throw new DicomError('ERR_UNEXPECTED_END', `image holds ${samples.length} of ${total} samples`);
  }
  // Differences modulo 2^16 as signed values in -32767..32768 (Annex H.1.2.1).
  const diffs = new Int32Array(total);
  const counts = new Float64Array(17);
  const mask = (1 << p) - 1;
  const initial = 1 << (p - 1);
  const line = width * n;
  for (let y = 0, at = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      for (let c = 0; c < n; c++, at++) {
        const value = samples[at]! & mask;
        const prediction =
          x === 0 ? (y === 0 ? initial : samples[at - line]! & mask) : samples[at - n]! & mask;
        let d = (value - prediction) & 0xffff;
        if (d > 32768) d -= 65536;
        diffs[at] = d;
        counts[d === 32768 ? 16 : category(d)]!++;
      }
    }
  }
  const { bits, values } = optimalHuffmanTable(counts);
  // Codes by symbol (Annex C).
  const codes = new Int32Array(17);
  const lengths = new Int32Array(17);
  for (let length = 1, code = 0, k = 0; length <= 16; length++, code <<= 1) {
    for (let i = 0; i < bits[length - 1]!; i++, k++, code++) {
      codes[values[k]!] = code;
      lengths[values[k]!] = length;
    }
  }
  const out = new ByteWriter(Math.max(1024, Math.ceil(total * (p > 8 ? 1.2 : 0.7)) + 1024));
  out.u16(0xffd8); // SOI
  out.u16(0xffc3); // SOF3
  out.u16(8 + 3 * n);
  out.byte(p);
  out.u16(height);
  out.u16(width);
  out.byte(n);
  for (let c = 0; c < n; c++) {
    out.byte(c + 1);
    out.byte(0x11);
    out.byte(0);
  }
  out.u16(0xffc4); // DHT, class 0 (lossless uses the DC tables), id 0
  out.u16(2 + 1 + 16 + values.length);
  out.byte(0x00);
  for (const b of bits) out.byte(b);
  for (const v of values) out.byte(v);
  out.u16(0xffda); // SOS
  out.u16(6 + 2 * n);
  out.byte(n);
  for (let c = 0; c < n; c++) {
    out.byte(c + 1);
    out.byte(0x00);
  }
  out.byte(1); // Ss: predictor 1
  out.byte(0); // Se
  out.byte(0); // Ah, Al (point transform 0)
  for (let i = 0; i < total; i++) {
    const d = diffs[i]!;
    if (d === 32768) {
      out.bits(codes[16]!, lengths[16]!);
      continue;
    }
    const s = category(d);
    out.bits(codes[s]!, lengths[s]!);
    if (s > 0) out.bits(d < 0 ? d - 1 : d, s); // negative: low s bits of d - 1 (F.1.2.1)
  }
  out.flushBits();
  out.u16(0xffd9); // EOI
  return out.bytes.slice(0, out.length);
}
