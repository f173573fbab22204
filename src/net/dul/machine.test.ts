import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../../core/index.ts';
import {
  type DulEvent,
  DulStateError,
  describeTransition,
  type Effect,
  ERR_DUL_STATE,
  type State,
  type StepContext,
  step,
  TRANSITION_TABLE,
  type Transition,
} from './index.ts';

// A toy runner: two peers joined by a "wire". Each peer's effects become events in the other's
// inbox the way the association layer would turn them into socket traffic, so whole exchanges
// from the standard can be played and both sides' transitions checked.
const PDU_EVENT: Record<Extract<Effect, { kind: 'send' }>['pdu'], DulEvent> = {
  'A-ASSOCIATE-RQ': 'Evt6',
  'A-ASSOCIATE-AC': 'Evt3',
  'A-ASSOCIATE-RJ': 'Evt4',
  'P-DATA-TF': 'Evt10',
  'A-RELEASE-RQ': 'Evt12',
  'A-RELEASE-RP': 'Evt13',
  'A-ABORT': 'Evt16',
};

interface Queued {
  event: DulEvent;
  ctx: Partial<StepContext>;
}

class Peer {
  state: State = 'Sta1';
  inbox: Queued[] = [];
  artim = false;
  transportOpen = false;
  indications: string[] = [];
  log: string[] = [];
  other!: Peer;
  // What this peer's provider would decide on an incoming A-ASSOCIATE-RQ (AE-6).
  acceptsRq = true;
  constructor(readonly isRequestor: boolean) {}

  /** A local event: a primitive from the user, or from the local transport / timer. */
  local(event: DulEvent, extra: Partial<StepContext> = {}): Transition {
    return this.apply(event, extra);
  }

  /** The oldest event on the wire to this peer. */
  deliver(expected: DulEvent): Transition {
    const next = this.inbox.shift();
    assert.ok(next, `nothing queued for ${this.isRequestor ? 'requestor' : 'acceptor'}`);
    assert.equal(next.event, expected);
    return this.apply(next.event, next.ctx);
  }

  private apply(event: DulEvent, extra: Partial<StepContext>): Transition {
    const ctx: StepContext = { isRequestor: this.isRequestor, ...extra };
    if (this.state === 'Sta2' && event === 'Evt6') ctx.rqAcceptable = this.acceptsRq;
    const t = step(this.state, event, ctx);
    this.log.push(describeTransition(this.state, event, t));
    this.state = t.next;
    for (const e of t.effects) this.run(e);
    return t;
  }

  private run(e: Effect): void {
    switch (e.kind) {
      case 'connect':
        // The peer's listener sees the connection first, then our connect completes.
        this.other.inbox.push({ event: 'Evt5', ctx: {} });
        this.inbox.push({ event: 'Evt2', ctx: {} });
        this.transportOpen = true;
        return;
      case 'accept-transport':
        this.transportOpen = true;
        return;
      case 'send':
        assert.ok(this.transportOpen, `send ${e.pdu} on a closed transport`);
        this.other.inbox.push({
          event: PDU_EVENT[e.pdu],
          ctx: e.pdu === 'A-ABORT' ? { abortFromServiceUser: e.abortSource === 'service-user' } : {},
        });
        return;
      case 'indicate':
        this.indications.push(e.primitive);
        return;
      case 'start-artim':
        this.artim = true;
        return;
      case 'stop-artim':
        this.artim = false;
        return;
      case 'close-transport':
        // Having closed it ourselves, a later close notification from the transport is no event.
        this.transportOpen = false;
        this.inbox = this.inbox.filter((q) => q.event !== 'Evt17');
        if (this.other.transportOpen) this.other.inbox.push({ event: 'Evt17', ctx: {} });
        this.other.transportOpen = false;
        return;
      case 'check-acceptable':
        assert.fail('step() does not emit check-acceptable');
    }
  }
}

function pair(): [Peer, Peer] {
  const requestor = new Peer(true);
  const acceptor = new Peer(false);
  requestor.other = acceptor;
  acceptor.other = requestor;
  return [requestor, acceptor];
}

