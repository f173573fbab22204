import { ITEM, SEQUENCE_DELIMITATION } from '../core/tag.ts';

/**
 * Encapsulated pixel data as one byte stream, the way PS3.5 §A.4 encodes its value: an Item
 * (FFFE,E000) per fragment, the Basic Offset Table first, then a Sequence Delimitation Item
 * (FFFE,E0DD). Always little endian: every encapsulated transfer syntax is (PS3.5 §A.4).
 * This is what InlineBinary holds for encapsulated Pixel Data, so the fragment boundaries
 * survive the trip through JSON.
 */
export function encodeEncapsulated(fragments: readonly Uint8Array[]): Uint8Array {
  let total = 8;
  for (const f of fragments) total += 8 + f.length + (f.length & 1);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let at = 0;
  for (const f of fragments) {
    const padded = f.length + (f.length & 1);
    view.setUint16(at, ITEM >>> 16, true);
    view.setUint16(at + 2, ITEM & 0xffff, true);
    view.setUint32(at + 4, padded, true);
    out.set(f, at + 8);
    at += 8 + padded;
  }
  view.setUint16(at, SEQUENCE_DELIMITATION >>> 16, true);
  view.setUint16(at + 2, SEQUENCE_DELIMITATION & 0xffff, true);
  view.setUint32(at + 4, 0, true);
  return out;
}

/**
 * The fragments of an encapsulated stream (views, no copy), or undefined when `bytes` is not
 * exactly one: at least one item, each of defined length within the bytes, and the sequence
 * delimiter ending the bytes. Native pixel data practically never parses as that.
 */
export function parseEncapsulated(bytes: Uint8Array): Uint8Array[] | undefined {
  if (bytes.length < 16 || bytes[0] !== 0xfe || bytes[1] !== 0xff || bytes[2] !== 0x00 || bytes[3] !== 0xe0) {
    return undefined;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const fragments: Uint8Array[] = [];
  let at = 0;
  while (at + 8 <= bytes.length) {
    const tag = view.getUint16(at, true) * 0x10000 + view.getUint16(at + 2, true);
    const length = view.getUint32(at + 4, true);
    if (tag === SEQUENCE_DELIMITATION) {
      return length === 0 && at + 8 === bytes.length && fragments.length > 0 ? fragments : undefined;
    }
    if (tag !== ITEM || length > bytes.length - at - 8) return undefined;
    fragments.push(bytes.subarray(at + 8, at + 8 + length));
    at += 8 + length;
  }
  return undefined;
}
