import { DicomError } from '../../core/index.ts';

/**
 * The checks encode applies to the text fields of the association PDUs. Decode applies none of
 * them: a peer's odd values are the association layer's business, not a framing error.
 */

/**
 * An AE title as the 16-byte field of an A-ASSOCIATE-RQ (PS3.8 §9.3.2, Table 9-11): 1 to 16
 * characters of the default repertoire without backslash or control characters (the AE VR,
 * PS3.5 §6.2), not all spaces, padded with spaces. Leading and trailing spaces are not
 * significant (PS3.5 §6.2), so they are trimmed before the checks.
 */
export function checkAeTitle(title: string, what: string): string {
  const trimmed = title.replace(/^ +| +$/g, '');
  if (trimmed.length === 0 || trimmed.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(trimmed)) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${what} must be 1-16 characters of the default repertoire, no backslash or control characters: '${title}'`,
    );
  }
  return trimmed.padEnd(16, ' ');
}

/**
 * The AE title fields of an A-ASSOCIATE-AC are reserved and only echo the request (PS3.8
 * §9.3.3, Table 9-17), so an acceptor must be able to send back whatever it received, even
 * empty: only the length and the repertoire are checked.
 */
export function checkEchoedAeTitle(title: string, what: string): string {
  const trimmed = title.replace(/^ +| +$/g, '');
  if (trimmed.length > 16 || !/^[\x20-\x7e]*$/.test(trimmed)) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${what} must be at most 16 printable ASCII characters: '${title}'`,
    );
  }
  return trimmed.padEnd(16, ' ');
}

/** Decoded AE titles lose their padding, spaces (PS3.5 §6.2) or the NULs some peers send. */
export function trimAeTitle(field: string): string {
  return field.replace(/^[ \0]+|[ \0]+$/g, '');
}

/**
 * A UID to write into an item: digits and dots, 1 to 64 characters (PS3.5 §9.1), no padding
 * (PS3.8 §9.3.2.2.1). Leading zeros in components are tolerated, so that an acceptor can echo
 * a peer's slightly non-conformant private SOP class UID in a role selection or extended
 * negotiation reply.
 */
export function checkUid(uid: string, what: string): string {
  if (uid.length === 0 || uid.length > 64 || !/^[0-9.]+$/.test(uid)) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${what} is not a UID (digits and dots, 1-64 characters): '${uid}'`,
    );
  }
  return uid;
}

/** Implementation Version Name: 1 to 16 characters of ISO 646 basic G0 (PS3.7 §D.3.3.2.3). */
export function checkVersionName(name: string): string {
  if (name.length === 0 || name.length > 16 || !/^[\x20-\x7e]+$/.test(name)) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `Implementation Version Name must be 1-16 printable ASCII characters: '${name}'`,
    );
  }
  return name;
}

/** Presentation context IDs are odd integers 1-255 (PS3.8 §9.3.2.2, Table 9-13). */
export function checkContextId(id: number, what: string): number {
  if (!Number.isInteger(id) || id < 1 || id > 255 || id % 2 === 0) {
    throw new DicomError('ERR_INVALID_VALUE', `${what} must be an odd integer 1-255, got ${id}`);
  }
  return id;
}