/** Plays association establishment and returns both peers in Sta6 with clean logs. */
function associated(): [Peer, Peer] {
  const [a, b] = pair();
  a.local('Evt1');
  b.deliver('Evt5');
  a.deliver('Evt2');
  b.deliver('Evt6');
  b.local('Evt7');
  a.deliver('Evt3');
  assert.equal(a.state, 'Sta6');
  assert.equal(b.state, 'Sta6');
  for (const p of [a, b]) {
    p.log = [];
    p.indications = [];
  }
  return [a, b];
}

function assertIdle(...peers: Peer[]): void {
  for (const p of peers) {
    assert.equal(p.state, 'Sta1');
    assert.deepEqual(p.inbox, []);
    assert.equal(p.artim, false);
    assert.equal(p.transportOpen, false);
  }
}

describe('normal association lifecycle (PS3.8 §7.1, §7.2, §7.6)', () => {
  it('requestor and acceptor: establish, exchange data, release', () => {
    const [a, b] = pair();
    a.local('Evt1');
    b.deliver('Evt5');
    assert.equal(b.artim, true, 'ARTIM runs while the acceptor waits for A-ASSOCIATE-RQ');
    a.deliver('Evt2');
    b.deliver('Evt6');
    assert.equal(b.artim, false);
    b.local('Evt7');
    a.deliver('Evt3');
    a.local('Evt9');
    b.deliver('Evt10');
    b.local('Evt9');
    a.deliver('Evt10');
    a.local('Evt11');
    b.deliver('Evt12');
    // The releasing acceptor may still send data; the requestor still takes it (AR-7, AR-6).
    b.local('Evt9');
    a.deliver('Evt10');
    b.local('Evt14');
    assert.equal(b.artim, true, 'ARTIM guards the wait for the requestor to close');
    a.deliver('Evt13');
    b.deliver('Evt17');

    assert.deepEqual(a.log, [
      'Sta1 + Evt1 (A-ASSOCIATE request (local user)) -> AE-1 -> Sta4',
      'Sta4 + Evt2 (Transport connect confirmation (local transport service)) -> AE-2 -> Sta5',
      'Sta5 + Evt3 (A-ASSOCIATE-AC PDU received) -> AE-3 -> Sta6',
      'Sta6 + Evt9 (P-DATA request primitive) -> DT-1 -> Sta6',
      'Sta6 + Evt10 (P-DATA-TF PDU received) -> DT-2 -> Sta6',
      'Sta6 + Evt11 (A-RELEASE request primitive) -> AR-1 -> Sta7',
      'Sta7 + Evt10 (P-DATA-TF PDU received) -> AR-6 -> Sta7',
      'Sta7 + Evt13 (A-RELEASE-RP PDU received) -> AR-3 -> Sta1',
    ]);
    assert.deepEqual(b.log, [
      'Sta1 + Evt5 (Transport connection indication (local transport service)) -> AE-5 -> Sta2',
      'Sta2 + Evt6 (A-ASSOCIATE-RQ PDU received) -> AE-6 -> Sta3',
      'Sta3 + Evt7 (A-ASSOCIATE response primitive (accept)) -> AE-7 -> Sta6',
      'Sta6 + Evt10 (P-DATA-TF PDU received) -> DT-2 -> Sta6',
      'Sta6 + Evt9 (P-DATA request primitive) -> DT-1 -> Sta6',
      'Sta6 + Evt12 (A-RELEASE-RQ PDU received) -> AR-2 -> Sta8',
      'Sta8 + Evt9 (P-DATA request primitive) -> AR-7 -> Sta8',
      'Sta8 + Evt14 (A-RELEASE response primitive) -> AR-4 -> Sta13',
      'Sta13 + Evt17 (Transport connection closed indication (local transport service)) -> AR-5 -> Sta1',
    ]);
    assert.deepEqual(a.indications, [
      'A-ASSOCIATE confirmation (accept)',
      'P-DATA indication',
      'P-DATA indication',
      'A-RELEASE confirmation',
    ]);
    assert.deepEqual(b.indications, ['A-ASSOCIATE indication', 'P-DATA indication', 'A-RELEASE indication']);
    assertIdle(a, b);
  });

  it('acceptor user rejects (AE-8); the requestor confirms the rejection and closes (AE-4)', () => {
    const [a, b] = pair();
    a.local('Evt1');
    b.deliver('Evt5');
    a.deliver('Evt2');
    b.deliver('Evt6');
    assert.equal(b.local('Evt8').next, 'Sta13');
    assert.equal(b.artim, true);
    assert.equal(a.deliver('Evt4').action, 'AE-4');
    assert.equal(b.deliver('Evt17').action, 'AR-5');
    assert.deepEqual(a.indications, ['A-ASSOCIATE confirmation (reject)']);
    assertIdle(a, b);
  });

  it('service-provider finds the A-ASSOCIATE-RQ unacceptable (AE-6 second branch)', () => {
    const [a, b] = pair();
    b.acceptsRq = false;
    a.local('Evt1');
    b.deliver('Evt5');
    a.deliver('Evt2');
    const t = b.deliver('Evt6');
    assert.equal(t.action, 'AE-6');
    assert.equal(t.next, 'Sta13');
    assert.deepEqual(b.indications, [], 'the acceptor user never hears of it');
    assert.equal(b.artim, true);
    a.deliver('Evt4');
    b.deliver('Evt17');
    assertIdle(a, b);
  });
});

