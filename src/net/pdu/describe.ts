import { lookupUid } from '../../dictionary/index.ts';
import { encodePdu } from './codec.ts';
import { pdvLength } from './p-data.ts';
import type { AssociateAc, AssociateRq, Pdu, UserInformation } from './types.ts';
import { hex } from './user-information.ts';

// Words for the codes of PS3.8 §9.3.3.2 (Table 9-18), §9.3.4 (Table 9-21) and §9.3.8
// (Table 9-26), in the standard's own spelling so a log line can be searched for in it.

const CONTEXT_RESULTS = [
  'acceptance',
  'user-rejection',
  'no-reason (provider rejection)',
  'abstract-syntax-not-supported (provider rejection)',
  'transfer-syntaxes-not-supported (provider rejection)',
];

/** Result/Reason of an A-ASSOCIATE-AC presentation context in words. */
export function contextResultText(result: number): string {
  return CONTEXT_RESULTS[result] ?? `unknown result ${result}`;
}

const REJECT_RESULTS: Record<number, string> = { 1: 'rejected-permanent', 2: 'rejected-transient' };
const REJECT_SOURCES: Record<number, string> = {
  1: 'DICOM UL service-user',
  2: 'DICOM UL service-provider (ACSE related function)',
  3: 'DICOM UL service-provider (Presentation related function)',
};
const REJECT_REASONS: Record<number, Record<number, string>> = {
  1: {
    1: 'no-reason-given',
    2: 'application-context-name-not-supported',
    3: 'calling-AE-title-not-recognized',
    7: 'called-AE-title-not-recognized',
  },
  2: { 1: 'no-reason-given', 2: 'protocol-version-not-supported' },
  3: { 1: 'temporary-congestion', 2: 'local-limit-exceeded' },
};

/** An A-ASSOCIATE-RJ's result, source and reason in words. */
export function rejectReasonText(result: number, source: number, reason: number): string {
  const r = REJECT_RESULTS[result] ?? `unknown result ${result}`;
  const s = REJECT_SOURCES[source] ?? `unknown source ${source}`;
  const why = REJECT_REASONS[source]?.[reason] ?? `reserved reason ${reason}`;
  return `${r}, source: ${s}, reason: ${why}`;
}

const ABORT_REASONS: Record<number, string> = {
  0: 'reason-not-specified',
  1: 'unrecognized-PDU',
  2: 'unexpected-PDU',
  4: 'unrecognized-PDU-parameter',
  5: 'unexpected-PDU-parameter',
  6: 'invalid-PDU-parameter-value',
};

/** An A-ABORT's source and reason in words; the reason only means something from the provider. */
export function abortReasonText(source: number, reason: number): string {
  if (source === 0) return 'DICOM UL service-user (initiated abort)';
  const why = ABORT_REASONS[reason] ?? `reserved reason ${reason}`;
  if (source === 2) return `DICOM UL service-provider (initiated abort), reason: ${why}`;
  return `reserved source ${source}, reason: ${why}`;
}

const USER_IDENTITY_TYPES: Record<number, string> = {
  1: 'username',
  2: 'username and passcode',
  3: 'Kerberos service ticket',
  4: 'SAML assertion',
  5: 'JSON Web Token',
};

const LABEL_WIDTH = 28;

/**
 * A PDU as readable lines for debug logs, in the spirit of DCMTK's `-d` and pynetdicom's
 * debug_logger: UIDs with their registry names, codes with their words. Passcodes and tokens
 * are never printed, only their length.
 */
export function describePdu(pdu: Pdu, direction?: 'sent' | 'received'): string {
  const lines: string[] = [];
  const length = pduLength(pdu);
  const head = `${pdu.type}${direction === undefined ? '' : ` ${direction}`}`;
  lines.push(length === undefined ? head : `${head}, PDU-length ${length} (${length + 6} bytes)`);
  const add = (indent: number, label: string, value: string | number): void => {
    lines.push(`${' '.repeat(indent)}${`${label}:`.padEnd(LABEL_WIDTH - indent)} ${value}`);
  };
  switch (pdu.type) {
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      describeAssociate(pdu, add, lines);
      break;
    case 'A-ASSOCIATE-RJ':
      add(2, 'Result', `${REJECT_RESULTS[pdu.result] ?? 'unknown'} (${pdu.result})`);
      add(2, 'Source', `${REJECT_SOURCES[pdu.source] ?? 'unknown'} (${pdu.source})`);
      add(2, 'Reason', `${REJECT_REASONS[pdu.source]?.[pdu.reason] ?? 'reserved'} (${pdu.reason})`);
      break;
    case 'A-ABORT':
      add(
        2,
        'Source',
        `${pdu.source === 0 ? 'DICOM UL service-user' : pdu.source === 2 ? 'DICOM UL service-provider' : 'reserved'} (${pdu.source})`,
      );
      add(
        2,
        'Reason',
        pdu.source === 0
          ? `not significant (${pdu.reason})`
          : `${ABORT_REASONS[pdu.reason] ?? 'reserved'} (${pdu.reason})`,
      );
      break;
    case 'P-DATA-TF':
      pdu.pdvs.forEach((pdv, i) => {
        const kind = pdv.isCommand ? 'command' : 'data set';
        const last = pdv.isLast ? 'last fragment' : 'more fragments follow';
        lines.push(`  PDV ${i + 1}: context ${pdv.contextId}, ${kind}, ${last}, ${pdvLength(pdv)} bytes`);
      });
      break;
    default:
      break;
  }
  return lines.join('\n');
}

