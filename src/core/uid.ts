import { DicomError } from './errors.ts';

/**
 * dicomkit's Implementation Class UID (PS3.7 §D.3.3.2), a UUID-derived UID under the 2.25
 * arc (PS3.5 §B.2), so it needs no registered root.
 */
export const IMPLEMENTATION_CLASS_UID = '2.25.268408196009767110913796673079271056644';
/** Implementation Version Name: 16 characters at most (PS3.7 §D.3.3.2.2). */
export const IMPLEMENTATION_VERSION_NAME = 'DICOMKIT_010';

const UID_PATTERN = /^(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*))*$/;

/** A valid UID: digits and dots, no leading zeros in a component, at most 64 characters (PS3.5 §9.1). */
export function isValidUid(uid: string): boolean {
  return uid.length > 0 && uid.length <= 64 && UID_PATTERN.test(uid);
}

export function assertValidUid(uid: string, what = 'UID'): string {
  if (!isValidUid(uid)) throw new DicomError('ERR_INVALID_VALUE', `${what} is not a valid UID: '${uid}'`);
  return uid;
}

/** A new globally unique UID from a random UUID (PS3.5 §B.2: 2.25.<UUID as integer>). */
export function generateUid(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  bytes[6] = (bytes[6]! & 0x0f) | 0x40; // version 4
  bytes[8] = (bytes[8]! & 0x3f) | 0x80; // RFC 4122 variant
  let value = 0n;
  for (const b of bytes) value = (value << 8n) | BigInt(b);
  return `2.25.${value.toString()}`;
}
