import { DicomError, formatTag } from '../../core/index.ts';
import { lookupUid } from '../../dictionary/index.ts';
import { IMPLICIT_LE } from '../../encoding/index.ts';
import { type DataSet, readDataSet } from '../../object/index.ts';
import { describeStatus } from './status.ts';

/** Command Data Set Type value meaning "no data set follows" (PS3.7 §E.1). */
export const NO_DATA_SET = 0x0101;
/** Any other value means a data set follows; DCMTK and pynetdicom send 0x0001 or 0x0102. */
export const DATA_SET_PRESENT = 0x0001;

export type DimseCommandName =
  | 'C-STORE-RQ'
  | 'C-STORE-RSP'
  | 'C-GET-RQ'
  | 'C-GET-RSP'
  | 'C-FIND-RQ'
  | 'C-FIND-RSP'
  | 'C-MOVE-RQ'
  | 'C-MOVE-RSP'
  | 'C-ECHO-RQ'
  | 'C-ECHO-RSP'
  | 'C-CANCEL-RQ'
  | 'N-EVENT-REPORT-RQ'
  | 'N-EVENT-REPORT-RSP'
  | 'N-GET-RQ'
  | 'N-GET-RSP'
  | 'N-SET-RQ'
  | 'N-SET-RSP'
  | 'N-ACTION-RQ'
  | 'N-ACTION-RSP'
  | 'N-CREATE-RQ'
  | 'N-CREATE-RSP'
  | 'N-DELETE-RQ'
  | 'N-DELETE-RSP';

/** Whether a message of this command carries a data set: always, never, or it may. */
type DataSetRule = 'required' | 'none' | 'optional';

export interface DimseCommandInfo {
  name: DimseCommandName;
  commandField: number;
  isResponse: boolean;
  /** Command elements (keywords) the standard makes mandatory (M) in this message. */
  required: readonly string[];
  dataSet: DataSetRule;
}

/**
 * Every DIMSE command of PS3.7 §9.3 (DIMSE-C) and §10.3 (DIMSE-N), with its Command Field
 * and the mandatory command elements of its message table (Tables 9.3-1 ff., 10.3-1 ff.).
 */
export const DIMSE_COMMANDS: readonly DimseCommandInfo[] = [
  rq('C-STORE-RQ', 0x0001, ['AffectedSOPClassUID', 'Priority', 'AffectedSOPInstanceUID'], 'required'),
  rsp('C-STORE-RSP', 0x8001, [], 'none'),
  rq('C-GET-RQ', 0x0010, ['AffectedSOPClassUID', 'Priority'], 'required'),
  rsp('C-GET-RSP', 0x8010, [], 'optional'),
  rq('C-FIND-RQ', 0x0020, ['AffectedSOPClassUID', 'Priority'], 'required'),
  rsp('C-FIND-RSP', 0x8020, [], 'optional'),
  rq('C-MOVE-RQ', 0x0021, ['AffectedSOPClassUID', 'Priority', 'MoveDestination'], 'required'),
  rsp('C-MOVE-RSP', 0x8021, [], 'optional'),
  rq('C-ECHO-RQ', 0x0030, ['AffectedSOPClassUID'], 'none'),
  rsp('C-ECHO-RSP', 0x8030, [], 'none'),
  {
    name: 'C-CANCEL-RQ',
    commandField: 0x0fff,
    isResponse: false,
    required: ['CommandField', 'MessageIDBeingRespondedTo', 'CommandDataSetType'],
    dataSet: 'none',
  },
  rq(
    'N-EVENT-REPORT-RQ',
    0x0100,
    ['AffectedSOPClassUID', 'AffectedSOPInstanceUID', 'EventTypeID'],
    'optional',
  ),
  rsp('N-EVENT-REPORT-RSP', 0x8100, [], 'optional'),
  rq('N-GET-RQ', 0x0110, ['RequestedSOPClassUID', 'RequestedSOPInstanceUID'], 'none'),
  rsp('N-GET-RSP', 0x8110, [], 'optional'),
  rq('N-SET-RQ', 0x0120, ['RequestedSOPClassUID', 'RequestedSOPInstanceUID'], 'required'),
  rsp('N-SET-RSP', 0x8120, [], 'optional'),
  rq('N-ACTION-RQ', 0x0130, ['RequestedSOPClassUID', 'RequestedSOPInstanceUID', 'ActionTypeID'], 'optional'),
  rsp('N-ACTION-RSP', 0x8130, [], 'optional'),
  rq('N-CREATE-RQ', 0x0140, ['AffectedSOPClassUID'], 'optional'),
  rsp('N-CREATE-RSP', 0x8140, [], 'optional'),
  rq('N-DELETE-RQ', 0x0150, ['RequestedSOPClassUID', 'RequestedSOPInstanceUID'], 'none'),
  rsp('N-DELETE-RSP', 0x8150, [], 'none'),
];

