/**
 * The seven DICOM Upper Layer PDUs (PS3.8 §9.3) as plain data. UIDs are strings without
 * padding; AE titles are strings without their space padding.
 */

/** A presentation context as proposed in an A-ASSOCIATE-RQ (item 20H, PS3.8 §9.3.2.2). */
export interface PresentationContextRq {
  /** Odd integer 1-255. */
  id: number;
  abstractSyntax: string;
  transferSyntaxes: string[];
}

/** A presentation context as answered in an A-ASSOCIATE-AC (item 21H, PS3.8 §9.3.3.2). */
export interface PresentationContextAc {
  id: number;
  /** 0 acceptance, 1 user-rejection, 2 no-reason, 3 abstract syntax not supported, 4 transfer syntaxes not supported. */
  result: number;
  /**
   * The accepted transfer syntax. Only significant when result is 0: decode leaves it undefined
   * otherwise (PS3.8 Table 9-18 says it is not tested then); encode writes the sub-item whenever
   * it is set, which some peers expect even on a rejection.
   */
  transferSyntax?: string;
}

/** SCP/SCU Role Selection sub-item 54H (PS3.7 §D.3.3.4). */
export interface RoleSelection {
  sopClassUid: string;
  scu: boolean;
  scp: boolean;
}

/** User Identity sub-item 58H of an A-ASSOCIATE-RQ (PS3.7 §D.3.3.7.1). */
export interface UserIdentityRq {
  /** 1 username, 2 username and passcode, 3 Kerberos, 4 SAML, 5 JWT. */
  type: number;
  positiveResponseRequested: boolean;
  primaryField: Uint8Array;
  /** The passcode for type 2, empty otherwise. */
  secondaryField: Uint8Array;
}

/** SOP Class Extended Negotiation sub-item 56H (PS3.7 §D.3.3.5). */
export interface ExtendedNegotiation {
  sopClassUid: string;
  /** Service-class-application-information, defined by each service class (PS3.4). */
  info: Uint8Array;
}

/** SOP Class Common Extended Negotiation sub-item 57H (PS3.7 §D.3.3.6). */
export interface CommonExtendedNegotiation {
  sopClassUid: string;
  serviceClassUid: string;
  relatedGeneralSopClasses: string[];
}

/** A user information sub-item this codec does not know, kept as bytes. */
export interface UnknownItem {
  type: number;
  data: Uint8Array;
}

/** The User Information item 50H (PS3.8 §9.3.2.3, Annex D.1; PS3.7 Annex D.3.3). */
export interface UserInformation {
  /** Maximum Length sub-item 51H: the largest P-DATA-TF PDU length the sender receives; 0 = unlimited. */
  maxPduLength?: number;
  /** 52H (PS3.7 §D.3.3.2). */
  implementationClassUid?: string;
  /** 55H (PS3.7 §D.3.3.2): 1-16 characters. */
  implementationVersionName?: string;
  /** 53H (PS3.7 §D.3.3.3): 0 means unlimited. */
  asyncOpsWindow?: { invoked: number; performed: number };
  /** 54H, one per SOP class. */
  roleSelections: RoleSelection[];
  /** 56H, one per SOP class. */
  extendedNegotiations: ExtendedNegotiation[];
  /** 57H, RQ only. */
  commonExtendedNegotiations: CommonExtendedNegotiation[];
  /** 58H, RQ only. */
  userIdentity?: UserIdentityRq;
  /** 59H, AC only: the server response (PS3.7 §D.3.3.7.2). */
  userIdentityResponse?: Uint8Array;
  /** Sub-items of other types, kept so nothing is silently dropped (PS3.8 Annex D.2 says to ignore them). */
  unknownItems: UnknownItem[];
}

/** A-ASSOCIATE-RQ (PS3.8 §9.3.2). */
export interface AssociateRq {
  type: 'A-ASSOCIATE-RQ';
  /** Bit 0 set for version 1; a receiver only tests that bit. */
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextRq[];
  userInformation: UserInformation;
}

/** A-ASSOCIATE-AC (PS3.8 §9.3.3). The AE titles echo the request and are not tested on receipt. */
export interface AssociateAc {
  type: 'A-ASSOCIATE-AC';
  protocolVersion: number;
  calledAeTitle: string;
  callingAeTitle: string;
  applicationContext: string;
  presentationContexts: PresentationContextAc[];
  userInformation: UserInformation;
}

/** A-ASSOCIATE-RJ (PS3.8 §9.3.4). */
export interface AssociateRj {
  type: 'A-ASSOCIATE-RJ';
  /** 1 rejected-permanent, 2 rejected-transient. */
  result: number;
  /** 1 service-user, 2 service-provider (ACSE), 3 service-provider (presentation). */
  source: number;
  reason: number;
}

/** One Presentation Data Value item of a P-DATA-TF (PS3.8 §9.3.5.1, Annex E.2). */
export interface Pdv {
  contextId: number;
  /** Message control header bit 0: a command rather than a data set fragment. */
  isCommand: boolean;
  /** Message control header bit 1: the last fragment of the command or data set. */
  isLast: boolean;
  /** On decode, a subarray view of the input (no copy): copy it if the input buffer is reused. */
  data: Uint8Array;
  /**
   * Set when the fragment arrived split across socket reads: its bytes as they lie in those
   * reads, uncopied. `data` then joins them (a copy, made on first use): readers on the hot
   * path take the pieces instead (see pdvPieces).
   */
  pieces?: readonly Uint8Array[];
}

/** P-DATA-TF (PS3.8 §9.3.5). */
export interface PDataTf {
  type: 'P-DATA-TF';
  pdvs: Pdv[];
}

/** A-RELEASE-RQ (PS3.8 §9.3.6). */
export interface ReleaseRq {
  type: 'A-RELEASE-RQ';
}

/** A-RELEASE-RP (PS3.8 §9.3.7). */
export interface ReleaseRp {
  type: 'A-RELEASE-RP';
}

/** A-ABORT (PS3.8 §9.3.8). */
export interface Abort {
  type: 'A-ABORT';
  /** 0 service-user, 2 service-provider. */
  source: number;
  /** Significant only when source is 2 (see ABORT_REASON). */
  reason: number;
}

export type Pdu = AssociateRq | AssociateAc | AssociateRj | PDataTf | ReleaseRq | ReleaseRp | Abort;
