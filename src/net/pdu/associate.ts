import { DicomError } from '../../core/index.ts';
import { ByteReader, ByteWriter } from './byte-io.ts';
import { ABORT_REASON, CONTEXT_RESULT, ITEM_TYPE, PDU_TYPE } from './constants.ts';
import { checkAeTitle, checkContextId, checkEchoedAeTitle, checkUid, trimAeTitle } from './fields.ts';
import { PduError } from './pdu-error.ts';
import type {
  AssociateAc,
  AssociateRq,
  PresentationContextAc,
  PresentationContextRq,
  UserInformation,
} from './types.ts';
import { emptyUserInformation, hex, readUserInformation, writeUserInformation } from './user-information.ts';

/**
 * Bytes 7-74 of an A-ASSOCIATE-RQ/AC (PS3.8 §9.3.2 Table 9-11, §9.3.3 Table 9-17): protocol
 * version (2), reserved (2), called AE title (16), calling AE title (16), reserved (32).
 */
const FIXED_FIELDS_LENGTH = 68;

/** A-ASSOCIATE-RQ (PS3.8 §9.3.2) and A-ASSOCIATE-AC (PS3.8 §9.3.3), which share their layout. */
export function encodeAssociate(pdu: AssociateRq | AssociateAc): Uint8Array {
  const rq = pdu.type === 'A-ASSOCIATE-RQ';
  // In an AC the AE title fields are reserved and echo the RQ (Table 9-17), so they are not
  // held to the AE VR rules there.
  const checkAe = rq ? checkAeTitle : checkEchoedAeTitle;
  const called = checkAe(pdu.calledAeTitle, 'Called AE title');
  const calling = checkAe(pdu.callingAeTitle, 'Calling AE title');

  const w = new ByteWriter(256 + pdu.presentationContexts.length * 96);
  w.u8(rq ? PDU_TYPE.ASSOCIATE_RQ : PDU_TYPE.ASSOCIATE_AC, 'PDU type');
  w.u8(0, 'reserved');
  const pduLength = w.openLength32();
  w.u16(pdu.protocolVersion, 'Protocol-version');
  w.zeros(2);
  w.ascii(called);
  w.ascii(calling);
  w.zeros(32);

  // Application Context item, PS3.8 §9.3.2.1 (Table 9-12).
  w.u8(ITEM_TYPE.APPLICATION_CONTEXT, 'item type');
  w.u8(0, 'reserved');
  const appLength = w.openLength16();
  w.ascii(checkUid(pdu.applicationContext, 'Application context name'));
  w.closeLength16(appLength, 'Application Context item');

  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const pc of pdu.presentationContexts) writeContextRq(w, pc);
  } else {
    for (const pc of pdu.presentationContexts) writeContextAc(w, pc);
  }
  writeUserInformation(w, pdu.userInformation);
  w.closeLength32(pduLength, 'A-ASSOCIATE PDU');
  return w.finish();
}

/** Presentation Context item 20H, PS3.8 §9.3.2.2 (Table 9-13). */
function writeContextRq(w: ByteWriter, pc: PresentationContextRq): void {
  w.u8(ITEM_TYPE.PRESENTATION_CONTEXT_RQ, 'item type');
  w.u8(0, 'reserved');
  const at = w.openLength16();
  w.u8(checkContextId(pc.id, 'Presentation-context-ID'), 'Presentation-context-ID');
  w.zeros(3);
  writeUidSubItem(w, ITEM_TYPE.ABSTRACT_SYNTAX, pc.abstractSyntax, 'Abstract-syntax-name');
  if (pc.transferSyntaxes.length === 0) {
    throw new DicomError('ERR_INVALID_VALUE', `presentation context ${pc.id} proposes no transfer syntax`);
  }
  for (const ts of pc.transferSyntaxes)
    writeUidSubItem(w, ITEM_TYPE.TRANSFER_SYNTAX, ts, 'Transfer-syntax-name');
  w.closeLength16(at, `Presentation Context item ${pc.id}`);
}

/** Presentation Context item 21H, PS3.8 §9.3.3.2 (Table 9-18). */
function writeContextAc(w: ByteWriter, pc: PresentationContextAc): void {
  w.u8(ITEM_TYPE.PRESENTATION_CONTEXT_AC, 'item type');
  w.u8(0, 'reserved');
  const at = w.openLength16();
  w.u8(checkContextId(pc.id, 'Presentation-context-ID'), 'Presentation-context-ID');
  w.zeros(1);
  w.u8(pc.result, 'Result/Reason');
  w.zeros(1);
  if (pc.transferSyntax !== undefined && pc.transferSyntax !== '') {
    writeUidSubItem(w, ITEM_TYPE.TRANSFER_SYNTAX, pc.transferSyntax, 'Transfer-syntax-name');
  } else if (pc.result === CONTEXT_RESULT.ACCEPTANCE) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `accepted presentation context ${pc.id} has no transfer syntax`,
    );
  }
  w.closeLength16(at, `Presentation Context item ${pc.id}`);
}

/** Abstract Syntax 30H (Table 9-14) and Transfer Syntax 40H (Table 9-15) sub-items. */
function writeUidSubItem(w: ByteWriter, type: number, uid: string, what: string): void {
  w.u8(type, 'sub-item type');
  w.u8(0, 'reserved');
  const at = w.openLength16();
  w.ascii(checkUid(uid, what));
  w.closeLength16(at, `${what} sub-item`);
}

/**
 * Decodes an A-ASSOCIATE-RQ or -AC whose header the caller checked (`bytes` is the whole PDU).
 * Unknown items in the variable field are skipped; a missing Application Context or User
 * Information item decodes as '' and an empty User Information, for the association layer
 * to judge (it answers with an A-ASSOCIATE-RJ, which is kinder than an A-ABORT).
 */
