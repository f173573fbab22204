import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError, IMPLEMENTATION_CLASS_UID } from '../../core/index.ts';
import { ABORT_REASON, DICOM_APPLICATION_CONTEXT, decodePdu, encodePdu } from './index.ts';
import { ascii, bytes, DCMTK_ECHO_AC, DCMTK_ECHO_RQ, pduError } from './test-buffers.ts';
import type { AssociateAc, AssociateRq } from './types.ts';

const VERIFICATION = '1.2.840.10008.1.1';
const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
const MR_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.4';
const IMPLICIT_LE = '1.2.840.10008.1.2';
const EXPLICIT_LE = '1.2.840.10008.1.2.1';
const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

const invalidValue = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';

/** The fixed part of an A-ASSOCIATE PDU (PS3.8 Table 9-11) around a hand-written variable field. */
function associatePdu(type: number, variable: Uint8Array): Uint8Array {
  const length = (68 + variable.length).toString(16).padStart(8, '0');
  return bytes(
    `0${type} 00 ${length}`,
    '0001 0000',
    ascii('ANY-SCP         '),
    ascii('ECHOSCU         '),
    new Uint8Array(32),
    variable,
  );
}

const APP_CONTEXT_ITEM = bytes('10 00 0015', ascii(DICOM_APPLICATION_CONTEXT));

function minimalRq(): AssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'ANY-SCP',
    callingAeTitle: 'ECHOSCU',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: '1.2.3.4',
      implementationVersionName: 'DK_1',
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    },
  };
}

