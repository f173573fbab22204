// Whole association exchanges as raw bytes, mutated at the PDU level, for the wire fuzzing of
// servers (test/robustness.test.ts): what a confused or hostile peer sends is not one bad
// PDU but a conversation with PDUs cut, repeated, reordered or lost, in odd TCP pieces.
import { connect } from 'node:net';
import { DATA_SET_PRESENT } from '../../src/net/dimse/index.ts';
import { encodePdu } from '../../src/net/pdu/index.ts';
import { DataSet, writeDicom } from '../../src/object/index.ts';
import { mutate } from './mutate.ts';
import { associateRq, commandPData, pData } from './raw-dul-peer.ts';

const IMPLICIT = '1.2.840.10008.1.2';
const EXPLICIT = '1.2.840.10008.1.2.1';
const VERIFICATION = '1.2.840.10008.1.1';
const STUDY_FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const STUDY_MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const PATIENT_FIND = '1.2.840.10008.5.1.4.1.2.1.1';

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)]!;

function identifier(level: string, keys: Record<string, string>): Uint8Array {
  const ds = new DataSet();
  ds.set('QueryRetrieveLevel', level);
  for (const [keyword, value] of Object.entries(keys)) ds.set(keyword as 'PatientID', value);
  return writeDicom(ds, { transferSyntax: IMPLICIT, withoutMeta: true });
}

/** An instance to store: its SOP class, its data set in Explicit VR Little Endian, and study. */
export interface ExchangeInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  studyInstanceUid: string;
  /** The data set alone (no file meta), Explicit VR Little Endian. */
  data: Uint8Array;
}

/**
 * A valid SCU conversation with `calledAeTitle`, one PDU per entry: A-ASSOCIATE-RQ; C-ECHO;
 * C-STORE of `instance` (its data set in two PDVs, cut at a random place); a study C-FIND; a
 * C-MOVE to the unknown AE NOWHERE; a patient C-FIND; A-RELEASE-RQ.
 */
export function scuExchange(
  calledAeTitle: string,
  instance: ExchangeInstance,
  next: () => number,
): Uint8Array[] {
  const cut = 1 + Math.floor(next() * (instance.data.length - 2));
  return [
    encodePdu(
      associateRq({
        calledAeTitle,
        contexts: [
          { id: 1, abstractSyntax: VERIFICATION, transferSyntaxes: [IMPLICIT] },
          { id: 3, abstractSyntax: instance.sopClassUid, transferSyntaxes: [EXPLICIT] },
          { id: 5, abstractSyntax: STUDY_FIND, transferSyntaxes: [IMPLICIT] },
          { id: 7, abstractSyntax: STUDY_MOVE, transferSyntaxes: [IMPLICIT] },
          { id: 9, abstractSyntax: PATIENT_FIND, transferSyntaxes: [IMPLICIT] },
        ],
      }),
    ),
    commandPData(1, { CommandField: 0x0030, MessageID: 1, AffectedSOPClassUID: VERIFICATION }),
    commandPData(3, {
      CommandField: 0x0001,
      MessageID: 2,
      AffectedSOPClassUID: instance.sopClassUid,
      AffectedSOPInstanceUID: instance.sopInstanceUid,
      Priority: 0,
      CommandDataSetType: DATA_SET_PRESENT,
    }),
    pData(3, false, false, instance.data.subarray(0, cut)),
    pData(3, false, true, instance.data.subarray(cut)),
    commandPData(5, {
      CommandField: 0x0020,
      MessageID: 3,
      AffectedSOPClassUID: STUDY_FIND,
      Priority: 0,
      CommandDataSetType: DATA_SET_PRESENT,
    }),
    pData(
      5,
      false,
      true,
      identifier('STUDY', {
        PatientName: '*',
        StudyDate: '19000101-',
        StudyInstanceUID: '',
        ModalitiesInStudy: '',
        NumberOfStudyRelatedInstances: '',
      }),
    ),
    commandPData(7, {
      CommandField: 0x0021,
      MessageID: 4,
      AffectedSOPClassUID: STUDY_MOVE,
      Priority: 0,
      MoveDestination: 'NOWHERE',
      CommandDataSetType: DATA_SET_PRESENT,
    }),
    pData(7, false, true, identifier('STUDY', { StudyInstanceUID: instance.studyInstanceUid })),
    commandPData(9, {
      CommandField: 0x0020,
      MessageID: 5,
      AffectedSOPClassUID: PATIENT_FIND,
      Priority: 0,
      CommandDataSetType: DATA_SET_PRESENT,
    }),
    pData(9, false, true, identifier('PATIENT', { PatientID: '*', PatientName: '' })),
    encodePdu({ type: 'A-RELEASE-RQ' }),
  ];
}

