import { DicomError } from '../../core/index.ts';
import type { ByteReader, ByteWriter } from './byte-io.ts';
import { ABORT_REASON, ITEM_TYPE } from './constants.ts';
import { checkUid, checkVersionName } from './fields.ts';
import { PduError } from './pdu-error.ts';
import type { UserInformation } from './types.ts';

/** A User Information with no sub-item, the value decode gives when the item is absent. */
export function emptyUserInformation(): UserInformation {
  return { roleSelections: [], extendedNegotiations: [], commonExtendedNegotiations: [], unknownItems: [] };
}

const T = ITEM_TYPE;

/**
 * Writes the User Information item 50H (PS3.8 §9.3.2.3) with its sub-items. The order is the
 * one DCMTK and pynetdicom send (51H, 52H, 55H, then the optional negotiations): PS3.7 sets
 * none, but acceptors written against those two are the most common.
 */
export function writeUserInformation(w: ByteWriter, ui: UserInformation): void {
  w.u8(T.USER_INFORMATION, 'item type');
  w.u8(0, 'reserved');
  const itemLength = w.openLength16();

  if (ui.maxPduLength !== undefined) {
    // PS3.8 Annex D.1.1, Table D.1-1: a fixed 4-byte item length.
    subItemHeader(w, T.MAXIMUM_LENGTH);
    w.u16(4, 'item length');
    w.u32(ui.maxPduLength, 'Maximum Length');
  }
  if (ui.implementationClassUid !== undefined) {
    subItemHeader(w, T.IMPLEMENTATION_CLASS_UID);
    const at = w.openLength16();
    w.ascii(checkUid(ui.implementationClassUid, 'Implementation Class UID'));
    w.closeLength16(at, 'Implementation Class UID sub-item');
  }
  if (ui.implementationVersionName !== undefined) {
    subItemHeader(w, T.IMPLEMENTATION_VERSION_NAME);
    const at = w.openLength16();
    w.ascii(checkVersionName(ui.implementationVersionName));
    w.closeLength16(at, 'Implementation Version Name sub-item');
  }
  if (ui.asyncOpsWindow !== undefined) {
    // PS3.7 §D.3.3.3.1, Table D.3-7: two 2-byte counts, 0 meaning unlimited.
    subItemHeader(w, T.ASYNCHRONOUS_OPERATIONS_WINDOW);
    w.u16(4, 'item length');
    w.u16(ui.asyncOpsWindow.invoked, 'Maximum-number-operations-invoked');
    w.u16(ui.asyncOpsWindow.performed, 'Maximum-number-operations-performed');
  }
  for (const role of ui.roleSelections) {
    // PS3.7 §D.3.3.4.1, Table D.3-9: UID length, UID, SCU-role byte, SCP-role byte.
    subItemHeader(w, T.SCP_SCU_ROLE_SELECTION);
    const at = w.openLength16();
    writeUid16(w, role.sopClassUid, 'SCP/SCU Role Selection SOP Class UID');
    w.u8(role.scu ? 1 : 0, 'SCU-role');
    w.u8(role.scp ? 1 : 0, 'SCP-role');
    w.closeLength16(at, 'SCP/SCU Role Selection sub-item');
  }
  for (const ext of ui.extendedNegotiations) {
    // PS3.7 §D.3.3.5.1, Table D.3-11: UID length, UID, then the service class's own bytes.
    subItemHeader(w, T.SOP_CLASS_EXTENDED_NEGOTIATION);
    const at = w.openLength16();
    writeUid16(w, ext.sopClassUid, 'Extended Negotiation SOP Class UID');
    w.bytes(ext.info);
    w.closeLength16(at, 'SOP Class Extended Negotiation sub-item');
  }
  for (const common of ui.commonExtendedNegotiations) {
    // PS3.7 §D.3.3.6.1, Tables D.3-12 and D.3-13. Byte 2 is the sub-item version, 0.
    subItemHeader(w, T.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION);
    const at = w.openLength16();
    writeUid16(w, common.sopClassUid, 'Common Extended Negotiation SOP Class UID');
    writeUid16(w, common.serviceClassUid, 'Common Extended Negotiation Service Class UID');
    const related = w.openLength16();
    for (const uid of common.relatedGeneralSopClasses) {
      writeUid16(w, uid, 'Related General SOP Class UID');
    }
    w.closeLength16(related, 'Related-general-sop-class-identification');
    w.closeLength16(at, 'SOP Class Common Extended Negotiation sub-item');
  }
  if (ui.userIdentity !== undefined) {
    // PS3.7 §D.3.3.7.1, Table D.3-14. The secondary field length is always present, 0 unless
    // the type is 2 (username and passcode).
    const id = ui.userIdentity;
    subItemHeader(w, T.USER_IDENTITY_RQ);
    const at = w.openLength16();
    w.u8(id.type, 'User-Identity-Type');
    w.u8(id.positiveResponseRequested ? 1 : 0, 'Positive-response-requested');
    const primary = w.openLength16();
    w.bytes(id.primaryField);
    w.closeLength16(primary, 'User Identity Primary-field');
    const secondary = w.openLength16();
    w.bytes(id.secondaryField);
    w.closeLength16(secondary, 'User Identity Secondary-field');
    w.closeLength16(at, 'User Identity sub-item');
  }
  if (ui.userIdentityResponse !== undefined) {
    // PS3.7 §D.3.3.7.2, Table D.3-15: the server response, empty unless the type asked for one.
    subItemHeader(w, T.USER_IDENTITY_AC);
    const at = w.openLength16();
    const response = w.openLength16();
    w.bytes(ui.userIdentityResponse);
    w.closeLength16(response, 'User Identity Server-response');
    w.closeLength16(at, 'User Identity sub-item');
  }
  for (const item of ui.unknownItems) {
    if (item.type in KNOWN) {
      throw new DicomError(
        'ERR_INVALID_VALUE',
        `unknownItems holds a sub-item of known type ${hex(item.type)}: use its own field`,
      );
    }
    subItemHeader(w, item.type);
    const at = w.openLength16();
    w.bytes(item.data);
    w.closeLength16(at, `user information sub-item ${hex(item.type)}`);
  }
  w.closeLength16(itemLength, 'User Information item');
}

