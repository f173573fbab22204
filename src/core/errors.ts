/**
 * Every error dicomkit throws on purpose is a DicomError with a stable `code`. Codes are
 * part of the API (docs/errors.md lists them); messages may improve between versions.
 */
export type DicomErrorCode =
  | 'ERR_INVALID_TAG'
  | 'ERR_INVALID_VR'
  | 'ERR_INVALID_VALUE'
  | 'ERR_UNKNOWN_KEYWORD'
  | 'ERR_UNEXPECTED_END'
  | 'ERR_MALFORMED'
  | 'ERR_NOT_DICOM'
  | 'ERR_MISSING_TRANSFER_SYNTAX'
  | 'ERR_UNSUPPORTED_TRANSFER_SYNTAX'
  | 'ERR_VALUE_TOO_LARGE'
  | 'ERR_CHARSET'
  | 'ERR_JSON'
  | 'ERR_DUMP_SYNTAX'
  | 'ERR_IO'
  // Network (PS3.7, PS3.8)
  | 'ERR_PDU'
  | 'ERR_DUL_STATE'
  | 'ERR_NETWORK'
  | 'ERR_TIMEOUT'
  | 'ERR_ASSOCIATION_REJECTED'
  | 'ERR_ASSOCIATION_ABORTED'
  | 'ERR_ASSOCIATION_CLOSED'
  | 'ERR_NO_PRESENTATION_CONTEXT'
  | 'ERR_DIMSE'
  | 'ERR_DIMSE_STATUS'
  | 'ERR_CANCELLED';

export interface DicomErrorOptions {
  cause?: unknown;
}

export class DicomError extends Error {
  readonly code: DicomErrorCode;
  constructor(code: DicomErrorCode, message: string, options?: DicomErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bad bytes in a file or stream: carries the absolute byte offset where it was found. */
export class DicomParseError extends DicomError {
  readonly offset: number;
  /** What was read before the error, when the reader could keep it (e.g. a DicomFile). */
  partial?: unknown;
  constructor(code: DicomErrorCode, message: string, offset: number, options?: DicomErrorOptions) {
    super(code, `${message} at byte offset ${offset}`, options);
    this.offset = offset;
  }
}
