/** PDU types (PS3.8 §9.3.1, Table 9-11 and the tables of §9.3.2 to §9.3.8). */
export const PDU_TYPE = {
  ASSOCIATE_RQ: 0x01,
  ASSOCIATE_AC: 0x02,
  ASSOCIATE_RJ: 0x03,
  P_DATA_TF: 0x04,
  RELEASE_RQ: 0x05,
  RELEASE_RP: 0x06,
  ABORT: 0x07,
} as const;

/**
 * Item types of the A-ASSOCIATE variable field (PS3.8 §9.3.2.1 to §9.3.2.3) and the
 * user information sub-items (PS3.8 Annex D.1, PS3.7 Annex D.3.3).
 */
export const ITEM_TYPE = {
  APPLICATION_CONTEXT: 0x10,
  PRESENTATION_CONTEXT_RQ: 0x20,
  PRESENTATION_CONTEXT_AC: 0x21,
  ABSTRACT_SYNTAX: 0x30,
  TRANSFER_SYNTAX: 0x40,
  USER_INFORMATION: 0x50,
  MAXIMUM_LENGTH: 0x51,
  IMPLEMENTATION_CLASS_UID: 0x52,
  ASYNCHRONOUS_OPERATIONS_WINDOW: 0x53,
  SCP_SCU_ROLE_SELECTION: 0x54,
  IMPLEMENTATION_VERSION_NAME: 0x55,
  SOP_CLASS_EXTENDED_NEGOTIATION: 0x56,
  SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: 0x57,
  USER_IDENTITY_RQ: 0x58,
  USER_IDENTITY_AC: 0x59,
} as const;

/** The only application context name DICOM defines (PS3.7 Annex A.2.1). */
export const DICOM_APPLICATION_CONTEXT = '1.2.840.10008.3.1.1.1';

/** Bit 0 of the Protocol-version field: version 1 of the DICOM UL protocol (PS3.8 §9.3.2). */
export const PROTOCOL_VERSION = 0x0001;

/** Result/Reason of a presentation context in an A-ASSOCIATE-AC (PS3.8 §9.3.3.2, Table 9-18). */
export const CONTEXT_RESULT = {
  ACCEPTANCE: 0,
  USER_REJECTION: 1,
  NO_REASON: 2,
  ABSTRACT_SYNTAX_NOT_SUPPORTED: 3,
  TRANSFER_SYNTAXES_NOT_SUPPORTED: 4,
} as const;

/** Source field of an A-ABORT (PS3.8 §9.3.8, Table 9-26). 1 is reserved. */
export const ABORT_SOURCE = {
  SERVICE_USER: 0,
  SERVICE_PROVIDER: 2,
} as const;

/**
 * Reason/Diag. of an A-ABORT sent by the service provider (PS3.8 §9.3.8, Table 9-26); 3 is
 * reserved. PduError.reason holds one of these, so a decode failure maps straight to the
 * A-ABORT the upper layer sends back (PS3.8 §9.2, action AA-8).
 */
export const ABORT_REASON = {
  NOT_SPECIFIED: 0,
  UNRECOGNIZED_PDU: 1,
  UNEXPECTED_PDU: 2,
  UNRECOGNIZED_PDU_PARAMETER: 4,
  UNEXPECTED_PDU_PARAMETER: 5,
  INVALID_PDU_PARAMETER_VALUE: 6,
} as const;

/** Result field of an A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21). */
export const REJECT_RESULT = {
  PERMANENT: 1,
  TRANSIENT: 2,
} as const;

/** Source field of an A-ASSOCIATE-RJ (PS3.8 §9.3.4, Table 9-21). */
export const REJECT_SOURCE = {
  SERVICE_USER: 1,
  SERVICE_PROVIDER_ACSE: 2,
  SERVICE_PROVIDER_PRESENTATION: 3,
} as const;

/** User-Identity-Type of the user identity sub-item (PS3.7 §D.3.3.7.1, Table D.3-14). */
export const USER_IDENTITY_TYPE = {
  USERNAME: 1,
  USERNAME_AND_PASSCODE: 2,
  KERBEROS: 3,
  SAML: 4,
  JWT: 5,
} as const;
