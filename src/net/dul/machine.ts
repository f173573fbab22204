import { DicomError, type DicomErrorCode } from '../../core/index.ts';
import { type Action, type DulEvent, EVENT_DESCRIPTIONS, STATES, type State } from './definitions.ts';
import { TRANSITION_TABLE } from './table.ts';

/**
 * The DICOM Upper Layer state machine (PS3.8 §9.2) as a pure function: step() looks the
 * (state, event) cell up in Table 9-10 and returns the action, the next state and the effects
 * the runner must carry out, in order. It owns no socket, timer or queue; the association
 * layer does (PS3.8 §9.1 for the transport, §9.1.5 for ARTIM).
 */

/** The PDUs an action sends (PS3.8 §9.3). */
export type SentPdu =
  | 'A-ASSOCIATE-RQ'
  | 'A-ASSOCIATE-AC'
  | 'A-ASSOCIATE-RJ'
  | 'P-DATA-TF'
  | 'A-RELEASE-RQ'
  | 'A-RELEASE-RP'
  | 'A-ABORT';

/** The service primitives an action issues to the local user (PS3.8 §7). */
export type IndicatedPrimitive =
  | 'A-ASSOCIATE indication'
  | 'A-ASSOCIATE confirmation (accept)'
  | 'A-ASSOCIATE confirmation (reject)'
  | 'P-DATA indication'
  | 'A-RELEASE indication'
  | 'A-RELEASE confirmation'
  | 'A-ABORT indication'
  | 'A-P-ABORT indication'
  /** Never issued: no action of Tables 9-6..9-9 indicates it (Evt2 leads to AE-2, a send). Kept for the API. */
  | 'transport connect confirmation';

/**
 * Source field of an A-ABORT PDU (PS3.8 §9.3.8, Table 9-26): 0 = UL service-user,
 * 2 = UL service-provider.
 */
export type AbortSource = 'service-user' | 'service-provider';

/** One thing a runner does for an action, in the order of the action's text. */
export type Effect =
  /** AE-1: issue a TRANSPORT CONNECT request (open the TCP connection); success comes back as Evt2. */
  | { kind: 'connect' }
  /**
   * AE-5: issue the TRANSPORT CONNECT response, i.e. accept the incoming connection. With a listening
   * socket that has already accepted it, there is nothing left to do.
   */
  | { kind: 'accept-transport' }
  /**
   * Send a PDU. For 'A-ABORT' `abortSource` says what goes in its Source field (AA-1: service-user;
   * AA-7, AA-8: service-provider); it is absent for every other PDU.
   */
  | { kind: 'send'; pdu: SentPdu; abortSource?: AbortSource }
  /** Issue a primitive to the local user (the association layer above). */
  | { kind: 'indicate'; primitive: IndicatedPrimitive }
  /** Start ARTIM; if it is already running, restart it from zero (AA-1 "start (or restart)"). */
  | { kind: 'start-artim' }
  /** Stop ARTIM; nothing happens if it is not running (AA-2 "stop ARTIM timer if running"). */
  | { kind: 'stop-artim' }
  /** Close the transport connection (PS3.8 §9.1.4). */
  | { kind: 'close-transport' }
  /**
   * Never emitted by step(): AE-6's decision is an input, `StepContext.rqAcceptable`, because a
   * pure function cannot wait for it. Kept so that code written against the first draft compiles.
   */
  | { kind: 'check-acceptable' };

export interface StepContext {
  /** True on the side that sent the A-ASSOCIATE-RQ. Decides AR-8 (release collision): Sta9 or Sta10. */
  isRequestor: boolean;
  /**
   * AE-6 (Sta2 + Evt6): whether the service-provider accepts the A-ASSOCIATE-RQ it received
   * (protocol version, called AE title, ...). Required for that cell; step() throws without it.
   */
  rqAcceptable?: boolean;
  /**
   * AA-3 (Evt16 in Sta3, Sta5..Sta12): true when the received A-ABORT PDU has Source 0
   * (UL service-user), false for 2 (UL service-provider). Required for those cells.
   */
  abortFromServiceUser?: boolean;
}

export interface Transition {
  action: Action;
  next: State;
  effects: Effect[];
}

/** The DicomErrorCode of DulStateError. */
export const ERR_DUL_STATE: DicomErrorCode = 'ERR_DUL_STATE';

/**
 * A (state, event) pair whose Table 9-10 cell is blank. The standard defines no behaviour there,
 * so it means a runner bug (e.g. a P-DATA request before the association is up, or an A-RELEASE
 * response in Sta10), not a peer error: peer errors all have cells (mostly AA-8). Nothing was done.
 */
export class DulStateError extends DicomError {
  readonly state: string;
  readonly event: string;
  constructor(state: string, event: string, detail: string) {
    super(ERR_DUL_STATE, `DUL: ${detail} (${state} + ${event})`);
    this.state = state;
    this.event = event;
  }
}

/** The action of Table 9-10 for this cell, or undefined where it is blank (or the names are unknown). */
export function actionFor(state: State, event: DulEvent): Action | undefined {
  if (!Object.hasOwn(TRANSITION_TABLE, state)) return undefined;
  const column = TRANSITION_TABLE[state];
  return Object.hasOwn(column, event) ? column[event] : undefined;
}

/**
 * Runs one event through the state machine. Pure: same inputs, same output, fresh objects every
 * time, nothing mutated. Throws DulStateError for a blank cell or an unknown state or event, and a
 * DicomError ERR_INVALID_VALUE when the cell's action needs a StepContext field that is missing.
 */