describe('release collision (PS3.8 §7.2, Table 9-10 Sta7..Sta12)', () => {
  it('requestor side goes Sta7 -> Sta9 -> Sta11 -> Sta1, acceptor side Sta7 -> Sta10 -> Sta12 -> Sta13 -> Sta1', () => {
    const [a, b] = associated();
    // Both users ask to release before either A-RELEASE-RQ arrives.
    a.local('Evt11');
    b.local('Evt11');
    assert.equal(a.deliver('Evt12').next, 'Sta9');
    assert.equal(b.deliver('Evt12').next, 'Sta10');
    // The acceptor's user must wait: an A-RELEASE response in Sta10 is a blank cell.
    assert.throws(() => step('Sta10', 'Evt14', { isRequestor: false }), DulStateError);
    a.local('Evt14');
    b.deliver('Evt13');
    b.local('Evt14');
    a.deliver('Evt13');
    b.deliver('Evt17');

    assert.deepEqual(a.log, [
      'Sta6 + Evt11 (A-RELEASE request primitive) -> AR-1 -> Sta7',
      'Sta7 + Evt12 (A-RELEASE-RQ PDU received) -> AR-8 -> Sta9',
      'Sta9 + Evt14 (A-RELEASE response primitive) -> AR-9 -> Sta11',
      'Sta11 + Evt13 (A-RELEASE-RP PDU received) -> AR-3 -> Sta1',
    ]);
    assert.deepEqual(b.log, [
      'Sta6 + Evt11 (A-RELEASE request primitive) -> AR-1 -> Sta7',
      'Sta7 + Evt12 (A-RELEASE-RQ PDU received) -> AR-8 -> Sta10',
      'Sta10 + Evt13 (A-RELEASE-RP PDU received) -> AR-10 -> Sta12',
      'Sta12 + Evt14 (A-RELEASE response primitive) -> AR-4 -> Sta13',
      'Sta13 + Evt17 (Transport connection closed indication (local transport service)) -> AR-5 -> Sta1',
    ]);
    assert.deepEqual(a.indications, ['A-RELEASE indication', 'A-RELEASE confirmation']);
    assert.deepEqual(b.indications, ['A-RELEASE indication', 'A-RELEASE confirmation']);
    assertIdle(a, b);
  });

  it('AR-8 depends only on the role, not on which side asked first', () => {
    assert.equal(step('Sta7', 'Evt12', { isRequestor: true }).next, 'Sta9');
    assert.equal(step('Sta7', 'Evt12', { isRequestor: false }).next, 'Sta10');
  });
});

