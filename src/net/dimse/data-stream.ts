import { DicomError } from '../../core/index.ts';
import { concatParts } from '../../object/index.ts';
import { holdChunk, releaseChunk } from '../transport/receive-buffers.ts';

/**
 * The data set of a DIMSE message as it arrives: an async iterable of byte chunks with a
 * bounded buffer. When the consumer falls behind, `push` returns a promise and the network
 * reader waits on it, so a slow disk slows the peer down through TCP instead of filling memory.
 */
export class DataStream implements AsyncIterable<Uint8Array> {
  readonly #highWaterMark: number;
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  #ended = false;
  #error: Error | undefined;
  #discarding = false;
  #iterating = false;
  #consumerWake: (() => void) | undefined;
  #producerWake: (() => void) | undefined;
  #producerWait: Promise<void> | undefined;
  #doneWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Bytes pushed so far. */
  received = 0;
  readonly #limit: number;
  /** Set once more than the limit arrived: readers get it, the rest is received and dropped. */
  #tooLarge: DicomError | undefined;

  /**
   * `limit`: the most bytes a reader is given. A data set larger than that is still received
   * to its end (the peer sends it whatever we do; DIMSE answers after the whole request), but
   * dropped, and reading fails with ERR_VALUE_TOO_LARGE.
   */
  constructor(highWaterMark = 4 * 1024 * 1024, limit = Number.POSITIVE_INFINITY) {
    this.#highWaterMark = highWaterMark;
    this.#limit = limit;
  }

  /** Whether more than the limit arrived. */
  get tooLarge(): boolean {
    return this.#tooLarge !== undefined;
  }

  get ended(): boolean {
    return this.#ended;
  }

  /** Adds a chunk; returns a promise when the buffer is over its mark. */
  push(chunk: Uint8Array): void | Promise<void> {
    if (this.#ended) throw new DicomError('ERR_DIMSE', 'data after the last fragment of a data set');
    this.received += chunk.length;
    if (this.received > this.#limit && !this.#tooLarge) {
      this.#tooLarge = new DicomError(
        'ERR_VALUE_TOO_LARGE',
        `the data set is larger than the ${this.#limit} bytes this SCP accepts`,
      );
      this.discard();
      this.#wakeConsumer();
    }
    if (this.#discarding) return;
    holdChunk(chunk);
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    this.#wakeConsumer();
    if (this.#buffered <= this.#highWaterMark) return;
    // One wait for all the pushes made while over the mark (several pieces of one PDU).
    this.#producerWait ??= new Promise<void>((resolve) => {
      this.#producerWake = resolve;
    });
    return this.#producerWait;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wakeConsumer();
    this.#settleDone();
  }

  /** Ends the stream with an error (the association went away mid-transfer). */
  fail(error: Error): void {
    if (this.#ended) return;
    this.#error = error;
    this.#ended = true;
    this.#wakeConsumer();
    this.#wakeProducer();
    this.#settleDone();
  }

  /** Drops what is buffered and whatever still arrives; the consumer is not interested. */
  discard(): void {
    this.#discarding = true;
    for (const chunk of this.#chunks) releaseChunk(chunk);
    this.#chunks = [];
    this.#buffered = 0;
    this.#wakeProducer();
  }

  /**
   * Says that a chunk this stream gave out is no longer read or referred to (written to a
   * file, say), so that the receive buffer under it can be used again. Optional: a chunk
   * never released is left to the garbage collector. Release each chunk once, and only
   * after the last use of any view on it.
   */
  release(chunk: Uint8Array): void {
    releaseChunk(chunk);
  }

  /** One more release owed for a chunk given out: for a second user of it (see `release`). */
  hold(chunk: Uint8Array): void {
    holdChunk(chunk);
  }

  /** Resolves when the last fragment has arrived (rejects if the association failed first). */
  whenEnded(): Promise<void> {
    if (this.#ended) return this.#error ? Promise.reject(this.#error) : Promise.resolve();
    return new Promise((resolve, reject) => this.#doneWaiters.push({ resolve, reject }));
  }

  /**
   * Takes chunks until the stream ends or more than `limit` bytes were taken: `complete` says
   * which. Lets a writer handle a small data set in one go and stream a large one; reading
   * can go on with the async iterator afterwards.
   */
  async collect(limit: number): Promise<{ chunks: Uint8Array[]; bytes: number; complete: boolean }> {
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for (;;) {
      if (this.#tooLarge) throw this.#tooLarge;
      while (this.#chunks.length > 0) {
        const chunk = this.#chunks.shift()!;
        this.#buffered -= chunk.length;
        chunks.push(chunk);
        bytes += chunk.length;
        if (this.#buffered <= this.#highWaterMark / 2) this.#wakeProducer();
        if (bytes > limit) return { chunks, bytes, complete: false };
      }
      if (this.#error) throw this.#error;
      if (this.#ended) return { chunks, bytes, complete: true };
      await new Promise<void>((resolve) => {
        this.#consumerWake = resolve;
      });
    }
  }

  /** The whole data set in one buffer: for identifiers and other small data sets. */
  async bytes(): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    for await (const chunk of this) parts.push(chunk);
    return parts.length === 1 ? parts[0]! : concatParts(parts);
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    if (this.#iterating) throw new DicomError('ERR_DIMSE', 'a data stream can be read only once');
    this.#iterating = true;
    try {
      while (true) {
        if (this.#tooLarge) throw this.#tooLarge;
        if (this.#chunks.length > 0) {
          const chunk = this.#chunks.shift()!;
          this.#buffered -= chunk.length;
          if (this.#buffered <= this.#highWaterMark / 2) this.#wakeProducer();
          yield chunk;
          continue;
        }
        if (this.#error) throw this.#error;
        if (this.#ended) return;
        await new Promise<void>((resolve) => {
          this.#consumerWake = resolve;
        });
      }
    } finally {
      // A consumer that stops early must not stall the association.
      if (!this.#ended || this.#chunks.length > 0) this.discard();
    }
  }

  #wakeConsumer(): void {
    const wake = this.#consumerWake;
    this.#consumerWake = undefined;
    wake?.();
  }

  #wakeProducer(): void {
    const wake = this.#producerWake;
    this.#producerWake = undefined;
    this.#producerWait = undefined;
    wake?.();
  }

  #settleDone(): void {
    const waiters = this.#doneWaiters;
    this.#doneWaiters = [];
    for (const w of waiters) {
      if (this.#error) w.reject(this.#error);
      else w.resolve();
    }
  }
}