type Add = (indent: number, label: string, value: string | number) => void;

function describeAssociate(pdu: AssociateRq | AssociateAc, add: Add, lines: string[]): void {
  add(2, 'Protocol version', pdu.protocolVersion);
  add(2, 'Called AE title', pdu.calledAeTitle);
  add(2, 'Calling AE title', pdu.callingAeTitle);
  add(2, 'Application context', uidText(pdu.applicationContext));
  if (pdu.type === 'A-ASSOCIATE-RQ') {
    for (const pc of pdu.presentationContexts) {
      lines.push(`  Presentation context ${pc.id} (proposed)`);
      add(4, 'Abstract syntax', uidText(pc.abstractSyntax));
      for (const ts of pc.transferSyntaxes) add(4, 'Transfer syntax', uidText(ts));
    }
  } else {
    for (const pc of pdu.presentationContexts) {
      lines.push(`  Presentation context ${pc.id}: ${contextResultText(pc.result)}`);
      if (pc.transferSyntax !== undefined) add(4, 'Transfer syntax', uidText(pc.transferSyntax));
    }
  }
  describeUserInformation(pdu.userInformation, add, lines);
}

function describeUserInformation(ui: UserInformation, add: Add, lines: string[]): void {
  lines.push('  User information');
  if (ui.maxPduLength !== undefined) {
    add(4, 'Max PDU length', ui.maxPduLength === 0 ? '0 (unlimited)' : ui.maxPduLength);
  }
  if (ui.implementationClassUid !== undefined)
    add(4, 'Implementation class', uidText(ui.implementationClassUid));
  if (ui.implementationVersionName !== undefined)
    add(4, 'Implementation version', ui.implementationVersionName);
  if (ui.asyncOpsWindow !== undefined) {
    const n = (v: number): string => (v === 0 ? '0 (unlimited)' : String(v));
    add(
      4,
      'Async operations window',
      `invoked ${n(ui.asyncOpsWindow.invoked)}, performed ${n(ui.asyncOpsWindow.performed)}`,
    );
  }
  for (const role of ui.roleSelections) {
    add(
      4,
      'SCP/SCU role',
      `${uidText(role.sopClassUid)}: SCU ${role.scu ? 'yes' : 'no'}, SCP ${role.scp ? 'yes' : 'no'}`,
    );
  }
  for (const ext of ui.extendedNegotiations) {
    add(4, 'Extended negotiation', `${uidText(ext.sopClassUid)}: ${bytesText(ext.info)}`);
  }
  for (const c of ui.commonExtendedNegotiations) {
    add(4, 'Common extended neg.', uidText(c.sopClassUid));
    add(6, 'Service class', uidText(c.serviceClassUid));
    for (const related of c.relatedGeneralSopClasses) add(6, 'Related general class', uidText(related));
  }
  if (ui.userIdentity !== undefined) {
    const id = ui.userIdentity;
    const kind = USER_IDENTITY_TYPES[id.type] ?? `unknown type ${id.type}`;
    // A username is an identifier and helps debugging; anything else may be a secret.
    const primary =
      id.type === 1 || id.type === 2
        ? `'${new TextDecoder().decode(id.primaryField)}'`
        : `${id.primaryField.length} bytes`;
    const secondary =
      id.secondaryField.length > 0 ? `, secondary field ${id.secondaryField.length} bytes (hidden)` : '';
    const response = id.positiveResponseRequested ? ', positive response requested' : '';
    add(4, 'User identity', `${kind} (${id.type}): ${primary}${secondary}${response}`);
  }
  if (ui.userIdentityResponse !== undefined) {
    add(4, 'User identity response', `${ui.userIdentityResponse.length} bytes`);
  }
  for (const item of ui.unknownItems) add(4, `Sub-item ${hex(item.type)}`, bytesText(item.data));
}

/** `Name (uid)` when the registry knows the UID. */
function uidText(uid: string): string {
  if (uid === '') return '(none)';
  const entry = lookupUid(uid);
  return entry === undefined ? uid : `${entry.name} (${uid})`;
}

function bytesText(data: Uint8Array): string {
  const shown = Array.from(data.subarray(0, 16), (b) => b.toString(16).padStart(2, '0')).join(' ');
  return `${data.length} bytes${data.length > 0 ? ` [${shown}${data.length > 16 ? ' ...' : ''}]` : ''}`;
}

function pduLength(pdu: Pdu): number | undefined {
  switch (pdu.type) {
    case 'P-DATA-TF':
      // Summed rather than encoded: a debug line must not copy megabytes of data.
      return pdu.pdvs.reduce((sum, pdv) => sum + 6 + pdvLength(pdv), 0);
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      try {
        return encodePdu(pdu).length - 6;
      } catch {
        return undefined; // a PDU that cannot be sent is still worth describing
      }
    default:
      return 4;
  }
}
