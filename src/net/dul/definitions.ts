/**
 * Names of the DICOM Upper Layer (DUL) state machine of PS3.8 §9.2: its 13 states
 * (§9.2.1, Tables 9-1..9-5), its 19 events (the rows of Table 9-10) and its 28 actions
 * (§9.2.2, Tables 9-6..9-9). The descriptions are short forms of the standard's wording, for
 * logs and error messages; the behaviour lives in table.ts and machine.ts.
 */

export const STATES = [
  'Sta1',
  'Sta2',
  'Sta3',
  'Sta4',
  'Sta5',
  'Sta6',
  'Sta7',
  'Sta8',
  'Sta9',
  'Sta10',
  'Sta11',
  'Sta12',
  'Sta13',
] as const;
export type State = (typeof STATES)[number];

export const EVENTS = [
  'Evt1',
  'Evt2',
  'Evt3',
  'Evt4',
  'Evt5',
  'Evt6',
  'Evt7',
  'Evt8',
  'Evt9',
  'Evt10',
  'Evt11',
  'Evt12',
  'Evt13',
  'Evt14',
  'Evt15',
  'Evt16',
  'Evt17',
  'Evt18',
  'Evt19',
] as const;
export type DulEvent = (typeof EVENTS)[number];

export const ACTIONS = [
  'AE-1',
  'AE-2',
  'AE-3',
  'AE-4',
  'AE-5',
  'AE-6',
  'AE-7',
  'AE-8',
  'DT-1',
  'DT-2',
  'AR-1',
  'AR-2',
  'AR-3',
  'AR-4',
  'AR-5',
  'AR-6',
  'AR-7',
  'AR-8',
  'AR-9',
  'AR-10',
  'AA-1',
  'AA-2',
  'AA-3',
  'AA-4',
  'AA-5',
  'AA-6',
  'AA-7',
  'AA-8',
] as const;
export type Action = (typeof ACTIONS)[number];

/** PS3.8 §9.2.1: Table 9-1 (Sta1), 9-2 (Sta2..Sta5), 9-3 (Sta6), 9-4 (Sta7..Sta12), 9-5 (Sta13). */
export const STATE_DESCRIPTIONS: Record<State, string> = Object.freeze({
  Sta1: 'Idle',
  Sta2: 'Transport connection open (awaiting A-ASSOCIATE-RQ PDU)',
  Sta3: 'Awaiting local A-ASSOCIATE response primitive (from local user)',
  Sta4: 'Awaiting transport connection opening to complete (from local transport service)',
  Sta5: 'Awaiting A-ASSOCIATE-AC or A-ASSOCIATE-RJ PDU',
  Sta6: 'Association established and ready for data transfer',
  Sta7: 'Awaiting A-RELEASE-RP PDU',
  Sta8: 'Awaiting local A-RELEASE response primitive (from local user)',
  Sta9: 'Release collision requestor side; awaiting A-RELEASE response (from local user)',
  Sta10: 'Release collision acceptor side; awaiting A-RELEASE-RP PDU',
  Sta11: 'Release collision requestor side; awaiting A-RELEASE-RP PDU',
  Sta12: 'Release collision acceptor side; awaiting A-RELEASE response primitive (from local user)',
  Sta13: 'Awaiting transport connection close indication (association no longer exists)',
});

/**
 * The event column of Table 9-10 (the standard has no separate events table). "Received"
 * stands for the standard's "(received on transport connection)".
 */