function rq(name: DimseCommandName, field: number, extra: string[], dataSet: DataSetRule): DimseCommandInfo {
  return {
    name,
    commandField: field,
    isResponse: false,
    required: ['CommandField', 'MessageID', 'CommandDataSetType', ...extra],
    dataSet,
  };
}

function rsp(name: DimseCommandName, field: number, extra: string[], dataSet: DataSetRule): DimseCommandInfo {
  // Affected SOP Class UID is U or M depending on the response; Status is always M.
  return {
    name,
    commandField: field,
    isResponse: true,
    required: ['CommandField', 'MessageIDBeingRespondedTo', 'CommandDataSetType', 'Status', ...extra],
    dataSet,
  };
}

const BY_FIELD = new Map(DIMSE_COMMANDS.map((c) => [c.commandField, c]));
const BY_NAME = new Map(DIMSE_COMMANDS.map((c) => [c.name, c]));

export function commandInfo(field: number): DimseCommandInfo | undefined {
  return BY_FIELD.get(field);
}

export function commandField(name: DimseCommandName): number {
  return BY_NAME.get(name)!.commandField;
}

/** The response command that answers a request command. */
export function responseField(requestField: number): number {
  return requestField | 0x8000;
}

/** Values of a command set; keys are the command element keywords of PS3.7 Annex E. */
export interface CommandFields {
  CommandField: number;
  MessageID?: number;
  MessageIDBeingRespondedTo?: number;
  AffectedSOPClassUID?: string;
  RequestedSOPClassUID?: string;
  AffectedSOPInstanceUID?: string;
  RequestedSOPInstanceUID?: string;
  Priority?: number;
  CommandDataSetType?: number;
  Status?: number;
  OffendingElement?: number[];
  ErrorComment?: string;
  ErrorID?: number;
  MoveDestination?: string;
  EventTypeID?: number;
  AttributeIdentifierList?: number[];
  ActionTypeID?: number;
  NumberOfRemainingSuboperations?: number;
  NumberOfCompletedSuboperations?: number;
  NumberOfFailedSuboperations?: number;
  NumberOfWarningSuboperations?: number;
  MoveOriginatorApplicationEntityTitle?: string;
  MoveOriginatorMessageID?: number;
}

const FIELD_ORDER: readonly (keyof CommandFields)[] = [
  'AffectedSOPClassUID',
  'RequestedSOPClassUID',
  'CommandField',
  'MessageID',
  'MessageIDBeingRespondedTo',
  'MoveDestination',
  'Priority',
  'CommandDataSetType',
  'Status',
  'OffendingElement',
  'ErrorComment',
  'ErrorID',
  'AffectedSOPInstanceUID',
  'RequestedSOPInstanceUID',
  'EventTypeID',
  'AttributeIdentifierList',
  'ActionTypeID',
  'NumberOfRemainingSuboperations',
  'NumberOfCompletedSuboperations',
  'NumberOfFailedSuboperations',
  'NumberOfWarningSuboperations',
  'MoveOriginatorApplicationEntityTitle',
  'MoveOriginatorMessageID',
];

/**
 * Encodes a command set: group 0000 only, always Implicit VR Little Endian whatever the
 * presentation context says, with Command Group Length first (PS3.7 §6.3.1, §E.1).
 */