describe('ARTIM timer (PS3.8 §9.1.5)', () => {
  it('expires in Sta2: no A-ASSOCIATE-RQ came, the acceptor closes (AA-2)', () => {
    const [, b] = pair();
    b.local('Evt5');
    assert.equal(b.artim, true);
    const t = b.local('Evt18');
    assert.deepEqual(t, {
      action: 'AA-2',
      next: 'Sta1',
      effects: [{ kind: 'stop-artim' }, { kind: 'close-transport' }],
    });
    assert.equal(b.state, 'Sta1');
    assert.equal(b.transportOpen, false);
  });

  it('expires in Sta13 after a user abort: the peer never closed, so we do (AA-1 then AA-2)', () => {
    const [a, b] = associated();
    const abort = a.local('Evt15');
    assert.equal(abort.action, 'AA-1');
    assert.equal(a.artim, true);
    // Data the peer sent before it saw the A-ABORT is ignored (AA-6).
    b.local('Evt9');
    assert.equal(a.deliver('Evt10').action, 'AA-6');
    assert.equal(a.state, 'Sta13');
    assert.equal(a.local('Evt18').action, 'AA-2');
    assertIdle(a);
    // The peer still reads the A-ABORT that was on the wire before the close.
    assert.equal(b.deliver('Evt16').action, 'AA-3');
    assert.deepEqual(b.indications, ['A-ABORT indication']);
    assertIdle(b);
  });

  it('expires in Sta13 after a release response (AR-4 then AA-2)', () => {
    const [a, b] = associated();
    a.local('Evt11');
    b.deliver('Evt12');
    b.local('Evt14');
    assert.equal(b.state, 'Sta13');
    assert.equal(b.artim, true);
    assert.equal(b.local('Evt18').action, 'AA-2');
    assert.equal(b.state, 'Sta1');
    assert.equal(b.artim, false);
    // The A-RELEASE-RP was on the wire before the close, so the requestor still completes normally.
    assert.deepEqual(
      a.inbox.map((q) => q.event),
      ['Evt13', 'Evt17'],
    );
    assert.equal(a.deliver('Evt13').action, 'AR-3');
    assertIdle(a, b);
  });
});

describe('aborts (PS3.8 §7.3, §7.4)', () => {
  it('user abort: the peer gets an A-ABORT indication (AA-3, service-user source)', () => {
    const [a, b] = associated();
    a.local('Evt15');
    const t = b.deliver('Evt16');
    assert.equal(t.action, 'AA-3');
    assert.deepEqual(b.indications, ['A-ABORT indication']);
    a.deliver('Evt17');
    assert.deepEqual(
      a.log.at(-1),
      'Sta13 + Evt17 (Transport connection closed indication (local transport service)) -> AR-5 -> Sta1',
    );
    assertIdle(a, b);
  });

  it('invalid PDU: A-ABORT with service-provider source, A-P-ABORT on both sides (AA-8, AA-3)', () => {
    const [a, b] = associated();
    a.local('Evt19');
    assert.deepEqual(a.indications, ['A-P-ABORT indication']);
    assert.equal(a.artim, true);
    b.deliver('Evt16');
    assert.deepEqual(b.indications, ['A-P-ABORT indication']);
    a.deliver('Evt17');
    assertIdle(a, b);
  });

  it('transport lost during data transfer: A-P-ABORT, no close needed (AA-4)', () => {
    const t = step('Sta6', 'Evt17', { isRequestor: true });
    assert.deepEqual(t, {
      action: 'AA-4',
      next: 'Sta1',
      effects: [{ kind: 'indicate', primitive: 'A-P-ABORT indication' }],
    });
  });

  it('abort before the TCP connect completes closes without sending (AA-2 in Sta4)', () => {
    const [a] = pair();
    a.local('Evt1');
    const t = a.local('Evt15');
    assert.equal(t.action, 'AA-2');
    assert.ok(t.effects.every((e) => e.kind !== 'send'));
  });

  it('unexpected PDU while awaiting A-ASSOCIATE-RQ: A-ABORT with service-user source (AA-1 in Sta2)', () => {
    const t = step('Sta2', 'Evt12', { isRequestor: false });
    assert.equal(t.action, 'AA-1');
    assert.deepEqual(t.effects[0], { kind: 'send', pdu: 'A-ABORT', abortSource: 'service-user' });
  });

  it('in Sta13, an A-ASSOCIATE-RQ or garbage is answered with A-ABORT (AA-7), other PDUs are ignored (AA-6)', () => {
    const ctx = { isRequestor: false };
    assert.deepEqual(step('Sta13', 'Evt6', ctx).effects, [
      { kind: 'send', pdu: 'A-ABORT', abortSource: 'service-provider' },
    ]);
    assert.deepEqual(step('Sta13', 'Evt19', ctx).effects, [
      { kind: 'send', pdu: 'A-ABORT', abortSource: 'service-provider' },
    ]);
    for (const event of ['Evt3', 'Evt4', 'Evt10', 'Evt12', 'Evt13'] as const) {
      assert.deepEqual(step('Sta13', event, ctx), { action: 'AA-6', next: 'Sta13', effects: [] });
    }
  });
});

