import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ABORT_REASON,
  DICOM_APPLICATION_CONTEXT,
  decodePdu,
  emptyUserInformation,
  encodePdu,
} from './index.ts';
import { ascii, bytes, pduError } from './test-buffers.ts';
import type { AssociateRq, UserInformation } from './types.ts';

// Each sub-item is checked in a PDU with no presentation context, so the User Information item
// starts right after the Application Context item: 6 + 68 + 25 = byte 99.
const USER_INFO_OFFSET = 99;

function rqWith(userInformation: UserInformation): AssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: 1,
    calledAeTitle: 'SCP',
    callingAeTitle: 'SCU',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: [],
    userInformation,
  };
}

/** The User Information item of an RQ carrying these sub-items. */
function encodeUserInfo(ui: Partial<UserInformation>): Uint8Array {
  return encodePdu(rqWith({ ...emptyUserInformation(), ...ui })).subarray(USER_INFO_OFFSET);
}

/** An RQ whose User Information item holds these raw sub-item bytes. */
function rqWithSubItems(subItems: Uint8Array): Uint8Array {
  const variable = bytes(
    '10 00 0015',
    ascii(DICOM_APPLICATION_CONTEXT),
    `50 00 ${subItems.length.toString(16).padStart(4, '0')}`,
    subItems,
  );
  return bytes(
    `01 00 ${(68 + variable.length).toString(16).padStart(8, '0')} 0001 0000`,
    ascii('SCP'.padEnd(16)),
    ascii('SCU'.padEnd(16)),
    new Uint8Array(32),
    variable,
  );
}

function decodeSubItems(subItems: Uint8Array): UserInformation {
  return (decodePdu(rqWithSubItems(subItems)) as AssociateRq).userInformation;
}

describe('user information sub-items (PS3.7 Annex D.3.3)', () => {
  const cases: Array<[string, Partial<UserInformation>, Uint8Array]> = [
    ['maximum length 51H (PS3.8 D.1.1)', { maxPduLength: 0x12345678 }, bytes('51 00 0004 12345678')],
    [
      'implementation class UID 52H (D.3.3.2.1)',
      { implementationClassUid: '1.2.3' },
      bytes('52 00 0005', ascii('1.2.3')),
    ],
    [
      'implementation version name 55H (D.3.3.2.3)',
      { implementationVersionName: 'V 1' },
      bytes('55 00 0003', ascii('V 1')),
    ],
    [
      'asynchronous operations window 53H (D.3.3.3.1)',
      { asyncOpsWindow: { invoked: 5, performed: 0x0102 } },
      bytes('53 00 0004 0005 0102'),
    ],
    [
      'SCP/SCU role selection 54H (D.3.3.4.1)',
      { roleSelections: [{ sopClassUid: '1.2.3', scu: true, scp: false }] },
      bytes('54 00 0009 0005', ascii('1.2.3'), '01 00'),
    ],
    [
      'SOP class extended negotiation 56H (D.3.3.5.1)',
      { extendedNegotiations: [{ sopClassUid: '1.2.3', info: Uint8Array.of(1, 0, 1) }] },
      bytes('56 00 000a 0005', ascii('1.2.3'), '01 00 01'),
    ],
    [
      'SOP class common extended negotiation 57H (D.3.3.6.1)',
      {
        commonExtendedNegotiations: [
          {
            sopClassUid: '1.2.3',
            serviceClassUid: '1.2.840.10008.4.2',
            relatedGeneralSopClasses: ['1.2.4', '1.2.5'],
          },
        ],
      },
      bytes(
        '57 00 002a', // byte 2 is the sub-item version, 00H
        '0005',
        ascii('1.2.3'),
        '0011',
        ascii('1.2.840.10008.4.2'),
        '000e', // related-general-sop-class-identification-length: two 2+5 byte sub-fields
        '0005',
        ascii('1.2.4'),
        '0005',
        ascii('1.2.5'),
      ),
    ],
    [
      'user identity 58H, username and passcode (D.3.3.7.1)',
      {
        userIdentity: {
          type: 2,
          positiveResponseRequested: true,
          primaryField: ascii('bob'),
          secondaryField: ascii('pw'),
        },
      },
      bytes('58 00 000b 02 01 0003', ascii('bob'), '0002', ascii('pw')),
    ],
    [
      'user identity 58H, username only: a zero secondary length',
      {
        userIdentity: {
          type: 1,
          positiveResponseRequested: false,
          primaryField: ascii('bob'),
          secondaryField: new Uint8Array(0),
        },
      },
      bytes('58 00 0009 01 00 0003', ascii('bob'), '0000'),
    ],
    [
      'user identity 59H, server response (D.3.3.7.2)',
      { userIdentityResponse: ascii('OK') },
      bytes('59 00 0004 0002', ascii('OK')),
    ],
    [
      'an unknown sub-item, kept as is',
      { unknownItems: [{ type: 0x5a, data: Uint8Array.of(1, 2) }] },
      bytes('5a 00 0002 0102'),
    ],
  ];

  for (const [name, ui, subItem] of cases) {
    it(name, () => {
      const item = bytes(`50 00 ${subItem.length.toString(16).padStart(4, '0')}`, subItem);
      assert.deepEqual(encodeUserInfo(ui), item);
      assert.deepEqual(decodeSubItems(subItem), { ...emptyUserInformation(), ...ui });
    });
  }

  it('writes sub-items in the order DCMTK and pynetdicom use', () => {
    const item = encodeUserInfo({
      maxPduLength: 1,
      implementationClassUid: '1.2',
      implementationVersionName: 'V',
      asyncOpsWindow: { invoked: 1, performed: 1 },
      roleSelections: [{ sopClassUid: '1.2', scu: true, scp: true }],
      extendedNegotiations: [{ sopClassUid: '1.2', info: new Uint8Array(0) }],
      commonExtendedNegotiations: [
        { sopClassUid: '1.2', serviceClassUid: '1.3', relatedGeneralSopClasses: [] },
      ],
      userIdentity: {
        type: 1,
        positiveResponseRequested: false,
        primaryField: ascii('u'),
        secondaryField: new Uint8Array(0),
      },
      userIdentityResponse: new Uint8Array(0),
      unknownItems: [{ type: 0x70, data: new Uint8Array(0) }],
    });
    const types: number[] = [];
    for (let pos = 4; pos < item.length; pos += 4 + ((item[pos + 2]! << 8) | item[pos + 3]!))
      types.push(item[pos]!);
    assert.deepEqual(types, [0x51, 0x52, 0x55, 0x53, 0x54, 0x56, 0x57, 0x58, 0x59, 0x70]);
  });

  it('accepts a username identity that omits the secondary length', () => {
    assert.deepEqual(decodeSubItems(bytes('58 00 0007 01 00 0003', ascii('bob'))).userIdentity, {
      type: 1,
      positiveResponseRequested: false,
      primaryField: ascii('bob'),
      secondaryField: new Uint8Array(0),
    });
  });

  it('copies byte fields out of the PDU', () => {
    const pdu = rqWithSubItems(bytes('5a 00 0002 0102'));
    const ui = (decodePdu(pdu) as AssociateRq).userInformation;
    pdu.fill(0);
    assert.deepEqual(ui.unknownItems, [{ type: 0x5a, data: Uint8Array.of(1, 2) }]);
  });
});