export function encodeCommand(fields: CommandFields): Uint8Array {
  // Written directly, in two passes over the fields and with no intermediate buffers: group
  // 0000 has a handful of VRs and this runs for every message.
  const dataSetType = fields.CommandDataSetType ?? NO_DATA_SET;
  let length = 12;
  for (const key of FIELD_ORDER) {
    const value = key === 'CommandDataSetType' ? dataSetType : fields[key];
    if (value !== undefined) length += 8 + commandValueLength(COMMAND_ELEMENTS[key][1], value);
  }
  const out = new Uint8Array(length);
  const view = new DataView(out.buffer);
  // (0000,0000) UL Command Group Length: the bytes after this element (PS3.7 §E.1).
  view.setUint32(4, 4, true);
  view.setUint32(8, length - 12, true);
  let at = 12;
  for (const key of FIELD_ORDER) {
    const value = key === 'CommandDataSetType' ? dataSetType : fields[key];
    if (value === undefined) continue;
    const [tag, vr] = COMMAND_ELEMENTS[key];
    const valueLength = commandValueLength(vr, value);
    view.setUint16(at, tag >>> 16, true);
    view.setUint16(at + 2, tag & 0xffff, true);
    view.setUint32(at + 4, valueLength, true);
    writeCommandValue(out, view, at + 8, vr, value, valueLength);
    at += 8 + valueLength;
  }
  return out;
}

/** Tag and VR of each command element (PS3.7 Annex E). */
const COMMAND_ELEMENTS: Record<keyof CommandFields, [number, 'UI' | 'US' | 'AE' | 'AT' | 'LO']> = {
  AffectedSOPClassUID: [0x00000002, 'UI'],
  RequestedSOPClassUID: [0x00000003, 'UI'],
  CommandField: [0x00000100, 'US'],
  MessageID: [0x00000110, 'US'],
  MessageIDBeingRespondedTo: [0x00000120, 'US'],
  MoveDestination: [0x00000600, 'AE'],
  Priority: [0x00000700, 'US'],
  CommandDataSetType: [0x00000800, 'US'],
  Status: [0x00000900, 'US'],
  OffendingElement: [0x00000901, 'AT'],
  ErrorComment: [0x00000902, 'LO'],
  ErrorID: [0x00000903, 'US'],
  AffectedSOPInstanceUID: [0x00001000, 'UI'],
  RequestedSOPInstanceUID: [0x00001001, 'UI'],
  EventTypeID: [0x00001002, 'US'],
  AttributeIdentifierList: [0x00001005, 'AT'],
  ActionTypeID: [0x00001008, 'US'],
  NumberOfRemainingSuboperations: [0x00001020, 'US'],
  NumberOfCompletedSuboperations: [0x00001021, 'US'],
  NumberOfFailedSuboperations: [0x00001022, 'US'],
  NumberOfWarningSuboperations: [0x00001023, 'US'],
  MoveOriginatorApplicationEntityTitle: [0x00001030, 'AE'],
  MoveOriginatorMessageID: [0x00001031, 'US'],
};

type CommandValue = string | number | number[];

function commandValueLength(vr: 'UI' | 'US' | 'AE' | 'AT' | 'LO', value: CommandValue): number {
  if (vr === 'US') return 2;
  if (vr === 'AT') return Array.isArray(value) ? value.length * 4 : 4;
  // UI pads with NUL, the text VRs with a space, to an even length (PS3.5 §6.2).
  const length = String(value).length;
  return length + (length % 2);
}

function writeCommandValue(
  out: Uint8Array,
  view: DataView,
  at: number,
  vr: 'UI' | 'US' | 'AE' | 'AT' | 'LO',
  value: CommandValue,
  length: number,
): void {
  if (vr === 'US') {
    view.setUint16(at, Number(value), true);
    return;
  }
  if (vr === 'AT') {
    const tags = Array.isArray(value) ? value : [Number(value)];
    for (let i = 0; i < tags.length; i++) {
      view.setUint16(at + i * 4, tags[i]! >>> 16, true);
      view.setUint16(at + i * 4 + 2, tags[i]! & 0xffff, true);
    }
    return;
  }
  // The command group is always in the default repertoire: one byte a character.
  const text = String(value);
  for (let i = 0; i < text.length; i++) out[at + i] = text.charCodeAt(i) & 0xff;
  if (text.length < length) out[at + text.length] = vr === 'UI' ? 0 : 0x20;
}

