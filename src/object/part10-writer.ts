import { DicomError } from '../core/errors.ts';
import { TRANSFER_SYNTAX_UID } from '../core/tag.ts';
import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../core/uid.ts';
import { EXPLICIT_LE, type TransferSyntax, transferSyntax } from '../encoding/transfer-syntax.ts';
import { DataSet } from './dataset.ts';
import { deflateRaw } from './deflate.ts';
import type { DicomFile } from './part10.ts';
import { concatParts, DataSetEncoder, type EncodedPart, type EncodeOptions } from './writer.ts';

export interface WriteOptions extends EncodeOptions {
  /** Transfer syntax UID to write; default: the one the file was read in, else explicit VR LE. */
  transferSyntax?: string;
  /** 128 bytes; default: the file's own preamble, else zeros. */
  preamble?: Uint8Array;
  /** Write a bare data set without preamble and file meta. */
  withoutMeta?: boolean;
  deflateLevel?: 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9;
}

const META = {
  groupLength: 0x00020000,
  version: 0x00020001,
  sopClass: 0x00020002,
  sopInstance: 0x00020003,
  implementationClass: 0x00020012,
  implementationVersion: 0x00020013,
} as const;

/**
 * The file meta information for writing (PS3.10 §7.1): the file's own elements are kept
 * (so a read -> write reproduces them), the transfer syntax and group length are set, and
 * missing required elements are filled from the data set and dicomkit's identity.
 */
export function buildMeta(dataset: DataSet, ts: TransferSyntax, existing?: DataSet): DataSet {
  const meta = existing ? existing.clone() : new DataSet();
  meta.set(META.groupLength, [0], 'UL');
  if (!meta.has(META.version)) meta.set(META.version, new Uint8Array([0, 1]), 'OB');
  if (!meta.string(META.sopClass)) {
    const sopClass = dataset.string(0x00080016);
    if (sopClass) meta.set(META.sopClass, sopClass, 'UI');
  }
  if (!meta.string(META.sopInstance)) {
    const sopInstance = dataset.string(0x00080018);
    if (sopInstance) meta.set(META.sopInstance, sopInstance, 'UI');
  }
  if (meta.string(TRANSFER_SYNTAX_UID) !== ts.uid) meta.set(TRANSFER_SYNTAX_UID, ts.uid, 'UI');
  if (!meta.string(META.implementationClass))
    meta.set(META.implementationClass, IMPLEMENTATION_CLASS_UID, 'UI');
  if (!existing && !meta.has(META.implementationVersion)) {
    meta.set(META.implementationVersion, IMPLEMENTATION_VERSION_NAME, 'SH');
  }
  return meta;
}

function checkConvertible(dataset: DataSet, from: TransferSyntax | undefined, to: TransferSyntax): void {
  const pixelData = dataset.element(0x7fe00010);
  const encapsulated = pixelData?.fragments !== undefined;
  if (encapsulated && (!to.encapsulated || (from && from.uid !== to.uid))) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `pixel data is encapsulated (${from?.name ?? 'compressed'}); writing ${to.name} needs transcoding (dicomkit transcode)`,
    );
  }
  if (!encapsulated && pixelData && to.encapsulated) {
    throw new DicomError(
      'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
      `writing ${to.name} needs a pixel data encoder (dicomkit transcode)`,
    );
  }
}

/** Encodes a file (or a bare data set) to parts; bulk references stay references. */
export function encodeDicom(input: DicomFile | DataSet, options: WriteOptions = {}): EncodedPart[] {
  const file = input instanceof DataSet ? undefined : input;
  const dataset = input instanceof DataSet ? input : input.dataset;
  const ts = options.transferSyntax
    ? transferSyntax(options.transferSyntax)
    : (file?.transferSyntax ?? EXPLICIT_LE);
  if (ts.unknown)
    throw new DicomError('ERR_UNSUPPORTED_TRANSFER_SYNTAX', `cannot write unknown transfer syntax ${ts.uid}`);
  checkConvertible(dataset, file?.transferSyntax, ts);
  const parts: EncodedPart[] = [];
  // A data set read without file meta is written back the same way unless asked otherwise.
  const withoutMeta = options.withoutMeta ?? (file !== undefined && !file.hasMeta && !options.transferSyntax);
  let before = 0;
  if (!withoutMeta) {
    const preamble = options.preamble ?? file?.preamble ?? new Uint8Array(128);
    if (preamble.length !== 128)
      throw new DicomError('ERR_INVALID_VALUE', 'the preamble is 128 bytes (PS3.10 §7.1)');
    parts.push(preamble, new Uint8Array([0x44, 0x49, 0x43, 0x4d]));
    const meta = buildMeta(dataset, ts, file?.hasMeta ? file.meta : undefined);
    // Not with the options, which are the data set's: the meta keeps its group length, which
    // PS3.10 §7.1 requires, and has no padding.
    const metaParts = new DataSetEncoder().encode(meta, EXPLICIT_LE);
    parts.push(...metaParts);
    before = 132 + metaParts.reduce((n, part) => n + (part as Uint8Array).length, 0);
  }
  const padding = typeof options.padding === 'object' ? { ...options.padding, before } : options.padding;
  const body = new DataSetEncoder({ ...options, ...(padding ? { padding } : {}) }).encode(dataset, ts);
  if (ts.deflated) parts.push(deflateRaw(concatParts(body), options.deflateLevel ?? 6));
  else parts.push(...body);
  return parts;
}

/** Encodes a file to one buffer; every value must be in memory. */
export function writeDicom(input: DicomFile | DataSet, options: WriteOptions = {}): Uint8Array {
  return concatParts(encodeDicom(input, options));
}