export function decodeAssociate(bytes: Uint8Array, rq: boolean): AssociateRq | AssociateAc {
  const r = new ByteReader(bytes, 6);
  r.need(FIXED_FIELDS_LENGTH, 'A-ASSOCIATE fixed fields');
  const protocolVersion = r.u16('Protocol-version');
  r.skip(2, 'reserved');
  const calledAeTitle = trimAeTitle(r.text(16, 'Called-AE-title'));
  const callingAeTitle = trimAeTitle(r.text(16, 'Calling-AE-title'));
  r.skip(32, 'reserved');

  let applicationContext: string | undefined;
  let userInformation: UserInformation | undefined;
  const contextsRq: PresentationContextRq[] = [];
  const contextsAc: PresentationContextAc[] = [];
  const pduEnd = r.end;
  while (r.pos < pduEnd) {
    const start = r.pos;
    const type = r.u8('item type');
    r.skip(1, 'item reserved byte');
    const length = r.u16('item length');
    r.need(length, `item ${hex(type)} of length ${length}`);
    const end = r.pos + length;
    r.end = end;
    switch (type) {
      case ITEM_TYPE.APPLICATION_CONTEXT:
        if (applicationContext !== undefined) unexpected('a second Application Context item', start);
        applicationContext = r.uid(length, 'Application-context-name');
        break;
      case ITEM_TYPE.PRESENTATION_CONTEXT_RQ:
        if (!rq) unexpected('a Presentation Context item 20H (RQ) in an A-ASSOCIATE-AC', start);
        contextsRq.push(readContextRq(r, start));
        break;
      case ITEM_TYPE.PRESENTATION_CONTEXT_AC:
        if (rq) unexpected('a Presentation Context item 21H (AC) in an A-ASSOCIATE-RQ', start);
        contextsAc.push(readContextAc(r));
        break;
      case ITEM_TYPE.USER_INFORMATION:
        if (userInformation !== undefined) unexpected('a second User Information item', start);
        userInformation = readUserInformation(r);
        break;
      default:
        // Not defined for this PDU: skipped, as a later edition of the standard may add items.
        r.pos = end;
    }
    r.end = pduEnd;
    r.pos = end;
  }

  const common = {
    protocolVersion,
    calledAeTitle,
    callingAeTitle,
    applicationContext: applicationContext ?? '',
    userInformation: userInformation ?? emptyUserInformation(),
  };
  return rq
    ? { type: 'A-ASSOCIATE-RQ', ...common, presentationContexts: contextsRq }
    : { type: 'A-ASSOCIATE-AC', ...common, presentationContexts: contextsAc };
}

function unexpected(what: string, offset: number): never {
  throw new PduError(what, ABORT_REASON.UNEXPECTED_PDU_PARAMETER, offset);
}

/** Item 20H, `r` spanning its value (PS3.8 §9.3.2.2, Table 9-13). */
function readContextRq(r: ByteReader, start: number): PresentationContextRq {
  const id = r.u8('Presentation-context-ID');
  r.skip(3, 'Presentation Context reserved bytes');
  let abstractSyntax: string | undefined;
  const transferSyntaxes: string[] = [];
  readUidSubItems(r, (type, uid, at) => {
    if (type === ITEM_TYPE.ABSTRACT_SYNTAX) {
      if (abstractSyntax !== undefined)
        unexpected(`a second Abstract Syntax in presentation context ${id}`, at);
      abstractSyntax = uid;
    } else if (type === ITEM_TYPE.TRANSFER_SYNTAX) {
      transferSyntaxes.push(uid);
    }
  });
  if (abstractSyntax === undefined) {
    // Without an abstract syntax the item means nothing: a peer so broken is aborted.
    throw new PduError(
      `presentation context ${id} has no Abstract Syntax sub-item`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      start,
    );
  }
  return { id, abstractSyntax, transferSyntaxes };
}

/** Item 21H, `r` spanning its value (PS3.8 §9.3.3.2, Table 9-18). */
function readContextAc(r: ByteReader): PresentationContextAc {
  const id = r.u8('Presentation-context-ID');
  r.skip(1, 'reserved');
  const result = r.u8('Result/Reason');
  r.skip(1, 'reserved');
  let transferSyntax: string | undefined;
  let seen = false;
  readUidSubItems(r, (type, uid, at) => {
    if (type !== ITEM_TYPE.TRANSFER_SYNTAX) return;
    if (seen) unexpected(`a second Transfer Syntax in accepted presentation context ${id}`, at);
    seen = true;
    transferSyntax = uid;
  });
  // Table 9-18: with a result other than acceptance the sub-item "shall not be significant and
  // its value shall not be tested", and some acceptors leave it out altogether.
  return result === CONTEXT_RESULT.ACCEPTANCE && transferSyntax !== undefined
    ? { id, result, transferSyntax }
    : { id, result };
}

/** Sub-items of a presentation context item; types other than 30H and 40H are skipped. */
function readUidSubItems(r: ByteReader, onItem: (type: number, uid: string, at: number) => void): void {
  const itemEnd = r.end;
  while (r.pos < itemEnd) {
    const at = r.pos;
    const type = r.u8('sub-item type');
    r.skip(1, 'sub-item reserved byte');
    const length = r.u16('sub-item length');
    r.need(length, `sub-item ${hex(type)} of length ${length}`);
    if (type === ITEM_TYPE.ABSTRACT_SYNTAX || type === ITEM_TYPE.TRANSFER_SYNTAX) {
      onItem(
        type,
        r.uid(length, type === ITEM_TYPE.ABSTRACT_SYNTAX ? 'Abstract-syntax-name' : 'Transfer-syntax-name'),
        at,
      );
    } else {
      r.pos += length;
    }
  }
}
