/**
 * A sequence item (FFFE,E000) of defined length holding Implicit VR Little Endian elements:
 * what a sequence's value is when it travels as UN (PS3.5 §6.2.2), for building such data.
 */
export function implicitItem(elements: readonly (readonly [tag: number, value: Uint8Array])[]): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const [tag, value] of elements) {
    const head = new Uint8Array(8);
    const view = new DataView(head.buffer);
    view.setUint16(0, tag >>> 16, true);
    view.setUint16(2, tag & 0xffff, true);
    view.setUint32(4, value.length, true);
    parts.push(head, value);
  }
  const length = parts.reduce((n, part) => n + part.length, 0);
  const item = new Uint8Array(8 + length);
  const view = new DataView(item.buffer);
  view.setUint16(0, 0xfffe, true);
  view.setUint16(2, 0xe000, true);
  view.setUint32(4, length, true);
  let at = 8;
  for (const part of parts) {
    item.set(part, at);
    at += part.length;
  }
  return item;
}
