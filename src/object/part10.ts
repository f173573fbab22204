import { DicomParseError } from '../core/errors.ts';
import { type Tag, TRANSFER_SYNTAX_UID } from '../core/tag.ts';
import { vrFromCode } from '../core/vr.ts';
import {
  EXPLICIT_BE,
  EXPLICIT_LE,
  IMPLICIT_LE,
  type TransferSyntax,
  transferSyntax,
} from '../encoding/transfer-syntax.ts';
import type { ParseHandler } from '../parser/handler.ts';
import { DicomParser } from '../parser/parser.ts';
import { DataSetBuilder } from './builder.ts';
import { DataSet } from './dataset.ts';
import { gunzipSync, inflateRaw } from './deflate.ts';

/** A DICOM file: the file meta information (group 0002) and the data set. */
export interface DicomFile {
  /** File Meta Information (PS3.10 §7.1); empty for a data set read without one. */
  meta: DataSet;
  dataset: DataSet;
  /** The syntax the data set is encoded in. */
  transferSyntax: TransferSyntax;
  /** The 128-byte preamble, when the file has one. */
  preamble?: Uint8Array;
  /** True when the file had the `DICM` prefix and file meta information. */
  hasMeta: boolean;
  /** Where the data set starts in the file. */
  dataSetOffset: number;
  /** Offset of the element the read stopped before, with `stopAtTag`. */
  stoppedAt?: number;
  /** Things read but not as the standard wants them (e.g. a transfer syntax guessed). */
  warnings: string[];
}

export interface ReadOptions {
  /** Stop before the first top-level element with a tag >= this (e.g. 0x7fe00010). */
  stopAtTag?: Tag;
  /** Stop after the top-level element with this tag (DCMTK `+st`); read on when it is absent. */
  stopAfterTag?: Tag;
  /** Values longer than this are kept as byte ranges of the source, not loaded. */
  bulkDataThreshold?: number;
  /** Read the data set in this syntax whatever the file meta says (UID). */
  forceTransferSyntax?: string;
  /** Ignore the file meta's transfer syntax and detect it from the data set (DCMTK `-td`). */
  detectTransferSyntax?: boolean;
  /**
   * `auto` (default): a Part 10 file, or a data set without meta; `file`: a Part 10 file only,
   * anything else fails with ERR_NOT_DICOM; `dataset`: a bare data set from the first byte
   * (DCMTK's `+f`, `+fo` and `-f`).
   */
  format?: 'auto' | 'file' | 'dataset';
  /** Name of the source, recorded in bulk data references. */
  source?: string;
}

const PREAMBLE_LENGTH = 128;

/** True when `bytes` has `DICM` at `at`. */
function hasPrefix(bytes: Uint8Array, at: number): boolean {
  return (
    bytes.length >= at + 4 &&
    bytes[at] === 0x44 &&
    bytes[at + 1] === 0x49 &&
    bytes[at + 2] === 0x43 &&
    bytes[at + 3] === 0x4d
  );
}

/** Where the file meta starts: after preamble and prefix, after a bare prefix, or -1. */
export function findMetaStart(bytes: Uint8Array): number {
  if (hasPrefix(bytes, PREAMBLE_LENGTH)) return PREAMBLE_LENGTH + 4;
  if (hasPrefix(bytes, 0)) return 4;
  return -1;
}

/** {@link findMetaStart} under the read options' `format`: -1 for a bare data set. */
export function metaStartFor(bytes: Uint8Array, options: ReadOptions): number {
  const start = findMetaStart(bytes);
  if (options.format === 'dataset') {
    // DCMTK would parse the preamble as elements and fail somewhere inside it; say why instead.
    if (start >= 0)
      throw new DicomParseError(
        'ERR_MALFORMED',
        'the file has file meta information (DICM prefix); a bare data set was asked for',
        0,
      );
    return -1;
  }
  if (start < 0 && options.format === 'file')
    throw new DicomParseError('ERR_NOT_DICOM', 'file meta information header missing (no DICM prefix)', 0);
  return start;
}

/**
 * Guesses the encoding of a data set from its first element, as DCMTK and pydicom do for
 * files without meta information: a valid VR after the tag means explicit VR; the byte
 * order is the one that makes the group number small (data sets start with low groups).
 */
export function detectTransferSyntax(bytes: Uint8Array, at = 0): TransferSyntax {
  if (bytes.length < at + 8) return IMPLICIT_LE;
  const groupLE = bytes[at]! | (bytes[at + 1]! << 8);
  const groupBE = (bytes[at]! << 8) | bytes[at + 1]!;
  const little = groupLE <= groupBE;
  const vr = vrFromCode((bytes[at + 4]! << 8) | bytes[at + 5]!);
  if (vr === undefined) return IMPLICIT_LE;
  return little ? EXPLICIT_LE : EXPLICIT_BE;
}

