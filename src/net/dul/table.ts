import type { Action, DulEvent, State } from './definitions.ts';

/**
 * PS3.8 §9.2.3 Table 9-10, "DICOM Upper Layer Protocol State Transition Table", one column
 * (state) at a time. A cell holds the action to run; the next state is part of the action's
 * definition (Tables 9-6..9-9), see machine.ts. A missing event is a blank cell: the standard
 * defines no transition there, and step() throws DulStateError for it.
 *
 * Source: Table 9-10 as published in current editions of PS3.8 (2019a onwards; the action
 * definitions were read from the 2019a chtml §9.2.2). The copies of §9.2.3 at hand render the
 * table's cells garbled, so every cell was also checked against three independent transcriptions,
 * which agree with this one and with each other. Cells reported to vary between printings or
 * implementations, and what this table uses:
 * - Sta2 (awaiting A-ASSOCIATE-RQ) answers every other PDU with AA-1, i.e. an A-ABORT with
 *   service-user source, not AA-8 as in Sta3..Sta12: no association exists yet, so there is no
 *   user to give an A-P-ABORT indication to.
 * - Sta13 ignores A-ASSOCIATE-AC/RJ, P-DATA-TF and A-RELEASE-RQ/RP (AA-6), but answers an
 *   A-ASSOCIATE-RQ or an unrecognized PDU with an A-ABORT (AA-7).
 * - Sta13 + Evt17 is AR-5 (not AA-5); both only stop ARTIM and go to Sta1.
 * - Sta4 (TCP connect pending) has no PDU events: nothing can arrive before the connection is up.
 */
export const TRANSITION_TABLE: Record<State, Partial<Record<DulEvent, Action>>> = deepFreeze({
  // No association.
  Sta1: { Evt1: 'AE-1', Evt5: 'AE-5' },
  // Association establishment (acceptor): connection up, awaiting A-ASSOCIATE-RQ, ARTIM running.
  Sta2: {
    Evt3: 'AA-1',
    Evt4: 'AA-1',
    Evt6: 'AE-6',
    Evt10: 'AA-1',
    Evt12: 'AA-1',
    Evt13: 'AA-1',
    Evt16: 'AA-2',
    Evt17: 'AA-5',
    Evt18: 'AA-2',
    Evt19: 'AA-1',
  },
  // Association establishment (acceptor): awaiting the local user's A-ASSOCIATE response.
  Sta3: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt7: 'AE-7',
    Evt8: 'AE-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AA-8',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Association establishment (requestor): TRANSPORT CONNECT issued, not yet confirmed.
  Sta4: { Evt2: 'AE-2', Evt15: 'AA-2', Evt17: 'AA-4' },
  // Association establishment (requestor): A-ASSOCIATE-RQ sent, awaiting AC or RJ.
  Sta5: {
    Evt3: 'AE-3',
    Evt4: 'AE-4',
    Evt6: 'AA-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AA-8',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Data transfer.
  Sta6: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt9: 'DT-1',
    Evt10: 'DT-2',
    Evt11: 'AR-1',
    Evt12: 'AR-2',
    Evt13: 'AA-8',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release: A-RELEASE-RQ sent, awaiting RP. Incoming P-DATA is still delivered (AR-6); an
  // incoming A-RELEASE-RQ is a release collision (AR-8).
  Sta7: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt10: 'AR-6',
    Evt12: 'AR-8',
    Evt13: 'AR-3',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release: A-RELEASE-RQ received, awaiting local response; the local user may still send data (AR-7).
  Sta8: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt9: 'AR-7',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AA-8',
    Evt14: 'AR-4',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release collision, requestor side: awaiting local A-RELEASE response.
  Sta9: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AA-8',
    Evt14: 'AR-9',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release collision, acceptor side: awaiting A-RELEASE-RP (a local A-RELEASE response is not
  // applicable yet: Evt14 is blank here and comes in Sta12).
  Sta10: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AR-10',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release collision, requestor side: A-RELEASE-RP sent, awaiting the peer's A-RELEASE-RP.
  Sta11: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AR-3',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Release collision, acceptor side: awaiting local A-RELEASE response.
  Sta12: {
    Evt3: 'AA-8',
    Evt4: 'AA-8',
    Evt6: 'AA-8',
    Evt10: 'AA-8',
    Evt12: 'AA-8',
    Evt13: 'AA-8',
    Evt14: 'AR-4',
    Evt15: 'AA-1',
    Evt16: 'AA-3',
    Evt17: 'AA-4',
    Evt19: 'AA-8',
  },
  // Association gone, awaiting transport close (ARTIM running). Local primitives are blank.
  Sta13: {
    Evt3: 'AA-6',
    Evt4: 'AA-6',
    Evt6: 'AA-7',
    Evt10: 'AA-6',
    Evt12: 'AA-6',
    Evt13: 'AA-6',
    Evt16: 'AA-2',
    Evt17: 'AR-5',
    Evt18: 'AA-2',
    Evt19: 'AA-7',
  },
});

// The table is shared by every association; freezing it keeps one runner from editing another's.
function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    if (typeof inner === 'object' && inner !== null) deepFreeze(inner);
  }
  return Object.freeze(value);
}
