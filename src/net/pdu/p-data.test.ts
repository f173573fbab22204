import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DicomError } from '../../core/index.ts';
import {
  ABORT_REASON,
  decodePDataParts,
  decodePdu,
  encodePDataHeader,
  encodePdu,
  type PDataTf,
  type Pdu,
  pdvLength,
  pdvPieces,
} from './index.ts';
import { ascii, bytes, DCMTK_ECHO_PDATA, DCMTK_ECHO_RSP_PDATA, pduError } from './test-buffers.ts';

const INVALID = pduError(ABORT_REASON.INVALID_PDU_PARAMETER_VALUE);

describe('P-DATA-TF (PS3.8 §9.3.5)', () => {
  const twoPdvs: PDataTf = {
    type: 'P-DATA-TF',
    pdvs: [
      { contextId: 1, isCommand: true, isLast: true, data: ascii('abc') },
      { contextId: 3, isCommand: false, isLast: false, data: Uint8Array.of(1, 2) },
    ],
  };
  const twoPdvsBytes = bytes(
    '04 00 00000011', // PDU-type 04H, PDU-length 17 = (6 + 3) + (6 + 2)
    '00000005 01 03', // PDV item length 5 = context ID + control header + 3, context 1, command + last
    ascii('abc'),
    '00000004 03 00', // context 3, data set fragment, more to follow (PS3.8 Annex E.2)
    '01 02',
  );

  it('encodes byte for byte', () => {
    assert.deepEqual(encodePdu(twoPdvs), twoPdvsBytes);
    assert.deepEqual(decodePdu(twoPdvsBytes), twoPdvs);
  });

  it('sets each message control header bit', () => {
    const flags = (isCommand: boolean, isLast: boolean): number =>
      encodePdu({
        type: 'P-DATA-TF',
        pdvs: [{ contextId: 1, isCommand, isLast, data: new Uint8Array(0) }],
      })[11]!;
    assert.equal(flags(false, false), 0x00);
    assert.equal(flags(true, false), 0x01);
    assert.equal(flags(false, true), 0x02);
    assert.equal(flags(true, true), 0x03);
  });

  it('ignores the reserved bits of the message control header', () => {
    const [pdv] = (decodePdu(bytes('04 00 00000006 00000002 01 fe')) as PDataTf).pdvs;
    assert.deepEqual(pdv, { contextId: 1, isCommand: false, isLast: true, data: new Uint8Array(0) });
  });

  it('writes the same 12 header bytes with encodePDataHeader', () => {
    const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
    const whole = encodePdu({
      type: 'P-DATA-TF',
      pdvs: [{ contextId: 5, isCommand: false, isLast: true, data }],
    });
    const header = encodePDataHeader(data.length, 5, false, true);
    assert.deepEqual(header, bytes('04 00 000003ee 000003ea 05 02'));
    assert.deepEqual(bytes(header, data), whole);
    assert.deepEqual(encodePDataHeader(0, 1, true, false), bytes('04 00 00000006 00000002 01 01'));
  });

  it('checks encode arguments', () => {
    const invalid = (e: unknown): boolean => e instanceof DicomError && e.code === 'ERR_INVALID_VALUE';
    assert.throws(() => encodePDataHeader(-1, 1, false, false), invalid);
    assert.throws(() => encodePDataHeader(1.5, 1, false, false), invalid);
    assert.throws(() => encodePDataHeader(2 ** 32, 1, false, false), invalid);
    assert.throws(() => encodePDataHeader(10, 0, false, false), invalid);
    assert.throws(() => encodePDataHeader(10, 2, false, false), invalid);
    assert.throws(() => encodePdu({ type: 'P-DATA-TF', pdvs: [] }), invalid);
  });

  it('hands out PDV data as views of the input, without a copy', () => {
    const buffer = new Uint8Array(4 + twoPdvsBytes.length);
    buffer.set(twoPdvsBytes, 4);
    const input = buffer.subarray(4);
    const { pdvs } = decodePdu(input) as PDataTf;
    assert.equal(pdvs[0]!.data.buffer, buffer.buffer);
    assert.equal(pdvs[0]!.data.byteOffset, 4 + 12);
    assert.equal(pdvs[1]!.data.byteOffset, 4 + 21);
    assert.deepEqual(pdvs[1]!.data, Uint8Array.of(1, 2));
  });

  it('decodes a large PDU without copying it, and a PDU of many PDVs', () => {
    const big = new Uint8Array(16 * 1024 * 1024);
    const pdu = bytes(encodePDataHeader(big.length, 1, false, true), big);
    // No copy: the PDV's data is a view on the PDU's own buffer (timing is bench/'s business).
    const decoded = decodePdu(pdu);
    assert.ok(decoded.type === 'P-DATA-TF');
    assert.equal(decoded.pdvs[0]!.data.buffer, pdu.buffer);
    assert.equal(decoded.pdvs[0]!.data.length, big.length);

    const many: PDataTf = {
      type: 'P-DATA-TF',
      pdvs: Array.from({ length: 1000 }, (_, i) => ({
        contextId: 1 + 2 * (i % 128),
        isCommand: i % 3 === 0,
        isLast: i % 2 === 0,
        data: Uint8Array.of(i & 0xff, i >> 8),
      })),
    };
    assert.deepEqual(decodePdu(encodePdu(many)), many);
  });

  it('decodes the C-ECHO PDUs of DCMTK', () => {
    const rq = decodePdu(DCMTK_ECHO_PDATA) as PDataTf;
    assert.equal(rq.pdvs.length, 1);
    assert.deepEqual(
      { ...rq.pdvs[0]!, data: rq.pdvs[0]!.data.length },
      {
        contextId: 1,
        isCommand: true,
        isLast: true,
        data: 68,
      },
    );
    // The command set starts with Command Group Length (0000,0000), implicit VR little endian.
    assert.deepEqual(rq.pdvs[0]!.data.subarray(0, 8), bytes('0000 0000 04000000'));
    const rsp = decodePdu(DCMTK_ECHO_RSP_PDATA) as PDataTf;
    assert.equal(rsp.pdvs[0]!.data.length, 78);
    assert.deepEqual(encodePdu(rsp), DCMTK_ECHO_RSP_PDATA);
  });

  describe('malformed', () => {
    it('rejects a PDV item length below 2', () => {
      assert.throws(() => decodePdu(bytes('04 00 00000006 00000001 01 03')), INVALID);
      assert.throws(() => decodePdu(bytes('04 00 00000006 00000000 01 03')), INVALID);
    });

    it('rejects a PDV that runs past the PDU', () => {
      assert.throws(() => decodePdu(bytes('04 00 00000008 00000005 01 03 aabb')), INVALID);
      assert.throws(() => decodePdu(bytes('04 00 00000008 ffffffff 01 03 aabb')), INVALID);
    });

    it('rejects trailing bytes too short for a PDV item length', () => {
      assert.throws(() => decodePdu(bytes('04 00 00000009 00000003 01 03 aa 0000 00')), INVALID);
    });

    it('rejects a P-DATA-TF without a PDV', () => {
      assert.throws(() => decodePdu(bytes('04 00 00000000')), INVALID);
    });
  });

  describe('across socket reads (decodePDataParts)', () => {
    /** `bytes` cut at `cuts` (offsets), as the reads of a socket would deliver it. */
    const cut = (whole: Uint8Array, cuts: number[]): Uint8Array[] => {
      const parts: Uint8Array[] = [];
      let from = 0;
      for (const at of [...cuts, whole.length]) {
        parts.push(whole.subarray(from, at));
        from = at;
      }
      return parts;
    };
    const joined = (pdu: Pdu): PDataTf => {
      assert.equal(pdu.type, 'P-DATA-TF');
      const p = pdu as PDataTf;
      return { type: 'P-DATA-TF', pdvs: p.pdvs.map(({ pieces: _, ...pdv }) => ({ ...pdv, data: pdv.data })) };
    };
    const many: PDataTf = {
      type: 'P-DATA-TF',
      pdvs: Array.from({ length: 40 }, (_, i) => ({
        contextId: 1 + 2 * (i % 7),
        isCommand: i % 5 === 0,
        isLast: i % 3 === 0,
        data: Uint8Array.from({ length: (i * 37) % 300 }, (_, k) => (k * 7 + i) & 0xff),
      })),
    };
    const wire = encodePdu(many);

    it('decodes what decodePData decodes, wherever the reads end, headers split included', () => {
      let seed = 7;
      const random = (n: number): number => {
        seed = (seed * 1103515245 + 12345) >>> 0;
        return seed % n;
      };
      for (let round = 0; round < 200; round++) {
        const cuts = [
          ...new Set(Array.from({ length: 1 + random(12) }, () => 1 + random(wire.length - 1))),
        ].sort((a, b) => a - b);
        const decoded = decodePDataParts(cut(wire, cuts));
        assert.deepEqual(joined(decoded), many, `cuts ${cuts.join(',')}`);
      }
      // Every single cut point, so each byte of each PDV header is split once.
      for (let at = 1; at < wire.length; at++)
        assert.deepEqual(joined(decodePDataParts(cut(wire, [at]))), many);
    });

    it('hands out a fragment split across reads as views on them, joined only when asked', () => {
      const data = Uint8Array.from({ length: 1000 }, (_, i) => i & 0xff);
      const pdu = encodePdu({
        type: 'P-DATA-TF',
        pdvs: [{ contextId: 3, isCommand: false, isLast: true, data }],
      });
      const parts = cut(pdu, [100, 600]);
      const [pdv] = decodePDataParts(parts).pdvs;
      const pieces = pdvPieces(pdv!);
      assert.deepEqual(
        pieces.map((p) => [p.buffer === pdu.buffer, p.byteOffset, p.length]),
        [
          [true, 12, 88],
          [true, 100, 500],
          [true, 600, 412],
        ],
      );
      assert.equal(pdvLength(pdv!), 1000);
      assert.deepEqual(pdv!.data, data);
      // Within one read: a plain view, no pieces.
      const single = decodePDataParts(cut(pdu, [8])).pdvs[0]!;
      assert.equal(single.pieces, undefined);
      assert.equal(single.data.byteOffset, 12);
    });

    it('rejects what decodePData rejects', () => {
      for (const bad of [
        '04 00 00000006 00000001 01 03',
        '04 00 00000008 00000005 01 03 aabb',
        '04 00 00000008 ffffffff 01 03 aabb',
        '04 00 00000009 00000003 01 03 aa 0000 00',
        '04 00 00000000',
      ]) {
        const whole = bytes(bad);
        assert.throws(() => decodePDataParts(cut(whole, [3, whole.length - 1])), INVALID, bad);
      }
    });
  });
});
