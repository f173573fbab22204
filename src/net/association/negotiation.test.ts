import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type AssociateRq, DICOM_APPLICATION_CONTEXT } from '../pdu/index.ts';
import { type AccessDecision, allowList, isLoopback } from './access-control.ts';
import {
  assignContextIds,
  ContextResult,
  contextsFromAccept,
  extendedNegotiationsFor,
  negotiateAsAcceptor,
  Reject,
  roleSelectionsFor,
} from './negotiation.ts';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const JPEG = '1.2.840.10008.1.2.4.50';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const MR = '1.2.840.10008.5.1.4.1.1.4';
const ECHO = '1.2.840.10008.1.1';

function request(overrides: Partial<AssociateRq> = {}): AssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'SCP',
    callingAeTitle: 'SCU',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [
      { id: 1, abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { id: 3, abstractSyntax: CT, transferSyntaxes: [IMPLICIT, EXPLICIT] },
      { id: 5, abstractSyntax: MR, transferSyntaxes: [JPEG] },
      { id: 7, abstractSyntax: '1.2.3.4', transferSyntaxes: [IMPLICIT] },
    ],
    userInformation: {
      maxPduLength: 16384,
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    },
    ...overrides,
  };
}

const policy = {
  aeTitle: 'SCP',
  maxPduLength: 65536,
  contexts: [
    { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
    { abstractSyntax: CT, transferSyntaxes: [EXPLICIT, IMPLICIT] },
    { abstractSyntax: MR, transferSyntaxes: [EXPLICIT, IMPLICIT], scpRole: true },
  ],
};

describe('negotiateAsAcceptor', () => {
  test('accepts, rejects per context with the right result, and advertises our max PDU', () => {
    const decision = negotiateAsAcceptor(request(), policy);
    assert.ok(decision.accepted);
    const byId = new Map(decision.ac.presentationContexts.map((c) => [c.id, c]));
    assert.deepEqual(byId.get(1), { id: 1, result: ContextResult.acceptance, transferSyntax: IMPLICIT });
    // Acceptor preference: EXPLICIT comes first in our list.
    assert.equal(byId.get(3)?.transferSyntax, EXPLICIT);
    assert.equal(byId.get(5)?.result, ContextResult.transferSyntaxesNotSupported);
    assert.equal(byId.get(7)?.result, ContextResult.abstractSyntaxNotSupported);
    assert.equal(decision.ac.userInformation.maxPduLength, 65536);
    assert.equal(decision.contexts.filter((c) => c.accepted).length, 2);
  });

  test("the requestor's order wins when configured so", () => {
    const decision = negotiateAsAcceptor(request(), { ...policy, transferSyntaxPreference: 'requestor' });
    assert.ok(decision.accepted);
    assert.equal(decision.ac.presentationContexts.find((c) => c.id === 3)?.transferSyntax, IMPLICIT);
  });

  test('rejections: application context, called AE title', () => {
    const badContext = negotiateAsAcceptor(request({ applicationContext: '1.2.3' }), policy);
    assert.ok(!badContext.accepted);
    assert.deepEqual(
      [badContext.rj.result, badContext.rj.source, badContext.rj.reason],
      [Reject.permanent, Reject.sourceServiceUser, Reject.applicationContextNotSupported],
    );
    const wrongCalled = negotiateAsAcceptor(request({ calledAeTitle: 'OTHER' }), policy);
    assert.ok(!wrongCalled.accepted);
    assert.equal(wrongCalled.rj.reason, Reject.calledAeNotRecognized);
    const lenient = negotiateAsAcceptor(request({ calledAeTitle: 'OTHER' }), {
      ...policy,
      requireCalledAeTitle: false,
    });
    assert.ok(lenient.accepted);
  });

  test('a request with no presentation context is rejected, saying why (PS3.8 §9.3.2)', () => {
    const empty = negotiateAsAcceptor(request({ presentationContexts: [] }), policy);
    assert.ok(!empty.accepted);
    assert.deepEqual(
      [empty.rj.result, empty.rj.source, empty.rj.reason],
      [Reject.permanent, Reject.sourceServiceUser, Reject.noReasonGiven],
    );
    assert.match(empty.why ?? '', /no presentation context/);
    // One context that nothing supports still makes an association (each context is answered).
    const unsupported = negotiateAsAcceptor(
      request({ presentationContexts: [{ id: 1, abstractSyntax: '1.2.3.4', transferSyntaxes: [IMPLICIT] }] }),
      policy,
    );
    assert.ok(unsupported.accepted);
  });

  test('role selection: only proposed and allowed roles are granted', () => {
    const rq = request();
    rq.presentationContexts.push({ id: 9, abstractSyntax: MR, transferSyntaxes: [EXPLICIT] });
    rq.userInformation.roleSelections = [
      { sopClassUid: MR, scu: false, scp: true },
      { sopClassUid: CT, scu: true, scp: true },
    ];
    const decision = negotiateAsAcceptor(rq, policy);
    assert.ok(decision.accepted);
    const roles = new Map(decision.ac.userInformation.roleSelections.map((r) => [r.sopClassUid, r]));
    assert.deepEqual(roles.get(MR), { sopClassUid: MR, scu: false, scp: true });
    // CT does not allow the requestor to be SCP.
    assert.deepEqual(roles.get(CT), { sopClassUid: CT, scu: true, scp: false });
    const mr = decision.contexts.find((c) => c.id === 9)!;
    assert.ok(mr.accepted && mr.scpRole && !mr.scuRole);
  });

  test('SOP class extended negotiation: a reply only where the requestor asked and the context is accepted', () => {
    const rq = request();
    rq.userInformation.extendedNegotiations = [
      { sopClassUid: CT, info: Uint8Array.of(1, 1) },
      // MR's only context proposes JPEG, which is not accepted: no reply for it.
      { sopClassUid: MR, info: Uint8Array.of(1) },
    ];
    const decision = negotiateAsAcceptor(rq, {
      ...policy,
      contexts: [
        { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT], extendedNegotiation: Uint8Array.of(9) },
        // Grants the first flag when asked, never the second.
        {
          abstractSyntax: CT,
          transferSyntaxes: [EXPLICIT],
          extendedNegotiation: (asked: Uint8Array) => Uint8Array.of(asked[0] === 1 ? 1 : 0, 0),
        },
        { abstractSyntax: MR, transferSyntaxes: [EXPLICIT], extendedNegotiation: Uint8Array.of(1) },
      ],
    });
    assert.ok(decision.accepted);
    // ECHO has a fixed reply but was not asked: nothing sent for it.
    assert.deepEqual(decision.ac.userInformation.extendedNegotiations, [
      { sopClassUid: CT, info: Uint8Array.of(1, 0) },
    ]);
    assert.deepEqual(decision.contexts.find((c) => c.id === 3)?.extendedNegotiation, Uint8Array.of(1, 0));
    assert.equal(decision.contexts.find((c) => c.id === 1)?.extendedNegotiation, undefined);
    assert.equal(decision.contexts.find((c) => c.id === 5)?.extendedNegotiation, undefined);
  });

  test('a rejected context still names a transfer syntax in the AC', () => {
    const decision = negotiateAsAcceptor(request(), policy);
    assert.ok(decision.accepted);
    assert.equal(decision.ac.presentationContexts.find((c) => c.id === 7)?.transferSyntax, IMPLICIT);
  });
});