describe('A-ASSOCIATE-RQ', () => {
  it('encodes byte for byte as PS3.8 §9.3.2 lays it out', () => {
    const expected = bytes(
      '01 00 000000ae', // PDU-type 01H, reserved, PDU-length 174 = 68 fixed + 25 + 50 + 31
      '0001 0000', // Protocol-version bit 0, reserved
      ascii('ANY-SCP         '), // Called-AE-title, 16 bytes space padded
      ascii('ECHOSCU         '), // Calling-AE-title
      new Uint8Array(32), // reserved
      '10 00 0015', // Application Context item, length 21
      ascii('1.2.840.10008.3.1.1.1'),
      '20 00 002e', // Presentation Context item (RQ), length 46
      '01 00 00 00', // Presentation-context-ID 1, three reserved bytes
      '30 00 0011', // Abstract Syntax sub-item, length 17, no NUL padding (PS3.8 §9.3.2.2.1)
      ascii(VERIFICATION),
      '40 00 0011', // Transfer Syntax sub-item, length 17
      ascii(IMPLICIT_LE),
      '50 00 001b', // User Information item, length 27
      '51 00 0004 00004000', // Maximum Length 16384
      '52 00 0007', // Implementation Class UID
      ascii('1.2.3.4'),
      '55 00 0004', // Implementation Version Name
      ascii('DK_1'),
    );
    const encoded = encodePdu(minimalRq());
    assert.deepEqual(encoded, expected);
    assert.equal(encoded.length, 180);
    assert.deepEqual(decodePdu(encoded), minimalRq());
  });

  it('round-trips every item and sub-item', () => {
    const rq: AssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: 'STORESCP',
      callingAeTitle: 'MODALITY 1',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [
        { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
        {
          id: 3,
          abstractSyntax: CT_IMAGE_STORAGE,
          transferSyntaxes: [EXPLICIT_LE, IMPLICIT_LE, JPEG_BASELINE],
        },
        { id: 255, abstractSyntax: MR_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT_LE] },
      ],
      userInformation: {
        maxPduLength: 0,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: 'DICOMKIT_010',
        asyncOpsWindow: { invoked: 5, performed: 0 },
        roleSelections: [
          { sopClassUid: CT_IMAGE_STORAGE, scu: true, scp: false },
          { sopClassUid: MR_IMAGE_STORAGE, scu: false, scp: true },
        ],
        extendedNegotiations: [
          { sopClassUid: '1.2.840.10008.5.1.4.1.2.2.1', info: Uint8Array.of(1, 1, 0, 1) },
        ],
        commonExtendedNegotiations: [
          {
            sopClassUid: '1.2.840.10008.5.1.4.1.1.88.40',
            serviceClassUid: '1.2.840.10008.4.2',
            relatedGeneralSopClasses: ['1.2.840.10008.5.1.4.1.1.88.22', '1.2.840.10008.5.1.4.1.1.88.33'],
          },
          {
            sopClassUid: '1.2.840.10008.5.1.4.1.1.7.1',
            serviceClassUid: '1.2.840.10008.4.2',
            relatedGeneralSopClasses: [],
          },
        ],
        userIdentity: {
          type: 2,
          positiveResponseRequested: true,
          primaryField: ascii('alice'),
          secondaryField: ascii('s3cret'),
        },
        unknownItems: [
          { type: 0x5a, data: Uint8Array.of(1, 2, 3) },
          { type: 0xff, data: new Uint8Array(0) },
        ],
      },
    };
    const decoded = decodePdu(encodePdu(rq));
    assert.deepEqual(decoded, rq);
    assert.deepEqual(encodePdu(decoded as AssociateRq), encodePdu(rq));
  });

  it('decodes a DCMTK echoscu request', () => {
    const rq = decodePdu(DCMTK_ECHO_RQ);
    assert.deepEqual(rq, {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle: 'X',
      callingAeTitle: 'ECHOSCU',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [{ id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] }],
      userInformation: {
        maxPduLength: 16384,
        implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
        implementationVersionName: 'OFFIS_DCMTK_367',
        roleSelections: [],
        extendedNegotiations: [],
        commonExtendedNegotiations: [],
        unknownItems: [],
      },
    });
    // Re-encoded, only the reserved byte DCMTK set to FFH differs: same item order, no padding.
    const again = encodePdu(rq);
    assert.equal(again.length, DCMTK_ECHO_RQ.length);
    const differing = [...again.keys()].filter((i) => again[i] !== DCMTK_ECHO_RQ[i]);
    assert.deepEqual(differing, [0x69]);
    assert.equal(DCMTK_ECHO_RQ[0x69], 0xff);
  });

  it('decodes from a view into a larger buffer', () => {
    const big = new Uint8Array(DCMTK_ECHO_RQ.length + 7);
    big.set(DCMTK_ECHO_RQ, 3);
    assert.deepEqual(decodePdu(big.subarray(3, 3 + DCMTK_ECHO_RQ.length)), decodePdu(DCMTK_ECHO_RQ));
  });

  it('strips NUL and space padding from UIDs and AE titles', () => {
    const pdu = associatePdu(
      1,
      bytes(
        '10 00 0016',
        ascii(`${DICOM_APPLICATION_CONTEXT}\0`),
        '20 00 0030 01 00 00 00',
        '30 00 0012',
        ascii(`${VERIFICATION}\0`),
        '40 00 0012',
        ascii(`${IMPLICIT_LE} `),
        '50 00 0008 51 00 0004 00008000',
      ),
    );
    // Leading spaces and NUL padding in the AE title fields are not significant either.
    pdu.set(ascii('  ANY-SCP\0\0\0\0\0\0\0'), 10);
    const rq = decodePdu(pdu) as AssociateRq;
    assert.equal(rq.calledAeTitle, 'ANY-SCP');
    assert.equal(rq.applicationContext, DICOM_APPLICATION_CONTEXT);
    assert.deepEqual(rq.presentationContexts, [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    ]);
  });

  it('ignores reserved fields and skips unknown items', () => {
    const pdu = associatePdu(
      1,
      bytes(
        '77 00 0003 aabbcc', // an item type no edition defines: skipped
        APP_CONTEXT_ITEM,
        '20 ff 0033 01 ff ff ff', // reserved bytes set
        '30 ff 0011',
        ascii(VERIFICATION),
        '99 00 0001 00', // unknown sub-item inside a presentation context: skipped
        '40 00 0011',
        ascii(IMPLICIT_LE),
      ),
    );
    pdu[1] = 0xff;
    pdu[8] = 0xff;
    pdu.fill(0x41, 42, 74);
    // Only bit 0 of the protocol version is meaningful; the codec reports the field as is.
    pdu[7] = 0x03;
    const rq = decodePdu(pdu) as AssociateRq;
    assert.equal(rq.protocolVersion, 3);
    assert.deepEqual(rq.presentationContexts, [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT_LE] },
    ]);
  });

  it('decodes without an application context or user information item', () => {
    const rq = decodePdu(
      associatePdu(1, bytes('20 00 0019 01 00 00 00 30 00 0011', ascii(VERIFICATION))),
    ) as AssociateRq;
    assert.equal(rq.applicationContext, '');
    assert.deepEqual(rq.presentationContexts, [
      { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [] },
    ]);
    assert.deepEqual(rq.userInformation, {
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    });
  });

  it('checks AE titles on encode', () => {
    for (const bad of [
      '',
      '                ',
      'ABCDEFGHIJKLMNOPQ',
      'A\\B',
      'A\nB',
      'TAB\tAE',
      'ÉCHO',
      'A\0',
    ]) {
      assert.throws(
        () => encodePdu({ ...minimalRq(), calledAeTitle: bad }),
        invalidValue,
        JSON.stringify(bad),
      );
      assert.throws(
        () => encodePdu({ ...minimalRq(), callingAeTitle: bad }),
        invalidValue,
        JSON.stringify(bad),
      );
    }
    // Exactly 16 characters, inner spaces and surrounding spaces are fine.
    const ok = encodePdu({ ...minimalRq(), calledAeTitle: 'ABCDEFGHIJKLMNOP', callingAeTitle: '  MY AE  ' });
    assert.deepEqual(ok.subarray(10, 42), ascii('ABCDEFGHIJKLMNOPMY AE           '));
  });

  it('checks UIDs, context IDs and field ranges on encode', () => {
    const rq = minimalRq;
    const pc = rq().presentationContexts[0]!;
    const cases: AssociateRq[] = [
      { ...rq(), applicationContext: '' },
      { ...rq(), presentationContexts: [{ ...pc, abstractSyntax: '1.2.abc' }] },
      { ...rq(), presentationContexts: [{ ...pc, abstractSyntax: `1.${'2'.repeat(64)}` }] },
      { ...rq(), presentationContexts: [{ ...pc, transferSyntaxes: [`${IMPLICIT_LE}\0`] }] },
      { ...rq(), presentationContexts: [{ ...pc, transferSyntaxes: [] }] },
      { ...rq(), presentationContexts: [{ ...pc, id: 2 }] },
      { ...rq(), presentationContexts: [{ ...pc, id: 257 }] },
      { ...rq(), presentationContexts: [{ ...pc, id: 0 }] },
      { ...rq(), protocolVersion: 0x10000 },
      { ...rq(), userInformation: { ...rq().userInformation, maxPduLength: -1 } },
      { ...rq(), userInformation: { ...rq().userInformation, maxPduLength: 2 ** 32 } },
      { ...rq(), userInformation: { ...rq().userInformation, implementationVersionName: '' } },
      {
        ...rq(),
        userInformation: { ...rq().userInformation, implementationVersionName: '12345678901234567' },
      },
      { ...rq(), userInformation: { ...rq().userInformation, implementationClassUid: 'x' } },
      {
        ...rq(),
        userInformation: { ...rq().userInformation, unknownItems: [{ type: 0x51, data: new Uint8Array(4) }] },
      },
    ];
    for (const bad of cases) assert.throws(() => encodePdu(bad), invalidValue);
  });

  it('refuses an item too long for its 2-byte length', () => {
    const big = {
      type: 5,
      positiveResponseRequested: false,
      primaryField: new Uint8Array(65530),
      secondaryField: new Uint8Array(0),
    };
    const rq = { ...minimalRq(), userInformation: { ...minimalRq().userInformation, userIdentity: big } };
    assert.throws(
      () => encodePdu(rq),
      (e: unknown) => e instanceof DicomError && e.code === 'ERR_VALUE_TOO_LARGE',
    );
  });
});

