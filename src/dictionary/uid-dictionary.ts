import { DCMTK_UID_NAMES } from './generated/dcmtk-uid-names.ts';
import { UID, UIDS, type UidKeyword } from './generated/uids.ts';

export { UID, type UidKeyword } from './generated/uids.ts';

/** One entry of the UID registry (PS3.6 Annex A, Table A-1). */
export interface UidEntry {
  readonly uid: string;
  readonly name: string;
  /** Empty for the few retired UIDs PS3.6 gives no keyword. */
  readonly keyword: string;
  /** `SOP Class`, `Transfer Syntax`, `Well-known SOP Instance`, `Coding Scheme`... */
  readonly type: string;
  readonly info: string;
  readonly retired: boolean;
}

let all: readonly UidEntry[] | undefined;
let byUid: Map<string, UidEntry> | undefined;
let storage: readonly UidEntry[] | undefined;

function entries(): readonly UidEntry[] {
  if (all === undefined) {
    all = UIDS.split('\n').map((line) => {
      const f = line.split('|');
      return { uid: f[0]!, keyword: f[1]!, name: f[2]!, type: f[3]!, info: f[4]!, retired: f[5] === 'R' };
    });
  }
  return all;
}

/**
 * The registry entry of a UID. A value read from a file may still carry its NUL padding
 * (PS3.5 §9.1); it is tolerated here so callers need not strip it first.
 */
export function lookupUid(uid: string): UidEntry | undefined {
  if (byUid === undefined) byUid = new Map(entries().map((e) => [e.uid, e]));
  return byUid.get(uid) ?? byUid.get(uid.replace(/[\0 ]+$/, ''));
}

let dcmtkNames: Map<string, string> | undefined;
let dcmtkNamed: Map<string, string> | undefined;

/**
 * The name DCMTK's dcmdump gives a well-known UID (`LittleEndianExplicit`), where it differs
 * from the keyword; undefined otherwise.
 */
export function dcmtkUidName(uid: string): string | undefined {
  dcmtkNames ??= new Map(DCMTK_UID_NAMES.split('\n').map((line) => line.split('|') as [string, string]));
  return dcmtkNames.get(uid);
}

/** The UID DCMTK calls `name` (`LittleEndianExplicit`), for reading dcmdump's output. */
export function uidOfDcmtkName(name: string): string | undefined {
  dcmtkNamed ??= new Map(
    DCMTK_UID_NAMES.split('\n').map((line) => line.split('|').reverse() as [string, string]),
  );
  return dcmtkNamed.get(name);
}

/** The UID of a keyword (`ExplicitVRLittleEndian`), or undefined. */
export function uidOf(keyword: UidKeyword | (string & Record<never, never>)): string | undefined {
  return Object.hasOwn(UID, keyword) ? UID[keyword as UidKeyword] : undefined;
}

/** Every UID of the registry, in numeric order of their components. */
export function uidEntries(): readonly UidEntry[] {
  return entries();
}

export interface StorageSopClassOptions {
  /** Include retired storage SOP classes (old files still carry them). Default true. */
  includeRetired?: boolean;
}

/**
 * SOP Classes of the Storage Service Class (PS3.4 Annex B, Table B.5-1) and the other
 * C-STORE based classes (non-patient objects, PS3.4 Annex GG...): SOP Classes named
 * `... Storage`, without Storage Commitment (PS3.4 Annex J, N-ACTION/N-EVENT-REPORT) and
 * Media Storage Directory Storage (the DICOMDIR, PS3.10 §8, never sent by C-STORE).
 */
export function storageSopClasses(options: StorageSopClassOptions = {}): readonly UidEntry[] {
  if (storage === undefined) {
    storage = Object.freeze(
      entries().filter(
        (e) =>
          e.type === 'SOP Class' &&
          /\bStorage\b/.test(e.name) &&
          !/\bStorage Commitment\b/.test(e.name) &&
          !/^Media Storage Directory Storage\b/.test(e.name),
      ),
    );
  }
  return (options.includeRetired ?? true) ? storage : storage.filter((e) => !e.retired);
}

/** Whether a UID is one of storageSopClasses(), retired ones included. */
export function isStorageSopClass(uid: string): boolean {
  const entry = lookupUid(uid);
  return entry !== undefined && storageSopClasses().includes(entry);
}