/** A received command set, decoded, with the raw data set for elements we do not model. */
export interface Command extends CommandFields {
  readonly info: DimseCommandInfo;
  readonly hasDataSet: boolean;
  readonly dataset: DataSet;
}

/** Command elements by tag, for the decoder. */
const ELEMENT_BY_TAG = new Map<number, [keyof CommandFields, 'UI' | 'US' | 'AE' | 'AT' | 'LO']>(
  (
    Object.entries(COMMAND_ELEMENTS) as [keyof CommandFields, [number, 'UI' | 'US' | 'AE' | 'AT' | 'LO']][]
  ).map(([key, [tag, vr]]) => [tag, [key, vr]]),
);

function commandError(message: string): DicomError {
  return new DicomError('ERR_DIMSE', `command set cannot be parsed: ${message}`);
}

/**
 * Decodes a command set and checks its Command Field and mandatory elements. Read directly
 * (flat, Implicit VR Little Endian, PS3.7 §6.3.1): this runs for every message, and the
 * generic parser cost more than the rest of a small C-STORE. Elements we do not model are
 * skipped; `dataset` parses the whole set on demand.
 */
export function decodeCommand(bytes: Uint8Array): Command {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Record<string, unknown> = {};
  let at = 0;
  while (at < bytes.length) {
    if (at + 8 > bytes.length) throw commandError(`${bytes.length - at} stray bytes at offset ${at}`);
    const tag = ((view.getUint16(at, true) << 16) | view.getUint16(at + 2, true)) >>> 0;
    const length = view.getUint32(at + 4, true);
    at += 8;
    if (length === 0xffffffff || at + length > bytes.length) {
      throw commandError(
        `element (${(tag >>> 16).toString(16).padStart(4, '0')},${(tag & 0xffff).toString(16).padStart(4, '0')}) of length ${length} overruns the ${bytes.length} bytes`,
      );
    }
    const known = ELEMENT_BY_TAG.get(tag);
    if (known) {
      const [key, vr] = known;
      out[key] = decodeCommandValue(view, at, length, vr);
    }
    at += length;
  }
  const field = out.CommandField as number | undefined;
  if (field === undefined) throw new DicomError('ERR_DIMSE', 'command set has no Command Field (0000,0100)');
  const info = commandInfo(field);
  if (!info) {
    throw new DicomError('ERR_DIMSE', `unknown Command Field 0x${field.toString(16).padStart(4, '0')}`);
  }
  for (const key of info.required) {
    if (out[key] === undefined && !(key === 'CommandDataSetType' && key in out)) {
      throw new DicomError('ERR_DIMSE', `${info.name} lacks mandatory ${key}`);
    }
  }
  const dataSetType = (out.CommandDataSetType as number | undefined) ?? NO_DATA_SET;
  return Object.assign(
    new DecodedCommand(bytes, info, dataSetType !== NO_DATA_SET),
    out,
  ) as unknown as Command;
}

/**
 * A decoded command: its fields are own properties (as a spread or JSON shows them), the
 * generic parse of the whole set (`dataset`) a getter on the prototype, made when asked.
 */
class DecodedCommand {
  readonly info: DimseCommandInfo;
  readonly hasDataSet: boolean;
  readonly #bytes: Uint8Array;
  #parsed: DataSet | undefined;

  constructor(bytes: Uint8Array, info: DimseCommandInfo, hasDataSet: boolean) {
    this.info = info;
    this.hasDataSet = hasDataSet;
    this.#bytes = bytes;
  }

  get dataset(): DataSet {
    this.#parsed ??= readDataSet(this.#bytes, IMPLICIT_LE);
    return this.#parsed;
  }
}

