/**
 * DIMSE statuses in the words DCMTK's tools print them ("Received Final Find Response
 * (Cancel: MatchingTerminatedDueToCancelRequest)"): DU_cstoreStatusString and its siblings
 * in DCMTK's dcmnet/libsrc/diutil.cc, so that output can be compared line for line.
 */
export type DimseService = 'C-ECHO' | 'C-STORE' | 'C-FIND' | 'C-MOVE' | 'C-GET';

const EXACT: Record<DimseService, Record<number, string>> = {
  'C-ECHO': { 0: 'Success' },
  'C-STORE': {
    0: 'Success',
    290: 'Refused: SOPClassNotSupported',
    45056: 'Warning: CoercionOfDataElements',
    45063: 'Warning: DataSetDoesNotMatchSOPClass',
    45062: 'Warning: ElementsDiscarded',
  },
  'C-FIND': {
    0: 'Success',
    65280: 'Pending',
    42752: 'Refused: OutOfResources',
    290: 'Refused: SOPClassNotSupported',
    43264: 'Error: DataSetDoesNotMatchSOPClass',
    65024: 'Cancel: MatchingTerminatedDueToCancelRequest',
    65281: 'Pending: WarningUnsupportedOptionalKeys',
  },
  'C-MOVE': {
    0: 'Success',
    65280: 'Pending',
    42753: 'Refused: OutOfResourcesNumberOfMatches',
    42754: 'Refused: OutOfResourcesSubOperations',
    290: 'Refused: SOPClassNotSupported',
    43009: 'Refused: MoveDestinationUnknown',
    43264: 'Error: DataSetDoesNotMatchSOPClass',
    65024: 'Cancel: SubOperationsTerminatedDueToCancelIndication',
    45056: 'Warning: SubOperationsCompleteOneOrMoreFailures',
  },
  'C-GET': {
    0: 'Success',
    65280: 'Pending',
    42753: 'Refused: OutOfResourcesNumberOfMatches',
    42754: 'Refused: OutOfResourcesSubOperations',
    290: 'Refused: SOPClassNotSupported',
    43264: 'Error: DataSetDoesNotMatchSOPClass',
    65024: 'Cancel: SubOperationsTerminatedDueToCancelIndication',
    45056: 'Warning: SubOperationsCompleteOneOrMoreFailures',
  },
};

/** The status as DCMTK names it for this service, e.g. "Refused: MoveDestinationUnknown". */
export function statusText(service: DimseService, status: number): string {
  const exact = EXACT[service][status];
  if (exact) return exact;
  if (service === 'C-STORE') {
    if ((status & 0xff00) === 0xa700) return 'Refused: OutOfResources';
    if ((status & 0xff00) === 0xa900) return 'Error: DataSetDoesNotMatchSOPClass';
    if ((status & 0xf000) === 0xc000) return 'Error: CannotUnderstand';
  } else if (service !== 'C-ECHO' && (status & 0xf000) === 0xc000) {
    return 'Failed: UnableToProcess';
  }
  return `Unknown Status: 0x${status.toString(16)}`;
}
