import { DicomError, type DicomErrorOptions } from '../../core/index.ts';

/**
 * A PDU that cannot be decoded: `new PduError(message, reason, offset?)`, code 'ERR_PDU'.
 * `reason` is the A-ABORT Reason/Diag. the upper layer should send back (PS3.8 §9.3.8,
 * Table 9-26; see ABORT_REASON): 1 unrecognized PDU, 4 unrecognized PDU parameter,
 * 5 unexpected PDU parameter, 6 invalid PDU parameter value.
 */
export class PduError extends DicomError {
  readonly reason: number;
  /** Offset in the PDU (0 = its first header byte) where the problem was found, when known. */
  readonly offset: number | undefined;
  constructor(message: string, reason = 0, offset?: number, options?: DicomErrorOptions) {
    super('ERR_PDU', offset === undefined ? message : `${message} at byte offset ${offset}`, options);
    this.reason = reason;
    this.offset = offset;
  }
}

/** Whether a value is a PduError, also across two copies of this module (the code is checked). */
export function isPduError(e: unknown): e is PduError {
  return e instanceof PduError || (e instanceof DicomError && e.code === 'ERR_PDU');
}
