import { DicomError } from '../../core/index.ts';
import { decodeAssociate, encodeAssociate } from './associate.ts';
import { ABORT_REASON, PDU_TYPE } from './constants.ts';
import { decodePData, encodePData } from './p-data.ts';
import { PduError } from './pdu-error.ts';
import type { Pdu } from './types.ts';
import { hex } from './user-information.ts';

/** Length of the header every PDU starts with: type, reserved, 4-byte PDU-length (PS3.8 §9.3.1). */
export const PDU_HEADER_LENGTH = 6;

/**
 * The type and PDU-length of the PDU at `offset`, or undefined while fewer than 6 bytes are
 * there. The length excludes the header itself; a reader waits for `6 + length` bytes and
 * checks `length` against its own maximum before buffering them.
 */
export function readPduHeader(bytes: Uint8Array, offset = 0): { type: number; length: number } | undefined {
  if (bytes.length - offset < PDU_HEADER_LENGTH) return undefined;
  const length =
    bytes[offset + 2]! * 0x1000000 +
    ((bytes[offset + 3]! << 16) | (bytes[offset + 4]! << 8) | bytes[offset + 5]!);
  return { type: bytes[offset]!, length };
}

/** The wire form of a PDU. Throws DicomError (ERR_INVALID_VALUE, ERR_VALUE_TOO_LARGE) on values it cannot send. */
export function encodePdu(pdu: Pdu): Uint8Array {
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return encodeAssociate(pdu);
    case 'P-DATA-TF':
      return encodePData(pdu);
    case 'A-ASSOCIATE-RJ':
      // PS3.8 §9.3.4, Table 9-21: reserved, result, source, reason/diag.
      return fixed(PDU_TYPE.ASSOCIATE_RJ, 0, pdu.result, pdu.source, pdu.reason);
    case 'A-RELEASE-RQ':
      return fixed(PDU_TYPE.RELEASE_RQ, 0, 0, 0, 0); // PS3.8 §9.3.6, Table 9-24
    case 'A-RELEASE-RP':
      return fixed(PDU_TYPE.RELEASE_RP, 0, 0, 0, 0); // PS3.8 §9.3.7, Table 9-25
    case 'A-ABORT':
      // PS3.8 §9.3.8, Table 9-26: reserved, reserved, source, reason/diag.
      return fixed(PDU_TYPE.ABORT, 0, 0, pdu.source, pdu.reason);
    default:
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `not a PDU: ${JSON.stringify((pdu as { type?: unknown }).type)}`,
      );
  }
}

/** The four PDUs of fixed length 4 (PDU-length 00000004H). */
function fixed(type: number, b7: number, b8: number, b9: number, b10: number): Uint8Array {
  for (const [value, what] of [
    [b8, 'byte 8'],
    [b9, 'byte 9'],
    [b10, 'byte 10'],
  ] as const) {
    if (!Number.isInteger(value) || value < 0 || value > 0xff) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `PDU ${hex(type)} ${what} must be an integer 0-255, got ${value}`,
      );
    }
  }
  return Uint8Array.of(type, 0, 0, 0, 0, 4, b7, b8, b9, b10);
}

/**
 * Decodes exactly one whole PDU, header included. Throws PduError whose `reason` is the A-ABORT
 * reason to answer with: 1 for an unknown PDU type, 5 for an item where it may not be, 6 for a
 * length or value that does not fit. Reserved fields are not tested (PS3.8 §9.3).
 */
export function decodePdu(bytes: Uint8Array): Pdu {
  const header = readPduHeader(bytes);
  if (header === undefined) {
    throw new PduError(
      `truncated PDU: ${bytes.length} bytes, the header alone is 6`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      0,
    );
  }
  const { type, length } = header;
  if (type < PDU_TYPE.ASSOCIATE_RQ || type > PDU_TYPE.ABORT) {
    throw new PduError(`unrecognized PDU type ${hex(type)}`, ABORT_REASON.UNRECOGNIZED_PDU, 0);
  }
  if (length !== bytes.length - PDU_HEADER_LENGTH) {
    throw new PduError(
      length > bytes.length - PDU_HEADER_LENGTH
        ? `truncated PDU: PDU-length ${length} but ${bytes.length - PDU_HEADER_LENGTH} bytes follow the header`
        : `PDU-length ${length} but ${bytes.length - PDU_HEADER_LENGTH} bytes follow the header (more than one PDU?)`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      2,
    );
  }
  switch (type) {
    case PDU_TYPE.P_DATA_TF:
      return decodePData(bytes);
    case PDU_TYPE.ASSOCIATE_RQ:
      return decodeAssociate(bytes, true);
    case PDU_TYPE.ASSOCIATE_AC:
      return decodeAssociate(bytes, false);
    case PDU_TYPE.ASSOCIATE_RJ:
      fixedLength(length, 'A-ASSOCIATE-RJ');
      return { type: 'A-ASSOCIATE-RJ', result: bytes[7]!, source: bytes[8]!, reason: bytes[9]! };
    case PDU_TYPE.RELEASE_RQ:
      fixedLength(length, 'A-RELEASE-RQ');
      return { type: 'A-RELEASE-RQ' };
    case PDU_TYPE.RELEASE_RP:
      fixedLength(length, 'A-RELEASE-RP');
      return { type: 'A-RELEASE-RP' };
    default:
      fixedLength(length, 'A-ABORT');
      return { type: 'A-ABORT', source: bytes[8]!, reason: bytes[9]! };
  }
}

function fixedLength(length: number, what: string): void {
  if (length !== 4) {
    throw new PduError(
      `${what} PDU-length ${length}, must be 4`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      2,
    );
  }
}
