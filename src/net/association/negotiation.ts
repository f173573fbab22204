import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../core/index.ts';
import {
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type CommonExtendedNegotiation,
  DICOM_APPLICATION_CONTEXT,
  type ExtendedNegotiation,
  type PresentationContextAc,
  type RoleSelection,
  type UserIdentityRq,
  type UserInformation,
} from '../pdu/index.ts';

/** A-ASSOCIATE-RJ result, source and reason values (PS3.8 §9.3.4, Table 9-21). */
export const Reject = {
  permanent: 1,
  transient: 2,
  sourceServiceUser: 1,
  sourceAcse: 2,
  sourcePresentation: 3,
  // source 1 (service user)
  noReasonGiven: 1,
  applicationContextNotSupported: 2,
  callingAeNotRecognized: 3,
  calledAeNotRecognized: 7,
  // source 2 (ACSE related)
  protocolVersionNotSupported: 2,
  // source 3 (presentation related)
  temporaryCongestion: 1,
  localLimitExceeded: 2,
} as const;

/** Presentation context results of the A-ASSOCIATE-AC (PS3.8 §9.3.3.2). */
export const ContextResult = {
  acceptance: 0,
  userRejection: 1,
  noReason: 2,
  abstractSyntaxNotSupported: 3,
  transferSyntaxesNotSupported: 4,
} as const;

/** What the requestor proposes for one presentation context. */
export interface ProposedContext {
  /** Odd, 1-255; assigned in order when omitted. */
  id?: number;
  abstractSyntax: string;
  transferSyntaxes: readonly string[];
  /**
   * SCP/SCU role selection (PS3.7 §D.3.3.4): propose to act as SCU and/or SCP for this
   * SOP class. Omitted: default roles (requestor SCU, acceptor SCP), and no role item.
   */
  scuRole?: boolean;
  scpRole?: boolean;
  /**
   * SOP Class Extended Negotiation (PS3.7 §D.3.3.5): the service-class-application-information
   * to propose for this SOP class (its meaning is the service class's, e.g. PS3.4 §C.5.1.1.1
   * for relational queries). One item per SOP class: the first context that gives one.
   */
  extendedNegotiation?: Uint8Array;
  /**
   * SOP Class Common Extended Negotiation (PS3.7 §D.3.3.6): the service class of this SOP
   * class and the more general SOP classes it is compatible with, so that an acceptor that
   * does not know the SOP class (one newer than its dictionary) can still accept it, e.g. as
   * storage. One item per SOP class: the first context that gives one.
   */
  commonExtendedNegotiation?: { serviceClassUid: string; relatedGeneralSopClasses?: readonly string[] };
}

/**
 * A presentation context after negotiation. Roles are the requestor's: `scuRole` true means
 * the requestor may invoke operations (default), `scpRole` true that it may perform them (the
 * C-STORE sub-operations of a C-GET need this).
 */
export interface NegotiatedContext {
  id: number;
  abstractSyntax: string;
  /** The accepted transfer syntax; undefined when rejected. */
  transferSyntax: string | undefined;
  result: number;
  accepted: boolean;
  /** The transfer syntaxes the requestor proposed, in its order. */
  proposedTransferSyntaxes: readonly string[];
  scuRole: boolean;
  scpRole: boolean;
  /** The acceptor's SOP Class Extended Negotiation reply for this SOP class, if it sent one. */
  extendedNegotiation?: Uint8Array;
}

/** What an acceptor supports for one abstract syntax. */
export interface SupportedContext {
  abstractSyntax: string;
  /** In the acceptor's order of preference. */
  transferSyntaxes: readonly string[];
  /** Lets the requestor act as SCU (invoke operations). Default true. */
  scuRole?: boolean;
  /** Lets the requestor act as SCP for this SOP class when it proposes that role. Default false. */
  scpRole?: boolean;
  /**
   * The reply to a requestor's SOP Class Extended Negotiation for this SOP class (PS3.7
   * §D.3.3.5): fixed bytes, or computed from what was asked (e.g. grant the relational queries
   * asked for and nothing else). No reply is sent where the requestor sent no item.
   */
  extendedNegotiation?: Uint8Array | ((requested: Uint8Array) => Uint8Array | undefined);
}

