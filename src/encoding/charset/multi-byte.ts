import { decodeEach } from './code-space.ts';
import { ByteSink, type Codec, cannotEncode, type TextRules } from './codec.ts';
import { decodeAscii, firstSpecial } from './text.ts';

/**
 * The multi-byte sets without code extensions (PS3.3 Table C.12-5). Their values are decoded
 * whole, never split at 0x5C first: in GB18030 and GBK, 0x5C can be the second byte of a
 * character, and the decoders know where characters start.
 */

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** ISO_IR 192: UTF-8. Malformed bytes decode to U+FFFD. */
export class Utf8Codec implements Codec {
  // ignoreBOM keeps a leading U+FEFF as text, so that decoding loses nothing.
  #decoder = new TextDecoder('utf-8', { ignoreBOM: true });
  #encoder = new TextEncoder();

  decode(bytes: Uint8Array, _rules: TextRules): string {
    return this.#decoder.decode(bytes);
  }

  encode(text: string, _rules: TextRules): Uint8Array {
    const bad = LONE_SURROGATE.exec(text);
    // TextEncoder would silently write U+FFFD for half a surrogate pair.
    if (bad !== null) throw cannotEncode(text, bad.index, 'ISO_IR 192');
    return this.#encoder.encode(text);
  }
}

/**
 * Code unit -> bytes packed big-endian (1, 2 or 4 bytes; 0 = none) for the BMP, read lazily from
 * the platform's GB18030 decoder: the two-byte codes (lead 0x81-0xFE, trail 0x40-0x7E or
 * 0x80-0xFE) first, then the four-byte codes that map the rest of the BMP (0x81308130-0x8439FE39).
 */
let gb18030Reverse: Uint32Array | undefined;

function reverseGb18030(): Uint32Array {
  if (gb18030Reverse !== undefined) return gb18030Reverse;
  const reverse = new Uint32Array(0x10000);
  for (let u = 0; u < 0x80; u++) reverse[u] = u;
  const two: number[] = [];
  for (let lead = 0x81; lead <= 0xfe; lead++) {
    for (let trail = 0x40; trail <= 0xfe; trail++) if (trail !== 0x7f) two.push(lead, trail);
  }
  const twoDecoded = decodeEach('gb18030', Uint8Array.from(two), 2);
  for (let i = 0; i < twoDecoded.length; i++) {
    const cp = twoDecoded[i]!;
    if (cp >= 0 && cp <= 0xffff && reverse[cp] === 0) reverse[cp] = (two[2 * i]! << 8) | two[2 * i + 1]!;
  }
  const four = new Uint8Array(4 * 10 * 126 * 10 * 4);
  let o = 0;
  for (let b1 = 0x81; b1 <= 0x84; b1++) {
    for (let b2 = 0x30; b2 <= 0x39; b2++) {
      for (let b3 = 0x81; b3 <= 0xfe; b3++) {
        for (let b4 = 0x30; b4 <= 0x39; b4++) {
          four[o++] = b1;
          four[o++] = b2;
          four[o++] = b3;
          four[o++] = b4;
        }
      }
    }
  }
  const fourDecoded = decodeEach('gb18030', four, 4);
  for (let i = 0; i < fourDecoded.length; i++) {
    const cp = fourDecoded[i]!;
    if (cp >= 0 && cp <= 0xffff && reverse[cp] === 0) {
      reverse[cp] =
        ((four[4 * i]! << 24) | (four[4 * i + 1]! << 16) | (four[4 * i + 2]! << 8) | four[4 * i + 3]!) >>> 0;
    }
  }
  // U+FFFD has a code (GB18030 Appendix D) but decodes like an error, so decodeEach cannot find it.
  if (reverse[0xfffd] === 0) reverse[0xfffd] = 0x8431a437;
  gb18030Reverse = reverse;
  return reverse;
}

/** GB18030 and GBK share the decoder (WHATWG Encoding §10.1); GBK encodes no four-byte codes. */
export class Gb18030Codec implements Codec {
  #gbk: boolean;
  #name: string;
  #decoder: InstanceType<typeof TextDecoder>;

  constructor(gbk: boolean) {
    this.#gbk = gbk;
    this.#name = gbk ? 'GBK' : 'GB18030';
    // The WHATWG GBK decoder is the GB18030 one; Node's ICU 'gbk' (windows-936) differs from browsers.
    this.#decoder = new TextDecoder('gb18030');
  }

  decode(bytes: Uint8Array, _rules: TextRules): string {
    if (firstSpecial(bytes, false) === bytes.length) return decodeAscii(bytes);
    return this.#decoder.decode(bytes);
  }

  encode(text: string, _rules: TextRules): Uint8Array {
    const sink = new ByteSink(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      const u = text.charCodeAt(i);
      if (u < 0x80) {
        sink.push(u);
        continue;
      }
      // GBK writes the EURO SIGN as the single byte 0x80 (WHATWG Encoding §10.2.2, CP936).
      if (u === 0x20ac && this.#gbk) {
        sink.push(0x80);
        continue;
      }
      const cp = text.codePointAt(i)!;
      if (cp > 0xffff) {
        if (this.#gbk) throw cannotEncode(text, i, this.#name);
        // Supplementary planes map linearly onto the four-byte codes from 0x90308130 (GB18030 §6.3.3).
        let p = cp - 0x10000;
        const b4 = 0x30 + (p % 10);
        p = Math.floor(p / 10);
        const b3 = 0x81 + (p % 126);
        p = Math.floor(p / 126);
        const b2 = 0x30 + (p % 10);
        const b1 = 0x90 + Math.floor(p / 10);
        sink.push(b1);
        sink.push(b2);
        sink.push(b3);
        sink.push(b4);
        i++;
        continue;
      }
      const code = reverseGb18030()[u]!;
      if (code === 0 || (cp >= 0xd800 && cp <= 0xdfff) || (this.#gbk && code > 0xffff)) {
        throw cannotEncode(text, i, this.#name);
      }
      if (code > 0xffff) {
        sink.push(code >>> 24);
        sink.push((code >> 16) & 0xff);
      }
      sink.push((code >> 8) & 0xff);
      sink.push(code & 0xff);
    }
    return sink.result();
  }
}