describe('A-ASSOCIATE-AC', () => {
  const ac = (): AssociateAc => ({
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: 'ANY-SCP',
    callingAeTitle: 'ECHOSCU',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [
      { id: 1, result: 0, transferSyntax: IMPLICIT_LE },
      { id: 3, result: 3 },
    ],
    userInformation: {
      maxPduLength: 0,
      implementationClassUid: '1.2.3.4',
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    },
  });

  it('encodes byte for byte as PS3.8 §9.3.3 lays it out', () => {
    const expected = bytes(
      '02 00 00000099', // PDU-type 02H, PDU-length 153 = 68 + 25 + 29 + 8 + 23
      '0001 0000',
      ascii('ANY-SCP         '), // reserved, echoes the RQ's called AE title
      ascii('ECHOSCU         '),
      new Uint8Array(32),
      APP_CONTEXT_ITEM,
      '21 00 0019 01 00 00 00', // Presentation Context item (AC), ID 1, result 0 acceptance
      '40 00 0011',
      ascii(IMPLICIT_LE),
      '21 00 0004 03 00 03 00', // ID 3, result 3 abstract-syntax-not-supported, no sub-item
      '50 00 0013',
      '51 00 0004 00000000', // Maximum Length 0: no limit
      '52 00 0007',
      ascii('1.2.3.4'),
    );
    assert.deepEqual(encodePdu(ac()), expected);
    assert.deepEqual(decodePdu(expected), ac());
  });

  it('round-trips every sub-item an acceptor sends', () => {
    const full: AssociateAc = {
      ...ac(),
      presentationContexts: [
        { id: 1, result: 0, transferSyntax: IMPLICIT_LE },
        { id: 3, result: 1 },
        { id: 5, result: 2 },
        { id: 7, result: 4 },
        { id: 9, result: 0, transferSyntax: JPEG_BASELINE },
      ],
      userInformation: {
        maxPduLength: 65536,
        implementationClassUid: IMPLEMENTATION_CLASS_UID,
        implementationVersionName: 'DICOMKIT_010',
        asyncOpsWindow: { invoked: 1, performed: 1 },
        roleSelections: [{ sopClassUid: CT_IMAGE_STORAGE, scu: false, scp: true }],
        extendedNegotiations: [{ sopClassUid: CT_IMAGE_STORAGE, info: Uint8Array.of(1, 0, 2, 0, 0, 0) }],
        commonExtendedNegotiations: [],
        userIdentityResponse: ascii('server-response-token'),
        unknownItems: [{ type: 0x60, data: ascii('future') }],
      },
    };
    assert.deepEqual(decodePdu(encodePdu(full)), full);
  });

  it('ignores the transfer syntax of a rejected context, and may send it', () => {
    const pdu = encodePdu({
      ...ac(),
      presentationContexts: [{ id: 3, result: 4, transferSyntax: IMPLICIT_LE }],
    });
    // Written, for peers that expect the sub-item whatever the result.
    assert.deepEqual(
      pdu.subarray(99, 99 + 29),
      bytes('21 00 0019 03 00 04 00 40 00 0011', ascii(IMPLICIT_LE)),
    );
    assert.deepEqual((decodePdu(pdu) as AssociateAc).presentationContexts, [{ id: 3, result: 4 }]);
  });

  it('refuses to send an accepted context without a transfer syntax', () => {
    assert.throws(() => encodePdu({ ...ac(), presentationContexts: [{ id: 1, result: 0 }] }), invalidValue);
  });

  it('echoes unusual AE titles, which are reserved fields in an AC', () => {
    const pdu = encodePdu({ ...ac(), calledAeTitle: '', callingAeTitle: 'A\\B' });
    const decoded = decodePdu(pdu) as AssociateAc;
    assert.equal(decoded.calledAeTitle, '');
    assert.equal(decoded.callingAeTitle, 'A\\B');
    assert.throws(() => encodePdu({ ...ac(), calledAeTitle: 'X'.repeat(17) }), invalidValue);
  });

  it('decodes the DCMTK storescp answer', () => {
    assert.deepEqual(decodePdu(DCMTK_ECHO_AC), {
      type: 'A-ASSOCIATE-AC',
      protocolVersion: 1,
      calledAeTitle: 'X',
      callingAeTitle: 'ECHOSCU',
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: [{ id: 1, result: 0, transferSyntax: IMPLICIT_LE }],
      userInformation: {
        maxPduLength: 16384,
        implementationClassUid: '1.2.276.0.7230010.3.0.3.6.7',
        implementationVersionName: 'OFFIS_DCMTK_367',
        roleSelections: [],
        extendedNegotiations: [],
        commonExtendedNegotiations: [],
        unknownItems: [],
      },
    });
    assert.deepEqual(encodePdu(decodePdu(DCMTK_ECHO_AC)), DCMTK_ECHO_AC);
  });
});

