import type { Socket } from 'node:net';
import { DicomError } from '../../core/index.ts';
import {
  decodePDataParts,
  decodePdu,
  encodePdu,
  PDU_TYPE,
  type Pdu,
  PduError,
  readPduHeader,
} from '../pdu/index.ts';
import { isRecyclableRead, recycleRead } from './owned-reads.ts';
import { ReceiveBuffers, releaseChunk } from './receive-buffers.ts';

/** What the reader hands up: a decoded PDU, or the error that made the byte stream unusable. */
export interface PduSocketHandlers {
  /** A whole PDU arrived. A returned promise pauses reading until it settles (backpressure). */
  pdu(pdu: Pdu, length: number): void | Promise<void>;
  /** Bytes that are not a valid PDU (PS3.8 Evt19); reading stops. */
  invalid(error: PduError): void;
  /** The connection closed or failed (PS3.8 Evt17). Called once. */
  closed(error?: Error): void;
}

export interface PduSocketOptions {
  /**
   * The largest PDU accepted, header excluded. P-DATA-TF PDUs are bounded by the maximum
   * length we advertise; the others by this too, which keeps a hostile length field from
   * making us buffer gigabytes.
   */
  maxPduLength: number;
}

const HEADER = 6;
/** Largest P-DATA-TF decoded in place across socket reads; larger ones are gathered. */
const MAX_PDU_IN_PIECES = 256 * 1024;
/** Largest non-P-DATA PDU accepted: 128 contexts of many syntaxes fit easily. */
const OTHER_PDU_LIMIT = 1 << 20;

/**
 * PDU framing over a TCP or TLS socket (PS3.8 §9.3.1: 6-byte header, big-endian length).
 * Incoming bytes are cut into whole PDUs; while the consumer is busy with one, the socket is
 * paused so TCP flow control slows the peer down instead of our buffers growing. Writes
 * wait for `drain` when the kernel buffer is full.
 */
export class PduSocket {
  readonly socket: Socket;
  readonly #handlers: PduSocketHandlers;
  readonly #maxPduLength: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #busy = false;
  #stopped = false;
  #closed = false;
  #drainWaiters: (() => void)[] = [];
  #closePending = false;
  #closeError: Error | undefined;
  /**
   * For each read buffer of ours (ownedReads) that can still be given back: where its bytes
   * end. The piece ending there, once copied, is its last; a view taken of any piece
   * (decoding in place) removes the entry, and the buffer is left to the garbage collector.
   */
  readonly #readEnds = new WeakMap<ArrayBufferLike, number>();
  /** Where P-DATA-TF PDUs longer than a socket read are gathered (see receive-buffers.ts). */
  readonly #receiveBuffers: ReceiveBuffers;
  bytesReceived = 0;
  bytesSent = 0;

  constructor(socket: Socket, handlers: PduSocketHandlers, options: PduSocketOptions) {
    this.socket = socket;
    this.#handlers = handlers;
    this.#maxPduLength = options.maxPduLength;
    this.#receiveBuffers = new ReceiveBuffers(options.maxPduLength + HEADER);
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('drain', () => this.#releaseDrainWaiters());
    socket.on('error', (error) => this.#onClose(error));
    socket.on('close', () => this.#onClose());
    // A half-closed peer gets our close in return: DICOM has no use for half-open sockets.
    socket.on('end', () => socket.end());
  }

  get remoteAddress(): string {
    return this.socket.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.socket.remotePort ?? 0;
  }

  get closed(): boolean {
    return this.#closed || this.#closePending;
  }

  #onData(chunk: Buffer): void {
    // Plain Uint8Array views: Buffer#slice shares memory, and our code expects copies from slice().
    this.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length));
  }

