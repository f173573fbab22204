// A DICOM Upper Layer peer that speaks raw bytes over node:net, for fault tests: it writes
// whatever it is told (valid PDUs, half PDUs, garbage) and reads back what the other side
// sends, PDU by PDU, with bounded waits. Everything listens and connects on 127.0.0.1.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { encodeCommand } from '../../src/net/dimse/index.ts';
import {
  type AssociateAc,
  type AssociateRq,
  DICOM_APPLICATION_CONTEXT,
  decodePdu,
  encodePdu,
  type Pdu,
  type PresentationContextAc,
  readPduHeader,
} from '../../src/net/pdu/index.ts';

/** One PDU as it came off the wire: header fields, the raw bytes, and the decoded form if it decodes. */
export interface RawPdu {
  type: number;
  length: number;
  bytes: Uint8Array;
  pdu: Pdu | undefined;
}

/** One end of a TCP connection driven by the test. Half-open is allowed, so FINs can be observed. */
export class RawPeer {
  readonly socket: Socket;
  #buffer: Buffer = Buffer.alloc(0);
  #ended = false;
  #closed = false;
  #waiters = new Set<() => void>();
  /** A socket error (ECONNRESET when the other side destroyed the connection). */
  error: Error | undefined;
  /** Every byte received, in order. */
  bytesReceived = 0;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.bytesReceived += chunk.length;
      this.#buffer = this.#buffer.length === 0 ? chunk : Buffer.concat([this.#buffer, chunk]);
      this.#wake();
    });
    socket.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    socket.on('error', (error) => {
      this.error = error;
    });
    socket.on('close', () => {
      this.#closed = true;
      this.#wake();
    });
  }

  static connect(port: number, timeoutMs = 5000): Promise<RawPeer> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`raw peer: no connection to port ${port} within ${timeoutMs} ms`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        socket.setNoDelay(true);
        resolve(new RawPeer(socket));
      });
      socket.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
    });
  }

  /** The other side sent FIN, or the connection is gone. */
  get peerClosed(): boolean {
    return this.#ended || this.#closed;
  }

  /** Bytes received and not yet taken by nextPdu(). */
  get pending(): Uint8Array {
    return this.#buffer;
  }

  /** Writes bytes; resolves once node has handed them to the kernel (or rejects on error). */
  write(bytes: Uint8Array): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.socket.destroyed || this.socket.writableEnded) {
        reject(new Error('raw peer: socket no longer writable'));
        return;
      }
      this.socket.write(bytes, (error) => (error ? reject(error) : resolve()));
    });
  }

  send(pdu: Pdu): Promise<void> {
    return this.write(encodePdu(pdu));
  }

  /** Half-close: our FIN. */
  end(): void {
    if (!this.socket.destroyed) this.socket.end();
  }

  destroy(): void {
    this.socket.destroy();
  }

  /**
   * The next whole PDU, or undefined when the other side closed before sending one. Rejects
   * when nothing (complete) arrives within `timeoutMs`.
   */
  async nextPdu(timeoutMs: number): Promise<RawPdu | undefined> {
    await this.#waitFor(
      () => this.#wholePduBuffered() || this.peerClosed,
      timeoutMs,
      'a PDU from the other side',
    );
    if (!this.#wholePduBuffered()) return undefined;
    const header = readPduHeader(this.#buffer)!;
    const total = 6 + header.length;
    const bytes = new Uint8Array(this.#buffer.subarray(0, total));
    this.#buffer = this.#buffer.subarray(total);
    let pdu: Pdu | undefined;
    try {
      pdu = decodePdu(bytes);
    } catch {
      pdu = undefined;
    }
    return { type: header.type, length: header.length, bytes, pdu };
  }

  /** The next PDU, which must be there. */
  async expectPdu(timeoutMs: number): Promise<RawPdu> {
    const got = await this.nextPdu(timeoutMs);
    if (!got) throw new Error('raw peer: the other side closed the connection instead of sending a PDU');
    return got;
  }

  /** Resolves with the milliseconds waited once the other side has closed (FIN or reset). */
  async waitClosed(timeoutMs: number): Promise<number> {
    const start = performance.now();
    await this.#waitFor(() => this.peerClosed, timeoutMs, 'the other side to close the connection');
    return performance.now() - start;
  }

  #wholePduBuffered(): boolean {
    const header = readPduHeader(this.#buffer);
    return header !== undefined && this.#buffer.length >= 6 + header.length;
  }

  #wake(): void {
    for (const w of [...this.#waiters]) w();
  }

  #waitFor(ready: () => boolean, timeoutMs: number, what: string): Promise<void> {
    if (ready()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const check = (): void => {
        if (!ready()) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`raw peer: waited ${timeoutMs} ms for ${what}`));
      }, timeoutMs);
      this.#waiters.add(check);
    });
  }
}

