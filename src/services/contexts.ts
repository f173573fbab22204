import { lookupUid, storageSopClasses, UID } from '../dictionary/index.ts';
import {
  allTransferSyntaxes,
  EXPLICIT_VR_BIG_ENDIAN,
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
} from '../encoding/index.ts';
import type { ProposedContext, SupportedContext } from '../net/association/index.ts';

export const VERIFICATION = '1.2.840.10008.1.1';

/** Query/Retrieve information models (PS3.4 Annex C, K) by the names DCMTK's -P/-S/-W use. */
export const QueryRetrieveModels = {
  patient: {
    find: '1.2.840.10008.5.1.4.1.2.1.1',
    move: '1.2.840.10008.5.1.4.1.2.1.2',
    get: '1.2.840.10008.5.1.4.1.2.1.3',
  },
  study: {
    find: '1.2.840.10008.5.1.4.1.2.2.1',
    move: '1.2.840.10008.5.1.4.1.2.2.2',
    get: '1.2.840.10008.5.1.4.1.2.2.3',
  },
  /** Retired, still spoken by old archives. */
  patientStudyOnly: {
    find: '1.2.840.10008.5.1.4.1.2.3.1',
    move: '1.2.840.10008.5.1.4.1.2.3.2',
    get: '1.2.840.10008.5.1.4.1.2.3.3',
  },
  worklist: { find: '1.2.840.10008.5.1.4.31' },
} as const;

export type QueryModel = keyof typeof QueryRetrieveModels;

/** The SOP class of a model for an operation, or the UID itself when one is given. */
export function modelSopClass(model: QueryModel | string, operation: 'find' | 'move' | 'get'): string {
  if (!(model in QueryRetrieveModels)) return model;
  const entry = QueryRetrieveModels[model as QueryModel] as Partial<Record<'find' | 'move' | 'get', string>>;
  const uid = entry[operation];
  if (!uid) throw new RangeError(`the ${model} model has no ${operation.toUpperCase()} SOP class`);
  return uid;
}

/** The uncompressed transfer syntaxes in DCMTK's default order of preference. */
export const UNCOMPRESSED_TRANSFER_SYNTAXES: readonly string[] = [
  EXPLICIT_VR_LITTLE_ENDIAN,
  IMPLICIT_VR_LITTLE_ENDIAN,
  EXPLICIT_VR_BIG_ENDIAN,
];

/** Every transfer syntax we can receive and store as it is: all known, retired ones included. */
export function allStorableTransferSyntaxes(): string[] {
  const rest = allTransferSyntaxes()
    .filter((ts) => !ts.unknown && !UNCOMPRESSED_TRANSFER_SYNTAXES.includes(ts.uid))
    .map((ts) => ts.uid);
  return [...UNCOMPRESSED_TRANSFER_SYNTAXES, ...rest];
}

/** Presentation contexts one association may propose (PS3.8 §9.3.2.2: ids 1-255, odd). */
export const MAX_PRESENTATION_CONTEXTS = 128;

/**
 * Proposals for sending stored instances (C-MOVE sub-operations, a PACS pushing to a
 * modality): each SOP class uncompressed, then each stored syntax that is not, so the peer can
 * take the bytes as they are or have them decoded; `uncompressed` and `stored` apart, for the
 * caller to choose what to drop beyond 128 contexts. A SOP class the dictionary does not know
 * (received as storage from a newer modality or a promiscuous SCP) is announced as Storage
 * through SOP Class Common Extended Negotiation (PS3.7 §D.3.3.6), so that a peer that does not
 * know it either can still accept it.
 */
export function storeProposals(instances: Iterable<{ sopClassUid: string; transferSyntax: string }>): {
  uncompressed: ProposedContext[];
  stored: ProposedContext[];
} {
  const bySopClass = new Map<string, Set<string>>();
  for (const { sopClassUid, transferSyntax } of instances) {
    let syntaxes = bySopClass.get(sopClassUid);
    if (!syntaxes) bySopClass.set(sopClassUid, (syntaxes = new Set()));
    syntaxes.add(transferSyntax);
  }
  const uncompressed: ProposedContext[] = [];
  const stored: ProposedContext[] = [];
  for (const [abstractSyntax, syntaxes] of bySopClass) {
    const announce =
      lookupUid(abstractSyntax) === undefined
        ? { commonExtendedNegotiation: { serviceClassUid: UID.Storage } }
        : {};
    uncompressed.push({ abstractSyntax, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES, ...announce });
    for (const ts of syntaxes) {
      if (!UNCOMPRESSED_TRANSFER_SYNTAXES.includes(ts))
        stored.push({ abstractSyntax, transferSyntaxes: [ts], ...announce });
    }
  }
  return { uncompressed, stored };
}

export function verificationContext(): ProposedContext {
  return { abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_VR_LITTLE_ENDIAN] };
}

/** Proposals for sending instances of these SOP classes (all storage classes by default). */
export function storageContexts(
  sopClasses: readonly string[] = storageSopClasses().map((c) => c.uid),
  transferSyntaxes: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES,
): ProposedContext[] {
  return sopClasses.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes }));
}

/**
 * Proposals for receiving instances over C-GET: the requestor offers to play the SCP role of
 * each storage SOP class (PS3.4 §C.4.3.1, PS3.7 §D.3.3.4).
 */
export function getStorageContexts(
  sopClasses: readonly string[],
  transferSyntaxes: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES,
): ProposedContext[] {
  return sopClasses.map((abstractSyntax) => ({
    abstractSyntax,
    transferSyntaxes,
    scuRole: false,
    scpRole: true,
  }));
}

/** Acceptor side: support these abstract syntaxes with these transfer syntaxes. */
export function supported(
  abstractSyntaxes: readonly string[],
  transferSyntaxes: readonly string[] = UNCOMPRESSED_TRANSFER_SYNTAXES,
  roles: { scuRole?: boolean; scpRole?: boolean } = {},
): SupportedContext[] {
  return abstractSyntaxes.map((abstractSyntax) => ({ abstractSyntax, transferSyntaxes, ...roles }));
}
