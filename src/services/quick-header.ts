import { vrFromCode, vrInfo } from '../core/index.ts';
import { type TransferSyntax, transferSyntax } from '../encoding/index.ts';

/** What sending a file needs from its head: the UIDs a C-STORE names and where its data set starts. */
export interface QuickHeader {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: TransferSyntax;
  dataSetOffset: number;
}

const PREAMBLE_END = 132;
const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

/**
 * The head of an ordinary Part 10 file read without building a data set: the explicit VR
 * little endian meta group (PS3.10 §7.1) and the data set's elements up to (0008,0018),
 * walked by their lengths. A tool checking thousands of input files before it associates
 * (storescu) spent ~45 us per file parsing each head into a DataSet; this takes a few.
 *
 * Returns undefined for anything out of the ordinary (no preamble, an implicit VR meta, a
 * deflated, big endian or unknown syntax, an undefined length, bytes ending before the
 * instance UID, an unknown VR): the full reader then decides, with its warnings and errors.
 */
export function quickHeader(bytes: Uint8Array, fileSize: number): QuickHeader | undefined {
  const n = bytes.length;
  if (n < PREAMBLE_END + 12 || !isDicmPrefix(bytes)) return undefined;
  let offset = PREAMBLE_END;
  let tsUid: string | undefined;
  let metaClass: string | undefined;
  let metaInstance: string | undefined;
  // The meta group ends where group 0002 does, whatever its group length says (as readMeta).
  while (offset + 8 <= n && (bytes[offset]! | (bytes[offset + 1]! << 8)) === 0x0002) {
    const element = bytes[offset + 2]! | (bytes[offset + 3]! << 8);
    const value = explicitValue(bytes, offset);
    if (!value) return undefined;
    if (element === 0x0010) tsUid = uidText(bytes, value.start, value.length);
    else if (element === 0x0002) metaClass = uidText(bytes, value.start, value.length);
    else if (element === 0x0003) metaInstance = uidText(bytes, value.start, value.length);
    offset = value.start + value.length;
    if (offset > n) return undefined;
  }
  if (!tsUid) return undefined;
  const ts = transferSyntax(tsUid);
  if (ts.unknown || ts.deflated || !ts.littleEndian) return undefined;
  const dataSetOffset = offset;
  let sopClassUid: string | undefined;
  let sopInstanceUid: string | undefined;
  while (offset + 8 <= n) {
    const tag =
      (((bytes[offset]! | (bytes[offset + 1]! << 8)) << 16) |
        bytes[offset + 2]! |
        (bytes[offset + 3]! << 8)) >>>
      0;
    if (tag > SOP_INSTANCE_UID) break;
    const value = ts.explicitVR
      ? explicitValue(bytes, offset)
      : { start: offset + 8, length: readUint32(bytes, offset + 4) };
    if (!value || value.length === 0xffffffff) return undefined;
    if (tag === SOP_CLASS_UID || tag === SOP_INSTANCE_UID) {
      const text = uidText(bytes, value.start, value.length);
      if (text === undefined) return undefined;
      if (tag === SOP_CLASS_UID) sopClassUid = text;
      else sopInstanceUid = text;
    }
    offset = value.start + value.length;
    if (offset > n) return undefined;
  }
  // The bytes ran out before an element past the instance UID: fine only at the file's end.
  if (offset + 8 > n && (n < fileSize || offset !== n)) return undefined;
  sopClassUid ||= metaClass;
  sopInstanceUid ||= metaInstance;
  if (!sopClassUid || !sopInstanceUid) return undefined;
  return { sopClassUid, sopInstanceUid, transferSyntax: ts, dataSetOffset };
}

function isDicmPrefix(bytes: Uint8Array): boolean {
  return bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** The value of the explicit VR element at `offset` (PS3.5 §7.1.2), or undefined for an unknown VR or a value past the bytes. */
function explicitValue(bytes: Uint8Array, offset: number): { start: number; length: number } | undefined {
  const vr = vrFromCode((bytes[offset + 4]! << 8) | bytes[offset + 5]!);
  if (vr === undefined) return undefined;
  if (!vrInfo(vr).longLength) {
    return { start: offset + 8, length: bytes[offset + 6]! | (bytes[offset + 7]! << 8) };
  }
  if (offset + 12 > bytes.length) return undefined;
  return { start: offset + 12, length: readUint32(bytes, offset + 8) };
}

function readUint32(bytes: Uint8Array, offset: number): number {
  return (
    (bytes[offset]! | (bytes[offset + 1]! << 8) | (bytes[offset + 2]! << 16) | (bytes[offset + 3]! << 24)) >>>
    0
  );
}

/**
 * A UI value as text without its padding (PS3.5 §9.1: a trailing NUL; writers also leave
 * spaces). Undefined when the value runs past the bytes or holds more than one UID.
 */
function uidText(bytes: Uint8Array, start: number, length: number): string | undefined {
  if (length === 0xffffffff || start + length > bytes.length) return undefined;
  let end = start + length;
  while (end > start && (bytes[end - 1] === 0 || bytes[end - 1] === 0x20)) end--;
  let begin = start;
  while (begin < end && bytes[begin] === 0x20) begin++;
  for (let i = begin; i < end; i++) if (bytes[i] === 0x5c) return undefined;
  // One string for the value: appending a character at a time made ~60 strings per UID.
  return String.fromCharCode.apply(null, bytes.subarray(begin, end) as unknown as number[]);
}
