import { DicomError } from '../../core/index.ts';

export type StatusCategory = 'success' | 'warning' | 'failure' | 'cancel' | 'pending';

/** Well-known status codes (PS3.7 Annex C, and the service tables of PS3.4). */
export const Status = {
  Success: 0x0000,
  Pending: 0xff00,
  PendingWarning: 0xff01,
  Cancel: 0xfe00,
  // General failures (PS3.7 §C.4)
  ProcessingFailure: 0x0110,
  DuplicateSOPInstance: 0x0111,
  NoSuchSOPInstance: 0x0112,
  NoSuchEventType: 0x0113,
  NoSuchArgument: 0x0114,
  InvalidArgumentValue: 0x0115,
  InvalidObjectInstance: 0x0117,
  NoSuchSOPClass: 0x0118,
  ClassInstanceConflict: 0x0119,
  MissingAttribute: 0x0120,
  MissingAttributeValue: 0x0121,
  SOPClassNotSupported: 0x0122,
  NoSuchActionType: 0x0123,
  NotAuthorized: 0x0124,
  DuplicateInvocation: 0x0210,
  UnrecognizedOperation: 0x0211,
  MistypedArgument: 0x0212,
  ResourceLimitation: 0x0213,
  // Warnings (PS3.7 §C.3)
  AttributeListError: 0x0107,
  AttributeValueOutOfRange: 0x0116,
  // Storage (PS3.4 Table B.2-1)
  OutOfResources: 0xa700,
  DataSetDoesNotMatchSOPClass: 0xa900,
  CannotUnderstand: 0xc000,
  CoercionOfDataElements: 0xb000,
  ElementsDiscarded: 0xb006,
  DataSetDoesNotMatchSOPClassWarning: 0xb007,
  // Query/Retrieve (PS3.4 C.4)
  OutOfResourcesMatches: 0xa701,
  OutOfResourcesSubOperations: 0xa702,
  MoveDestinationUnknown: 0xa801,
  IdentifierDoesNotMatchSOPClass: 0xa900,
  UnableToProcess: 0xc000,
  SubOperationsCompleteWithFailures: 0xb000,
} as const;

/** The category a status code falls in (PS3.7 Annex C). */
export function statusCategory(status: number): StatusCategory {
  if (status === 0x0000) return 'success';
  if (status === 0xff00 || status === 0xff01) return 'pending';
  if (status === 0xfe00) return 'cancel';
  if (status === 0x0001 || status === 0x0107 || status === 0x0116 || (status & 0xf000) === 0xb000)
    return 'warning';
  return 'failure';
}

const GENERAL_MEANINGS: Record<number, string> = {
  0: 'Success',
  1: 'Warning: requested optional attributes are not supported',
  261: 'No such attribute',
  262: 'Invalid attribute value',
  263: 'Warning: attribute list error',
  272: 'Processing failure',
  273: 'Duplicate SOP Instance',
  274: 'No such SOP Instance',
  275: 'No such event type',
  276: 'No such argument',
  277: 'Invalid argument value',
  278: 'Warning: attribute value out of range',
  279: 'Invalid object instance',
  280: 'No such SOP Class',
  281: 'Class-instance conflict',
  288: 'Missing attribute',
  289: 'Missing attribute value',
  290: 'Refused: SOP Class not supported',
  291: 'No such action type',
  292: 'Refused: not authorized',
  528: 'Duplicate invocation',
  529: 'Unrecognized operation',
  530: 'Mistyped argument',
  531: 'Resource limitation',
  65024: 'Cancel: sub-operations terminated due to Cancel indication',
  65280: 'Pending',
  65281: 'Pending: optional keys not supported',
};

/** Meanings that depend on the service (PS3.4 B.2.3, C.4.1.1.4, C.4.2.1.5, C.4.3.1.4). */
const SERVICE_MEANINGS: Record<string, Record<number, string>> = {
  'C-STORE': {
    45056: 'Warning: coercion of data elements',
    45062: 'Warning: elements discarded',
    45063: 'Warning: data set does not match SOP Class',
    43264: 'Error: data set does not match SOP Class',
    49152: 'Error: cannot understand',
  },
  'C-FIND': {
    42752: 'Refused: out of resources',
    43264: 'Failed: identifier does not match SOP Class',
    65280: 'Pending: matches are continuing',
    65281: 'Pending: matches are continuing, optional keys not supported',
  },
  'C-MOVE': {
    42753: 'Refused: out of resources, unable to calculate number of matches',
    42754: 'Refused: out of resources, unable to perform sub-operations',
    43009: 'Refused: move destination unknown',
    43264: 'Failed: identifier does not match SOP Class',
    45056: 'Warning: sub-operations complete, one or more failures',
    65280: 'Pending: sub-operations are continuing',
  },
  'C-GET': {
    42753: 'Refused: out of resources, unable to calculate number of matches',
    42754: 'Refused: out of resources, unable to perform sub-operations',
    43264: 'Failed: identifier does not match SOP Class',
    45056: 'Warning: sub-operations complete, one or more failures or warnings',
    65280: 'Pending: sub-operations are continuing',
  },
};

/** "0xA700 (Refused: out of resources)" for logs and error messages. */
export function describeStatus(status: number, command?: string): string {
  const hex = `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
  const service = command?.replace(/-(RQ|RSP)$/, '');
  let meaning = (service && SERVICE_MEANINGS[service]?.[status]) ?? GENERAL_MEANINGS[status];
  if (!meaning) {
    const high = status & 0xff00;
    if (high === 0xa700) meaning = 'Refused: out of resources';
    else if ((status & 0xf000) === 0xa000) meaning = 'Failure';
    else if ((status & 0xf000) === 0xc000) meaning = 'Failed: unable to process';
    else if ((status & 0xf000) === 0xb000) meaning = 'Warning';
    else meaning = statusCategory(status) === 'failure' ? 'Failure' : 'Unknown status';
  }
  return `${hex} (${meaning})`;
}

/** A DIMSE response with a failure (or cancel) status, thrown by SCU calls. */
export class DimseStatusError extends DicomError {
  readonly status: number;
  readonly errorComment: string | undefined;
  constructor(command: string, status: number, errorComment?: string) {
    super(
      'ERR_DIMSE_STATUS',
      `${command} failed with status ${describeStatus(status, command)}${errorComment ? `: ${errorComment}` : ''}`,
    );
    this.status = status;
    this.errorComment = errorComment;
  }
}
