import { createReadStream } from 'node:fs';
import { DicomError } from '../core/index.ts';
import { type TransferSyntax, transferSyntax } from '../encoding/index.ts';
import { swapped } from '../object/byte-swap.ts';
import { deflateRaw } from '../object/deflate.ts';
import { readBulkData, readDicomFile } from '../object/file.node.ts';
import { concatParts, DataSet, DataSetEncoder, type DicomFile, type EncodedPart } from '../object/index.ts';

/**
 * Bytes of a data set already encoded in `transferSyntax` (without file meta), e.g. piped
 * from another association or a storage service; they are sent as they come.
 */
export interface StreamSource {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: string;
  data: Uint8Array | AsyncIterable<Uint8Array>;
}

/** What can be sent with C-STORE: a file path, a data set, a file read earlier, or a stream. */
export type StoreSource = string | DataSet | DicomFile | StreamSource;

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const PIXEL_DATA = 0x7fe00010;
const READ_CHUNK = 1 << 20;

/** An instance ready to send: its identity, its stored syntax, and its bytes in any syntax it converts to. */
export interface PreparedInstance {
  sopClassUid: string;
  sopInstanceUid: string;
  /** The transfer syntax the bytes are in now. */
  transferSyntax: TransferSyntax;
  /** For messages: the file path, or "data set". */
  label: string;
  /** Whether `data(ts)` can produce this syntax (same syntax, or a re-encoding without pixel codecs). */
  canSendAs(ts: string): boolean;
  /** The data set bytes in `ts`: straight from disk when `ts` is the stored syntax. */
  data(ts: string): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
}

/** Reads what a C-STORE needs to know about a source, without loading a file's bulk data. */
export async function prepareSource(source: StoreSource): Promise<PreparedInstance> {
  if (typeof source === 'string') return prepareFile(source);
  if ('data' in source && 'sopInstanceUid' in source) return fromStream(source);
  const file: DicomFile | undefined = source instanceof DataSet ? undefined : source;
  const dataset = file ? file.dataset : (source as DataSet);
  const stored = file?.transferSyntax ?? transferSyntax('1.2.840.10008.1.2.1');
  return fromDataSet(dataset, stored, file?.meta, 'data set');
}

async function prepareFile(path: string): Promise<PreparedInstance> {
  const head = await readDicomFile(path, { stopAtTag: SOP_INSTANCE_UID + 1 });
  // The data set's own UIDs are what the C-STORE names (PS3.4 §B.2.3); the meta may disagree.
  const sopClassUid = head.dataset.string(SOP_CLASS_UID)?.trim() || head.meta.string(0x00020002)?.trim();
  const sopInstanceUid =
    head.dataset.string(SOP_INSTANCE_UID)?.trim() || head.meta.string(0x00020003)?.trim();
  if (!sopClassUid || !sopInstanceUid) {
    throw new DicomError('ERR_INVALID_VALUE', `${path}: no SOP Class UID or SOP Instance UID`);
  }
  const stored = head.transferSyntax;
  const streamable = !head.warnings.some((w) => /gzip/i.test(w));
  let full: Promise<DicomFile> | undefined;
  const readFull = (): Promise<DicomFile> => {
    if (!full) full = readDicomFile(path);
    return full;
  };
  return {
    sopClassUid,
    sopInstanceUid,
    transferSyntax: stored,
    label: path,
    canSendAs(ts) {
      if (ts === stored.uid) return true;
      return convertible(stored, transferSyntax(ts), undefined);
    },
    data(ts) {
      if (ts === stored.uid && streamable && head.dataSetOffset > 0)
        return fileChunks(path, head.dataSetOffset);
      if (ts === stored.uid && streamable && !head.hasMeta) return fileChunks(path, 0);
      return (async function* () {
        const file = await readFull();
        if (!convertible(file.transferSyntax, transferSyntax(ts), file.dataset)) {
          throw new DicomError(
            'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
            `${path}: its pixel data is ${file.transferSyntax.name}; sending it as ${transferSyntax(ts).name} needs a pixel codec`,
          );
        }
        yield* encodeIn(file.dataset, transferSyntax(ts));
      })();
    },
  };
}