/** Reads the file meta group (always explicit VR little endian, PS3.10 §7.1) at `start`. */
export function readMeta(bytes: Uint8Array, start: number): { meta: DataSet; end: number } {
  const builder = new DataSetBuilder();
  // Some writers encode the meta group in implicit VR; read what is there.
  const explicit = vrFromCode((bytes[start + 4]! << 8) | bytes[start + 5]!) !== undefined;
  const parser = new DicomParser(builder, {
    explicitVR: explicit,
    littleEndian: true,
    onlyGroup: 2,
    startOffset: start,
  });
  builder.attach(parser);
  parser.write(bytes.subarray(start));
  if (!parser.stopped) parser.end();
  return { meta: builder.root, end: parser.offset };
}

/**
 * Reads a Part 10 file or a bare data set from bytes held in memory. Values are views on
 * `bytes` (no copy), except for deflated data sets, which are inflated first.
 */
export function readDicom(bytes: Uint8Array, options: ReadOptions = {}): DicomFile {
  const warnings: string[] = [];
  if (isGzip(bytes)) {
    // Files are often kept gzip-compressed (.dcm.gz); read them as the file they hold.
    bytes = gunzip(bytes);
    warnings.push('gzip-compressed file: read after decompression');
  }
  const metaStart = metaStartFor(bytes, options);
  let meta = new DataSet();
  let dataSetOffset = 0;
  let preamble: Uint8Array | undefined;
  if (metaStart >= 0) {
    if (metaStart > 4) preamble = bytes.subarray(0, PREAMBLE_LENGTH);
    try {
      const read = readMeta(bytes, metaStart);
      meta = read.meta;
      dataSetOffset = read.end;
    } catch (error) {
      if (error instanceof DicomParseError) {
        error.partial = { meta, dataset: new DataSet(), warnings } satisfies Partial<DicomFile>;
      }
      throw error;
    }
  }
  const ts = chooseTransferSyntax(meta, bytes, dataSetOffset, metaStart >= 0, options, warnings);
  const file: DicomFile = {
    meta,
    dataset: new DataSet(),
    transferSyntax: ts,
    hasMeta: metaStart >= 0,
    dataSetOffset,
    warnings,
    ...(preamble ? { preamble } : {}),
  };
  let body = bytes.subarray(dataSetOffset);
  let startOffset = dataSetOffset;
  if (ts.deflated) {
    body = inflateRaw(body, dataSetOffset);
    startOffset = 0;
  }
  const builder = new DataSetBuilder(file.dataset, ts.deflated ? undefined : options.source);
  // An inflated data set is in memory, and no reader could find a value left in it by offset.
  const { bulkDataThreshold: _, ...inMemory } = options;
  const parser = dataSetParser(builder, ts, startOffset, ts.deflated ? inMemory : options);
  try {
    parser.write(body);
    parser.end();
  } catch (error) {
    if (error instanceof DicomParseError) error.partial = file;
    throw error;
  }
  if (parser.stopped) file.stoppedAt = parser.offset;
  warnings.push(...parser.warnings);
  return file;
}

/**
 * The syntax of the data set: forced by the caller, else from the file meta, else detected
 * from the first element (files without meta, or meta without (0002,0010)).
 */
export function chooseTransferSyntax(
  meta: DataSet,
  bytes: Uint8Array,
  dataSetOffset: number,
  hasMeta: boolean,
  options: ReadOptions,
  warnings: string[],
): TransferSyntax {
  if (options.forceTransferSyntax) return transferSyntax(options.forceTransferSyntax);
  const uid = meta.string(TRANSFER_SYNTAX_UID);
  if (uid) {
    const ts = transferSyntax(uid);
    // Detection (DCMTK -td) is for data sets whose meta names the wrong native syntax; an
    // encapsulated or deflated one is taken as named, as DCMTK does.
    const native = !ts.unknown && !ts.encapsulated && !ts.deflated;
    if (options.detectTransferSyntax && native) {
      const detected = detectTransferSyntax(bytes, dataSetOffset);
      if (detected.uid !== ts.uid)
        warnings.push(`the file meta names ${ts.name}; the data set is read as ${detected.name}`);
      return detected;
    }
    if (ts.unknown) warnings.push(`unknown transfer syntax ${uid}: read as explicit VR little endian`);
    return ts;
  }
  if (!hasMeta) assertLooksLikeDataSet(bytes);
  const ts = detectTransferSyntax(bytes, dataSetOffset);
  if (hasMeta) warnings.push(`file meta has no transfer syntax; detected ${ts.name}`);
  return ts;
}

/** A parser for a data set in `ts`, feeding `builder`, with the read options applied. */
export function dataSetParser(
  builder: DataSetBuilder,
  ts: TransferSyntax,
  startOffset: number,
  options: ReadOptions,
): DicomParser {
  const parser = new DicomParser(builder, {
    explicitVR: ts.explicitVR,
    littleEndian: ts.littleEndian,
    startOffset,
    ...(options.stopAtTag !== undefined ? { stopAtTag: options.stopAtTag } : {}),
    ...(options.stopAfterTag !== undefined ? { stopAfterTag: options.stopAfterTag } : {}),
    ...(options.bulkDataThreshold !== undefined ? { bulkDataThreshold: options.bulkDataThreshold } : {}),
  });
  builder.attach(parser);
  return parser;
}