export interface AcceptorPolicy {
  aeTitle: string;
  /** Reject callers that address another AE title (reason 7). Default true. */
  requireCalledAeTitle?: boolean;
  /**
   * Supported abstract syntaxes; a function can decide per request, told what the requestor's
   * SOP Class Common Extended Negotiation (PS3.7 §D.3.3.6) says of the SOP class, if anything.
   */
  contexts:
    | readonly SupportedContext[]
    | ((abstractSyntax: string, common?: CommonExtendedNegotiation) => SupportedContext | undefined);
  /** Whose order picks the transfer syntax when several match. Default 'acceptor'. */
  transferSyntaxPreference?: 'acceptor' | 'requestor';
  /** The maximum PDU length we receive, advertised in the A-ASSOCIATE-AC. */
  maxPduLength: number;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

export type AcceptorDecision =
  | { accepted: true; ac: AssociateAc; contexts: NegotiatedContext[] }
  | { accepted: false; rj: AssociateRj; why?: string };

export function reject(result: number, source: number, reason: number): AssociateRj {
  return { type: 'A-ASSOCIATE-RJ', result, source, reason };
}

/** What is supported for an abstract syntax; the first entry wins when a list repeats one. */
export function supportedLookup(
  contexts: AcceptorPolicy['contexts'],
): (abstractSyntax: string, common?: CommonExtendedNegotiation) => SupportedContext | undefined {
  if (typeof contexts === 'function') return contexts;
  const map = new Map<string, SupportedContext>();
  for (const c of contexts) if (!map.has(c.abstractSyntax)) map.set(c.abstractSyntax, c);
  return (abstractSyntax) => map.get(abstractSyntax);
}

/**
 * The acceptor's answer to an A-ASSOCIATE-RQ (PS3.8 §9.3.3, PS3.7 Annex D.3): the
 * application context, the called AE title, then each presentation context and its roles.
 * Access control by AE title and address is the AccessControl policy's job, run before.
 */
export function negotiateAsAcceptor(rq: AssociateRq, policy: AcceptorPolicy): AcceptorDecision {
  if (rq.applicationContext !== DICOM_APPLICATION_CONTEXT) {
    return {
      accepted: false,
      rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.applicationContextNotSupported),
    };
  }
  if ((policy.requireCalledAeTitle ?? true) && rq.calledAeTitle !== policy.aeTitle) {
    return {
      accepted: false,
      rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.calledAeNotRecognized),
    };
  }
  if (rq.presentationContexts.length === 0) {
    // PS3.8 §9.3.2 requires one or more Presentation Context Items: nothing could be served.
    // DCMTK drops such a connection; a rejection tells the requestor why.
    return {
      accepted: false,
      rj: reject(Reject.permanent, Reject.sourceServiceUser, Reject.noReasonGiven),
      why: 'the request proposes no presentation context (PS3.8 §9.3.2 requires one or more)',
    };
  }
  const lookup = supportedLookup(policy.contexts);
  const preferRequestor = policy.transferSyntaxPreference === 'requestor';
  const proposedRoles = new Map<string, RoleSelection>();
  for (const role of rq.userInformation.roleSelections) proposedRoles.set(role.sopClassUid, role);
  const requestedExtended = new Map<string, Uint8Array>();
  for (const ext of rq.userInformation.extendedNegotiations) {
    if (!requestedExtended.has(ext.sopClassUid)) requestedExtended.set(ext.sopClassUid, ext.info);
  }
  const extendedReplies = new Map<string, Uint8Array | undefined>();
  // PS3.7 §D.3.3.6: the acceptor may use it to decide; it sends no such sub-item back.
  const common = new Map<string, CommonExtendedNegotiation>();
  for (const item of rq.userInformation.commonExtendedNegotiations) {
    if (!common.has(item.sopClassUid)) common.set(item.sopClassUid, item);
  }

  const answers: PresentationContextAc[] = [];
  const contexts: NegotiatedContext[] = [];
  const roleReplies = new Map<string, RoleSelection>();
  for (const proposed of rq.presentationContexts) {
    const supported = lookup(proposed.abstractSyntax, common.get(proposed.abstractSyntax));
    let result: number = ContextResult.acceptance;
    let transferSyntax: string | undefined;
    let scuRole = true;
    let scpRole = false;
    if (!supported) {
      result = ContextResult.abstractSyntaxNotSupported;
    } else {
      transferSyntax = chooseTransferSyntax(
        proposed.transferSyntaxes,
        supported.transferSyntaxes,
        preferRequestor,
      );
      if (!transferSyntax) result = ContextResult.transferSyntaxesNotSupported;
      const role = proposedRoles.get(proposed.abstractSyntax);
      if (role) {
        // PS3.7 §D.3.3.4: a role the requestor did not propose must not be accepted.
        scuRole = role.scu && (supported.scuRole ?? true);
        scpRole = role.scp && (supported.scpRole ?? false);
        roleReplies.set(proposed.abstractSyntax, {
          sopClassUid: proposed.abstractSyntax,
          scu: scuRole,
          scp: scpRole,
        });
        if (!scuRole && !scpRole && result === ContextResult.acceptance) {
          result = ContextResult.userRejection;
          transferSyntax = undefined;
        }
      }
    }
    const accepted = result === ContextResult.acceptance;
    let extendedNegotiation: Uint8Array | undefined;
    const requested = requestedExtended.get(proposed.abstractSyntax);
    if (accepted && requested && supported?.extendedNegotiation) {
      if (!extendedReplies.has(proposed.abstractSyntax)) {
        const answer = supported.extendedNegotiation;
        extendedReplies.set(
          proposed.abstractSyntax,
          typeof answer === 'function' ? answer(requested) : answer,
        );
      }
      extendedNegotiation = extendedReplies.get(proposed.abstractSyntax);
    }
    // A rejected context still names a syntax: some peers expect the sub-item (PS3.8 Table 9-18 says it is not tested).
    answers.push({
      id: proposed.id,
      result,
      transferSyntax: accepted ? transferSyntax : proposed.transferSyntaxes[0],
    });
    contexts.push({
      id: proposed.id,
      abstractSyntax: proposed.abstractSyntax,
      transferSyntax: accepted ? transferSyntax : undefined,
      result,
      accepted,
      proposedTransferSyntaxes: proposed.transferSyntaxes,
      scuRole: accepted && scuRole,
      scpRole: accepted && scpRole,
      ...(extendedNegotiation ? { extendedNegotiation } : {}),
    });
  }

  const userInformation: UserInformation = {
    maxPduLength: policy.maxPduLength,
    implementationClassUid: policy.implementationClassUid ?? IMPLEMENTATION_CLASS_UID,
    implementationVersionName: policy.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME,
    roleSelections: [...roleReplies.values()],
    extendedNegotiations: [...extendedReplies]
      .filter((entry): entry is [string, Uint8Array] => entry[1] !== undefined)
      .map(([sopClassUid, info]) => ({ sopClassUid, info })),
    commonExtendedNegotiations: [],
    unknownItems: [],
  };
  // We perform one operation at a time each way (PS3.7 §D.3.3.3): answer a proposed window with 1/1.
  if (rq.userInformation.asyncOpsWindow) userInformation.asyncOpsWindow = { invoked: 1, performed: 1 };
  const ac: AssociateAc = {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: rq.calledAeTitle,
    callingAeTitle: rq.callingAeTitle,
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: answers,
    userInformation,
  };
  return { accepted: true, ac, contexts };
}

