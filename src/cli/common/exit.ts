import { DicomError, DicomParseError } from '../../core/errors.ts';

/** Exit codes as DCMTK documents them (dcmdump: 1 = file error; 2-9 = command line). */
export const EXIT = {
  ok: 0,
  commandLine: 1,
  inputFile: 1,
  outputFile: 2,
} as const;

/**
 * The exit codes DCMTK 3.6.7's network tools document (echoscu(1) and movescu(1), EXIT CODES)
 * or use (storescu: the high byte of a failed store's status; 10 for a network failure).
 */
export const NET_EXIT = {
  ok: 0,
  commandLine: 1,
  /** What DCMTK's storescu, findscu, getscu and storescp return for any other failure. */
  failure: 1,
  storeNetworkFailure: 10,
  cannotReadInputFile: 20,
  invalidInputFile: 22,
  cannotWriteOutputFile: 40,
  invalidOutputDirectory: 45,
  cannotInitializeNetwork: 60,
  cannotNegotiateAssociation: 61,
  noPresentationContext: 66,
  cannotCloseAssociation: 67,
  cmoveWarning: 68,
  cmoveError: 69,
  associationAborted: 70,
} as const;

/** One line for an error: its stable code and message; unknown errors keep their stack under --debug. */
export function describeError(error: unknown, debug = false): string {
  if (error instanceof DicomParseError) return `${error.code}: ${error.message}`;
  if (error instanceof DicomError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return debug && error.stack ? error.stack : error.message;
  return String(error);
}
