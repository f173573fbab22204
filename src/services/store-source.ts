import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DicomError, DicomParseError } from '../core/index.ts';
import { type TransferSyntax, transferSyntax } from '../encoding/index.ts';
import type { ReleasableData } from '../net/dimse/index.ts';
import { swapped } from '../object/byte-swap.ts';
import { type DeflateLevel, deflateRaw } from '../object/deflate.ts';
import { closeAsync, fstatAsync, openAsync, readFromStart, readFully } from '../object/fd-io.node.ts';
import { readBulkData, readDicomFile } from '../object/file.node.ts';
import {
  concatParts,
  DataSet,
  DataSetEncoder,
  type DicomFile,
  type EncodedPart,
  readDicom,
} from '../object/index.ts';
import { fileBulkSource } from '../pixel/bulk-source.node.ts';
import { COMPRESSED_CODEC_UIDS } from '../pixel/codecs/compressed-uids.ts';
import { pixelWithNodeCodecs } from '../pixel/codecs/load.node.ts';
import { defaultCodecs } from '../pixel/codecs/registry.ts';
import { FileFrameSink } from '../pixel/frame-sink.node.ts';
import { quickHeader } from './quick-header.ts';

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

/**
 * A Part 10 file whose identity is known without reading it (a PACS's index holds it): it is
 * prepared with no I/O, and its header is read when it is sent. A file that turns out to hold
 * another instance, SOP class or transfer syntax is not sent: its store fails.
 */
export interface StoredFileSource {
  path: string;
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: string;
  /** Its size in bytes, when known. */
  size?: number;
}

/**
 * What can be sent with C-STORE: a file path, a file of known identity, a data set, a file
 * read earlier, or a stream.
 */
export type StoreSource = string | StoredFileSource | DataSet | DicomFile | StreamSource;

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;
const PIXEL_DATA = 0x7fe00010;
const READ_CHUNK = 1 << 20;
/** First read for a header (grown when too short). */
const HEADER_READ = 16 * 1024;
/** Files up to this size are read whole when preloaded. */
const PRELOAD_LIMIT = 8 * 1024 * 1024;
/** Largest read while sending a file. */
const FILE_PIECE = 4 * 1024 * 1024;
/** Values longer than this stay in their file when a file is read to be sent in another syntax. */
const BULK_THRESHOLD = 256 * 1024;
/** Decoded pixel data up to this size is kept in memory; larger goes through a scratch file. */
const DECODED_IN_MEMORY = 64 * 1024 * 1024;
/** Scratch files made by this process (their names; node:crypto is not loaded for them). */
let scratchFiles = 0;
/** Memory kept for reuse by preloads (PreloadBuffers). */
const POOL_LIMIT = 32 * 1024 * 1024;
/**
 * Smaller buffers are not kept: a small allocation is cheap, its pages are few, and thousands
 * of them (a tool holding small files read during its input check) would make the pool's
 * search slow.
 */
const POOL_SMALLEST = 64 * 1024;
const SLAB_BYTES = 1024 * 1024;

/**
 * Buffers of preloaded files, used again once their store is over. A fresh buffer per file
 * made every CT instance (~0.5 MB) fault its pages in again and left them to the garbage
 * collector: about a third of the SCU's time per instance with the file in the page cache.
 */
class PreloadBuffers {
  #free: Uint8Array[] = [];
  #freeBytes = 0;

  #slab: Uint8Array | undefined;
  #slabUsed = 0;

