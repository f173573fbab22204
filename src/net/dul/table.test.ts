import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../../core/index.ts';
import {
  ACTION_DESCRIPTIONS,
  ACTIONS,
  type Action,
  actionFor,
  type DulEvent,
  DulStateError,
  describeTransition,
  type Effect,
  ERR_DUL_STATE,
  EVENT_DESCRIPTIONS,
  EVENTS,
  STATE_DESCRIPTIONS,
  STATES,
  type State,
  type StepContext,
  step,
  TRANSITION_TABLE,
} from './index.ts';

// PS3.8 Table 9-10, typed in again row by row (one row per event, one column per state
// Sta1..Sta13) instead of derived from table.ts. A cell is "action>next"; '.' is a blank cell.
// Conditional next states are "a|b": AE-6 acceptable|not acceptable, AR-8 requestor|acceptor.
// The next states come from the action definitions of Tables 9-6..9-9.
const GRID: Record<DulEvent, string> = {
  //     Sta1    Sta2      Sta3    Sta4   Sta5    Sta6    Sta7      Sta8    Sta9    Sta10    Sta11   Sta12   Sta13
  Evt1: 'AE-1>4  .         .       .      .       .       .         .       .       .        .       .       .',
  Evt2: '.       .         .       AE-2>5 .       .       .         .       .       .        .       .       .',
  Evt3: '.       AA-1>13   AA-8>13 .      AE-3>6  AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13',
  Evt4: '.       AA-1>13   AA-8>13 .      AE-4>1  AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13',
  Evt5: 'AE-5>2  .         .       .      .       .       .         .       .       .        .       .       .',
  Evt6: '.       AE-6>3|13 AA-8>13 .      AA-8>13 AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-7>13',
  Evt7: '.       .         AE-7>6  .      .       .       .         .       .       .        .       .       .',
  Evt8: '.       .         AE-8>13 .      .       .       .         .       .       .        .       .       .',
  Evt9: '.       .         .       .      .       DT-1>6  .         AR-7>8  .       .        .       .       .',
  Evt10:
    '.      AA-1>13   AA-8>13 .      AA-8>13 DT-2>6  AR-6>7    AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13',
  Evt11:
    '.      .         .       .      .       AR-1>7  .         .       .       .        .       .       .',
  Evt12:
    '.      AA-1>13   AA-8>13 .      AA-8>13 AR-2>8  AR-8>9|10 AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-6>13',
  Evt13:
    '.      AA-1>13   AA-8>13 .      AA-8>13 AA-8>13 AR-3>1    AA-8>13 AA-8>13 AR-10>12 AR-3>1  AA-8>13 AA-6>13',
  Evt14:
    '.      .         .       .      .       .       .         AR-4>13 AR-9>11 .        .       AR-4>13 .',
  Evt15:
    '.      .         AA-1>13 AA-2>1 AA-1>13 AA-1>13 AA-1>13   AA-1>13 AA-1>13 AA-1>13  AA-1>13 AA-1>13 .',
  Evt16:
    '.      AA-2>1    AA-3>1  .      AA-3>1  AA-3>1  AA-3>1    AA-3>1  AA-3>1  AA-3>1   AA-3>1  AA-3>1  AA-2>1',
  Evt17:
    '.      AA-5>1    AA-4>1  AA-4>1 AA-4>1  AA-4>1  AA-4>1    AA-4>1  AA-4>1  AA-4>1   AA-4>1  AA-4>1  AR-5>1',
  Evt18:
    '.      AA-2>1    .       .      .       .       .         .       .       .        .       .       AA-2>1',
  Evt19:
    '.      AA-1>13   AA-8>13 .      AA-8>13 AA-8>13 AA-8>13   AA-8>13 AA-8>13 AA-8>13  AA-8>13 AA-8>13 AA-7>13',
};

interface Cell {
  action: Action;
  next: State[];
}