describe('errors and purity', () => {
  const invalidValue = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

  it('AE-6 needs rqAcceptable and AA-3 needs abortFromServiceUser', () => {
    assert.throws(() => step('Sta2', 'Evt6', { isRequestor: false }), invalidValue);
    assert.throws(() => step('Sta6', 'Evt16', { isRequestor: true }), /abortFromServiceUser/);
    // Other cells do not look at them.
    assert.equal(step('Sta13', 'Evt16', { isRequestor: true }).action, 'AA-2');
    assert.equal(step('Sta2', 'Evt16', { isRequestor: true }).action, 'AA-2');
  });

  it('a blank cell throws DulStateError naming the state and event', () => {
    assert.throws(
      () => step('Sta1', 'Evt9', { isRequestor: true }),
      (e: unknown) => {
        assert.ok(e instanceof DulStateError);
        assert.ok(e instanceof DicomError);
        assert.equal(e.code, ERR_DUL_STATE);
        assert.equal(e.name, 'DulStateError');
        assert.equal(e.state, 'Sta1');
        assert.equal(e.event, 'Evt9');
        assert.match(e.message, /Sta1 \+ Evt9/);
        assert.match(e.message, /P-DATA request primitive/);
        return true;
      },
    );
  });

  it('unknown states and events throw DulStateError, including Object.prototype names', () => {
    const ctx = { isRequestor: true };
    assert.throws(() => step('Sta14' as State, 'Evt1', ctx), DulStateError);
    assert.throws(() => step('Sta1', 'Evt20' as DulEvent, ctx), DulStateError);
    assert.throws(() => step('Sta1', 'constructor' as DulEvent, ctx), DulStateError);
    assert.throws(() => step('toString' as State, 'Evt1', ctx), DulStateError);
  });

  it('returns fresh objects and leaves its inputs alone', () => {
    const ctx = Object.freeze({ isRequestor: true, rqAcceptable: false });
    const first = step('Sta2', 'Evt6', ctx);
    first.effects.push({ kind: 'close-transport' });
    (first.effects[0] as { kind: string }).kind = 'changed';
    const second = step('Sta2', 'Evt6', ctx);
    assert.deepEqual(second, {
      action: 'AE-6',
      next: 'Sta13',
      effects: [{ kind: 'stop-artim' }, { kind: 'send', pdu: 'A-ASSOCIATE-RJ' }, { kind: 'start-artim' }],
    });
  });

  it('the table cannot be edited', () => {
    assert.ok(Object.isFrozen(TRANSITION_TABLE));
    assert.ok(Object.isFrozen(TRANSITION_TABLE.Sta6));
    assert.throws(() => {
      (TRANSITION_TABLE.Sta6 as Record<string, string>)['Evt9'] = 'AA-1';
    }, TypeError);
  });
});