function chooseTransferSyntax(
  proposed: readonly string[],
  supported: readonly string[],
  preferRequestor: boolean,
): string | undefined {
  if (preferRequestor) return proposed.find((ts) => supported.includes(ts));
  return supported.find((ts) => proposed.includes(ts));
}

/** Assigns odd context ids 1, 3, 5 ... (PS3.8 §9.3.2.2) where the caller gave none. */
export function assignContextIds(
  proposals: readonly ProposedContext[],
): (ProposedContext & { id: number })[] {
  const used = new Set(proposals.map((p) => p.id).filter((id): id is number => id !== undefined));
  let next = 1;
  return proposals.map((p) => {
    if (p.id !== undefined) {
      if (p.id < 1 || p.id > 255 || p.id % 2 === 0)
        throw new RangeError(`presentation context id ${p.id} must be odd, 1-255`);
      return { ...p, id: p.id };
    }
    while (used.has(next)) next += 2;
    if (next > 255) throw new RangeError('more than 128 presentation contexts');
    used.add(next);
    return { ...p, id: next };
  });
}

/** The requestor's view of an A-ASSOCIATE-AC against what it proposed. */
export function contextsFromAccept(
  proposals: readonly (ProposedContext & { id: number })[],
  ac: AssociateAc,
): NegotiatedContext[] {
  const answers = new Map(ac.presentationContexts.map((c) => [c.id, c]));
  const roles = new Map(ac.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
  const extended = new Map(ac.userInformation.extendedNegotiations.map((e) => [e.sopClassUid, e.info]));
  return proposals.map((p) => {
    const answer = answers.get(p.id);
    const result = answer?.result ?? ContextResult.noReason;
    // An acceptor must answer with one of the syntaxes offered; anything else is unusable.
    const transferSyntax =
      answer &&
      result === ContextResult.acceptance &&
      answer.transferSyntax &&
      p.transferSyntaxes.includes(answer.transferSyntax)
        ? answer.transferSyntax
        : undefined;
    const accepted = transferSyntax !== undefined;
    const role = roles.get(p.abstractSyntax);
    const proposedRoles = p.scuRole !== undefined || p.scpRole !== undefined;
    // Without a role item in the AC, the default roles apply (PS3.7 §D.3.3.4).
    const scuRole = role && proposedRoles ? role.scu && (p.scuRole ?? false) : true;
    const scpRole = role && proposedRoles ? role.scp && (p.scpRole ?? false) : false;
    return {
      id: p.id,
      abstractSyntax: p.abstractSyntax,
      transferSyntax,
      result: accepted ? result : result === ContextResult.acceptance ? ContextResult.noReason : result,
      accepted,
      proposedTransferSyntaxes: p.transferSyntaxes,
      scuRole: accepted && scuRole,
      scpRole: accepted && scpRole,
      ...(accepted && extended.has(p.abstractSyntax)
        ? { extendedNegotiation: extended.get(p.abstractSyntax)! }
        : {}),
    };
  });
}

/** The SOP Class Extended Negotiation items a requestor sends: one per SOP class, the first given. */
export function extendedNegotiationsFor(proposals: readonly ProposedContext[]): ExtendedNegotiation[] {
  const out = new Map<string, Uint8Array>();
  for (const p of proposals) {
    if (p.extendedNegotiation && !out.has(p.abstractSyntax)) out.set(p.abstractSyntax, p.extendedNegotiation);
  }
  return [...out].map(([sopClassUid, info]) => ({ sopClassUid, info }));
}

/** The SOP Class Common Extended Negotiation items a requestor sends: one per SOP class, the first given. */
export function commonExtendedNegotiationsFor(
  proposals: readonly ProposedContext[],
): CommonExtendedNegotiation[] {
  const out = new Map<string, CommonExtendedNegotiation>();
  for (const p of proposals) {
    const common = p.commonExtendedNegotiation;
    if (!common || out.has(p.abstractSyntax)) continue;
    out.set(p.abstractSyntax, {
      sopClassUid: p.abstractSyntax,
      serviceClassUid: common.serviceClassUid,
      relatedGeneralSopClasses: [...(common.relatedGeneralSopClasses ?? [])],
    });
  }
  return [...out.values()];
}

/** The role selection items a requestor sends for its proposals. */
export function roleSelectionsFor(proposals: readonly ProposedContext[]): RoleSelection[] {
  const out = new Map<string, RoleSelection>();
  for (const p of proposals) {
    if (p.scuRole === undefined && p.scpRole === undefined) continue;
    const prior = out.get(p.abstractSyntax);
    out.set(p.abstractSyntax, {
      sopClassUid: p.abstractSyntax,
      scu: (prior?.scu ?? false) || (p.scuRole ?? false),
      scp: (prior?.scp ?? false) || (p.scpRole ?? false),
    });
  }
  return [...out.values()];
}

/** User-Identity-Type values (PS3.7 Table D.3-14). */
export const UserIdentityType = {
  username: 1,
  usernameAndPasscode: 2,
  kerberos: 3,
  saml: 4,
  jwt: 5,
} as const;

/**
 * The Server-response of the A-ASSOCIATE-AC's User Identity sub-item for an accepted
 * identity, or undefined when none is to be sent (none was asked for). PS3.7 §D.3.3.7.2: zero
 * length for a user name or a user name and passcode; the ticket, SAML or JWT response else.
 */
export function userIdentityResponseFor(
  identity: UserIdentityRq | undefined,
  serverResponse: Uint8Array | undefined,
): Uint8Array | undefined {
  if (!identity?.positiveResponseRequested) return undefined;
  const plain =
    identity.type === UserIdentityType.username || identity.type === UserIdentityType.usernameAndPasscode;
  return plain ? new Uint8Array(0) : (serverResponse ?? new Uint8Array(0));
}
