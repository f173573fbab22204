/**
 * DCMTK's association negotiation profiles (`-xf file profile` of storescu and storescp; the
 * format is DCMTK's dcmnet/docs/asconfig.txt): an INI-like file with [[TransferSyntaxes]],
 * [[PresentationContexts]], [[Profiles]] and optional [[SCPSCURoleSelection]] supersections,
 * whose sections are symbolic lists referenced by name. Keys and section names are case- and
 * whitespace-insensitive; values are UIDs or DCMTK's symbolic UID names.
 */
import { readFileSync } from 'node:fs';
import { isValidUid } from '../../core/index.ts';
import { lookupUid, uidEntries, uidOf } from '../../dictionary/index.ts';
import { UsageError } from './network.ts';

export interface ProfileContext {
  abstractSyntax: string;
  transferSyntaxes: string[];
}

export interface AssociationProfile {
  name: string;
  contexts: ProfileContext[];
  /** SCP/SCU role selection by SOP class (PS3.7 §D.3.3.4): the roles this application takes. */
  roles: Map<string, { scu: boolean; scp: boolean }>;
  /**
   * SOP Class Extended Negotiation by SOP class (PS3.7 §D.3.3.5): what a requestor proposes,
   * or what an acceptor replies to a requestor that asks.
   */
  extendedNegotiation: Map<string, Uint8Array>;
}

/**
 * DCMTK's symbolic transfer syntax names (its UID name map), where they differ from the
 * standard's keywords. LocalEndianExplicit / OppositeEndianExplicit are for the machine's byte
 * order, little endian wherever Node runs.
 */
const DCMTK_TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  LittleEndianImplicit: '1.2.840.10008.1.2',
  LittleEndianExplicit: '1.2.840.10008.1.2.1',
  LocalEndianExplicit: '1.2.840.10008.1.2.1',
  BigEndianExplicit: '1.2.840.10008.1.2.2',
  OppositeEndianExplicit: '1.2.840.10008.1.2.2',
  DeflatedLittleEndianExplicit: '1.2.840.10008.1.2.1.99',
  JPEGBaseline: '1.2.840.10008.1.2.4.50',
  'JPEGExtended:Process2+4': '1.2.840.10008.1.2.4.51',
  'JPEGExtended:Process3+5': '1.2.840.10008.1.2.4.52',
  'JPEGSpectralSelection:Non-hierarchical:Process6+8': '1.2.840.10008.1.2.4.53',
  'JPEGSpectralSelection:Non-hierarchical:Process7+9': '1.2.840.10008.1.2.4.54',
  'JPEGFullProgression:Non-hierarchical:Process10+12': '1.2.840.10008.1.2.4.55',
  'JPEGFullProgression:Non-hierarchical:Process11+13': '1.2.840.10008.1.2.4.56',
  'JPEGLossless:Non-hierarchical:Process14': '1.2.840.10008.1.2.4.57',
  'JPEGLossless:Non-hierarchical:Process15': '1.2.840.10008.1.2.4.58',
  'JPEGLossless:Non-hierarchical-1stOrderPrediction': '1.2.840.10008.1.2.4.70',
  JPEGLSLossless: '1.2.840.10008.1.2.4.80',
  JPEGLSLossy: '1.2.840.10008.1.2.4.81',
  JPEG2000LosslessOnly: '1.2.840.10008.1.2.4.90',
  JPEG2000: '1.2.840.10008.1.2.4.91',
  JPEG2000MulticomponentLosslessOnly: '1.2.840.10008.1.2.4.92',
  JPEG2000Multicomponent: '1.2.840.10008.1.2.4.93',
  JPIPReferenced: '1.2.840.10008.1.2.4.94',
  JPIPReferencedDeflate: '1.2.840.10008.1.2.4.95',
  'MPEG2MainProfile@MainLevel': '1.2.840.10008.1.2.4.100',
  'MPEG2MainProfile@HighLevel': '1.2.840.10008.1.2.4.101',
  'MPEG4HighProfile/Level4.1': '1.2.840.10008.1.2.4.102',
  'MPEG4BDcompatibleHighProfile/Level4.1': '1.2.840.10008.1.2.4.103',
  'MPEG4HighProfile/Level4.2For2DVideo': '1.2.840.10008.1.2.4.104',
  'MPEG4HighProfile/Level4.2For3DVideo': '1.2.840.10008.1.2.4.105',
  'MPEG4StereoHighProfile/Level4.2': '1.2.840.10008.1.2.4.106',
  'HEVCMainProfile/Level5.1': '1.2.840.10008.1.2.4.107',
  'HEVCMain10Profile/Level5.1': '1.2.840.10008.1.2.4.108',
  RLELossless: '1.2.840.10008.1.2.5',
};

