/**
 * Buffers that P-DATA-TF PDUs longer than a socket read are gathered into, used again once
 * every view on them is released.
 *
 * A PDU of the default 256 KiB arrives in several 64 KiB socket reads and is copied into one
 * buffer before decoding. Left to the garbage collector, a 1 GiB C-STORE makes 4,096 such
 * buffers, and V8 frees them only at its next full collection: on Node 24 the receiving SCP
 * grew by ~77 MB, half of it these copies.
 *
 * Reuse must never overwrite bytes someone still reads, so a buffer is counted: the socket
 * holds it while the PDU is handed up, a DataStream for each data fragment it queues, a
 * consumer for as long as it needs a chunk. A consumer that does not release (a handler
 * keeping chunks, the identifier of a C-FIND) simply leaves the buffer to the garbage
 * collector, as before. A buffer that anything else takes views of (a command set, a
 * listener of received PDUs) is marked kept and never comes back.
 */

interface Lease {
  readonly buffers: ReceiveBuffers;
  readonly whole: Uint8Array;
  holds: number;
  kept: boolean;
}

const leases = new WeakMap<ArrayBufferLike, Lease>();

/** Gather buffers made and reused so far (for tests and diagnostics). */
export const gatherBufferCounts = { made: 0, reused: 0 };

export class ReceiveBuffers {
  readonly #capacity: number;
  readonly #maxFree: number;
  readonly #free: Uint8Array[] = [];

  /**
   * `capacity`: the largest gather served from the pool (a P-DATA-TF of the maximum length we
   * advertise, header included); `keepBytes`: how much is kept free for reuse at most.
   */
  constructor(capacity: number, keepBytes = 4 * 1024 * 1024) {
    this.#capacity = capacity;
    this.#maxFree = Math.max(1, Math.floor(keepBytes / capacity));
  }

  /**
   * `n` bytes to gather into, held once by the caller: release it with `releaseChunk` after
   * handing the decoded PDU on. Larger requests get a plain buffer, never reused.
   */
  take(n: number): Uint8Array {
    if (n > this.#capacity) return new Uint8Array(n);
    let whole = this.#free.pop();
    if (whole) gatherBufferCounts.reused++;
    else {
      gatherBufferCounts.made++;
      whole = new Uint8Array(this.#capacity);
    }
    leases.set(whole.buffer, { buffers: this, whole, holds: 1, kept: false });
    return whole.subarray(0, n);
  }

  giveBack(whole: Uint8Array): void {
    if (this.#free.length < this.#maxFree) this.#free.push(whole);
  }
}

/** One more holder of the buffer under `view`, if it is a pooled one. */
export function holdChunk(view: Uint8Array): void {
  const lease = leases.get(view.buffer);
  if (lease) lease.holds++;
}

/** A holder is done with the buffer under `view`; the last one gives it back. */
export function releaseChunk(view: Uint8Array): void {
  const lease = leases.get(view.buffer);
  if (!lease) return;
  lease.holds--;
  if (lease.holds > 0) return;
  leases.delete(view.buffer);
  if (!lease.kept) lease.buffers.giveBack(lease.whole);
}

/** The buffer under `view` is referred to by something that never releases: never reuse it. */
export function keepChunk(view: Uint8Array): void {
  const lease = leases.get(view.buffer);
  if (lease) lease.kept = true;
}