  /** A buffer of at least `size` bytes (a free one not more than twice as large, else a new one). */
  take(size: number): Uint8Array {
    if (size < POOL_SMALLEST) return this.#carve(size);
    let best = -1;
    for (let i = 0; i < this.#free.length; i++) {
      const length = this.#free[i]!.length;
      if (length >= size && length <= 2 * size + 65536 && (best < 0 || length < this.#free[best]!.length))
        best = i;
    }
    if (best < 0) {
      // Not zero-filled: the read overwrites it (a zeroed 512 KB buffer cost a memset per file).
      return unfilledBytes(size);
    }
    const buffer = this.#free[best]!;
    this.#free[best] = this.#free[this.#free.length - 1]!;
    this.#free.pop();
    this.#freeBytes -= buffer.length;
    return buffer;
  }

  /**
   * Small buffers are cut from 1 MiB slabs: one allocation per slab instead of one per file
   * (2,000 files of 5 KB held by a tool's input check cost ~15 us more each, allocated one
   * by one). A slab lives until none of its files is referenced.
   */
  #carve(size: number): Uint8Array {
    const aligned = (size + 7) & ~7;
    if (!this.#slab || this.#slabUsed + aligned > this.#slab.length) {
      this.#slab = unfilledBytes(SLAB_BYTES);
      this.#slabUsed = 0;
    }
    const piece = this.#slab.subarray(this.#slabUsed, this.#slabUsed + size);
    this.#slabUsed += aligned;
    return piece;
  }

  give(buffer: Uint8Array): void {
    if (buffer.length < POOL_SMALLEST || this.#freeBytes + buffer.length > POOL_LIMIT) return;
    this.#free.push(buffer);
    this.#freeBytes += buffer.length;
  }
}

const preloadBuffers = new PreloadBuffers();

/**
 * `size` bytes, not zero-filled, as a plain Uint8Array: a Buffer's subarray() is Node's own
 * JavaScript making a Buffer each time, and the parser takes many of them per file.
 */
function unfilledBytes(size: number): Uint8Array {
  const buffer = Buffer.allocUnsafeSlow(size);
  return new Uint8Array(buffer.buffer, buffer.byteOffset, size);
}

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
  /**
   * The data set bytes in `ts`: straight from disk when `ts` is the stored syntax. A data set
   * re-encoded in a deflated syntax is compressed at `deflateLevel` (default 6).
   */
  data(ts: string, options?: DataOptions): AsyncIterable<Uint8Array> | Iterable<Uint8Array>;
  /** Size in bytes of the file it was read from (tools report MB/s); absent for data sets and streams. */
  fileSize?: number;
  /** For a file: whether it begins with a Part 10 preamble and file meta (PS3.10 §7.1). */
  hasMeta?: boolean;
  /** Whether the file's bytes are held in memory (preloaded, not yet handed out by `data()`). */
  readonly preloaded?: boolean;
  /**
   * Gives the memory of a preloaded file back for the next file to use. Only once nothing
   * refers to the bytes `data()` returned any more: after a store whose writes all reached
   * the kernel (Association.store does this). Optional to call; later sends read the file again.
   */
  release?(): void;
}

export interface PrepareOptions {
  /**
   * Reads a file up to 8 MiB whole now, for sending soon (else its data is read when sent);
   * a number lowers that size limit.
   */
  preload?: boolean | number;
  /**
   * Reads a file's header with blocking calls: 5-10x faster than the thread pool's round
   * trips for a small read from the page cache, but the event loop waits on the disk. For a
   * tool with nothing else to do meanwhile (storescu checking its inputs), not for a server.
   */
  blocking?: boolean;
}

/** How `PreparedInstance.data()` encodes what it re-encodes. */
export interface DataOptions {
  deflateLevel?: DeflateLevel;
  /**
   * Post-1993 VRs go as OB (AssociateOptions.newVRsAsOB): a file in an explicit VR syntax is
   * then re-encoded, not sent as it lies.
   */
  newVRsAsOB?: boolean;
}

/** Reads what a C-STORE needs to know about a source, without loading a file's bulk data. */
export async function prepareSource(
  source: StoreSource,
  options: PrepareOptions = {},
): Promise<PreparedInstance> {
  if (typeof source === 'string') return prepareFile(source, options);
  if ('path' in source) {
    if (!options.preload) return fromStoredFile(source);
    return checkedIdentity(await prepareFile(source.path, options), source);
  }
  if ('data' in source && 'sopInstanceUid' in source) return fromStream(source);
  const file: DicomFile | undefined = source instanceof DataSet ? undefined : source;
  const dataset = file ? file.dataset : (source as DataSet);
  const stored = file?.transferSyntax ?? transferSyntax('1.2.840.10008.1.2.1');
  return fromDataSet(dataset, stored, file?.meta, 'data set');
}

async function prepareFile(path: string, options: PrepareOptions): Promise<PreparedInstance> {
  const preload =
    options.preload === true ? PRELOAD_LIMIT : Math.min(Number(options.preload ?? 0), PRELOAD_LIMIT);
  const header = options.blocking ? await readHeaderBlocking(path, preload) : await readHeader(path, preload);
  const { sopClassUid, sopInstanceUid, transferSyntax: stored, dataSetOffset, hasMeta, streamable } = header;
  let whole = streamable ? header.whole : undefined;
  let pooled = header.pooled;
  let full: Promise<DicomFile> | undefined;
  // Sent in another syntax: the header is read, bulk values stay in the file (read back in
  // pieces as they are sent, or frame by frame when decoded).
  const readFull = (): Promise<DicomFile> => {
    if (!full) full = readDicomFile(path, { bulkDataThreshold: BULK_THRESHOLD });
    return full;
  };
  return {
    sopClassUid,
    sopInstanceUid,
    ...(header.size !== undefined ? { fileSize: header.size } : {}),
    hasMeta,
    transferSyntax: stored,
    label: path,
    get preloaded() {
      return whole !== undefined;
    },
    canSendAs: fileSendableAs(stored),
    data(ts, dataOptions) {
      const asStored = ts === stored.uid && streamable && !(dataOptions?.newVRsAsOB && stored.explicitVR);
      if (asStored && whole) {
        // Preloaded: hand the bytes over once and let them go.
        const bytes = whole.subarray(dataSetOffset);
        whole = undefined;
        return [bytes];
      }
      if (asStored && (dataSetOffset > 0 || !hasMeta)) return fileChunks(path, dataSetOffset);
      return (async function* () {
        const file = await readFull();
        if (!convertible(file.transferSyntax, transferSyntax(ts), file.dataset)) {
          throw new DicomError(
            'ERR_UNSUPPORTED_TRANSFER_SYNTAX',
            `${path}: its pixel data is ${file.transferSyntax.name}; sending it as ${transferSyntax(ts).name} needs a pixel codec`,
          );
        }
        const target = transferSyntax(ts);
        const native = file.transferSyntax.encapsulated && file.dataset.element(PIXEL_DATA)?.fragments;
        // Decoded frame by frame in the codec workers, then written natively (PS3.5 §8.1.1).
        const decoded = native ? await decompressed(file) : undefined;
        try {
          yield* encodeIn(decoded?.dataset ?? file.dataset, target, dataOptions);
        } finally {
          await decoded?.dispose();
        }
      })();
    },
    release() {
      whole = undefined;
      if (pooled) preloadBuffers.give(pooled);
      pooled = undefined;
    },
  };
}

/**
 * What a C-STORE needs from a file's header, as scalars: the parsed header's values are views
 * on the bytes read, which would otherwise stay alive with every prepared instance of a long
 * send (and the bytes of a header-only read are a scratch buffer, reused by the next file).
 */
interface Header {
  sopClassUid: string;
  sopInstanceUid: string;
  transferSyntax: TransferSyntax;
  dataSetOffset: number;
  hasMeta: boolean;
  /** False for a gzip-wrapped file: its bytes on disk are not the data set's. */
  streamable: boolean;
  size?: number;
  /** The whole file, when preloaded. */
  whole?: Uint8Array;
  /** The buffer holding `whole`, from preloadBuffers. */
  pooled?: Uint8Array;
}

function headerOf(
  head: DicomFile,
  path: string,
  size: number | undefined,
  preloaded?: { whole: Uint8Array; pooled: Uint8Array },
): Header {
  // The data set's own UIDs are what the C-STORE names (PS3.4 §B.2.3); the meta may disagree.
  const sopClassUid = head.dataset.string(SOP_CLASS_UID)?.trim() || head.meta.string(0x00020002)?.trim();
  const sopInstanceUid =
    head.dataset.string(SOP_INSTANCE_UID)?.trim() || head.meta.string(0x00020003)?.trim();
  if (!sopClassUid || !sopInstanceUid) {
    throw new DicomError('ERR_INVALID_VALUE', `${path}: no SOP Class UID or SOP Instance UID`);
  }
  return {
    sopClassUid,
    sopInstanceUid,
    transferSyntax: head.transferSyntax,
    dataSetOffset: head.dataSetOffset,
    hasMeta: head.hasMeta,
    streamable: !head.warnings.some((w) => /gzip/i.test(w)),
    ...(size !== undefined ? { size } : {}),
    ...(preloaded ?? {}),
  };
}

/**
 * The file meta and the data set up to SOP Instance UID. Most headers fit in a few kilobytes:
 * read 16 KB and grow only when the parser runs out, instead of a fixed large read per file.
 * With `preload`, a file up to 8 MiB is read whole in the same go, for sending soon.
 */
async function readHeader(path: string, preload: number): Promise<Header> {
  let fd: number;
  try {
    fd = await openAsync(path, 'r');
  } catch (error) {
    throw cannotOpen(path, error);
  }
  try {
    const { size } = await fstatAsync(fd);
    return await headerFrom(path, size, preload, (bytes) => readFromStart(fd, bytes));
  } finally {
    await closeAsync(fd);
  }
}

/** readHeader with blocking calls (PrepareOptions.blocking). */
async function readHeaderBlocking(path: string, preload: number): Promise<Header> {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    throw cannotOpen(path, error);
  }
  try {
    return await headerFrom(path, fstatSync(fd).size, preload, (bytes) =>
      readSync(fd, bytes, 0, bytes.length, 0),
    );
  } finally {
    closeSync(fd);
  }
}