function parseGrid(): Map<string, Cell | undefined> {
  const cells = new Map<string, Cell | undefined>();
  for (const event of EVENTS) {
    const row = GRID[event].trim().split(/\s+/);
    assert.equal(row.length, 13, `${event} row has ${row.length} cells`);
    row.forEach((text, i) => {
      const state = `Sta${i + 1}` as State;
      if (text === '.') {
        cells.set(`${state}/${event}`, undefined);
        return;
      }
      const [action, next] = text.split('>') as [Action, string];
      cells.set(`${state}/${event}`, { action, next: next.split('|').map((n) => `Sta${n}` as State) });
    });
  }
  return cells;
}

const EXPECTED = parseGrid();

// Every combination of the context fields, so a cell is shown to depend only on the field its
// action names (AE-6: rqAcceptable, AR-8: isRequestor, AA-3: abortFromServiceUser).
const CONTEXTS: StepContext[] = [];
for (const isRequestor of [true, false]) {
  for (const rqAcceptable of [true, false]) {
    for (const abortFromServiceUser of [true, false])
      CONTEXTS.push({ isRequestor, rqAcceptable, abortFromServiceUser });
  }
}

function expectedNext(cell: Cell, ctx: StepContext): State {
  if (cell.action === 'AE-6') return ctx.rqAcceptable ? cell.next[0]! : cell.next[1]!;
  if (cell.action === 'AR-8') return ctx.isRequestor ? cell.next[0]! : cell.next[1]!;
  assert.equal(cell.next.length, 1);
  return cell.next[0]!;
}

const isStateError =
  (state: string, event: string) =>
  (e: unknown): boolean =>
    e instanceof DulStateError &&
    e instanceof DicomError &&
    e.code === ERR_DUL_STATE &&
    e.code === 'ERR_DUL_STATE' &&
    e.state === state &&
    e.event === event;

describe('Table 9-10: every (state, event) cell', () => {
  it('the expected grid has 247 cells, 123 of them filled', () => {
    assert.equal(EXPECTED.size, 13 * 19);
    assert.equal([...EXPECTED.values()].filter((c) => c !== undefined).length, 123);
  });

  for (const state of STATES) {
    for (const event of EVENTS) {
      const cell = EXPECTED.get(`${state}/${event}`);
      if (cell === undefined) {
        it(`${state} + ${event}: blank, throws ERR_DUL_STATE`, () => {
          assert.equal(TRANSITION_TABLE[state][event], undefined);
          assert.equal(actionFor(state, event), undefined);
          for (const ctx of CONTEXTS)
            assert.throws(() => step(state, event, ctx), isStateError(state, event));
        });
        continue;
      }
      it(`${state} + ${event}: ${cell.action} -> ${cell.next.join(' or ')}`, () => {
        assert.equal(TRANSITION_TABLE[state][event], cell.action);
        assert.equal(actionFor(state, event), cell.action);
        const nexts = new Set<State>();
        for (const ctx of CONTEXTS) {
          const t = step(state, event, ctx);
          assert.equal(t.action, cell.action);
          assert.equal(t.next, expectedNext(cell, ctx));
          nexts.add(t.next);
        }
        // Conditional cells reach both of their next states, the others exactly one.
        assert.deepEqual([...nexts].sort(), [...cell.next].sort());
      });
    }
  }
});

// The effects of each action, in the order of its text in Tables 9-6..9-9.
const send = (pdu: Extract<Effect, { kind: 'send' }>['pdu']): Effect => ({ kind: 'send', pdu });
const indicate = (primitive: Extract<Effect, { kind: 'indicate' }>['primitive']): Effect => ({
  kind: 'indicate',
  primitive,
});
const START: Effect = { kind: 'start-artim' };
const STOP: Effect = { kind: 'stop-artim' };
const CLOSE: Effect = { kind: 'close-transport' };
const USER_ABORT: Effect = { kind: 'send', pdu: 'A-ABORT', abortSource: 'service-user' };
const PROVIDER_ABORT: Effect = { kind: 'send', pdu: 'A-ABORT', abortSource: 'service-provider' };