  /**
   * Bytes read from the socket, for a socket made with `onread` (see ownedReads), which emits
   * no 'data' events. The chunk must not change afterwards.
   */
  receive(chunk: Uint8Array): void {
    if (this.#stopped) return;
    this.bytesReceived += chunk.length;
    if (isRecyclableRead(chunk)) this.#readEnds.set(chunk.buffer, chunk.byteOffset + chunk.length);
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    if (!this.#busy) this.#drainInput();
  }

  /** Hands up every whole PDU buffered, pausing at the first consumer that is busy. */
  #drainInput(): void {
    while (!this.#stopped) {
      const head = this.#peek(HEADER);
      if (!head) break;
      const header = readPduHeader(head)!;
      if (header.type < PDU_TYPE.ASSOCIATE_RQ || header.type > PDU_TYPE.ABORT) {
        this.#fail(new PduError(`unrecognised PDU type 0x${header.type.toString(16).padStart(2, '0')}`, 1));
        return;
      }
      // The advertised maximum bounds P-DATA-TF (PS3.8 §9.3.5 / D.1); an A-ASSOCIATE-RQ with
      // many contexts may be longer, so other PDUs get a fixed cap against hostile lengths.
      const limit =
        header.type === PDU_TYPE.P_DATA_TF
          ? this.#maxPduLength
          : Math.max(this.#maxPduLength, OTHER_PDU_LIMIT);
      if (header.length > limit) {
        this.#fail(
          new PduError(
            `PDU of ${header.length} bytes exceeds the maximum of ${limit} (type 0x${header.type.toString(16).padStart(2, '0')})`,
            6,
          ),
        );
        return;
      }
      const total = HEADER + header.length;
      if (this.#buffered < total) break;
      let pdu: Pdu;
      // A pooled buffer the PDU was gathered into: held until the PDU has been handed up.
      let gathered: Uint8Array | undefined;
      try {
        // A P-DATA-TF across several socket reads is decoded where it lies (a 128 KB PDU read
        // 64 KB at a time was copied whole, doubling what the garbage collector frees). Larger
        // PDUs are still gathered: with 1 MiB PDUs held as pieces, the 1 GiB C-STORE test saw
        // RSS peaks of 67-70 MB (limit 64) in 3 of ~15 runs under load, with copies none.
        // The copies go into pooled buffers, used again once the data has been written.
        if (header.type !== PDU_TYPE.P_DATA_TF || this.#chunks[0]!.length >= total) {
          pdu = decodePdu(this.#take(total));
        } else if (total <= MAX_PDU_IN_PIECES) {
          pdu = decodePDataParts(this.#takeParts(total));
        } else {
          gathered = this.#gather(total, true, this.#receiveBuffers.take(total));
          pdu = decodePdu(gathered);
        }
      } catch (error) {
        this.#fail(error instanceof PduError ? error : new PduError(String((error as Error).message), 6));
        return;
      }
      let pending: void | Promise<void>;
      try {
        pending = this.#handlers.pdu(pdu, total);
      } catch (error) {
        this.destroy(error as Error);
        return;
      }
      if (pending) {
        this.#busy = true;
        this.socket.pause();
        pending.then(
          () => {
            if (gathered) releaseChunk(gathered);
            this.#resume();
          },
          (error: unknown) => this.destroy(error as Error),
        );
        return;
      }
      if (gathered) releaseChunk(gathered);
    }
  }

  #resume(): void {
    this.#busy = false;
    if (this.#stopped) return;
    this.#drainInput();
    if (this.#busy) return;
    // PDUs that arrived before the peer closed are delivered before the close itself, so an
    // A-ABORT followed by FIN is seen as the abort it is.
    if (this.#closePending) this.#finishClose(this.#closeError);
    else this.socket.resume();
  }

  #fail(error: PduError): void {
    this.#stopped = true;
    this.#chunks = [];
    this.#buffered = 0;
    this.#handlers.invalid(error);
  }

  /** The first `n` bytes without consuming them, or undefined if fewer are buffered. */
  #peek(n: number): Uint8Array | undefined {
    if (this.#buffered < n) return undefined;
    const first = this.#chunks[0]!;
    if (first.length >= n) return first.subarray(0, n);
    return this.#gather(n, false);
  }

  #take(n: number): Uint8Array {
    const first = this.#chunks[0]!;
    if (first.length >= n) {
      this.#readEnds.delete(first.buffer);
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      this.#buffered -= n;
      return out;
    }
    return this.#gather(n, true);
  }

  /** Consumes `n` bytes as views on the buffered chunks, without copying. */
  #takeParts(n: number): Uint8Array[] {
    const parts: Uint8Array[] = [];
    let needed = n;
    while (needed > 0) {
      const chunk = this.#chunks[0]!;
      this.#readEnds.delete(chunk.buffer);
      if (chunk.length <= needed) {
        parts.push(chunk);
        needed -= chunk.length;
        this.#chunks.shift();
      } else {
        parts.push(chunk.subarray(0, needed));
        this.#chunks[0] = chunk.subarray(needed);
        needed = 0;
      }
    }
    this.#buffered -= n;
    return parts;
  }

  #gather(n: number, consume: boolean, out: Uint8Array = new Uint8Array(n)): Uint8Array {
    let filled = 0;
    let index = 0;
    while (filled < n) {
      const chunk = this.#chunks[index]!;
      const need = n - filled;
      if (chunk.length <= need) {
        out.set(chunk, filled);
        filled += chunk.length;
        index++;
        if (consume && this.#readEnds.get(chunk.buffer) === chunk.byteOffset + chunk.length) {
          this.#readEnds.delete(chunk.buffer);
          recycleRead(chunk);
        }
      } else {
        out.set(chunk.subarray(0, need), filled);
        filled += need;
        if (consume) this.#chunks[index] = chunk.subarray(need);
      }
    }
    if (consume) {
      this.#chunks.splice(0, index);
      this.#buffered -= n;
    }
    return out;
  }

  /** Encodes and writes a PDU; resolves once the socket can take more. */
  send(pdu: Pdu): Promise<void> {
    return this.write([encodePdu(pdu)]);
  }

  /** Whether bytes written are still queued in Node (not yet handed to the kernel). */
  get writesPending(): boolean {
    return this.socket.writableLength > 0;
  }

  /**
   * Writes raw PDU bytes (several parts of one or more PDUs) as one batch. `written` is
   * called once the socket is done with every part (handed to the kernel), so that their
   * memory can be used again; not if the write fails.
   */
  write(parts: readonly Uint8Array[], written?: () => void): Promise<void> {
    if (this.#closed || this.socket.destroyed) {
      return Promise.reject(new DicomError('ERR_ASSOCIATION_CLOSED', 'the connection is closed'));
    }
    let ok = true;
    if (parts.length > 1) this.socket.cork();
    const last = parts.length - 1;
    for (let i = 0; i <= last; i++) {
      const part = parts[i]!;
      // Writes complete in order: the last one's callback covers them all.
      ok =
        i === last && written
          ? this.socket.write(part, (error) => {
              if (!error) written();
            })
          : this.socket.write(part);
      this.bytesSent += part.length;
    }
    if (parts.length > 1) this.socket.uncork();
    if (ok) return Promise.resolve();
    return new Promise((resolve) => this.#drainWaiters.push(resolve));
  }

  #releaseDrainWaiters(): void {
    const waiters = this.#drainWaiters;
    this.#drainWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** Graceful close: our FIN after pending writes. */
  close(): void {
    if (!this.socket.destroyed) this.socket.end();
    // A peer that never answers our FIN must not keep the socket forever.
    setTimeout(() => this.socket.destroy(), 2000).unref();
  }

  destroy(error?: Error): void {
    this.#stopped = true;
    this.socket.destroy();
    this.#finishClose(error);
  }

  #onClose(error?: Error): void {
    if (this.#closed || this.#closePending) return;
    if (this.#busy && !this.#stopped) {
      this.#closePending = true;
      this.#closeError = error;
      return;
    }
    this.#finishClose(error);
  }

  #finishClose(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#stopped = true;
    this.#releaseDrainWaiters();
    this.#handlers.closed(error);
  }
}