function cannotOpen(path: string, error: unknown): DicomError {
  return new DicomError('ERR_IO', `cannot open ${path}: ${(error as Error).message}`, { cause: error });
}

/**
 * One buffer for header reads that keep nothing (not preloading): a fresh 16 KB per file made
 * a check of 10,000 files spend a sixth of its time collecting them. Claimed for the read and
 * the parse, so concurrent prepares (async reads) take a fresh buffer instead.
 */
let scratch: Uint8Array | undefined;
let scratchInUse = false;

/**
 * Reads from the start of the file, more each time, until the header parses; a file up to
 * `preload` bytes is read whole at once and kept.
 */
async function headerFrom(
  path: string,
  size: number,
  preload: number,
  readFromStart: (bytes: Uint8Array) => number | Promise<number>,
): Promise<Header> {
  const keep = preload > 0 && size <= preload;
  const first = keep ? size : Math.min(size, HEADER_READ);
  for (let want = first; ; want = Math.min(size, want * 4)) {
    const whole = keep && want === size;
    const reuse = !whole && !scratchInUse && want <= HEADER_READ;
    const pooled = whole ? preloadBuffers.take(want) : undefined;
    const bytes: Uint8Array = pooled
      ? pooled.subarray(0, want)
      : reuse
        ? (scratch ??= unfilledBytes(HEADER_READ)).subarray(0, want)
        : unfilledBytes(want);
    if (reuse) scratchInUse = true;
    let kept = false;
    try {
      const bytesRead = await readFromStart(bytes);
      const quick = quickHeader(bytes.subarray(0, bytesRead), size);
      if (quick) {
        kept = pooled !== undefined && bytesRead === size;
        return {
          ...quick,
          hasMeta: true,
          streamable: true,
          size,
          ...(kept ? { whole: bytes, pooled: pooled! } : {}),
        };
      }
      try {
        const head = readDicom(bytes.subarray(0, bytesRead), {
          stopAtTag: SOP_INSTANCE_UID + 1,
          source: path,
        });
        kept = pooled !== undefined && bytesRead === size;
        return headerOf(head, path, size, kept ? { whole: bytes, pooled: pooled! } : undefined);
      } catch (error) {
        const partialRead = bytesRead < size;
        // Gzip and anything odd (or a file shorter than it was a moment ago): the full reader decides.
        if (
          !partialRead ||
          want === size ||
          !(error instanceof DicomParseError) ||
          error.code !== 'ERR_UNEXPECTED_END'
        ) {
          if (partialRead)
            return headerOf(await readDicomFile(path, { stopAtTag: SOP_INSTANCE_UID + 1 }), path, size);
          throw error;
        }
      }
    } finally {
      if (reuse) scratchInUse = false;
      if (pooled && !kept) preloadBuffers.give(pooled);
    }
  }
}

