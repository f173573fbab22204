import { type OnReadOpts, Socket, type SocketConstructorOpts } from 'node:net';

/** Node's own read size for a socket. */
const READ_SIZE = 64 * 1024;
/** Reads at least this long keep their buffer (no copy); shorter ones are copied out of it. */
const HAND_OVER = 16 * 1024;

/** Read buffers handed over and given back once wholly copied (see `recycleRead`). */
const spareReads: Uint8Array[] = [];
const MAX_SPARE_READS = 32;
/** The buffers `readBuffer` made: the only ones `recycleRead` takes. */
const readBuffers = new WeakSet<ArrayBufferLike>();

/** Read buffers made and reused so far (for tests and diagnostics). */
export const readBufferCounts = { made: 0, reused: 0 };

function readBuffer(): Uint8Array {
  const spare = spareReads.pop();
  if (spare) {
    readBufferCounts.reused++;
    return spare;
  }
  readBufferCounts.made++;
  const buffer = new Uint8Array(READ_SIZE);
  readBuffers.add(buffer.buffer);
  return buffer;
}

/** Whether `chunk` was delivered in a read buffer that `recycleRead` can take back. */
export function isRecyclableRead(chunk: Uint8Array): boolean {
  return readBuffers.has(chunk.buffer);
}

/**
 * Gives back the read buffer under `chunk`, whose every byte has been copied and of which
 * no view is left anywhere: the next hand-over reads into it. Give each buffer back once.
 */
export function recycleRead(chunk: Uint8Array): void {
  if (readBuffers.has(chunk.buffer) && spareReads.length < MAX_SPARE_READS) {
    spareReads.push(new Uint8Array(chunk.buffer));
  }
}

/**
 * Socket reads into buffers of our own (`net.connect`'s `onread`, requestor side). Left to
 * itself Node allocates a fresh 64 KiB buffer for every read, even for the ~120 bytes of a
 * C-STORE response, and the garbage collector then frees them in bulk. Here a short read is
 * copied out of one reused buffer into a buffer of its own size, and a long one is handed on
 * whole while another buffer takes its place, so nothing delivered is ever overwritten: a
 * reader that copies a long read out entirely may give its buffer back (`recycleRead`).
 */
export function ownedReads(deliver: (chunk: Uint8Array) => void): OnReadOpts {
  let buffer = readBuffer();
  return {
    buffer: () => buffer,
    callback: (length, filled) => {
      if (length >= HAND_OVER) {
        deliver(new Uint8Array(filled.buffer, filled.byteOffset, length));
        buffer = readBuffer();
      } else {
        // A plain Uint8Array copy: filled.slice() would make a Buffer, whose subarray() (Node's
        // JavaScript, a Buffer each time) then runs for every view the PDU reader takes.
        deliver(new Uint8Array(filled.buffer, filled.byteOffset, length).slice());
      }
      return true;
    },
  };
}

/**
 * The connection of a socket a `net.Server` accepted, re-made with `onread` (ownedReads):
 * `net.Server` takes no `onread` for the sockets it makes, so the accepted socket's handle
 * is moved to a new socket that has one. The server must be made with `pauseOnConnect`, so
 * that the first socket never read. This reaches into Node's `_handle`; where that is not as
 * expected, the accepted socket is returned as it is and reads stay Node's.
 */
export function withOwnedReads(accepted: Socket, deliver: (chunk: Uint8Array) => void): Socket {
  const holder = accepted as unknown as { _handle?: { useUserBuffer?: unknown } | null };
  const handle = holder._handle;
  if (!handle || typeof handle.useUserBuffer !== 'function' || accepted.readableFlowing === true) {
    return accepted;
  }
  let socket: Socket;
  try {
    socket = new Socket({
      handle,
      onread: ownedReads(deliver),
      readable: true,
      writable: true,
    } as SocketConstructorOpts);
  } catch {
    return accepted;
  }
  // The first socket lets go of the handle; destroying it then closes nothing.
  holder._handle = null;
  accepted.destroy();
  return socket;
}
