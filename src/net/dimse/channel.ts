import { DicomError, type Logger, SILENT_LOGGER } from '../../core/index.ts';
import { concatParts } from '../../object/index.ts';
import { encodePDataHeader, type PDataTf, pdvPieces } from '../pdu/index.ts';
import { keepChunk } from '../transport/receive-buffers.ts';
import {
  type Command,
  type CommandFields,
  DATA_SET_PRESENT,
  decodeCommand,
  describeCommand,
  encodeCommand,
  NO_DATA_SET,
} from './commands.ts';
import { DataStream } from './data-stream.ts';

/** A DIMSE message as received: the command at once, the data set (if any) as it streams in. */
export interface IncomingMessage {
  contextId: number;
  command: Command;
  data: DataStream | undefined;
}

/** What can follow a command: bytes, or chunks produced as the transfer goes. */
export type MessageData = Uint8Array | Iterable<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Chunks produced as the transfer goes, whose memory the producer wants back: each chunk is
 * given to `release` once it has been written to the socket (a file read into the same
 * buffers again). Chunks of a send that fails are not given back.
 */
export interface ReleasableData extends AsyncIterable<Uint8Array> {
  release(chunk: Uint8Array): void;
}

export interface DimseChannelOptions {
  /** Writes the parts of whole P-DATA-TF PDUs (the DUL's P-DATA request). */
  send(parts: readonly Uint8Array[], written?: () => void): void | Promise<void>;
  /** The peer's maximum PDU length (0: unlimited). */
  peerMaxPduLength: number;
  /**
   * Called when a message's command has arrived. A returned promise holds the input (no more
   * PDUs are read) until it settles, as a data consumer's does.
   */
  message(message: IncomingMessage): void | Promise<void>;
  /** The peer broke DIMSE's rules (PS3.7 §9.1, PS3.8 Annex E); the caller aborts. */
  protocolError(error: DicomError): void;
  logger?: Logger;
  /** Largest PDU we send when the peer sets no limit. Default 1 MiB. */
  unlimitedPduLength?: number;
  /** Largest data set a handler is given (see DataStream); default none. */
  maxDataSetSize?: number;
}

/** Bytes of P-DATA PDUs written per batch before waiting for the socket. */
const BATCH_BYTES = 256 * 1024;
/**
 * Data in memory up to this size goes out in one write. Larger data goes in batches like a
 * stream, so that its sending reports progress (the DIMSE timeout waits on it) and a slow
 * reader's backpressure is felt batch by batch.
 */
const WHOLE_WRITE_BYTES = 4 * 1024 * 1024;

/** PDU parts gathered for one socket write. */
interface Batch {
  parts: Uint8Array[];
  bytes: number;
  /** Source chunks wholly in `parts`, to give back once written (see ReleasableData). */
  emitted: Uint8Array[];
}

/**
 * DIMSE messages over P-DATA (PS3.7 §6.3, PS3.8 Annex E): splits a command and its data set
 * into PDVs no larger than the peer accepts, and puts the PDVs received back together into a
 * command set and a data stream. Messages go out one at a time, never interleaved.
 */
export class DimseChannel {
  readonly #options: DimseChannelOptions;
  readonly #logger: Logger;
  readonly #maxPdvData: number;
  #commandParts: Uint8Array[] = [];
  #commandContext = -1;
  #incoming: { contextId: number; stream: DataStream } | undefined;
  #sendChain: Promise<void> = Promise.resolve();
  /** Sends started and not settled: while there are any, a new one waits its turn. */
  #sending = 0;
  #closed = false;

  constructor(options: DimseChannelOptions) {
    this.#options = options;
    this.#logger = options.logger ?? SILENT_LOGGER;
    const limit =
      options.peerMaxPduLength > 0 ? options.peerMaxPduLength : (options.unlimitedPduLength ?? 1 << 20);
    // PDU length = 6-byte PDV item header + data (PS3.8 §9.3.5); keep a sane floor.
    this.#maxPdvData = Math.max(limit - 6, 64);
  }

  get maxPdvDataLength(): number {
    return this.#maxPdvData;
  }