const EFFECTS: Array<[string, State, DulEvent, Partial<StepContext>, Effect[]]> = [
  ['AE-1', 'Sta1', 'Evt1', {}, [{ kind: 'connect' }]],
  ['AE-2', 'Sta4', 'Evt2', {}, [send('A-ASSOCIATE-RQ')]],
  ['AE-3', 'Sta5', 'Evt3', {}, [indicate('A-ASSOCIATE confirmation (accept)')]],
  ['AE-4', 'Sta5', 'Evt4', {}, [indicate('A-ASSOCIATE confirmation (reject)'), CLOSE]],
  ['AE-5', 'Sta1', 'Evt5', {}, [{ kind: 'accept-transport' }, START]],
  ['AE-6 acceptable', 'Sta2', 'Evt6', { rqAcceptable: true }, [STOP, indicate('A-ASSOCIATE indication')]],
  ['AE-6 not acceptable', 'Sta2', 'Evt6', { rqAcceptable: false }, [STOP, send('A-ASSOCIATE-RJ'), START]],
  ['AE-7', 'Sta3', 'Evt7', {}, [send('A-ASSOCIATE-AC')]],
  ['AE-8', 'Sta3', 'Evt8', {}, [send('A-ASSOCIATE-RJ'), START]],
  ['DT-1', 'Sta6', 'Evt9', {}, [send('P-DATA-TF')]],
  ['DT-2', 'Sta6', 'Evt10', {}, [indicate('P-DATA indication')]],
  ['AR-1', 'Sta6', 'Evt11', {}, [send('A-RELEASE-RQ')]],
  ['AR-2', 'Sta6', 'Evt12', {}, [indicate('A-RELEASE indication')]],
  ['AR-3', 'Sta7', 'Evt13', {}, [indicate('A-RELEASE confirmation'), CLOSE]],
  ['AR-3 (collision)', 'Sta11', 'Evt13', {}, [indicate('A-RELEASE confirmation'), CLOSE]],
  ['AR-4', 'Sta8', 'Evt14', {}, [send('A-RELEASE-RP'), START]],
  ['AR-4 (collision)', 'Sta12', 'Evt14', {}, [send('A-RELEASE-RP'), START]],
  ['AR-5', 'Sta13', 'Evt17', {}, [STOP]],
  ['AR-6', 'Sta7', 'Evt10', {}, [indicate('P-DATA indication')]],
  ['AR-7', 'Sta8', 'Evt9', {}, [send('P-DATA-TF')]],
  ['AR-8 requestor', 'Sta7', 'Evt12', { isRequestor: true }, [indicate('A-RELEASE indication')]],
  ['AR-8 acceptor', 'Sta7', 'Evt12', { isRequestor: false }, [indicate('A-RELEASE indication')]],
  ['AR-9', 'Sta9', 'Evt14', {}, [send('A-RELEASE-RP')]],
  ['AR-10', 'Sta10', 'Evt13', {}, [indicate('A-RELEASE confirmation')]],
  ['AA-1 (user abort)', 'Sta6', 'Evt15', {}, [USER_ABORT, START]],
  ['AA-1 (unexpected PDU in Sta2)', 'Sta2', 'Evt10', {}, [USER_ABORT, START]],
  ['AA-2 (ARTIM)', 'Sta2', 'Evt18', {}, [STOP, CLOSE]],
  ['AA-2 (abort before connect)', 'Sta4', 'Evt15', {}, [STOP, CLOSE]],
  [
    'AA-3 service-user',
    'Sta6',
    'Evt16',
    { abortFromServiceUser: true },
    [indicate('A-ABORT indication'), CLOSE],
  ],
  [
    'AA-3 service-provider',
    'Sta6',
    'Evt16',
    { abortFromServiceUser: false },
    [indicate('A-P-ABORT indication'), CLOSE],
  ],
  ['AA-4', 'Sta6', 'Evt17', {}, [indicate('A-P-ABORT indication')]],
  ['AA-5', 'Sta2', 'Evt17', {}, [STOP]],
  ['AA-6', 'Sta13', 'Evt10', {}, []],
  ['AA-7', 'Sta13', 'Evt6', {}, [PROVIDER_ABORT]],
  ['AA-8', 'Sta6', 'Evt19', {}, [PROVIDER_ABORT, indicate('A-P-ABORT indication'), START]],
];

