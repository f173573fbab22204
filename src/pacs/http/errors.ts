import { DicomError } from '../../core/index.ts';

/**
 * An error answered as JSON `{ error, code }` with an HTTP status. Codes are the stable
 * DicomError codes where one applies (ERR_INVALID_VALUE, ERR_NETWORK...), else a few of the
 * REST API's own (ERR_NOT_FOUND, ERR_NO_ROUTE, ERR_BAD_REQUEST, ERR_CONFLICT, ERR_INTERNAL).
 */
export class HttpError extends Error {
  readonly status: number;
  readonly code: string;
  /** Further fields of the JSON answer (counts of a partly failed store, say). */
  readonly details: Record<string, unknown> | undefined;

  constructor(status: number, code: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }

  body(): Record<string, unknown> {
    return { error: this.message, code: this.code, ...this.details };
  }
}

export function notFound(message: string): HttpError {
  return new HttpError(404, 'ERR_NOT_FOUND', message);
}

export function badRequest(message: string, code = 'ERR_BAD_REQUEST'): HttpError {
  return new HttpError(400, code, message);
}

/** A failure of a remote DICOM peer (refused, unreachable, failure status): 502 Bad Gateway. */
export function badGateway(peer: string, error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  const code = error instanceof DicomError ? error.code : 'ERR_NETWORK';
  return new HttpError(502, code, `${peer}: ${(error as Error).message ?? String(error)}`);
}

/** Any thrown value as an HttpError: ours as they are, Fastify's with their status, DicomErrors as 400. */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DicomError) {
    const status = error.code === 'ERR_IO' ? 500 : 400;
    return new HttpError(status, error.code, error.message);
  }
  const e = error as { statusCode?: number; code?: string; message?: string };
  if (typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) {
    // Fastify's own (FST_ERR_CTP_INVALID_JSON_BODY and friends).
    return new HttpError(e.statusCode, e.code ?? 'ERR_BAD_REQUEST', e.message ?? 'bad request');
  }
  return new HttpError(500, 'ERR_INTERNAL', e?.message ?? String(error));
}
