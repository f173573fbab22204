/**
 * Test helpers: PDUs written as commented hex so a fixture reads like the standard's tables,
 * plus the A-ASSOCIATE-RQ/AC, P-DATA-TF and release PDUs of a real DCMTK 3.6.7 C-ECHO.
 */
import { PduError } from './pdu-error.ts';

/** Concatenates hex strings (spaces allowed) and byte arrays. */
export function bytes(...parts: Array<string | Uint8Array>): Uint8Array {
  const chunks = parts.map((p) => (typeof p === 'string' ? fromHex(p) : p));
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const c of chunks) {
    out.set(c, pos);
    pos += c.length;
  }
  return out;
}

export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`bad hex: ${hex}`);
  return Uint8Array.from(clean.match(/../g) ?? [], (x) => Number.parseInt(x, 16));
}

export function ascii(text: string): Uint8Array {
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

/** An assert.throws validator: a PduError with the given A-ABORT reason. */
export function pduError(reason: number): (e: unknown) => boolean {
  return (e) => e instanceof PduError && e.code === 'ERR_PDU' && e.reason === reason;
}

// Captured with a node:net relay between `TCP_NODELAY=1 echoscu -aec X 127.0.0.1 PORT` and
// `storescp PORT` (DCMTK 3.6.7). DCMTK sends FFH in a reserved byte of the presentation
// context item (offset 0x69 here), which a receiver must not test (PS3.8 Table 9-13).

/** A-ASSOCIATE-RQ: called 'X', calling 'ECHOSCU', Verification with Implicit VR LE, max 16384. */
export const DCMTK_ECHO_RQ = fromHex(
  '0100000000cd00010000582020202020202020202020202020204543484f534355202020202020202020' +
    '0000000000000000000000000000000000000000000000000000000000000000' +
    '10000015312e322e3834302e31303030382e332e312e312e31' +
    '2000002e0100ff0030000011312e322e3834302e31303030382e312e3140000011312e322e3834302e31303030382e312e32' +
    '5000003a5100000400004000' +
    '5200001b312e322e3237362e302e373233303031302e332e302e332e362e37' +
    '5500000f4f464649535f44434d544b5f333637',
);

/** storescp's A-ASSOCIATE-AC to DCMTK_ECHO_RQ: context 1 accepted with Implicit VR LE. */
export const DCMTK_ECHO_AC = fromHex(
  '0200000000b800010000582020202020202020202020202020204543484f534355202020202020202020' +
    '0000000000000000000000000000000000000000000000000000000000000000' +
    '10000015312e322e3834302e31303030382e332e312e312e31' +
    '210000190100000040000011312e322e3834302e31303030382e312e32' +
    '5000003a5100000400004000' +
    '5200001b312e322e3237362e302e373233303031302e332e302e332e362e37' +
    '5500000f4f464649535f44434d544b5f333637',
);

/** echoscu's C-ECHO-RQ: one P-DATA-TF, one PDV, context 1, command, last fragment, 68 bytes. */
export const DCMTK_ECHO_PDATA = fromHex(
  '04000000004a' +
    '0000004601030000000004000000380000000000020012000000312e322e3834302e31303030382e312e31' +
    '00000000010200000030000000100102000000010000000008020000000101',
);

/** storescp's C-ECHO-RSP, which DCMTK wrote as two TCP segments (12-byte header, then data). */
export const DCMTK_ECHO_RSP_PDATA = fromHex(
  '040000000054000000500103' +
    '0000000004000000420000000000020012000000312e322e3834302e31303030382e312e310000000001020000003080' +
    '000020010200000001000000000802000000010100000009020000000000',
);

export const DCMTK_RELEASE_RQ = fromHex('05000000000400000000');
export const DCMTK_RELEASE_RP = fromHex('06000000000400000000');
