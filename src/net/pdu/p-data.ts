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
  return decodePDataParts([bytes]);
}

/** The bytes of a PDV's fragment without copying them: one piece, or several. */
export function pdvPieces(pdv: Pdv): readonly Uint8Array[] {
  return pdv.pieces ?? [pdv.data];
}

/** The length of a PDV's fragment, without joining its pieces. */
export function pdvLength(pdv: Pdv): number {
  if (!pdv.pieces) return pdv.data.length;
  let length = 0;
  for (const piece of pdv.pieces) length += piece.length;
  return length;
}

/**
 * decodePData for a PDU that may lie across several buffers (socket reads), as `parts` in
 * order: the PDV headers are read across the boundaries and the fragments handed out as views
 * on the parts, so a large PDU is never copied into one buffer.
 */
export function decodePDataParts(parts: readonly Uint8Array[]): PDataTf {
  const cursor = new PartsCursor(parts);
  const end = cursor.length;
  cursor.skip(6);
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
    const itemLength = cursor.uint32();
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
    const contextId = cursor.byte();
    const control = cursor.byte();
    const pieces = cursor.take(itemLength - 2);
    const isCommand = (control & COMMAND_BIT) !== 0;
    const isLast = (control & LAST_BIT) !== 0;
    pdvs.push(
      pieces.length === 1
        ? { contextId, isCommand, isLast, data: pieces[0]! }
        : piecedPdv(contextId, isCommand, isLast, pieces),
    );
    pos += 4 + itemLength;
  }
  if (pdvs.length === 0) {
    throw new PduError('P-DATA-TF PDU without a PDV item', ABORT_REASON.INVALID_PDU_PARAMETER_VALUE, 2);
  }
  return { type: 'P-DATA-TF', pdvs };
}

function piecedPdv(contextId: number, isCommand: boolean, isLast: boolean, pieces: Uint8Array[]): Pdv {
  let joined: Uint8Array | undefined;
  return {
    contextId,
    isCommand,
    isLast,
    pieces,
    get data(): Uint8Array {
      if (!joined) {
        joined = new Uint8Array(pdvLength(this));
        let at = 0;
        for (const piece of pieces) {
          joined.set(piece, at);
          at += piece.length;
        }
      }
      return joined;
    },
  };
}

/** Reads bytes across a list of buffers as if they were one. */
class PartsCursor {
  readonly #parts: readonly Uint8Array[];
  readonly length: number;
  #index = 0;
  #offset = 0;

  constructor(parts: readonly Uint8Array[]) {
    this.#parts = parts;
    let length = 0;
    for (const part of parts) length += part.length;
    this.length = length;
  }

  byte(): number {
    let part = this.#parts[this.#index]!;
    while (this.#offset >= part.length) {
      part = this.#parts[++this.#index]!;
      this.#offset = 0;
    }
    return part[this.#offset++]!;
  }

  uint32(): number {
    return ((this.byte() << 24) | (this.byte() << 16) | (this.byte() << 8) | this.byte()) >>> 0;
  }

  skip(n: number): void {
    this.take(n);
  }

  /** The next `n` bytes as views on the parts. */
  take(n: number): Uint8Array[] {
    const out: Uint8Array[] = [];
    while (n > 0) {
      const part = this.#parts[this.#index]!;
      const available = part.length - this.#offset;
      if (available === 0) {
        this.#index++;
        this.#offset = 0;
        continue;
      }
      const count = Math.min(available, n);
      out.push(part.subarray(this.#offset, this.#offset + count));
      this.#offset += count;
      n -= count;
    }
    if (out.length === 0) out.push(new Uint8Array(0));
    return out;
  }
}