/**
 * One to three mutations of a conversation: a PDU's bytes mutated, a length field (PDU, PDV
 * or item) overwritten, a PDU cut short, dropped, repeated, or two PDUs swapped. Returns the
 * PDUs and what was done, to name a failing case.
 */
export function mutateExchange(pdus: Uint8Array[], next: () => number): { pdus: Uint8Array[]; what: string } {
  const out: Uint8Array[] = pdus.map((pdu) => new Uint8Array(pdu));
  const what: string[] = [];
  for (let count = 1 + Math.floor(next() * 3); count > 0 && out.length > 0; count--) {
    const at = Math.floor(next() * out.length);
    const pdu = out[at]!;
    switch (Math.floor(next() * 6)) {
      case 0:
        out[at] = mutate(pdu, next);
        what.push(`bytes of ${at}`);
        break;
      case 1: {
        // PDU length (2), PDV length (6), or an item length early in an A-ASSOCIATE-RQ.
        const offset = pick([2, 6, 10 + Math.floor(next() * 40)], next);
        if (offset + 4 > pdu.length) break;
        const value = pick([0, 1, 2, 0xffffffff, 0x7fffffff, pdu.length, pdu.length + 1], next);
        new DataView(pdu.buffer).setUint32(offset, value >>> 0);
        what.push(`length at ${offset} of ${at} = ${value}`);
        break;
      }
      case 2:
        out[at] = pdu.subarray(0, Math.floor(next() * pdu.length));
        what.push(`${at} cut`);
        break;
      case 3:
        out.splice(at, 1);
        what.push(`${at} dropped`);
        break;
      case 4:
        out.splice(at, 0, pdu);
        what.push(`${at} repeated`);
        break;
      default: {
        const other = Math.floor(next() * out.length);
        [out[at], out[other]] = [out[other]!, pdu];
        what.push(`${at} and ${other} swapped`);
      }
    }
  }
  return { pdus: out, what: what.join(', ') };
}

/** How a played conversation ended, from the client's side. */
export type ExchangeEnd = 'released' | 'aborted' | 'rejected' | 'closed' | 'gave up';

/**
 * Plays a conversation to 127.0.0.1:`port`: the first PDU, then (once anything comes back, as a
 * requestor waits for its A-ASSOCIATE-AC) the rest, written in pieces of random sizes, some
 * after a pause. Ends at the first A-RELEASE-RP, A-ABORT or A-ASSOCIATE-RJ, at a close, or
 * after `giveUpMs`, destroying the socket.
 */
export function playExchange(
  port: number,
  pdus: Uint8Array[],
  next: () => number,
  giveUpMs: number,
): Promise<ExchangeEnd> {
  const first = pdus[0] ?? new Uint8Array(0);
  const rest = Buffer.concat(pdus.slice(1));
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let inbox = Buffer.alloc(0);
    let answered = false;
    let written = 0;
    const end = (how: ExchangeEnd): void => {
      clearTimeout(timer);
      socket.destroy();
      resolve(how);
    };
    const timer = setTimeout(() => end('gave up'), giveUpMs);
    const writeSome = (): void => {
      while (written < rest.length && !socket.destroyed) {
        const size = 1 + Math.floor(next() * Math.min(rest.length - written, next() < 0.5 ? 64 : 20_000));
        socket.write(rest.subarray(written, written + size));
        written += size;
        if (next() < 0.1) {
          setTimeout(writeSome, Math.floor(next() * 5));
          return;
        }
      }
    };
    socket.on('connect', () => socket.write(first));
    socket.on('data', (chunk: Buffer) => {
      inbox = Buffer.concat([inbox, chunk]);
      while (inbox.length >= 6 && inbox.length >= 6 + inbox.readUInt32BE(2)) {
        const type = inbox[0];
        inbox = inbox.subarray(6 + inbox.readUInt32BE(2));
        if (type === 0x03) return end('rejected');
        if (type === 0x06) return end('released');
        if (type === 0x07) return end('aborted');
      }
      if (!answered) {
        answered = true;
        writeSome();
      }
    });
    socket.on('error', () => end('closed'));
    socket.on('close', () => end('closed'));
  });
}