/** What a file stored in `stored` can be sent as: itself, or what its header alone says it converts to. */
function fileSendableAs(stored: TransferSyntax): (ts: string) => boolean {
  return (ts) => ts === stored.uid || convertible(stored, transferSyntax(ts), undefined);
}

/** A file of known identity, not read yet: `data()` reads its header first (prepareFile). */
function fromStoredFile(source: StoredFileSource): PreparedInstance {
  const stored = transferSyntax(source.transferSyntax);
  let reading: Promise<PreparedInstance> | undefined;
  const read = (): Promise<PreparedInstance> => {
    reading ??= prepareFile(source.path, {}).then((file) => checkedIdentity(file, source));
    return reading;
  };
  return {
    sopClassUid: source.sopClassUid,
    sopInstanceUid: source.sopInstanceUid,
    transferSyntax: stored,
    label: source.path,
    ...(source.size !== undefined ? { fileSize: source.size } : {}),
    canSendAs: fileSendableAs(stored),
    data: (ts, dataOptions) =>
      (async function* () {
        yield* (await read()).data(ts, dataOptions);
      })(),
  };
}

/** The file as read, if it is what its source said it holds; what a C-STORE names must be what it sends. */
function checkedIdentity(file: PreparedInstance, expected: StoredFileSource): PreparedInstance {
  const found = [file.sopClassUid, file.sopInstanceUid, file.transferSyntax.uid];
  const wanted = [expected.sopClassUid, expected.sopInstanceUid, expected.transferSyntax];
  if (found.some((value, i) => value !== wanted[i])) {
    file.release?.();
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `${expected.path} holds ${found.join(' / ')}, not the ${wanted.join(' / ')} expected (SOP class / instance / transfer syntax)`,
    );
  }
  return file;
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
    data: (ts, dataOptions) =>
      (async function* () {
        const target = transferSyntax(ts);
        const decode = stored.encapsulated && !target.encapsulated && dataset.element(PIXEL_DATA)?.fragments;
        const decoded = decode ? await decompressed(dataset, stored.uid) : undefined;
        try {
          yield* encodeIn(decoded?.dataset ?? dataset, target, dataOptions);
        } finally {
          await decoded?.dispose();
        }
      })(),
  };
}