export function step(state: State, event: DulEvent, ctx: StepContext): Transition {
  if (!(STATES as readonly string[]).includes(state)) {
    throw new DulStateError(String(state), String(event), 'unknown state');
  }
  if (!Object.hasOwn(EVENT_DESCRIPTIONS, event)) {
    throw new DulStateError(state, String(event), 'unknown event');
  }
  const action = actionFor(state, event);
  if (action === undefined) {
    throw new DulStateError(
      state,
      event,
      `no transition: '${EVENT_DESCRIPTIONS[event]}' is not applicable here`,
    );
  }
  return perform(action, state, event, ctx);
}

/** E.g. "Sta6 + Evt12 (A-RELEASE-RQ PDU received) -> AR-2 -> Sta8", for logs. */
export function describeTransition(state: State, event: DulEvent, t: Transition): string {
  return `${state} + ${event} (${EVENT_DESCRIPTIONS[event]}) -> ${t.action} -> ${t.next}`;
}

// Effect builders: a new object per call, so no two transitions share one.
const send = (pdu: SentPdu): Effect => ({ kind: 'send', pdu });
const sendAbort = (abortSource: AbortSource): Effect => ({ kind: 'send', pdu: 'A-ABORT', abortSource });
const indicate = (primitive: IndicatedPrimitive): Effect => ({ kind: 'indicate', primitive });
const startArtim = (): Effect => ({ kind: 'start-artim' });
const stopArtim = (): Effect => ({ kind: 'stop-artim' });
const close = (): Effect => ({ kind: 'close-transport' });

// One case per action of Tables 9-6..9-9; effects follow the order of each action's text.
function perform(action: Action, state: State, event: DulEvent, ctx: StepContext): Transition {
  const t = (next: State, ...effects: Effect[]): Transition => ({ action, next, effects });
  switch (action) {
    // Table 9-6, association establishment.
    case 'AE-1':
      return t('Sta4', { kind: 'connect' });
    case 'AE-2':
      return t('Sta5', send('A-ASSOCIATE-RQ'));
    case 'AE-3':
      return t('Sta6', indicate('A-ASSOCIATE confirmation (accept)'));
    case 'AE-4':
      return t('Sta1', indicate('A-ASSOCIATE confirmation (reject)'), close());
    case 'AE-5':
      return t('Sta2', { kind: 'accept-transport' }, startArtim());
    case 'AE-6': {
      const acceptable = need(ctx.rqAcceptable, 'rqAcceptable', action, state, event);
      // Acceptable: the user now decides (Sta3). Not acceptable: the provider itself rejects, with
      // ARTIM guarding the wait for the peer to close (Sta13).
      return acceptable
        ? t('Sta3', stopArtim(), indicate('A-ASSOCIATE indication'))
        : t('Sta13', stopArtim(), send('A-ASSOCIATE-RJ'), startArtim());
    }
    case 'AE-7':
      return t('Sta6', send('A-ASSOCIATE-AC'));
    case 'AE-8':
      return t('Sta13', send('A-ASSOCIATE-RJ'), startArtim());
    // Table 9-7, data transfer.
    case 'DT-1':
      return t('Sta6', send('P-DATA-TF'));
    case 'DT-2':
      return t('Sta6', indicate('P-DATA indication'));
    // Table 9-8, association release.
    case 'AR-1':
      return t('Sta7', send('A-RELEASE-RQ'));
    case 'AR-2':
      return t('Sta8', indicate('A-RELEASE indication'));
    case 'AR-3':
      return t('Sta1', indicate('A-RELEASE confirmation'), close());
    case 'AR-4':
      // The acceptor of the release waits, under ARTIM, for the requestor to close (§9.1.4 a).
      return t('Sta13', send('A-RELEASE-RP'), startArtim());
    case 'AR-5':
      return t('Sta1', stopArtim());
    case 'AR-6':
      return t('Sta7', indicate('P-DATA indication'));
    case 'AR-7':
      return t('Sta8', send('P-DATA-TF'));
    case 'AR-8':
      // Release collision: the association-requestor answers first (Sta9 -> AR-9), the acceptor
      // waits for that answer before its user may respond (Sta10 -> AR-10 -> Sta12).
      return t(ctx.isRequestor ? 'Sta9' : 'Sta10', indicate('A-RELEASE indication'));
    case 'AR-9':
      return t('Sta11', send('A-RELEASE-RP'));
    case 'AR-10':
      return t('Sta12', indicate('A-RELEASE confirmation'));
    // Table 9-9, association abort.
    case 'AA-1':
      return t('Sta13', sendAbort('service-user'), startArtim());
    case 'AA-2':
      return t('Sta1', stopArtim(), close());
    case 'AA-3': {
      const fromUser = need(ctx.abortFromServiceUser, 'abortFromServiceUser', action, state, event);
      return t('Sta1', indicate(fromUser ? 'A-ABORT indication' : 'A-P-ABORT indication'), close());
    }
    case 'AA-4':
      // Evt17: the transport is already closed, so there is nothing to close.
      return t('Sta1', indicate('A-P-ABORT indication'));
    case 'AA-5':
      return t('Sta1', stopArtim());
    case 'AA-6':
      // "Ignore PDU": the runner drops it and does nothing else.
      return t('Sta13');
    case 'AA-7':
      // The text names no source; the provider detected the error (a PDU after the association
      // ended), so the PDU says service-provider, as AA-8 does.
      return t('Sta13', sendAbort('service-provider'));
    case 'AA-8':
      return t('Sta13', sendAbort('service-provider'), indicate('A-P-ABORT indication'), startArtim());
  }
}

function need(
  value: boolean | undefined,
  field: 'rqAcceptable' | 'abortFromServiceUser',
  action: Action,
  state: State,
  event: DulEvent,
): boolean {
  if (typeof value !== 'boolean') {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `DUL: ${action} (${state} + ${event}) needs StepContext.${field}`,
    );
  }
  return value;
}