export const EVENT_DESCRIPTIONS: Record<DulEvent, string> = Object.freeze({
  Evt1: 'A-ASSOCIATE request (local user)',
  Evt2: 'Transport connect confirmation (local transport service)',
  Evt3: 'A-ASSOCIATE-AC PDU received',
  Evt4: 'A-ASSOCIATE-RJ PDU received',
  Evt5: 'Transport connection indication (local transport service)',
  Evt6: 'A-ASSOCIATE-RQ PDU received',
  Evt7: 'A-ASSOCIATE response primitive (accept)',
  Evt8: 'A-ASSOCIATE response primitive (reject)',
  Evt9: 'P-DATA request primitive',
  Evt10: 'P-DATA-TF PDU received',
  Evt11: 'A-RELEASE request primitive',
  Evt12: 'A-RELEASE-RQ PDU received',
  Evt13: 'A-RELEASE-RP PDU received',
  Evt14: 'A-RELEASE response primitive',
  Evt15: 'A-ABORT request primitive',
  Evt16: 'A-ABORT PDU received',
  Evt17: 'Transport connection closed indication (local transport service)',
  Evt18: 'ARTIM timer expired (association reject/release timer)',
  Evt19: 'Unrecognized or invalid PDU received',
});

/** PS3.8 §9.2.2: Tables 9-6 (AE), 9-7 (DT), 9-8 (AR), 9-9 (AA), with each action's next state. */
export const ACTION_DESCRIPTIONS: Record<Action, string> = Object.freeze({
  'AE-1': 'Issue TRANSPORT CONNECT request primitive to local transport service; next Sta4',
  'AE-2': 'Send A-ASSOCIATE-RQ PDU; next Sta5',
  'AE-3': 'Issue A-ASSOCIATE confirmation (accept) primitive; next Sta6',
  'AE-4': 'Issue A-ASSOCIATE confirmation (reject) primitive and close transport connection; next Sta1',
  'AE-5': 'Issue transport connection response primitive; start ARTIM timer; next Sta2',
  'AE-6':
    'Stop ARTIM timer; if A-ASSOCIATE-RQ acceptable by service-provider issue A-ASSOCIATE indication ' +
    '(next Sta3), otherwise send A-ASSOCIATE-RJ PDU and start ARTIM timer (next Sta13)',
  'AE-7': 'Send A-ASSOCIATE-AC PDU; next Sta6',
  'AE-8': 'Send A-ASSOCIATE-RJ PDU and start ARTIM timer; next Sta13',
  'DT-1': 'Send P-DATA-TF PDU; next Sta6',
  'DT-2': 'Send P-DATA indication primitive; next Sta6',
  'AR-1': 'Send A-RELEASE-RQ PDU; next Sta7',
  'AR-2': 'Issue A-RELEASE indication primitive; next Sta8',
  'AR-3': 'Issue A-RELEASE confirmation primitive and close transport connection; next Sta1',
  'AR-4': 'Send A-RELEASE-RP PDU and start ARTIM timer; next Sta13',
  'AR-5': 'Stop ARTIM timer; next Sta1',
  'AR-6': 'Issue P-DATA indication; next Sta7',
  'AR-7': 'Send P-DATA-TF PDU; next Sta8',
  'AR-8': 'Issue A-RELEASE indication (release collision); next Sta9 if association-requestor, else Sta10',
  'AR-9': 'Send A-RELEASE-RP PDU; next Sta11',
  'AR-10': 'Issue A-RELEASE confirmation primitive; next Sta12',
  'AA-1': 'Send A-ABORT PDU (service-user source) and start (or restart) ARTIM timer; next Sta13',
  'AA-2': 'Stop ARTIM timer if running; close transport connection; next Sta1',
  'AA-3':
    'Issue A-ABORT indication (service-user initiated abort) or A-P-ABORT indication (service-provider ' +
    'initiated) and close transport connection; next Sta1',
  'AA-4': 'Issue A-P-ABORT indication primitive; next Sta1',
  'AA-5': 'Stop ARTIM timer; next Sta1',
  'AA-6': 'Ignore PDU; next Sta13',
  'AA-7': 'Send A-ABORT PDU; next Sta13',
  'AA-8':
    'Send A-ABORT PDU (service-provider source), issue A-P-ABORT indication, start ARTIM timer; next Sta13',
});
