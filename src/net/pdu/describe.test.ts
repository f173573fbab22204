import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  abortReasonText,
  contextResultText,
  DICOM_APPLICATION_CONTEXT,
  decodePdu,
  describePdu,
  rejectReasonText,
} from './index.ts';
import { ascii, DCMTK_ECHO_AC, DCMTK_ECHO_PDATA, DCMTK_ECHO_RQ } from './test-buffers.ts';

describe('describePdu', () => {
  it('shows an A-ASSOCIATE-RQ with registry names', () => {
    const text = describePdu(decodePdu(DCMTK_ECHO_RQ), 'received');
    assert.equal(
      text,
      [
        'A-ASSOCIATE-RQ received, PDU-length 205 (211 bytes)',
        '  Protocol version:          1',
        '  Called AE title:           X',
        '  Calling AE title:          ECHOSCU',
        '  Application context:       DICOM Application Context Name (1.2.840.10008.3.1.1.1)',
        '  Presentation context 1 (proposed)',
        '    Abstract syntax:         Verification SOP Class (1.2.840.10008.1.1)',
        '    Transfer syntax:         Implicit VR Little Endian (1.2.840.10008.1.2)',
        '  User information',
        '    Max PDU length:          16384',
        '    Implementation class:    1.2.276.0.7230010.3.0.3.6.7',
        '    Implementation version:  OFFIS_DCMTK_367',
      ].join('\n'),
    );
  });

  it('shows an A-ASSOCIATE-AC with context results', () => {
    const text = describePdu(decodePdu(DCMTK_ECHO_AC), 'sent');
    assert.match(text, /^A-ASSOCIATE-AC sent, PDU-length 184 \(190 bytes\)$/m);
    assert.match(text, /Presentation context 1: acceptance$/m);
    assert.match(text, /Transfer syntax: +Implicit VR Little Endian \(1\.2\.840\.10008\.1\.2\)$/m);
    const rejected = describePdu({
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'A',
      callingAeTitle: 'B',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [{ id: 3, result: 3 }],
      userInformation: {
        maxPduLength: 0,
        asyncOpsWindow: { invoked: 0, performed: 1 },
        roleSelections: [{ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', scu: false, scp: true }],
        extendedNegotiations: [{ sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', info: Uint8Array.of(1, 0xab) }],
        commonExtendedNegotiations: [],
        userIdentityResponse: new Uint8Array(5),
        unknownItems: [{ type: 0x5a, data: new Uint8Array(0) }],
      },
    });
    assert.match(rejected, /Presentation context 3: abstract-syntax-not-supported \(provider rejection\)/);
    assert.match(rejected, /Max PDU length: +0 \(unlimited\)/);
    assert.match(rejected, /Async operations window: +invoked 0 \(unlimited\), performed 1/);
    assert.match(
      rejected,
      /SCP\/SCU role: +CT Image Storage \(1\.2\.840\.10008\.5\.1\.4\.1\.1\.2\): SCU no, SCP yes/,
    );
    assert.match(
      rejected,
      /Extended negotiation: +Study Root Query\/Retrieve Information Model - FIND .*: 2 bytes \[01 ab\]/,
    );
    assert.match(rejected, /User identity response: +5 bytes/);
    assert.match(rejected, /Sub-item 5AH: +0 bytes/);
  });

  it('names the user identity type but never prints a passcode or token', () => {
    const rq = decodePdu(DCMTK_ECHO_RQ);
    assert.equal(rq.type, 'A-ASSOCIATE-RQ');
    if (rq.type !== 'A-ASSOCIATE-RQ') return;
    rq.userInformation.userIdentity = {
      type: 2,
      positiveResponseRequested: true,
      primaryField: ascii('alice'),
      secondaryField: ascii('hunter2'),
    };
    rq.userInformation.commonExtendedNegotiations = [
      {
        sopClassUid: '1.2.840.10008.5.1.4.1.1.88.40',
        serviceClassUid: '1.2.840.10008.4.2',
        relatedGeneralSopClasses: ['1.2.840.10008.5.1.4.1.1.88.22'],
      },
    ];
    const text = describePdu(rq);
    assert.match(
      text,
      /User identity: +username and passcode \(2\): 'alice', secondary field 7 bytes \(hidden\), positive response requested/,
    );
    assert.doesNotMatch(text, /hunter2/);
    assert.match(text, /Service class: +Storage Service Class/);
    assert.match(text, /Related general class: +Enhanced SR Storage/);
    rq.userInformation.userIdentity = {
      type: 5,
      positiveResponseRequested: false,
      primaryField: ascii('eyJhbGciOi.secret'),
      secondaryField: new Uint8Array(0),
    };
    const jwt = describePdu(rq);
    assert.match(jwt, /User identity: +JSON Web Token \(5\): 17 bytes$/m);
    assert.doesNotMatch(jwt, /eyJ/);
  });

  it('shows each PDV of a P-DATA-TF', () => {
    assert.equal(
      describePdu(decodePdu(DCMTK_ECHO_PDATA), 'sent'),
      'P-DATA-TF sent, PDU-length 74 (80 bytes)\n  PDV 1: context 1, command, last fragment, 68 bytes',
    );
    const text = describePdu({
      type: 'P-DATA-TF',
      pdvs: [{ contextId: 3, isCommand: false, isLast: false, data: new Uint8Array(10) }],
    });
    assert.match(text, /PDV 1: context 3, data set, more fragments follow, 10 bytes/);
  });

  it('puts reject and abort codes in words', () => {
    assert.equal(
      describePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 }),
      [
        'A-ASSOCIATE-RJ, PDU-length 4 (10 bytes)',
        '  Result:                    rejected-permanent (1)',
        '  Source:                    DICOM UL service-user (1)',
        '  Reason:                    called-AE-title-not-recognized (7)',
      ].join('\n'),
    );
    const abort = describePdu({ type: 'A-ABORT', source: 2, reason: 6 }, 'received');
    assert.match(abort, /Source: +DICOM UL service-provider \(2\)/);
    assert.match(abort, /Reason: +invalid-PDU-parameter-value \(6\)/);
    assert.equal(describePdu({ type: 'A-RELEASE-RQ' }, 'sent'), 'A-RELEASE-RQ sent, PDU-length 4 (10 bytes)');
  });

  it('still describes a PDU that could not be encoded', () => {
    const rq = decodePdu(DCMTK_ECHO_RQ);
    if (rq.type !== 'A-ASSOCIATE-RQ') return;
    rq.calledAeTitle = '';
    assert.match(describePdu(rq), /^A-ASSOCIATE-RQ\n/);
  });
});

describe('reason texts', () => {
  it('uses the words of PS3.8 Tables 9-18, 9-21 and 9-26', () => {
    assert.equal(contextResultText(0), 'acceptance');
    assert.equal(contextResultText(4), 'transfer-syntaxes-not-supported (provider rejection)');
    assert.equal(contextResultText(9), 'unknown result 9');
    assert.equal(
      rejectReasonText(2, 3, 1),
      'rejected-transient, source: DICOM UL service-provider (Presentation related function), reason: temporary-congestion',
    );
    assert.equal(
      rejectReasonText(1, 2, 2),
      'rejected-permanent, source: DICOM UL service-provider (ACSE related function), reason: protocol-version-not-supported',
    );
    assert.equal(
      rejectReasonText(1, 1, 3),
      'rejected-permanent, source: DICOM UL service-user, reason: calling-AE-title-not-recognized',
    );
    assert.match(rejectReasonText(1, 1, 5), /reserved reason 5/);
    assert.equal(abortReasonText(0, 0), 'DICOM UL service-user (initiated abort)');
    assert.equal(
      abortReasonText(2, 1),
      'DICOM UL service-provider (initiated abort), reason: unrecognized-PDU',
    );
    assert.equal(
      abortReasonText(2, 3),
      'DICOM UL service-provider (initiated abort), reason: reserved reason 3',
    );
    assert.equal(abortReasonText(1, 0), 'reserved source 1, reason: reason-not-specified');
  });
});
