/**
 * The DICOM Upper Layer PDUs (PS3.8 §9.3) and their items (PS3.8 Annex D, PS3.7 Annex D.3.3)
 * as pure encode and decode functions over Uint8Array: no I/O, no object model. The transport
 * frames PDUs with readPduHeader, the association layer reads and writes them with decodePdu
 * and encodePdu, and maps a PduError's `reason` onto the A-ABORT it sends.
 */
export { decodePdu, encodePdu, PDU_HEADER_LENGTH, readPduHeader } from './codec.ts';
export {
  ABORT_REASON,
  ABORT_SOURCE,
  CONTEXT_RESULT,
  DICOM_APPLICATION_CONTEXT,
  ITEM_TYPE,
  PDU_TYPE,
  PROTOCOL_VERSION,
  REJECT_RESULT,
  REJECT_SOURCE,
  USER_IDENTITY_TYPE,
} from './constants.ts';
export { abortReasonText, contextResultText, describePdu, rejectReasonText } from './describe.ts';
export { checkAeTitle } from './fields.ts';
export { decodePDataParts, encodePDataHeader, pdvLength, pdvPieces } from './p-data.ts';
export { isPduError, PduError } from './pdu-error.ts';
export type * from './types.ts';
export { emptyUserInformation } from './user-information.ts';