function decodeCommandValue(
  view: DataView,
  at: number,
  length: number,
  vr: 'UI' | 'US' | 'AE' | 'AT' | 'LO',
): number | number[] | string | undefined {
  if (vr === 'US') return length >= 2 ? view.getUint16(at, true) : undefined;
  if (vr === 'AT') {
    // Tags as group, element pairs (PS3.5 §6.2, AT).
    const tags: number[] = [];
    for (let i = 0; i + 4 <= length; i += 4) {
      tags.push(((view.getUint16(at + i, true) << 16) | view.getUint16(at + i + 2, true)) >>> 0);
    }
    return tags;
  }
  // UI, AE, LO in the default repertoire: one byte a character; padding and spaces trimmed.
  if (length === 0) return undefined;
  const bytes = new Uint8Array(view.buffer, view.byteOffset + at, length);
  let start = 0;
  let end = length;
  while (end > start && (bytes[end - 1] === 0 || bytes[end - 1]! <= 0x20)) end--;
  while (start < end && bytes[start]! <= 0x20) start++;
  return String.fromCharCode.apply(null, bytes.subarray(start, end) as unknown as number[]);
}

const PRIORITY_NAMES: Record<number, string> = { 0: 'MEDIUM', 1: 'HIGH', 2: 'LOW' };

/** A readable multi-line form of a command for debug logs (like DCMTK's -d output). */
export function describeCommand(command: CommandFields, contextId?: number): string {
  const info = commandInfo(command.CommandField);
  const lines = [`${info?.name ?? `unknown command 0x${command.CommandField.toString(16)}`}`];
  if (contextId !== undefined) lines.push(`  Presentation Context ID   : ${contextId}`);
  if (command.MessageID !== undefined) lines.push(`  Message ID                : ${command.MessageID}`);
  if (command.MessageIDBeingRespondedTo !== undefined) {
    lines.push(`  Message ID Being Resp. To : ${command.MessageIDBeingRespondedTo}`);
  }
  const uid = (label: string, value: string | undefined): void => {
    if (value === undefined) return;
    const name = lookupUid(value)?.name;
    lines.push(`  ${label.padEnd(26)}: ${value}${name ? ` (${name})` : ''}`);
  };
  uid('Affected SOP Class UID', command.AffectedSOPClassUID);
  uid('Requested SOP Class UID', command.RequestedSOPClassUID);
  uid('Affected SOP Instance UID', command.AffectedSOPInstanceUID);
  uid('Requested SOP Instance UID', command.RequestedSOPInstanceUID);
  if (command.MoveDestination !== undefined)
    lines.push(`  Move Destination          : ${command.MoveDestination}`);
  if (command.Priority !== undefined) {
    lines.push(`  Priority                  : ${PRIORITY_NAMES[command.Priority] ?? command.Priority}`);
  }
  if (command.EventTypeID !== undefined) lines.push(`  Event Type ID             : ${command.EventTypeID}`);
  if (command.ActionTypeID !== undefined) lines.push(`  Action Type ID            : ${command.ActionTypeID}`);
  if (command.AttributeIdentifierList !== undefined) {
    lines.push(`  Attribute Identifiers     : ${command.AttributeIdentifierList.map(formatTag).join(' ')}`);
  }
  if (command.MoveOriginatorApplicationEntityTitle !== undefined) {
    lines.push(
      `  Move Originator           : ${command.MoveOriginatorApplicationEntityTitle} (message ${command.MoveOriginatorMessageID ?? '?'})`,
    );
  }
  const hasData = command.CommandDataSetType !== undefined && command.CommandDataSetType !== NO_DATA_SET;
  lines.push(`  Data Set                  : ${hasData ? 'present' : 'none'}`);
  if (command.Status !== undefined) {
    lines.push(`  DIMSE Status              : ${describeStatus(command.Status, info?.name)}`);
  }
  if (
    command.NumberOfRemainingSuboperations !== undefined ||
    command.NumberOfCompletedSuboperations !== undefined
  ) {
    lines.push(
      `  Sub-operations            : remaining ${command.NumberOfRemainingSuboperations ?? '-'}, completed ${command.NumberOfCompletedSuboperations ?? '-'}, failed ${command.NumberOfFailedSuboperations ?? '-'}, warning ${command.NumberOfWarningSuboperations ?? '-'}`,
    );
  }
  if (command.ErrorComment !== undefined) lines.push(`  Error Comment             : ${command.ErrorComment}`);
  if (command.OffendingElement !== undefined) {
    lines.push(`  Offending Element         : ${command.OffendingElement.map(formatTag).join(' ')}`);
  }
  return lines.join('\n');
}