/** DCMTK's SOP class names that no rule below derives from the standard's keyword. */
const DCMTK_SOP_CLASS_NAMES: Record<string, string> = {
  ImplantationPlanSRDocumentStorage: '1.2.840.10008.5.1.4.1.1.88.70',
};

let keywordsFolded: Map<string, string> | undefined;

/** The standard's keyword, ignoring case (DCMTK writes "Multiframe" where it says "MultiFrame"). */
function uidOfKeywordFolded(keyword: string): string | undefined {
  if (!keywordsFolded) {
    keywordsFolded = new Map();
    for (const entry of uidEntries()) {
      if (entry.keyword) keywordsFolded.set(entry.keyword.toLowerCase(), entry.uid);
    }
  }
  return keywordsFolded.get(keyword.toLowerCase());
}

/**
 * A UID, or the UID a DCMTK symbolic name stands for: the standard's keyword (case aside),
 * "...SOPClass" for the keyword without it, RETIRED_x for the retired x, DRAFT_x for the
 * trial x (DRAFT_SRTextStorage: TextSRStorageTrial).
 */
export function uidForDcmtkName(name: string): string | undefined {
  if (/^[0-9.]+$/.test(name)) return isValidUid(name) ? name : undefined;
  const direct =
    DCMTK_TRANSFER_SYNTAX_NAMES[name] ??
    DCMTK_SOP_CLASS_NAMES[name] ??
    uidOf(name) ??
    uidOfKeywordFolded(name);
  if (direct) return direct;
  if (name.endsWith('SOPClass')) return uidForDcmtkName(name.slice(0, -'SOPClass'.length));
  const retired = /^RETIRED_(.+)$/.exec(name);
  if (retired) {
    const base = retired[1]!;
    return (
      uidOfKeywordFolded(`${base}Retired`) ?? uidOfKeywordFolded(`${base}Trial`) ?? uidOfKeywordFolded(base)
    );
  }
  const draft = /^DRAFT_(.+)$/.exec(name);
  if (draft) {
    const base = draft[1]!;
    const sr = /^SR(.+)Storage$/.exec(base);
    return (
      (sr ? uidOfKeywordFolded(`${sr[1]}SRStorageTrial`) : undefined) ?? uidOfKeywordFolded(`${base}Trial`)
    );
  }
  return undefined;
}

type Tree = Map<string, Map<string, Map<string, string>>>;

/** Supersection -> section -> key -> value, names folded (asconfig.txt §1). */
function parseConfig(text: string, path: string): Tree {
  const tree: Tree = new Map();
  const fold = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
  let supersection: Map<string, Map<string, string>> | undefined;
  let section: Map<string, string> | undefined;
  text.split(/\r?\n/).forEach((line, i) => {
    if (line.trim() === '' || line.startsWith('#')) return;
    const where = `${path}, line ${i + 1}`;
    const superHeading = /^\s*\[\[(.+)\]\]\s*$/.exec(line);
    if (superHeading) {
      const name = fold(superHeading[1]!);
      supersection = tree.get(name) ?? new Map();
      tree.set(name, supersection);
      section = undefined;
      return;
    }
    const heading = /^\s*\[(.+)\]\s*$/.exec(line);
    if (heading) {
      if (!supersection) throw new UsageError(`${where}: section [${heading[1]}] outside a [[supersection]]`);
      section = new Map();
      supersection.set(fold(heading[1]!), section);
      return;
    }
    const entry = /^(\S[^=]*?)\s*=\s*(.*?)\s*$/.exec(line);
    if (!entry) throw new UsageError(`${where}: expected "Key = Value"`);
    if (!section) throw new UsageError(`${where}: "${entry[1]}" outside a [section]`);
    section.set(fold(entry[1]!), entry[2]!);
  });
  return tree;
}