describe('A-ASSOCIATE malformed', () => {
  const INVALID = ABORT_REASON.INVALID_PDU_PARAMETER_VALUE;
  const UNEXPECTED = ABORT_REASON.UNEXPECTED_PDU_PARAMETER;

  it('rejects a PDU too short for its fixed fields', () => {
    assert.throws(() => decodePdu(bytes('01 00 00000010', new Uint8Array(16))), pduError(INVALID));
  });

  it('rejects an item whose length runs past the PDU', () => {
    const pdu = associatePdu(
      1,
      bytes(APP_CONTEXT_ITEM, '20 00 0040 01 00 00 00 30 00 0011', ascii(VERIFICATION)),
    );
    assert.throws(() => decodePdu(pdu), pduError(INVALID));
  });

  it('rejects a sub-item whose length runs past its item', () => {
    // The abstract syntax says 0x20 bytes but its presentation context item holds 0x19.
    const pdu = associatePdu(
      1,
      bytes('20 00 0019 01 00 00 00 30 00 0020', ascii(VERIFICATION), new Uint8Array(16)),
    );
    assert.throws(() => decodePdu(pdu), pduError(INVALID));
  });

  it('rejects a truncated item header', () => {
    assert.throws(() => decodePdu(associatePdu(1, bytes(APP_CONTEXT_ITEM, '20 00'))), pduError(INVALID));
    assert.throws(() => decodePdu(associatePdu(1, bytes('20 00 0006 01 00 00 00 30 00'))), pduError(INVALID));
  });

  it('rejects a presentation context without an abstract syntax', () => {
    assert.throws(() => decodePdu(associatePdu(1, bytes('20 00 0004 01 00 00 00'))), pduError(INVALID));
    assert.throws(() => decodePdu(associatePdu(1, bytes('20 00 0002 01 00'))), pduError(INVALID));
  });

  it('rejects items in the wrong PDU and items the standard allows once', () => {
    const acItem = bytes('21 00 0004 01 00 00 00');
    const rqItem = bytes('20 00 0019 01 00 00 00 30 00 0011', ascii(VERIFICATION));
    assert.throws(() => decodePdu(associatePdu(1, acItem)), pduError(UNEXPECTED));
    assert.throws(() => decodePdu(associatePdu(2, rqItem)), pduError(UNEXPECTED));
    assert.throws(
      () => decodePdu(associatePdu(1, bytes(APP_CONTEXT_ITEM, APP_CONTEXT_ITEM))),
      pduError(UNEXPECTED),
    );
    const ui = bytes('50 00 0008 51 00 0004 00004000');
    assert.throws(() => decodePdu(associatePdu(1, bytes(ui, ui))), pduError(UNEXPECTED));
    const twoAbstract = bytes(
      '20 00 002e 01 00 00 00',
      '30 00 0011',
      ascii(VERIFICATION),
      '30 00 0011',
      ascii(VERIFICATION),
    );
    assert.throws(() => decodePdu(associatePdu(1, twoAbstract)), pduError(UNEXPECTED));
    const twoTs = bytes(
      '21 00 002e 01 00 00 00',
      '40 00 0011',
      ascii(IMPLICIT_LE),
      '40 00 0011',
      ascii(IMPLICIT_LE),
    );
    assert.throws(() => decodePdu(associatePdu(2, twoTs)), pduError(UNEXPECTED));
  });

  it('rejects a PDU cut short by the transport', () => {
    assert.throws(() => decodePdu(DCMTK_ECHO_RQ.subarray(0, 100)), pduError(INVALID));
  });
});