const KNOWN: Record<number, true> = {
  [T.MAXIMUM_LENGTH]: true,
  [T.IMPLEMENTATION_CLASS_UID]: true,
  [T.ASYNCHRONOUS_OPERATIONS_WINDOW]: true,
  [T.SCP_SCU_ROLE_SELECTION]: true,
  [T.IMPLEMENTATION_VERSION_NAME]: true,
  [T.SOP_CLASS_EXTENDED_NEGOTIATION]: true,
  [T.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION]: true,
  [T.USER_IDENTITY_RQ]: true,
  [T.USER_IDENTITY_AC]: true,
};

function subItemHeader(w: ByteWriter, type: number): void {
  w.u8(type, 'sub-item type');
  w.u8(0, 'reserved');
}

function writeUid16(w: ByteWriter, uid: string, what: string): void {
  checkUid(uid, what);
  w.u16(uid.length, `${what} length`);
  w.ascii(uid);
}

/**
 * Reads the sub-items of a User Information item; `r` spans the item's value. Each sub-item's
 * length must stay inside the item and match its fixed layout; a sub-item of an unknown type is
 * kept in unknownItems (PS3.8 Annex D.2: acceptors ignore such sub-items, never reject).
 */
export function readUserInformation(r: ByteReader): UserInformation {
  const ui = emptyUserInformation();
  const itemEnd = r.end;
  while (r.pos < itemEnd) {
    const start = r.pos;
    const type = r.u8('user information sub-item type');
    r.skip(1, 'sub-item reserved byte');
    const length = r.u16('sub-item length');
    r.need(length, `sub-item ${hex(type)} of length ${length}`);
    const end = r.pos + length;
    r.end = end;
    switch (type) {
      case T.MAXIMUM_LENGTH:
        fixedLength(length, 4, 'Maximum Length sub-item', start);
        once(ui.maxPduLength, 'Maximum Length', start);
        ui.maxPduLength = r.u32('Maximum-length-received');
        break;
      case T.IMPLEMENTATION_CLASS_UID:
        once(ui.implementationClassUid, 'Implementation Class UID', start);
        ui.implementationClassUid = r.uid(length, 'Implementation-class-uid');
        break;
      case T.IMPLEMENTATION_VERSION_NAME:
        once(ui.implementationVersionName, 'Implementation Version Name', start);
        ui.implementationVersionName = r.text(length, 'Implementation-version-name').replace(/[\0 ]+$/, '');
        break;
      case T.ASYNCHRONOUS_OPERATIONS_WINDOW:
        fixedLength(length, 4, 'Asynchronous Operations Window sub-item', start);
        once(ui.asyncOpsWindow, 'Asynchronous Operations Window', start);
        ui.asyncOpsWindow = {
          invoked: r.u16('Maximum-number-operations-invoked'),
          performed: r.u16('Maximum-number-operations-performed'),
        };
        break;
      case T.SCP_SCU_ROLE_SELECTION: {
        const sopClassUid = r.uid(r.u16('UID-length'), 'SOP-class-uid');
        const scu = roleByte(r.u8('SCU-role'), 'SCU-role', r.pos - 1);
        const scp = roleByte(r.u8('SCP-role'), 'SCP-role', r.pos - 1);
        ui.roleSelections.push({ sopClassUid, scu, scp });
        break;
      }
      case T.SOP_CLASS_EXTENDED_NEGOTIATION: {
        const sopClassUid = r.uid(r.u16('SOP-class-uid-length'), 'SOP-class-uid');
        ui.extendedNegotiations.push({
          sopClassUid,
          info: r.copy(r.remaining, 'Service-class-application-information'),
        });
        break;
      }
      case T.SOP_CLASS_COMMON_EXTENDED_NEGOTIATION: {
        const sopClassUid = r.uid(r.u16('SOP-class-uid-length'), 'SOP-class-uid');
        const serviceClassUid = r.uid(r.u16('Service-class-uid-length'), 'Service-class-uid');
        const relatedLength = r.u16('Related-general-sop-class-identification-length');
        r.need(relatedLength, 'Related-general-sop-class-identification');
        const relatedEnd = r.pos + relatedLength;
        r.end = relatedEnd;
        const relatedGeneralSopClasses: string[] = [];
        while (r.pos < relatedEnd) {
          relatedGeneralSopClasses.push(
            r.uid(r.u16('Related-general-sop-class-uid-length'), 'Related-general-sop-class-uid'),
          );
        }
        r.end = end;
        ui.commonExtendedNegotiations.push({ sopClassUid, serviceClassUid, relatedGeneralSopClasses });
        break;
      }
      case T.USER_IDENTITY_RQ: {
        once(ui.userIdentity, 'User Identity', start);
        const idType = r.u8('User-Identity-Type');
        const positiveResponseRequested = r.u8('Positive-response-requested') !== 0;
        const primaryField = r.copy(r.u16('Primary-field-length'), 'Primary-field');
        // Some requestors end the sub-item after the primary field for types other than 2;
        // reading that as an empty secondary field costs nothing and keeps them working.
        const secondaryField =
          r.remaining === 0 ? new Uint8Array(0) : r.copy(r.u16('Secondary-field-length'), 'Secondary-field');
        ui.userIdentity = { type: idType, positiveResponseRequested, primaryField, secondaryField };
        break;
      }
      case T.USER_IDENTITY_AC:
        once(ui.userIdentityResponse, 'User Identity response', start);
        ui.userIdentityResponse = r.copy(r.u16('Server-response-length'), 'Server-response');
        break;
      default:
        ui.unknownItems.push({ type, data: r.copy(length, `sub-item ${hex(type)}`) });
    }
    if (r.pos !== end) {
      throw new PduError(
        `user information sub-item ${hex(type)} has length ${length} but its fields take ${r.pos - start - 4}`,
        ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
        start,
      );
    }
    r.end = itemEnd;
  }
  return ui;
}

function fixedLength(length: number, expected: number, what: string, offset: number): void {
  if (length !== expected) {
    throw new PduError(
      `${what} has length ${length}, must be ${expected}`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      offset,
    );
  }
}

/** Sub-items the standard allows once per User Information item: a second one is ambiguous. */
function once(previous: unknown, what: string, offset: number): void {
  if (previous !== undefined) {
    throw new PduError(`a second ${what} sub-item`, ABORT_REASON.UNEXPECTED_PDU_PARAMETER, offset);
  }
}

/** SCU-role and SCP-role are 0 (non-support) or 1 (support) (PS3.7 Table D.3-9). */
function roleByte(value: number, what: string, offset: number): boolean {
  if (value > 1) {
    throw new PduError(
      `${what} must be 0 or 1, got ${value}`,
      ABORT_REASON.INVALID_PDU_PARAMETER_VALUE,
      offset,
    );
  }
  return value === 1;
}

export function hex(n: number): string {
  return `${n.toString(16).toUpperCase().padStart(2, '0')}H`;
}