  /** Feeds a received P-DATA-TF; the promise (if any) is the data consumer's backpressure. */
  receive(pdu: PDataTf): void | Promise<void> {
    const waits: Promise<void>[] = [];
    for (const pdv of pdu.pdvs) {
      try {
        // A fragment that arrived across socket reads comes in pieces; each is passed on as is.
        const pieces = pdvPieces(pdv);
        for (let i = 0; i < pieces.length; i++) {
          const isLast = pdv.isLast && i === pieces.length - 1;
          const r = pdv.isCommand
            ? this.#commandFragment(pdv.contextId, pieces[i]!, isLast)
            : this.#dataFragment(pdv.contextId, pieces[i]!, isLast);
          if (r) waits.push(r);
        }
      } catch (error) {
        const e = error instanceof DicomError ? error : new DicomError('ERR_DIMSE', String(error));
        this.close(e);
        this.#options.protocolError(e);
        return;
      }
    }
    if (waits.length === 0) return;
    return waits.length === 1 ? waits[0] : Promise.all(waits).then(() => {});
  }

  #commandFragment(contextId: number, data: Uint8Array, isLast: boolean): void | Promise<void> {
    if (this.#incoming) {
      throw new DicomError(
        'ERR_DIMSE',
        'a command fragment arrived before the previous data set was complete',
      );
    }
    if (this.#commandParts.length > 0 && contextId !== this.#commandContext) {
      throw new DicomError(
        'ERR_DIMSE',
        `command fragments on two presentation contexts (${this.#commandContext}, ${contextId})`,
      );
    }
    this.#commandContext = contextId;
    // The command set's values may be views on the PDU: its buffer is never reused.
    keepChunk(data);
    this.#commandParts.push(data);
    if (!isLast) return;
    // Command sets are seldom fragmented: one part needs no copy.
    const parts = this.#commandParts;
    const bytes = parts.length === 1 ? parts[0]! : concatParts(parts);
    this.#commandParts = [];
    const command = decodeCommand(bytes);
    if (this.#logger.debugEnabled)
      this.#logger.log('debug', `received ${describeCommand(command, contextId)}`);
    if (command.hasDataSet) {
      const stream = new DataStream(undefined, this.#options.maxDataSetSize);
      this.#incoming = { contextId, stream };
      return this.#options.message({ contextId, command, data: stream });
    }
    return this.#options.message({ contextId, command, data: undefined });
  }

  #dataFragment(contextId: number, data: Uint8Array, isLast: boolean): void | Promise<void> {
    const incoming = this.#incoming;
    if (!incoming)
      throw new DicomError('ERR_DIMSE', 'a data set fragment arrived without a command that announced one');
    if (incoming.contextId !== contextId) {
      throw new DicomError(
        'ERR_DIMSE',
        `data set fragment on context ${contextId}, its command came on ${incoming.contextId}`,
      );
    }
    const wait = data.length > 0 ? incoming.stream.push(data) : undefined;
    if (isLast) {
      this.#incoming = undefined;
      incoming.stream.end();
    }
    return wait;
  }