/** What DataSetHeadReader.write may still do with a chunk once it returns (see there). */
export type ChunkUse = 'kept' | 'next' | 'unused';

/**
 * Reads the head of a data set (up to `stopAtTag`) from chunks on their way elsewhere, e.g.
 * into a file as they arrive: a parse error is kept, not thrown, so that the caller keeps
 * the bytes flowing; `finish()` then throws it, or returns the data set parsed.
 *
 * With `checkRest`, the bytes after the head are parsed too, for their structure only: every
 * value is passed over unread (no copy, whatever its size), so that a data set whose end is
 * broken (a fragment or value longer than what follows, an item tag where none can be) is
 * found before it is kept, at the cost of reading element headers.
 */
export class DataSetHeadReader {
  readonly #builder = new DataSetBuilder();
  readonly #parser: DicomParser;
  readonly #ts: TransferSyntax;
  readonly #checkRest: boolean;
  /** The structure check of what follows the head, once the head parser stopped. */
  #rest: DicomParser | undefined;
  #error: unknown;
  #failed = false;

  constructor(
    ts: TransferSyntax,
    startOffset: number,
    stopAtTag: number,
    options: { checkRest?: boolean } = {},
  ) {
    this.#parser = dataSetParser(this.#builder, ts, startOffset, { stopAtTag });
    this.#ts = ts;
    this.#checkRest = options.checkRest ?? false;
  }

  /**
   * Reads a chunk and says whether the reader may still refer to it afterwards, for a caller
   * that would reuse the chunk's memory: `kept` (the head's values are views on it), `next`
   * (a partial element at its end is read with the next write or `finish()`), or `unused`.
   */
  write(chunk: Uint8Array): ChunkUse {
    if (this.#failed) return 'unused';
    try {
      if (this.#rest) {
        this.#rest.write(chunk);
        return 'next';
      }
      if (this.#parser.stopped) return 'unused';
      this.#parser.write(chunk);
      if (this.#parser.stopped && this.#checkRest) {
        this.#rest = new DicomParser(STRUCTURE_ONLY, {
          explicitVR: this.#ts.explicitVR,
          littleEndian: this.#ts.littleEndian,
          startOffset: this.#parser.offset,
          bulkDataThreshold: 0,
        });
        // From the stop tag on: its first bytes may have come in an earlier chunk.
        this.#rest.write(this.#parser.unparsed);
      }
    } catch (error) {
      this.#error = error;
      this.#failed = true;
    }
    return 'kept';
  }

  /** The data set read up to `stopAtTag`; throws the parse error, or a data set that ended early. */
  finish(): DataSet {
    if (this.#failed) throw this.#error;
    if (!this.#parser.stopped) this.#parser.end();
    this.#rest?.end();
    return this.#builder.root;
  }
}

/** Takes every parse event and keeps nothing: the structure check of DataSetHeadReader. */
const STRUCTURE_ONLY: ParseHandler = {
  element() {},
  sequenceStart() {},
  itemStart() {},
  itemEnd() {},
  sequenceEnd() {},
  encapsulatedStart() {},
  fragment() {},
  encapsulatedEnd() {},
};

export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length > 18 && bytes[0] === 0x1f && bytes[1] === 0x8b && bytes[2] === 8;
}

function gunzip(bytes: Uint8Array): Uint8Array {
  try {
    return gunzipSync(bytes);
  } catch (error) {
    throw new DicomParseError('ERR_MALFORMED', `gzip data does not decompress (${String(error)})`, 0, {
      cause: error,
    });
  }
}

/**
 * A data set without meta starts with an element of a low group (0008 in practice, 0000
 * for command sets) and a plausible length; anything else is not DICOM, reported as such
 * rather than as a parse error deep inside random bytes.
 */
export function assertLooksLikeDataSet(bytes: Uint8Array): void {
  if (bytes.length < 8) throw new DicomParseError('ERR_NOT_DICOM', 'too short to be DICOM', 0);
  const groupLE = bytes[0]! | (bytes[1]! << 8);
  const groupBE = (bytes[0]! << 8) | bytes[1]!;
  const group = Math.min(groupLE, groupBE);
  if (group > 0x00ff || (group & 1) === 1) {
    throw new DicomParseError(
      'ERR_NOT_DICOM',
      `no DICM prefix and the first bytes are not a data element (group ${group.toString(16).padStart(4, '0')})`,
      0,
    );
  }
}

/** Reads a data set without file meta in a known transfer syntax (a DIMSE data set, say). */
export function readDataSet(bytes: Uint8Array, syntax: TransferSyntax | string): DataSet {
  const ts = typeof syntax === 'string' ? transferSyntax(syntax) : syntax;
  if (ts.deflated) bytes = inflateRaw(bytes, 0);
  const builder = new DataSetBuilder();
  const parser = new DicomParser(builder, { explicitVR: ts.explicitVR, littleEndian: ts.littleEndian });
  builder.attach(parser);
  parser.write(bytes);
  parser.end();
  return builder.root;
}
