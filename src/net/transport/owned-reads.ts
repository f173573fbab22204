import type { OnReadOpts } from 'node:net';

/** Node's own read size for a socket. */
const READ_SIZE = 64 * 1024;
/** Reads at least this long keep their buffer (no copy); shorter ones are copied out of it. */
const HAND_OVER = 16 * 1024;

/**
 * Socket reads into buffers of our own (`net.connect`'s `onread`, requestor side). Left to
 * itself Node allocates a fresh 64 KiB buffer for every read, even for the ~120 bytes of a
 * C-STORE response, and the garbage collector then frees them in bulk. Here a short read is
 * copied out of one reused buffer into a buffer of its own size, and a long one is handed on
 * whole while a new buffer takes its place, so nothing delivered is ever overwritten.
 */
export function ownedReads(deliver: (chunk: Uint8Array) => void): OnReadOpts {
  let buffer = Buffer.allocUnsafe(READ_SIZE);
  return {
    buffer: () => buffer,
    callback: (length, filled) => {
      if (length >= HAND_OVER) {
        deliver(new Uint8Array(filled.buffer, filled.byteOffset, length));
        buffer = Buffer.allocUnsafe(READ_SIZE);
      } else {
        // A plain Uint8Array copy: filled.slice() would make a Buffer, whose subarray() (Node's
        // JavaScript, a Buffer each time) then runs for every view the PDU reader takes.
        deliver(new Uint8Array(filled.buffer, filled.byteOffset, length).slice());
      }
      return true;
    },
  };
}