describe('requestor side', () => {
  test('context ids are odd and unique; explicit ids are checked', () => {
    const ids = assignContextIds([
      { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { id: 3, abstractSyntax: CT, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: MR, transferSyntaxes: [IMPLICIT] },
    ]).map((c) => c.id);
    assert.deepEqual(ids, [1, 3, 5]);
    assert.throws(
      () => assignContextIds([{ id: 2, abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] }]),
      RangeError,
    );
    assert.throws(
      () =>
        assignContextIds(
          Array.from({ length: 129 }, () => ({ abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] })),
        ),
      RangeError,
    );
  });

  test('contextsFromAccept maps results, ignores a syntax we did not offer, applies roles', () => {
    const proposals = assignContextIds([
      { abstractSyntax: ECHO, transferSyntaxes: [IMPLICIT] },
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT], scuRole: false, scpRole: true },
      { abstractSyntax: MR, transferSyntaxes: [EXPLICIT] },
    ]);
    assert.deepEqual(roleSelectionsFor(proposals), [{ sopClassUid: CT, scu: false, scp: true }]);
    const contexts = contextsFromAccept(proposals, {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'SCP',
      callingAeTitle: 'SCU',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: IMPLICIT },
        { id: 3, result: 0, transferSyntax: EXPLICIT },
        { id: 5, result: 0, transferSyntax: JPEG },
      ],
      userInformation: {
        maxPduLength: 0,
        roleSelections: [{ sopClassUid: CT, scu: false, scp: true }],
        extendedNegotiations: [],
        commonExtendedNegotiations: [],
        unknownItems: [],
      },
    });
    assert.ok(contexts[0]!.accepted && contexts[0]!.scuRole && !contexts[0]!.scpRole);
    assert.ok(contexts[1]!.accepted && !contexts[1]!.scuRole && contexts[1]!.scpRole);
    assert.ok(!contexts[2]!.accepted, 'JPEG was not offered for MR');
  });
});