/**
 * Whether a data set in `from` can be sent in `to`: between native syntaxes by re-encoding;
 * from a compressed syntax to a native one by decoding the pixel data with the registered
 * codecs (worker threads in Node); a compressed-syntax object without pixel data freely.
 * Encoding into a compressed syntax is left to `dicomkit transcode`: lossy results need a
 * new SOP Instance UID, which a C-STORE of the original instance must not invent.
 */
function convertible(from: TransferSyntax, to: TransferSyntax, dataset: DataSet | undefined): boolean {
  if (to.unknown) return false;
  if (from.uid === to.uid) return true;
  if (to.encapsulated) return false;
  if (!from.encapsulated) return true;
  if (dataset !== undefined && !dataset.element(PIXEL_DATA)?.fragments) return true;
  return COMPRESSED_CODEC_UIDS.has(from.uid) || defaultCodecs.find(from.uid) !== undefined;
}

/**
 * The pixel data decoded by the default codecs, Node's worker-thread ones registered; frames
 * left in a file are read one at a time. Decoded data larger than DECODED_IN_MEMORY goes to a
 * scratch file in the system's temporary folder (removed by `dispose`, once sent), so a
 * multi-gigabyte object sent to a peer that takes only native syntaxes costs a frame of memory.
 */
async function decompressed(
  object: DataSet | DicomFile,
  transferSyntaxUid?: string,
): Promise<{ dataset: DataSet; dispose(): Promise<void> }> {
  const pixel = await pixelWithNodeCodecs();
  const d = pixel.pixelDescription(object instanceof DataSet ? object : object.dataset);
  const sink =
    pixel.decodedFrameLength(d) * d.numberOfFrames > DECODED_IN_MEMORY
      ? await FileFrameSink.create(
          join(tmpdir(), `dicomkit-decoded-${process.pid}-${Date.now()}-${++scratchFiles}`),
        )
      : undefined;
  try {
    const dataset = await pixel.decompressPixelData(object, {
      codecs: pixel.defaultCodecs,
      bulkSource: fileBulkSource,
      ...(sink ? { sink } : {}),
      ...(transferSyntaxUid ? { transferSyntaxUid } : {}),
    });
    return { dataset, dispose: async () => sink?.remove() };
  } catch (error) {
    await sink?.remove();
    throw error;
  }
}

/**
 * The encoder of every data set an association sends re-encoded (instances, identifiers, N-
 * data sets). Data Set Trailing Padding is left out at every level: it pads a file when one
 * is written (PS3.10 §7.2) and means nothing on the wire, where DCMTK drops it as well.
 */
export function wireEncoder(options: DataOptions): DataSetEncoder {
  return new DataSetEncoder({ newVRsAsOB: options.newVRsAsOB === true, padding: 'remove' });
}

async function* encodeIn(
  dataset: DataSet,
  ts: TransferSyntax,
  options: DataOptions = {},
): AsyncGenerator<Uint8Array> {
  const parts = wireEncoder(options).encode(dataset, ts);
  if (ts.deflated) {
    yield deflateRaw(concatParts(await resolveParts(parts)), options.deflateLevel);
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

/**
 * The file from `start` to its end: one exact-size read for most files, 4 MiB pieces for big
 * ones. A piece the association gives back once written is read into again: a 1 GiB file
 * then goes through a few buffers instead of 256 left to the garbage collector.
 */
function fileChunks(path: string, start: number): ReleasableData {
  const spare: Uint8Array[] = [];
  return {
    release(chunk) {
      if (chunk.length === FILE_PIECE && spare.length < 2) spare.push(chunk);
    },
    async *[Symbol.asyncIterator]() {
      const fd = await openAsync(path, 'r');
      try {
        const { size } = await fstatAsync(fd);
        for (let at = start; at < size; ) {
          const length = Math.min(FILE_PIECE, size - at);
          const bytes = (length === FILE_PIECE ? spare.pop() : undefined) ?? new Uint8Array(length);
          await readFully(fd, bytes, at, `${path} (while being sent)`);
          at += bytes.length;
          yield bytes;
        }
      } finally {
        await closeAsync(fd);
      }
    },
  };
}
