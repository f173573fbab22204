import { DicomError } from '../../core/index.ts';
import { ABORT_REASON, PDU_TYPE } from './constants.ts';
import { checkContextId } from './fields.ts';
import { PduError } from './pdu-error.ts';
import type { PDataTf, Pdv } from './types.ts';

// P-DATA-TF, PS3.8 §9.3.5 (Table 9-22): the 6-byte PDU header, then PDV items, each a 4-byte
// Item-length (context ID + control header + data), the presentation context ID, the message
// control header (PS3.8 Annex E.2) and the data fragment.

const PDV_HEADER = 6;
const COMMAND_BIT = 0x01;
const LAST_BIT = 0x02;
const MAX_UINT32 = 0xffffffff;

export function encodePData(pdu: PDataTf): Uint8Array {
  if (pdu.pdvs.length === 0) {
    throw new DicomError('ERR_INVALID_VALUE', 'a P-DATA-TF PDU carries one or more PDVs (PS3.8 §9.3.5)');
  }
  let length = 0;
  for (const pdv of pdu.pdvs) length += PDV_HEADER + pdv.data.length;
  if (length > MAX_UINT32) {
    throw new DicomError('ERR_VALUE_TOO_LARGE', `P-DATA-TF PDU of ${length} bytes exceeds 2^32-1`);
  }
  const out = new Uint8Array(6 + length);
  const view = new DataView(out.buffer);
  out[0] = PDU_TYPE.P_DATA_TF;
  view.setUint32(2, length);
  let pos = 6;
  for (const pdv of pdu.pdvs) {
    writePdvHeader(view, pos, pdv.data.length, pdv.contextId, pdv.isCommand, pdv.isLast);
    out.set(pdv.data, pos + PDV_HEADER);
    pos += PDV_HEADER + pdv.data.length;
  }
  return out;
}

/**
 * The 12 bytes that precede the data of a P-DATA-TF holding one PDV: the PDU header and the PDV
 * item header. A writer sends them and then the data as it is, so a large fragment is never
 * copied into a new buffer.
 */
export function encodePDataHeader(
  pdvDataLength: number,
  contextId: number,
  isCommand: boolean,
  isLast: boolean,
): Uint8Array {
  if (!Number.isInteger(pdvDataLength) || pdvDataLength < 0 || pdvDataLength > MAX_UINT32 - PDV_HEADER) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `PDV data length must be an integer 0-${MAX_UINT32 - PDV_HEADER}`,
    );
  }
  const out = new Uint8Array(12);
  const view = new DataView(out.buffer);
  out[0] = PDU_TYPE.P_DATA_TF;
  view.setUint32(2, PDV_HEADER + pdvDataLength);
  writePdvHeader(view, 6, pdvDataLength, contextId, isCommand, isLast);
  return out;
}

function writePdvHeader(
  view: DataView,
  pos: number,
  dataLength: number,
  contextId: number,
  isCommand: boolean,
  isLast: boolean,
): void {
  view.setUint32(pos, dataLength + 2);
  view.setUint8(pos + 4, checkContextId(contextId, 'PDV presentation context ID'));
  // Bits 2-7 of the message control header are reserved and sent as 0 (PS3.8 Annex E.2).
  view.setUint8(pos + 5, (isCommand ? COMMAND_BIT : 0) | (isLast ? LAST_BIT : 0));
}

/**
 * Decodes the PDVs of a whole P-DATA-TF PDU whose header the caller checked. On the hot path
 * of every transfer: one pass over the PDV headers, the data handed out as subarray views.
 */
export function decodePData(bytes: Uint8Array): PDataTf {
  const end = bytes.length;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pdvs: Pdv[] = [];
  let pos = 6;
  while (pos < end) {
    if (end - pos < 4) {
      throw new PduError(
        `${end - pos} trailing bytes cannot hold a PDV item length`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        pos,
      );
    }
    const itemLength = view.getUint32(pos);
    // The item length counts the context ID and the control header, so it is at least 2.
    if (itemLength < 2) {
      throw new PduError(
        `PDV item length ${itemLength} is below 2`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        pos,
      );
    }
    if (itemLength > end - pos - 4) {
      throw new PduError(
        `PDV item length ${itemLength} runs past the end of the PDU (${end - pos - 4} bytes left)`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        pos,
      );
    }
    const control = bytes[pos + 5]!;
    pdvs.push({
      contextId: bytes[pos + 4]!,
      isCommand: (control & COMMAND_BIT) !== 0,
      isLast: (control & LAST_BIT) !== 0,
      data: bytes.subarray(pos + PDV_HEADER, pos + 4 + itemLength),
    });
    pos += 4 + itemLength;
  }
  if (pdvs.length === 0) {
    throw new PduError('P-DATA-TF PDU without a PDV item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 2);
  }
  return { type: 'P-DATA-TF', pdvs };
}
