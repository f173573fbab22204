import { DCMTK_MODALITIES } from './dcmtk-tables.ts';

/** DCMTK's short name of a SOP class ("CT", "MR", "SC", ...), `fallback` when it has none. */
export function modalityOf(sopClassUid: string, fallback = 'UNKNOWN'): string {
  return DCMTK_MODALITIES[sopClassUid] ?? fallback;
}

/** A UID as it may become part of a file name: digits and dots only (PS3.5 §9.1), at most 64. */
export function isSafeUid(uid: string): boolean {
  return /^[0-9]+(\.[0-9]+)*$/.test(uid) && uid.length <= 64;
}

/**
 * The name DCMTK's storescp (default), movescu and getscu give a received instance:
 * `<short modality name>.<SOP Instance UID>`, e.g. `CT.1.2.3`. Throws for a UID that is not
 * one, so that no peer chooses a path.
 */
export function receivedFileName(sopClassUid: string, sopInstanceUid: string, extension = ''): string {
  if (!isSafeUid(sopInstanceUid)) {
    throw new Error(`the SOP Instance UID '${sopInstanceUid}' is not a UID: not used as a file name`);
  }
  return `${modalityOf(sopClassUid)}.${sopInstanceUid}${extension}`;
}
