import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../core/index.ts';

/** What a received instance's file meta says (PS3.10 §7.1). */
export interface ReceivedFileIdentity {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: string;
  /** The AE that sent it: Source Application Entity Title (0002,0016), when known. */
  sourceAeTitle?: string;
}

type MetaVR = 'UL' | 'OB' | 'UI' | 'SH' | 'AE';

/**
 * Preamble, "DICM" and the File Meta Information group of a received instance (PS3.10
 * §7.1), Explicit VR Little Endian: the bytes a storage SCP writes before the data set it
 * received. Encoded directly rather than through a DataSet and the generic encoder: an SCP
 * does this for every instance, and for small ones the generic path cost more than the rest.
 */
export function receivedFileMeta(identity: ReceivedFileIdentity): Uint8Array {
  const elements: [number, MetaVR, Uint8Array][] = [
    [0x0001, 'OB', Uint8Array.of(0, 1)],
    [0x0002, 'UI', text(identity.sopClassUid, 0)],
    [0x0003, 'UI', text(identity.sopInstanceUid, 0)],
    [0x0010, 'UI', text(identity.transferSyntax, 0)],
    [0x0012, 'UI', text(IMPLEMENTATION_CLASS_UID, 0)],
    [0x0013, 'SH', text(IMPLEMENTATION_VERSION_NAME, 0x20)],
  ];
  if (identity.sourceAeTitle) elements.push([0x0016, 'AE', text(identity.sourceAeTitle, 0x20)]);
  // OB has the long header form (2 reserved bytes, 32-bit length), the others 16-bit lengths.
  const headerLength = (vr: MetaVR) => (vr === 'OB' ? 12 : 8);
  let groupLength = 0;
  for (const [, vr, value] of elements) groupLength += headerLength(vr) + value.length;
  const out = new Uint8Array(132 + 12 + groupLength);
  const view = new DataView(out.buffer);
  out.set([0x44, 0x49, 0x43, 0x4d], 128);
  let at = 132;
  const header = (element: number, vr: MetaVR, length: number): void => {
    view.setUint16(at, 0x0002, true);
    view.setUint16(at + 2, element, true);
    out[at + 4] = vr.charCodeAt(0);
    out[at + 5] = vr.charCodeAt(1);
    if (vr === 'OB') {
      view.setUint32(at + 8, length, true);
      at += 12;
    } else {
      view.setUint16(at + 6, length, true);
      at += 8;
    }
  };
  // (0002,0000) UL File Meta Information Group Length: the bytes of the group after it.
  header(0x0000, 'UL', 4);
  view.setUint32(at, groupLength, true);
  at += 4;
  for (const [element, vr, value] of elements) {
    header(element, vr, value.length);
    out.set(value, at);
    at += value.length;
  }
  return out;
}

/** Default-repertoire text padded to even length (UI with NUL, others with a space). */
function text(value: string, pad: number): Uint8Array {
  const length = value.length + (value.length % 2);
  const out = new Uint8Array(length);
  for (let i = 0; i < value.length; i++) out[i] = value.charCodeAt(i) & 0xff;
  if (length > value.length) out[length - 1] = pad;
  return out;
}
