import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../../core/index.ts';
import {
  ABORT_REASON,
  decodePdu,
  encodePdu,
  isPduError,
  type Pdu,
  PduError,
  readPduHeader,
} from './index.ts';
import {
  bytes,
  DCMTK_ECHO_PDATA,
  DCMTK_ECHO_RQ,
  DCMTK_RELEASE_RP,
  DCMTK_RELEASE_RQ,
  pduError,
} from './test-buffers.ts';

const INVALID = pduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);

describe('readPduHeader', () => {
  it('reads the type and the 4-byte big-endian length', () => {
    assert.deepEqual(readPduHeader(DCMTK_ECHO_RQ), { type: 1, length: 0xcd });
    assert.deepEqual(readPduHeader(bytes('ff 04 ffffffff')), { type: 0xff, length: 0xffffffff });
    assert.deepEqual(readPduHeader(bytes('aaaa 04 00 80000000'), 2), { type: 4, length: 0x80000000 });
  });

  it('answers undefined until 6 bytes are there', () => {
    assert.equal(readPduHeader(new Uint8Array(0)), undefined);
    assert.equal(readPduHeader(DCMTK_ECHO_PDATA.subarray(0, 5)), undefined);
    assert.equal(readPduHeader(DCMTK_ECHO_PDATA, DCMTK_ECHO_PDATA.length - 5), undefined);
  });
});

describe('fixed-length PDUs', () => {
  const vectors: Array<[Pdu, string, string]> = [
    // PS3.8 §9.3.4, Table 9-21: reserved, result, source, reason/diag.
    [
      { type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: 7 },
      '03 00 00000004 00 01 01 07',
      'A-ASSOCIATE-RJ',
    ],
    [{ type: 'A-ASSOCIATE-RJ', result: 2, source: 3, reason: 1 }, '03 00 00000004 00 02 03 01', 'transient'],
    // PS3.8 §9.3.6 and §9.3.7: four reserved bytes.
    [{ type: 'A-RELEASE-RQ' }, '05 00 00000004 00000000', 'A-RELEASE-RQ'],
    [{ type: 'A-RELEASE-RP' }, '06 00 00000004 00000000', 'A-RELEASE-RP'],
    // PS3.8 §9.3.8, Table 9-26: reserved, reserved, source, reason/diag.
    [{ type: 'A-ABORT', source: 0, reason: 0 }, '07 00 00000004 00 00 00 00', 'A-ABORT by the user'],
    [{ type: 'A-ABORT', source: 2, reason: 6 }, '07 00 00000004 00 00 02 06', 'A-ABORT by the provider'],
  ];
  for (const [pdu, hex, name] of vectors) {
    it(`encodes and decodes ${name}`, () => {
      assert.deepEqual(encodePdu(pdu), bytes(hex));
      assert.deepEqual(decodePdu(bytes(hex)), pdu);
    });
  }

  it('matches DCMTK release PDUs', () => {
    assert.deepEqual(decodePdu(DCMTK_RELEASE_RQ), { type: 'A-RELEASE-RQ' });
    assert.deepEqual(decodePdu(DCMTK_RELEASE_RP), { type: 'A-RELEASE-RP' });
  });

  it('does not test reserved bytes', () => {
    assert.deepEqual(decodePdu(bytes('05 ff 00000004 ffffffff')), { type: 'A-RELEASE-RQ' });
    assert.deepEqual(decodePdu(bytes('07 ff 00000004 ff ff 02 01')), {
      type: 'A-ABORT',
      source: 2,
      reason: 1,
    });
    assert.deepEqual(decodePdu(bytes('03 ff 00000004 ff 01 02 02')), {
      type: 'A-ASSOCIATE-RJ',
      result: 1,
      source: 2,
      reason: 2,
    });
  });

  it('rejects a length other than 4', () => {
    for (const type of ['03', '05', '06', '07']) {
      assert.throws(() => decodePdu(bytes(`${type} 00 00000005 0000000000`)), INVALID, type);
      assert.throws(() => decodePdu(bytes(`${type} 00 00000003 000000`)), INVALID, type);
    }
  });

  it('refuses out-of-range fields on encode', () => {
    const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';
    assert.throws(() => encodePdu({ type: 'A-ABORT', source: 256, reason: 0 }), invalid);
    assert.throws(() => encodePdu({ type: 'A-ASSOCIATE-RJ', result: 1, source: 1, reason: -1 }), invalid);
    assert.throws(() => encodePdu({ type: 'NOPE' } as unknown as Pdu), invalid);
  });
});

describe('decodePdu framing', () => {
  it('rejects fewer than 6 bytes', () => {
    assert.throws(() => decodePdu(new Uint8Array(0)), INVALID);
    assert.throws(() => decodePdu(bytes('05 00 0000')), INVALID);
  });

  it('rejects an unknown PDU type with reason 1, unrecognized-PDU', () => {
    for (const type of ['00', '08', '10', 'ff']) {
      assert.throws(
        () => decodePdu(bytes(`${type} 00 00000004 00000000`)),
        pduError(ABORT_REASON.UNRECOGNIZED_PDU),
      );
    }
  });

  it('rejects a truncated PDU and trailing bytes', () => {
    assert.throws(() => decodePdu(DCMTK_ECHO_RQ.subarray(0, DCMTK_ECHO_RQ.length - 1)), INVALID);
    assert.throws(() => decodePdu(DCMTK_ECHO_PDATA.subarray(0, 20)), INVALID);
    assert.throws(() => decodePdu(bytes(DCMTK_RELEASE_RQ, DCMTK_RELEASE_RP)), INVALID);
  });

  it('throws a PduError that names the problem and where', () => {
    try {
      decodePdu(bytes('04 00 00000006 00000001 01 03'));
      assert.fail('no error');
    } catch (e) {
      assert.ok(e instanceof PduError && e instanceof DicomError);
      assert.ok(isPduError(e));
      assert.equal(e.name, 'PduError');
      assert.equal(e.reason, 6);
      assert.equal(e.offset, 6);
      assert.match(e.message, /PDV item length 1 is below 2 at byte offset 6/);
    }
  });

  it('survives every truncation and every single-byte corruption of real PDUs', () => {
    for (const pdu of [DCMTK_ECHO_RQ, DCMTK_ECHO_PDATA, DCMTK_RELEASE_RQ]) {
      for (let end = 0; end < pdu.length; end++) {
        assert.throws(() => decodePdu(pdu.subarray(0, end)), PduError);
      }
      for (let i = 0; i < pdu.length; i++) {
        for (const value of [0x00, 0x01, 0x7f, 0xff]) {
          const copy = pdu.slice();
          copy[i] = value;
          try {
            decodePdu(copy);
          } catch (e) {
            assert.ok(e instanceof PduError, `byte ${i} = ${value}: ${e}`);
          }
        }
      }
    }
  });
});
