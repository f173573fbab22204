import { DicomError, DicomParseError } from '../../core/errors.ts';

/** Exit codes as DCMTK documents them (dcmdump: 1 = file error; 2-9 = command line). */
export const EXIT = {
  ok: 0,
  commandLine: 1,
  inputFile: 1,
  outputFile: 2,
} as const;

/** One line for an error: its stable code and message; unknown errors keep their stack under --debug. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof DicomParseError) return `${error.code}: ${error.message}`;
  if (error instanceof DicomError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return debug && error.stack ? error.stack : error.message;
  return String(error);
}