/** A TCP listener on 127.0.0.1 that hands each accepted connection to the test as a RawPeer. */
export interface RawAcceptor {
  port: number;
  peers: RawPeer[];
  /** Resolves with the next connection accepted (or one accepted already and not yet taken). */
  nextPeer(timeoutMs: number): Promise<RawPeer>;
  close(): Promise<void>;
}

export async function rawAcceptor(): Promise<RawAcceptor> {
  const peers: RawPeer[] = [];
  const queue: RawPeer[] = [];
  let waiter: ((peer: RawPeer) => void) | undefined;
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.setNoDelay(true);
    const peer = new RawPeer(socket);
    peers.push(peer);
    if (waiter) {
      const w = waiter;
      waiter = undefined;
      w(peer);
    } else queue.push(peer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    peers,
    nextPeer(timeoutMs) {
      const queued = queue.shift();
      if (queued) return Promise.resolve(queued);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiter = undefined;
          reject(new Error(`raw acceptor: no connection within ${timeoutMs} ms`));
        }, timeoutMs);
        waiter = (peer) => {
          clearTimeout(timer);
          resolve(peer);
        };
      });
    },
    close() {
      for (const p of peers) p.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

/** A well-formed A-ASSOCIATE-RQ proposing Verification (context 1) and whatever else is given. */
export function associateRq(
  options: {
    calledAeTitle?: string;
    callingAeTitle?: string;
    applicationContext?: string;
    protocolVersion?: number;
    maxPduLength?: number;
    contexts?: { id: number; abstractSyntax: string; transferSyntaxes: string[] }[];
    /** null leaves the Implementation Class UID item out (PS3.7 §D.3.3.2 makes it mandatory). */
    implementationClassUid?: string | null;
  } = {},
): AssociateRq {
  return {
    type: 'A-ASSOCIATE-RQ',
    protocolVersion: options.protocolVersion ?? 1,
    calledAeTitle: options.calledAeTitle ?? 'ANY-SCP',
    callingAeTitle: options.callingAeTitle ?? 'RAWPEER',
    applicationContext: options.applicationContext ?? DICOM_APPLICATION_CONTEXT,
    presentationContexts: options.contexts ?? [
      { id: 1, abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] },
    ],
    userInformation: {
      maxPduLength: options.maxPduLength ?? 16384,
      ...(options.implementationClassUid === null
        ? {}
        : { implementationClassUid: options.implementationClassUid ?? '1.2.826.0.1.3680043.10.1234.1' }),
      implementationVersionName: 'RAWPEER',
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    },
  };
}

/** A well-formed A-ASSOCIATE-AC accepting the given contexts (default: context 1, Implicit VR LE). */
export function associateAc(
  options: { calledAeTitle?: string; callingAeTitle?: string; contexts?: PresentationContextAc[] } = {},
): AssociateAc {
  return {
    type: 'A-ASSOCIATE-AC',
    protocolVersion: 1,
    calledAeTitle: options.calledAeTitle ?? 'ANY-SCP',
    callingAeTitle: options.callingAeTitle ?? 'RAWPEER',
    applicationContext: DICOM_APPLICATION_CONTEXT,
    presentationContexts: options.contexts ?? [{ id: 1, result: 0, transferSyntax: '1.2.840.10008.1.2' }],
    userInformation: {
      maxPduLength: 16384,
      implementationClassUid: '1.2.826.0.1.3680043.10.1234.1',
      implementationVersionName: 'RAWPEER',
      roleSelections: [],
      extendedNegotiations: [],
      commonExtendedNegotiations: [],
      unknownItems: [],
    },
  };
}

/** A P-DATA-TF with one PDV. */
export function pData(contextId: number, isCommand: boolean, isLast: boolean, data: Uint8Array): Uint8Array {
  return encodePdu({ type: 'P-DATA-TF', pdvs: [{ contextId, isCommand, isLast, data }] });
}

/** A P-DATA-TF holding a whole command set (one last command fragment). */
export function commandPData(contextId: number, fields: Parameters<typeof encodeCommand>[0]): Uint8Array {
  return pData(contextId, true, true, encodeCommand(fields));
}

/** Deterministic pseudo-random bytes (xorshift32), so a failing garbage case can be replayed. */
export function pseudoRandomBytes(length: number, seed: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `ready` every 10 ms; rejects after `timeoutMs`. */
export async function eventually(ready: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await ready()) return;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await delay(10);
  }
}

/** `promise`, or a rejection naming `what` after `ms`. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