/** Values of Prefix1, Prefix2 ... in order, stopping at the first missing number as DCMTK does. */
function numbered(section: Map<string, string>, prefix: string): string[] {
  const out: string[] = [];
  for (let n = 1; section.has(`${prefix}${n}`); n++) out.push(section.get(`${prefix}${n}`)!);
  return out;
}

/**
 * Reads `profile` from a DCMTK association configuration file. An acceptor's list may name
 * each SOP class once; a requestor's at most 128 contexts (asconfig.txt §2.2).
 */
export function readAssociationProfile(
  path: string,
  profile: string,
  role: 'requestor' | 'acceptor',
): AssociationProfile {
  let text: string;
  try {
    text = readFileSync(path, 'latin1');
  } catch (error) {
    throw new UsageError(`cannot read association configuration file ${path}: ${(error as Error).message}`);
  }
  const tree = parseConfig(text, path);
  const fold = (s: string): string => s.replace(/\s+/g, '').toLowerCase();
  const supersection = (name: string): Map<string, Map<string, string>> =>
    tree.get(name.toLowerCase()) ?? new Map();
  const profileSection = supersection('Profiles').get(fold(profile));
  if (!profileSection) throw new UsageError(`unknown configuration profile name: ${profile}`);
  const listName = profileSection.get('presentationcontexts');
  if (!listName) throw new UsageError(`profile ${profile} names no PresentationContexts list`);
  const list = supersection('PresentationContexts').get(fold(listName));
  if (!list) throw new UsageError(`profile ${profile}: no presentation context list [${listName}]`);
  const syntaxLists = supersection('TransferSyntaxes');
  const resolve = (name: string, what: string): string => {
    const uid = uidForDcmtkName(name.trim());
    if (!uid) throw new UsageError(`profile ${profile}: unknown ${what} ${name}`);
    return uid;
  };
  const contexts = numbered(list, 'presentationcontext').map((value) => {
    const [abstractName, syntaxListName] = value.split('\\');
    if (!abstractName || !syntaxListName) {
      throw new UsageError(`profile ${profile}: "${value}" is not "SOPClass\\TransferSyntaxList"`);
    }
    const syntaxList = syntaxLists.get(fold(syntaxListName));
    if (!syntaxList) throw new UsageError(`profile ${profile}: no transfer syntax list [${syntaxListName}]`);
    const transferSyntaxes = numbered(syntaxList, 'transfersyntax').map((ts) => {
      const uid = resolve(ts, 'transfer syntax');
      if (lookupUid(uid) && lookupUid(uid)!.type !== 'Transfer Syntax') {
        throw new UsageError(`profile ${profile}: ${ts} is not a transfer syntax`);
      }
      return uid;
    });
    if (transferSyntaxes.length === 0)
      throw new UsageError(`profile ${profile}: [${syntaxListName}] is empty`);
    return { abstractSyntax: resolve(abstractName, 'SOP class'), transferSyntaxes };
  });
  if (contexts.length === 0)
    throw new UsageError(`profile ${profile}: [${listName}] has no presentation contexts`);
  if (role === 'requestor' && contexts.length > 128) {
    throw new UsageError(
      `profile ${profile}: ${contexts.length} presentation contexts, at most 128 can be proposed`,
    );
  }
  if (role === 'acceptor') {
    const seen = new Set<string>();
    for (const c of contexts) {
      if (seen.has(c.abstractSyntax)) {
        throw new UsageError(
          `profile ${profile}: an acceptor's list names ${c.abstractSyntax} more than once`,
        );
      }
      seen.add(c.abstractSyntax);
    }
  }
  const roles = new Map<string, { scu: boolean; scp: boolean }>();
  const roleListName = profileSection.get('scpscuroleselection');
  if (roleListName) {
    const roleList = supersection('SCPSCURoleSelection').get(fold(roleListName));
    if (!roleList) throw new UsageError(`profile ${profile}: no role selection list [${roleListName}]`);
    for (const value of numbered(roleList, 'role')) {
      const [sopClass, which] = value.split('\\');
      const kind = which?.trim().toUpperCase();
      if (!sopClass || (kind !== 'SCU' && kind !== 'SCP' && kind !== 'BOTH')) {
        throw new UsageError(`profile ${profile}: "${value}" is not "SOPClass\\SCU|SCP|BOTH"`);
      }
      roles.set(resolve(sopClass, 'SOP class'), { scu: kind !== 'SCP', scp: kind !== 'SCU' });
    }
  }
  const extendedNegotiation = new Map<string, Uint8Array>();
  const extendedListName = profileSection.get('extendednegotiation');
  if (extendedListName) {
    const list = supersection('ExtendedNegotiation').get(fold(extendedListName));
    if (!list) throw new UsageError(`profile ${profile}: no extended negotiation list [${extendedListName}]`);
    for (const value of numbered(list, 'extendednegotiation')) {
      const [sopClass, hex] = value.split('\\');
      const digits = hex?.trim() ?? '';
      if (!sopClass || digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) {
        throw new UsageError(`profile ${profile}: "${value}" is not "SOPClass\\hexadecimal bytes"`);
      }
      extendedNegotiation.set(resolve(sopClass, 'SOP class'), Uint8Array.from(Buffer.from(digits, 'hex')));
    }
  }
  return { name: profile, contexts, roles, extendedNegotiation };
}