describe('user information sub-items, malformed', () => {
  const INVALID = pduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);
  const UNEXPECTED = pduError(ABORT_REASON.UNEXPECTED_PDU_PARAMETER);

  it('rejects a maximum length sub-item that is not 4 bytes', () => {
    assert.throws(() => decodeSubItems(bytes('51 00 0002 4000')), INVALID);
    assert.throws(() => decodeSubItems(bytes('51 00 0006 0000 4000 0000')), INVALID);
  });

  it('rejects an asynchronous operations window that is not 4 bytes', () => {
    assert.throws(() => decodeSubItems(bytes('53 00 0002 0001')), INVALID);
  });

  it('rejects a sub-item whose length runs past the user information item', () => {
    assert.throws(() => decodeSubItems(bytes('52 00 0010', ascii('1.2.3'))), INVALID);
    assert.throws(() => decodeSubItems(bytes('52 00')), INVALID);
  });

  it('rejects inner lengths that disagree with the sub-item length', () => {
    // role selection: UID length past the sub-item, and a byte too many
    assert.throws(() => decodeSubItems(bytes('54 00 0009 0009', ascii('1.2.3'), '01 00')), INVALID);
    assert.throws(() => decodeSubItems(bytes('54 00 000a 0005', ascii('1.2.3'), '01 00 00')), INVALID);
    // extended negotiation: UID length past the sub-item
    assert.throws(() => decodeSubItems(bytes('56 00 0007 0008', ascii('1.2.3'))), INVALID);
    // common extended negotiation: related field shorter than its sub-fields, then longer than the item
    const common = (relatedLength: string, itemLength: string): Uint8Array =>
      bytes(
        `57 00 ${itemLength} 0005`,
        ascii('1.2.3'),
        '0003',
        ascii('1.2'),
        relatedLength,
        '0005',
        ascii('1.2.4'),
      );
    assert.deepEqual(decodeSubItems(common('0007', '0015')).commonExtendedNegotiations, [
      { sopClassUid: '1.2.3', serviceClassUid: '1.2', relatedGeneralSopClasses: ['1.2.4'] },
    ]);
    assert.throws(() => decodeSubItems(common('0006', '0015')), INVALID);
    assert.throws(() => decodeSubItems(common('0008', '0015')), INVALID);
    // user identity: primary field past the sub-item, and a byte after the secondary field
    assert.throws(() => decodeSubItems(bytes('58 00 0009 01 00 0009', ascii('bob'), '0000')), INVALID);
    assert.throws(() => decodeSubItems(bytes('58 00 000a 01 00 0003', ascii('bob'), '0000 00')), INVALID);
    // user identity response
    assert.throws(() => decodeSubItems(bytes('59 00 0004 0003', ascii('OK'))), INVALID);
  });

  it('rejects role values other than 0 and 1', () => {
    assert.throws(() => decodeSubItems(bytes('54 00 0009 0005', ascii('1.2.3'), '02 00')), INVALID);
  });

  it('rejects a second sub-item of a kind the standard allows once', () => {
    assert.throws(() => decodeSubItems(bytes('51 00 0004 00004000 51 00 0004 00004000')), UNEXPECTED);
    assert.throws(
      () => decodeSubItems(bytes('52 00 0003', ascii('1.2'), '52 00 0003', ascii('1.2'))),
      UNEXPECTED,
    );
  });
});