  /**
   * Sends one message. Resolves when every PDV is handed to the socket; messages queued by
   * several callers go out whole, one after the other. When nothing else is being sent and the
   * data is in memory and small (a command alone, a preloaded file; see WHOLE_WRITE_BYTES), the
   * PDUs are framed and handed to the DUL before this returns: a request started from a
   * response's callback (the next store of a run) then leaves in the same turn as the response
   * arrived, instead of after the promise chains of both have run. `progress` is called after
   * each write the socket made us wait for, and at the end of a message sent in several.
   */
  send(contextId: number, fields: CommandFields, data?: MessageData, progress?: () => void): Promise<void> {
    if (this.#sending === 0 && (data === undefined || isWholeWrite(data))) {
      let written: void | Promise<void>;
      try {
        written = this.#sendNow(contextId, fields, data as Uint8Array | readonly Uint8Array[] | undefined);
      } catch (error) {
        return Promise.reject(error);
      }
      if (!written) return Promise.resolve();
      return this.#chain(() => (progress ? written.then(progress) : written));
    }
    return this.#chain(async () => {
      const batch = this.#startMessage(contextId, fields, data !== undefined);
      const releasable =
        data === undefined ? undefined : await this.#sendFragments(batch, contextId, data, progress);
      await this.#flush(batch, releasable);
      progress?.();
    });
  }

  /** Runs `run` after the sends before it; `#sending` counts the ones not settled. */
  #chain(run: () => Promise<void>): Promise<void> {
    this.#sending++;
    const next = this.#sendChain.then(run, run).finally(() => {
      this.#sending--;
    });
    this.#sendChain = next.catch(() => {});
    return next;
  }

  /** The whole message framed at once and handed to the DUL (the DUL may hold it for backpressure). */
  #sendNow(
    contextId: number,
    fields: CommandFields,
    data: Uint8Array | readonly Uint8Array[] | undefined,
  ): void | Promise<void> {
    const batch = this.#startMessage(contextId, fields, data !== undefined);
    if (data !== undefined) {
      const framer = new PdvFramer(batch, this.#maxPdvData, contextId, false);
      if (data instanceof Uint8Array) framer.add(data);
      else for (const chunk of data) framer.add(chunk);
      framer.end();
    }
    const parts = batch.parts;
    if (this.#closed)
      throw new DicomError('ERR_ASSOCIATION_CLOSED', 'the association closed during a transfer');
    return this.#options.send(parts);
  }

  /**
   * A batch holding the command's PDUs. The command and the first data PDUs go out in one
   * write: a small instance is then one syscall (and one wake-up of the peer) instead of two.
   */
  #startMessage(contextId: number, fields: CommandFields, hasData: boolean): Batch {
    if (this.#closed) throw new DicomError('ERR_ASSOCIATION_CLOSED', 'the association is closed');
    const command = encodeCommand({
      ...fields,
      CommandDataSetType: hasData ? (fields.CommandDataSetType ?? DATA_SET_PRESENT) : NO_DATA_SET,
    });
    if (this.#logger.debugEnabled) {
      const shown = { ...fields, CommandDataSetType: hasData ? DATA_SET_PRESENT : NO_DATA_SET };
      this.#logger.log('debug', `sending ${describeCommand(shown, contextId)}`);
    }
    const batch: Batch = { parts: [], bytes: 0, emitted: [] };
    const framer = new PdvFramer(batch, this.#maxPdvData, contextId, true);
    framer.add(command);
    framer.end();
    return batch;
  }

  async #flush(batch: Batch, source?: ReleasableData): Promise<void> {
    if (batch.parts.length === 0) return;
    const parts = batch.parts;
    const emitted = batch.emitted;
    batch.parts = [];
    batch.bytes = 0;
    batch.emitted = [];
    if (this.#closed)
      throw new DicomError('ERR_ASSOCIATION_CLOSED', 'the association closed during a transfer');
    const written =
      source && emitted.length > 0
        ? () => {
            for (const chunk of emitted) source.release(chunk);
          }
        : undefined;
    await this.#options.send(parts, written);
  }

  /**
   * Adds the data set's PDUs to `batch`, writing whenever a streamed source has filled it
   * (`progress` called after each such write). Returns the source when its chunks are to be
   * given back (the caller's last flush does it).
   */
  async #sendFragments(
    batch: Batch,
    contextId: number,
    source: MessageData,
    progress: (() => void) | undefined,
  ): Promise<ReleasableData | undefined> {
    // Bytes already in memory (a preloaded file) go out in one write up to WHOLE_WRITE_BYTES:
    // batching them would hold nothing less in memory and cost a socket round per batch.
    const whole = isWholeWrite(source);
    const releasable = isReleasable(source) ? source : undefined;
    const framer = new PdvFramer(batch, this.#maxPdvData, contextId, false, releasable !== undefined);
    const chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array> =
      source instanceof Uint8Array ? [source] : source;
    for await (const chunk of chunks) {
      // A large chunk (a data set in memory, a pixel data value) is written in batch-sized
      // parts; a releasable source's chunks are kept whole, to be given back as they came.
      const pieces = whole || releasable || chunk.length <= BATCH_BYTES ? [chunk] : batchSized(chunk);
      for (const piece of pieces) {
        framer.add(piece);
        if (!whole && batch.bytes >= BATCH_BYTES) {
          await this.#flush(batch, releasable);
          progress?.();
        }
      }
    }
    framer.end();
    return releasable;
  }

  /** A message is partly received: a command set, or the data set it announced, is incomplete. */
  get receiving(): boolean {
    return this.#commandParts.length > 0 || this.#incoming !== undefined;
  }

  /**
   * The peer asked for release (A-RELEASE-RQ) in the middle of a message: the rest will never
   * come. Fails the data stream being received, so that its handler ends, and drops a partial
   * command set; sending goes on, since responses may still go out (PS3.8 Table 9-10, AR-7).
   */
  abandonIncoming(error: Error): void {
    this.#commandParts = [];
    this.#incoming?.stream.fail(error);
    this.#incoming = undefined;
  }

  /** Fails the data stream in flight and refuses further sends. */
  close(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    const reason = error ?? new DicomError('ERR_ASSOCIATION_CLOSED', 'the association closed');
    this.#incoming?.stream.fail(reason);
    this.#incoming = undefined;
  }
}

function isWholeWrite(data: MessageData): data is Uint8Array | readonly Uint8Array[] {
  if (data instanceof Uint8Array) return data.length <= WHOLE_WRITE_BYTES;
  if (!Array.isArray(data)) return false;
  let bytes = 0;
  for (const chunk of data as readonly Uint8Array[]) bytes += chunk.length;
  return bytes <= WHOLE_WRITE_BYTES;
}

/** A chunk cut into views of at most BATCH_BYTES each. */
function* batchSized(chunk: Uint8Array): Generator<Uint8Array> {
  for (let at = 0; at < chunk.length; at += BATCH_BYTES) yield chunk.subarray(at, at + BATCH_BYTES);
}

function isReleasable(data: MessageData): data is ReleasableData {
  return typeof (data as Partial<ReleasableData>).release === 'function' && Symbol.asyncIterator in data;
}

/**
 * Cuts a command's or data set's bytes into PDVs of at most `max` bytes, each in a P-DATA-TF
 * PDU of its own, appended to a batch (PS3.8 §9.3.5, Annex E). The last PDV carries the last
 * fragment flag.
 */
class PdvFramer {
  readonly #batch: Batch;
  readonly #max: number;
  readonly #contextId: number;
  readonly #isCommand: boolean;
  #pending: Uint8Array[] = [];
  #pendingLength = 0;
  #total = 0;
  /** Whether to note the chunks wholly emitted in `batch.emitted` (see ReleasableData). */
  readonly #track: boolean;
  /** Added chunks whose last bytes are still in `#pending`. */
  #pendingChunks: Uint8Array[] = [];

  constructor(batch: Batch, max: number, contextId: number, isCommand: boolean, track = false) {
    this.#batch = batch;
    this.#max = max;
    this.#contextId = contextId;
    this.#isCommand = isCommand;
    this.#track = track;
  }

  add(chunk: Uint8Array): void {
    this.#total += chunk.length;
    let offset = 0;
    while (offset < chunk.length) {
      if (this.#pendingLength === this.#max) this.#emit(false);
      const take = Math.min(this.#max - this.#pendingLength, chunk.length - offset);
      this.#pending.push(
        offset === 0 && take === chunk.length ? chunk : chunk.subarray(offset, offset + take),
      );
      this.#pendingLength += take;
      offset += take;
    }
    // Its tail is pending (a PDV not yet full): it is emitted whole only with that PDV.
    if (this.#track) this.#pendingChunks.push(chunk);
  }

  end(): void {
    // Messages are of even length; a deflated data set (PS3.5 §A.5) or a damaged file may not
    // be, and DCMTK aborts on an odd fragment: pad with one NUL, as the standard allows for deflate.
    if (this.#total % 2 === 1) {
      if (this.#pendingLength === this.#max) this.#emit(false);
      this.#pending.push(new Uint8Array(1));
      this.#pendingLength += 1;
    }
    this.#emit(true);
  }

  #emit(isLast: boolean): void {
    const length = this.#pendingLength;
    this.#batch.parts.push(
      encodePDataHeader(length, this.#contextId, this.#isCommand, isLast),
      ...this.#pending,
    );
    this.#batch.bytes += length + 12;
    this.#pending = [];
    this.#pendingLength = 0;
    if (this.#pendingChunks.length > 0) {
      this.#batch.emitted.push(...this.#pendingChunks);
      this.#pendingChunks = [];
    }
  }
}