/**
 * A profile's contexts with their role selection and extended negotiation, as a requestor
 * proposes them or an acceptor supports them. Negotiated roles are the requestor's (PS3.7
 * §D.3.3.4), so an acceptor's are turned round: the requestor may be SCU unless we only play
 * SCU. An acceptor's extended negotiation bytes answer a requestor that asks (DCMTK's storescp
 * sends them unasked too; the standard has them answer a request).
 */
export function profileContexts(
  profile: AssociationProfile,
  side: 'requestor' | 'acceptor',
): Array<ProfileContext & { scuRole?: boolean; scpRole?: boolean; extendedNegotiation?: Uint8Array }> {
  return profile.contexts.map((context) => {
    const role = profile.roles.get(context.abstractSyntax);
    const extendedNegotiation = profile.extendedNegotiation.get(context.abstractSyntax);
    const roles = role && (side === 'requestor' ? role : { scu: role.scp, scp: role.scu });
    return {
      ...context,
      ...(roles ? { scuRole: roles.scu, scpRole: roles.scp } : {}),
      ...(extendedNegotiation ? { extendedNegotiation } : {}),
    };
  });
}

/** DCMTK's `-xf file profile` / `--config-file file profile`: two options here. */
export const PROFILE_ALIASES = {
  '-xf': ['--association-config', '--association-profile'],
  '--config-file': ['--association-config', '--association-profile'],
} as const;

export interface ProfileCliOptions {
  associationConfig?: string;
  associationProfile?: string;
}

/** Adds the two options behind -xf. */
export function addProfileOptions(command: import('commander').Command): import('commander').Command {
  return command
    .option(
      '--association-config <file>',
      'use presentation contexts from DCMTK association configuration file (DCMTK -xf / --config-file FILE PROFILE)',
    )
    .option(
      '--association-profile <name>',
      'the profile to use from --association-config (DCMTK -xf FILE PROFILE)',
    );
}

/**
 * The profile the options name, if any. DCMTK refuses -xf together with options that choose
 * presentation contexts themselves (`conflicting`: their long names), and so do we.
 */
export function profileFromOptions(
  options: ProfileCliOptions & Record<string, unknown>,
  role: 'requestor' | 'acceptor',
  conflicting: (key: string) => boolean,
): AssociationProfile | undefined {
  const { associationConfig: file, associationProfile: name } = options;
  if (file === undefined && name === undefined) return undefined;
  if (file === undefined || name === undefined) {
    throw new UsageError('-xf needs a configuration file and a profile name');
  }
  const clash = Object.keys(options).find((key) => options[key] === true && conflicting(key));
  if (clash) {
    const flag = `--${clash.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
    throw new UsageError(`--config-file conflicts with ${flag}`);
  }
  return readAssociationProfile(file, name, role);
}
