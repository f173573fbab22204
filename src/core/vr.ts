import { DicomError } from './errors.ts';

/** The 34 value representations of PS3.5 §6.2, Table 6.2-1. */
export const VRS = [
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'PN',
  'SH',
  'SL',
  'SQ',
  'SS',
  'ST',
  'SV',
  'TM',
  'UC',
  'UI',
  'UL',
  'UN',
  'UR',
  'US',
  'UT',
  'UV',
] as const;

export type VR = (typeof VRS)[number];

/** How a VR's value is held: text, binary numbers, opaque bytes, or items. */
export type VRKind = 'text' | 'number' | 'bytes' | 'sequence';

export interface VRInfo {
  readonly vr: VR;
  readonly kind: VRKind;
  /** Explicit VR uses a 2-byte reserved field and a 4-byte length (PS3.5 §7.1.2, Table 7.1-1). */
  readonly longLength: boolean;
  /** Byte used to pad a value to even length (PS3.5 §6.2): NUL for UI and binary, space for text. */
  readonly padByte: number;
  /** Size of one number for binary VRs, the unit of byte swapping; 1 for text and OB/UN. */
  readonly unitSize: number;
  /** Text VRs whose values are split on backslash (all but LT, ST, UT, UR). */
  readonly multiValued: boolean;
  /** Text VRs decoded with the Specific Character Set (PS3.5 §6.1.2.3). */
  readonly usesCharset: boolean;
  /** Maximum length of one value in characters (text) or bytes (fixed binary); 0 when unbounded. */
  readonly maxLength: number;
}

function info(vr: VR, kind: VRKind, opts: Partial<Omit<VRInfo, 'vr' | 'kind'>> = {}): VRInfo {
  return {
    vr,
    kind,
    longLength: opts.longLength ?? false,
    padByte: opts.padByte ?? (kind === 'text' ? 0x20 : 0x00),
    unitSize: opts.unitSize ?? 1,
    multiValued: opts.multiValued ?? kind === 'text',
    usesCharset: opts.usesCharset ?? false,
    maxLength: opts.maxLength ?? 0,
  };
}

const TABLE: Record<VR, VRInfo> = {
  AE: info('AE', 'text', { maxLength: 16 }),
  AS: info('AS', 'text', { maxLength: 4 }),
  AT: info('AT', 'number', { unitSize: 2, maxLength: 4 }),
  CS: info('CS', 'text', { maxLength: 16 }),
  DA: info('DA', 'text', { maxLength: 8 }),
  DS: info('DS', 'text', { maxLength: 16 }),
  DT: info('DT', 'text', { maxLength: 26 }),
  FD: info('FD', 'number', { unitSize: 8, maxLength: 8 }),
  FL: info('FL', 'number', { unitSize: 4, maxLength: 4 }),
  IS: info('IS', 'text', { maxLength: 12 }),
  LO: info('LO', 'text', { usesCharset: true, maxLength: 64 }),
  LT: info('LT', 'text', { multiValued: false, usesCharset: true, maxLength: 10240 }),
  OB: info('OB', 'bytes', { longLength: true }),
  OD: info('OD', 'bytes', { longLength: true, unitSize: 8 }),
  OF: info('OF', 'bytes', { longLength: true, unitSize: 4 }),
  OL: info('OL', 'bytes', { longLength: true, unitSize: 4 }),
  OV: info('OV', 'bytes', { longLength: true, unitSize: 8 }),
  OW: info('OW', 'bytes', { longLength: true, unitSize: 2 }),
  PN: info('PN', 'text', { usesCharset: true, maxLength: 64 }),
  SH: info('SH', 'text', { usesCharset: true, maxLength: 16 }),
  SL: info('SL', 'number', { unitSize: 4, maxLength: 4 }),
  SQ: info('SQ', 'sequence', { longLength: true }),
  SS: info('SS', 'number', { unitSize: 2, maxLength: 2 }),
  ST: info('ST', 'text', { multiValued: false, usesCharset: true, maxLength: 1024 }),
  SV: info('SV', 'number', { longLength: true, unitSize: 8, maxLength: 8 }),
  TM: info('TM', 'text', { maxLength: 14 }),
  UC: info('UC', 'text', { longLength: true, usesCharset: true }),
  UI: info('UI', 'text', { padByte: 0x00, maxLength: 64 }),
  UL: info('UL', 'number', { unitSize: 4, maxLength: 4 }),
  UN: info('UN', 'bytes', { longLength: true }),
  UR: info('UR', 'text', { longLength: true, multiValued: false }),
  US: info('US', 'number', { unitSize: 2, maxLength: 2 }),
  UT: info('UT', 'text', { longLength: true, multiValued: false, usesCharset: true }),
  UV: info('UV', 'number', { longLength: true, unitSize: 8, maxLength: 8 }),
};

const VR_SET: ReadonlySet<string> = new Set(VRS);

export function isVR(text: string): text is VR {
  return VR_SET.has(text);
}

export function vrInfo(vr: VR): VRInfo {
  return TABLE[vr];
}

export function toVR(text: string): VR {
  if (!isVR(text)) throw new DicomError('ERR_INVALID_VR', `not a value representation: '${text}'`);
  return text;
}

/** The 2-byte code of a VR as one 16-bit number, big-endian order of its two letters. */
export function vrCode(vr: VR): number {
  return (vr.charCodeAt(0) << 8) | vr.charCodeAt(1);
}

const BY_CODE = new Map<number, VR>(VRS.map((vr) => [vrCode(vr), vr]));

/** The VR spelled by two bytes, or undefined when they spell none. */
export function vrFromCode(code: number): VR | undefined {
  return BY_CODE.get(code);
}