function fromStream(source: StreamSource): PreparedInstance {
  const stored = transferSyntax(source.transferSyntax);
  let used = false;
  return {
    sopClassUid: source.sopClassUid,
    sopInstanceUid: source.sopInstanceUid,
    transferSyntax: stored,
    label: 'stream',
    canSendAs: (ts) => ts === stored.uid,
    data(ts) {
      if (ts !== stored.uid) {
        throw new DicomError(
          'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
          `a stream in ${stored.name} cannot be re-encoded`,
        );
      }
      // An async iterable can be read once: a second send (after a failure) must not send nothing.
      if (used && !(source.data instanceof Uint8Array)) {
        throw new DicomError('ERR_INVALID_VALUE', 'a stream source can be sent only once');
      }
      used = true;
      return source.data instanceof Uint8Array ? [source.data] : source.data;
    },
  };
}

function fromDataSet(
  dataset: DataSet,
  stored: TransferSyntax,
  meta: DataSet | undefined,
  label: string,
): PreparedInstance {
  const sopClassUid = dataset.string(SOP_CLASS_UID)?.trim() || meta?.string(0x00020002)?.trim();
  const sopInstanceUid = dataset.string(SOP_INSTANCE_UID)?.trim() || meta?.string(0x00020003)?.trim();
  if (!sopClassUid || !sopInstanceUid) {
    throw new DicomError('ERR_INVALID_VALUE', 'the data set has no SOP Class UID or SOP Instance UID');
  }
  return {
    sopClassUid,
    sopInstanceUid,
    transferSyntax: stored,
    label,
    canSendAs: (ts) => convertible(stored, transferSyntax(ts), dataset),
    data: (ts) => encodeIn(dataset, transferSyntax(ts)),
  };
}

/**
 * Whether a data set in `from` can be written in `to` by re-encoding alone: always between
 * native syntaxes, and from an encapsulated syntax only when there is no pixel data to decode.
 */
function convertible(from: TransferSyntax, to: TransferSyntax, dataset: DataSet | undefined): boolean {
  if (to.unknown) return false;
  if (from.uid === to.uid) return true;
  if (to.encapsulated) return false;
  if (!from.encapsulated) return true;
  // Known only once read: a compressed-syntax object without pixel data converts freely.
  return dataset !== undefined && !dataset.element(PIXEL_DATA)?.fragments;
}

async function* encodeIn(dataset: DataSet, ts: TransferSyntax): AsyncGenerator<Uint8Array> {
  const parts = new DataSetEncoder().encode(dataset, ts);
  if (ts.deflated) {
    yield deflateRaw(concatParts(await resolveParts(parts)));
    return;
  }
  for (const part of parts) {
    if (part instanceof Uint8Array) yield part;
    else yield* resolvePart(part);
  }
}

/** A bulk value left in its file (files over 256 MB): read in pieces, swapped when the byte order changes. */
async function* resolvePart(part: Exclude<EncodedPart, Uint8Array>): AsyncGenerator<Uint8Array> {
  const { ref, swapUnit } = part;
  const piece = 4 * READ_CHUNK;
  for (let done = 0; done < ref.length; done += piece) {
    const length = Math.min(piece, ref.length - done);
    const bytes = await readBulkData({ ...ref, offset: ref.offset + done, length });
    if (bytes.length < length)
      throw new DicomError('ERR_IO', `bulk data source ${ref.source} is shorter than expected`);
    yield swapUnit > 1 ? swapped(bytes, swapUnit) : bytes;
  }
}

async function resolveParts(parts: EncodedPart[]): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for (const part of parts) {
    if (part instanceof Uint8Array) out.push(part);
    else for await (const b of resolvePart(part)) out.push(b);
  }
  return out;
}

async function* fileChunks(path: string, start: number): AsyncGenerator<Uint8Array> {
  const stream = createReadStream(path, { start, highWaterMark: READ_CHUNK });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    yield new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length);
  }
}