describe('effects of each action (Tables 9-6..9-9)', () => {
  for (const [name, state, event, extra, effects] of EFFECTS) {
    it(name, () => {
      const t = step(state, event, { isRequestor: true, ...extra });
      assert.equal(t.action, name.split(' ')[0]);
      assert.deepEqual(t.effects, effects);
    });
  }

  it('covers every action', () => {
    const covered = new Set(EFFECTS.map(([name]) => name.split(' ')[0]));
    assert.deepEqual([...covered].sort(), [...ACTIONS].sort());
  });

  it('an action has the same effects in every cell it appears in (for a given context)', () => {
    const byAction = new Map<Action, string>();
    const ctx = { isRequestor: true, rqAcceptable: true, abortFromServiceUser: true };
    for (const state of STATES) {
      for (const event of EVENTS) {
        const action = actionFor(state, event);
        if (action === undefined) continue;
        const json = JSON.stringify(step(state, event, ctx).effects);
        const seen = byAction.get(action);
        if (seen === undefined) byAction.set(action, json);
        else assert.equal(json, seen, `${action} in ${state} + ${event}`);
      }
    }
  });

  it('never emits check-acceptable or transport connect confirmation', () => {
    for (const state of STATES) {
      for (const event of EVENTS) {
        if (actionFor(state, event) === undefined) continue;
        for (const ctx of CONTEXTS) {
          for (const e of step(state, event, ctx).effects) {
            assert.notEqual(e.kind, 'check-acceptable');
            if (e.kind === 'indicate') assert.notEqual(e.primitive, 'transport connect confirmation');
            if (e.kind === 'send') assert.equal(e.abortSource !== undefined, e.pdu === 'A-ABORT');
          }
        }
      }
    }
  });
});

describe('names and descriptions', () => {
  it('describes every state, event and action', () => {
    assert.deepEqual(Object.keys(STATE_DESCRIPTIONS), [...STATES]);
    assert.deepEqual(Object.keys(EVENT_DESCRIPTIONS), [...EVENTS]);
    assert.deepEqual(Object.keys(ACTION_DESCRIPTIONS), [...ACTIONS]);
    for (const text of [
      ...Object.values(STATE_DESCRIPTIONS),
      ...Object.values(EVENT_DESCRIPTIONS),
      ...Object.values(ACTION_DESCRIPTIONS),
    ]) {
      assert.ok(text.length > 0);
    }
    assert.equal(STATE_DESCRIPTIONS.Sta1, 'Idle');
    assert.equal(EVENT_DESCRIPTIONS.Evt12, 'A-RELEASE-RQ PDU received');
  });

  it('uses every action somewhere in the table, and only those', () => {
    const used = new Set(STATES.flatMap((s) => Object.values(TRANSITION_TABLE[s])));
    assert.deepEqual([...used].sort(), [...ACTIONS].sort());
    assert.deepEqual(Object.keys(TRANSITION_TABLE), [...STATES]);
  });

  it('describeTransition names state, event, action and next state', () => {
    const ctx = { isRequestor: true };
    assert.equal(
      describeTransition('Sta6', 'Evt12', step('Sta6', 'Evt12', ctx)),
      'Sta6 + Evt12 (A-RELEASE-RQ PDU received) -> AR-2 -> Sta8',
    );
    assert.equal(
      describeTransition('Sta7', 'Evt12', step('Sta7', 'Evt12', { isRequestor: false })),
      'Sta7 + Evt12 (A-RELEASE-RQ PDU received) -> AR-8 -> Sta10',
    );
    assert.equal(
      describeTransition('Sta2', 'Evt18', step('Sta2', 'Evt18', ctx)),
      'Sta2 + Evt18 (ARTIM timer expired (association reject/release timer)) -> AA-2 -> Sta1',
    );
  });
});