describe('requestor side: extended negotiation', () => {
  test('one item per SOP class from the proposals; the reply lands on accepted contexts', () => {
    const proposals = assignContextIds([
      { abstractSyntax: CT, transferSyntaxes: [EXPLICIT], extendedNegotiation: Uint8Array.of(1) },
      { abstractSyntax: CT, transferSyntaxes: [JPEG], extendedNegotiation: Uint8Array.of(0) },
      { abstractSyntax: MR, transferSyntaxes: [EXPLICIT] },
    ]);
    assert.deepEqual(extendedNegotiationsFor(proposals), [{ sopClassUid: CT, info: Uint8Array.of(1) }]);
    const contexts = contextsFromAccept(proposals, {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'SCP',
      callingAeTitle: 'SCU',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [
        { id: 1, result: ContextResult.acceptance, transferSyntax: EXPLICIT },
        { id: 3, result: ContextResult.transferSyntaxesNotSupported, transferSyntax: JPEG },
        { id: 5, result: ContextResult.acceptance, transferSyntax: EXPLICIT },
      ],
      userInformation: {
        maxPduLength: 16384,
        roleSelections: [],
        extendedNegotiations: [{ sopClassUid: CT, info: Uint8Array.of(1) }],
        commonExtendedNegotiations: [],
        unknownItems: [],
      },
    });
    assert.deepEqual(
      contexts.map((c) => c.extendedNegotiation),
      [Uint8Array.of(1), undefined, undefined],
    );
  });
});

describe('access control', () => {
  test('allow list by AE title, CIDR block, pair; loopback on by default', () => {
    const policy = allowList({
      callingAeTitles: ['MODALITY'],
      addresses: ['10.1.0.0/16', '2001:db8::/32'],
      peers: [{ aeTitle: 'CT1', address: '192.168.1.20' }],
    });
    const check = (callingAeTitle: string, remoteAddress: string) =>
      policy.check({ callingAeTitle, calledAeTitle: 'PACS', remoteAddress }) as AccessDecision;
    assert.deepEqual(check('X', '127.0.0.1'), { allowed: true });
    assert.deepEqual(check('X', '::ffff:127.0.0.5'), { allowed: true });
    assert.deepEqual(check('MODALITY', '8.8.8.8'), { allowed: true });
    assert.deepEqual(check('X', '10.1.200.3'), { allowed: true });
    assert.deepEqual(check('X', '2001:db8:1::5'), { allowed: true });
    assert.deepEqual(check('CT1', '192.168.1.20'), { allowed: true });
    const denied = check('CT1', '192.168.1.21');
    assert.equal(denied.allowed, false);
    if (!denied.allowed) {
      assert.equal(denied.rj.reason, Reject.callingAeNotRecognized);
      assert.match(denied.why, /CT1/);
    }
    assert.equal(
      (
        allowList({ allowLoopback: false }).check({
          callingAeTitle: 'A',
          calledAeTitle: 'B',
          remoteAddress: '::1',
        }) as { allowed: boolean }
      ).allowed,
      false,
    );
    assert.ok(isLoopback('::1') && isLoopback('127.9.9.9') && !isLoopback('10.0.0.1'));
  });
});
