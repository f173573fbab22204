import { DicomError } from '../errors.ts';

/** Shared helpers of the value parsers; not exported from the package. */

const MESSAGE_TEXT_LIMIT = 64;

/** Builds the ERR_INVALID_VALUE every value parser throws, quoting (a bounded prefix of) the input. */
export function invalidValue(vr: string, text: string, reason: string): DicomError {
  const shown = text.length > MESSAGE_TEXT_LIMIT ? `${text.slice(0, MESSAGE_TEXT_LIMIT)}...` : text;
  return new DicomError('ERR_INVALID_VALUE', `invalid ${vr} value ${JSON.stringify(shown)}: ${reason}`);
}

/**
 * Strips the padding a value may carry on the wire: values are padded to even length with a
 * space (PS3.5 §6.2), and some writers pad with NUL instead, so both are tolerated on read.
 */
export function trimPadding(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isPad(text.charCodeAt(start))) start++;
  while (end > start && isPad(text.charCodeAt(end - 1))) end--;
  return start === 0 && end === text.length ? text : text.slice(start, end);
}

function isPad(code: number): boolean {
  return code === 0x20 || code === 0x00;
}

export function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

export function pad4(n: number): string {
  return String(n).padStart(4, '0');
}
