import { connect as netConnect, type Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { DicomError, type Logger, SILENT_LOGGER } from '../../core/index.ts';
import { type DulEvent, type Effect, type State, step } from '../dul/index.ts';
import {
  type Abort,
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  describePdu,
  type PDataTf,
  type Pdu,
  PduError,
} from '../pdu/index.ts';
import { nodeTls, ownedReads, PduSocket, withOwnedReads } from '../transport/index.ts';

export interface UpperLayerTimeouts {
  /** TCP (and TLS) connection set-up, requestor side. Default 30 s. */
  connect?: number;
  /** Waiting for A-ASSOCIATE-AC/RJ or A-RELEASE-RP. Default 30 s. */
  acse?: number;
  /** ARTIM (PS3.8 §9.1.5): an accepted connection that sends no A-ASSOCIATE-RQ, and closing. Default 30 s. */
  artim?: number;
  /**
   * No bytes either way for this long on an established association: abort, unless the user
   * says work is under way (`UpperLayerUser.idleExpired`). Default none.
   */
  idle?: number;
}

/** Why an association ended, as the service user sees it. */
export interface AbortInfo {
  /** 'peer': an A-ABORT PDU arrived; 'provider': the connection failed or the bytes were bad; 'local': we aborted. */
  by: 'peer' | 'provider' | 'local';
  source?: number;
  reason?: number;
  message: string;
}

/** The service user above the DUL: these are the indications and confirmations of PS3.8 §7. */
export interface UpperLayerUser {
  associateIndication?(rq: AssociateRq): void;
  associateConfirmAccept?(ac: AssociateAc): void;
  associateConfirmReject?(rj: AssociateRj): void;
  /** Returning a promise holds further input until it settles. */
  pData(pdu: PDataTf): void | Promise<void>;
  releaseIndication(collision: boolean): void;
  releaseConfirmation?(): void;
  abortIndication(info: AbortInfo): void;
  /** The connection is closed and the state machine is back in Sta1; called once. */
  closed(): void;
  pduSent?(pdu: Pdu | { type: 'P-DATA-TF'; length: number }): void;
  pduReceived?(pdu: Pdu, length: number): void;
  /**
   * The connection has been silent for the idle timeout. Return true to keep waiting: the
   * silence is a request being worked on (ours, or the peer's with its own DIMSE timeout),
   * not a peer gone quiet.
   */
  idleExpired?(): boolean;
}

export interface UpperLayerOptions {
  isRequestor: boolean;
  /** Largest PDU we accept (PDU length field), also what we advertise. */
  maxPduLength: number;
  timeouts?: UpperLayerTimeouts;
  logger?: Logger;
  user: UpperLayerUser;
}

export interface ConnectTarget {
  host: string;
  port: number;
  /** Use TLS with these options (certificates, verification). */
  tls?: TlsConnectionOptions;
  /** Local address to connect from (multi-homed hosts; tests of access control). */
  localAddress?: string;
}

const EVENT_OF_PDU: Record<Pdu['type'], DulEvent> = {
  'A-ASSOCIATE-AC': 'Evt3',
  'A-ASSOCIATE-RJ': 'Evt4',
  'A-ASSOCIATE-RQ': 'Evt6',
  'P-DATA-TF': 'Evt10',
  'A-RELEASE-RQ': 'Evt12',
  'A-RELEASE-RP': 'Evt13',
  'A-ABORT': 'Evt16',
};

type EventData =
  | {
      pdu?: Pdu;
      error?: Error;
      parts?: readonly Uint8Array[];
      /** With `parts`: called once the socket is done with them (see PduSocket.write). */
      written?: () => void;
      abortReason?: number;
      abortMessage?: string;
    }
  | undefined;

interface Queued {
  event: DulEvent;
  data: EventData;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the DUL state machine of `../dul` for one connection: feeds it events from the
 * transport, the timers and the service user, and carries out the effects it returns. The
 * table decides; this class only does what it is told (PS3.8 §9.2).
 */
export class UpperLayer {
  readonly isRequestor: boolean;
  #state: State = 'Sta1';
  #socket: PduSocket | undefined;
  readonly #user: UpperLayerUser;
  readonly #logger: Logger;
  readonly #timeouts: Required<Omit<UpperLayerTimeouts, 'idle'>> & { idle: number | undefined };
  readonly #maxPduLength: number;
  #artim: NodeJS.Timeout | undefined;
  #acseTimer: NodeJS.Timeout | undefined;
  #queue: Queued[] = [];
  #running = false;
  #target: ConnectTarget | undefined;
  #rq: AssociateRq | undefined;
  #ac: AssociateAc | undefined;
  #rj: AssociateRj | undefined;
  #closedNotified = false;
  #abortNotified = false;

  constructor(options: UpperLayerOptions) {
    this.isRequestor = options.isRequestor;
    this.#user = options.user;
    this.#logger = options.logger ?? SILENT_LOGGER;
    this.#maxPduLength = options.maxPduLength;
    const t = options.timeouts ?? {};
    this.#timeouts = {
      connect: t.connect ?? 30_000,
      acse: t.acse ?? 30_000,
      artim: t.artim ?? 30_000,
      idle: t.idle,
    };
  }

  get state(): State {
    return this.#state;
  }

  get remoteAddress(): string {
    return this.#socket?.remoteAddress ?? '';
  }

  get remotePort(): number {
    return this.#socket?.remotePort ?? 0;
  }

  get socket(): PduSocket | undefined {
    return this.#socket;
  }

  /** Requestor: A-ASSOCIATE request primitive (Evt1); the connection is made by AE-1. */
  requestAssociation(rq: AssociateRq, target: ConnectTarget): void {
    this.#rq = rq;
    this.#target = target;
    void this.#dispatch('Evt1', undefined);
  }

  /** Acceptor: a TCP connection was accepted (Evt5). */
  attachAccepted(accepted: Socket, options: { ownReads?: boolean } = {}): Socket {
    // Plain TCP reads into our own buffers, as on the requestor side (see withOwnedReads).
    const socket = options.ownReads
      ? withOwnedReads(accepted, (chunk) => this.#socket?.receive(chunk))
      : accepted;
    this.#socket = this.#wrap(socket);
    this.#armIdleTimeout(socket);
    void this.#dispatch('Evt5', undefined);
    return socket;
  }

  /** Acceptor: A-ASSOCIATE response primitive, accept (Evt7). */
  accept(ac: AssociateAc): void {
    this.#ac = ac;
    void this.#dispatch('Evt7', undefined);
  }

  /** Acceptor: A-ASSOCIATE response primitive, reject (Evt8). */
  reject(rj: AssociateRj): void {
    this.#rj = rj;
    void this.#dispatch('Evt8', undefined);
  }

  /** P-DATA request primitive (Evt9): the parts of one or more whole P-DATA-TF PDUs. */
  sendPData(parts: readonly Uint8Array[], written?: () => void): void | Promise<void> {
    return this.#dispatch('Evt9', written ? { parts, written } : { parts });
  }

  /** A-RELEASE request primitive (Evt11). */
  release(): void {
    void this.#dispatch('Evt11', undefined);
  }

  /** A-RELEASE response primitive (Evt14). */
  releaseResponse(): void {
    void this.#dispatch('Evt14', undefined);
  }

  /** A-ABORT request primitive (Evt15). Does nothing once the connection is gone. */
  abort(message = 'aborted by the local service user'): void {
    if (this.#state === 'Sta1' && !this.#socket) return;
    if (this.#state === 'Sta1' || this.#state === 'Sta13') {
      this.#socket?.destroy();
      return;
    }
    void Promise.resolve(this.#dispatch('Evt15', { abortMessage: message })).catch(() => {});
  }

  /**
   * Feeds one event through the machine. Runs at once unless an event is already being
   * processed (a user callback calling back in), in which case it waits its turn.
   */
  #dispatch(event: DulEvent, data: EventData): void | Promise<void> {
    if (!this.#running) {
      this.#running = true;
      try {
        return this.#process(event, data);
      } finally {
        this.#running = false;
        this.#drainQueue();
      }
    }
    return new Promise<void>((resolve, reject) => this.#queue.push({ event, data, resolve, reject }));
  }

  #drainQueue(): void {
    while (this.#queue.length > 0 && !this.#running) {
      const item = this.#queue.shift()!;
      this.#running = true;
      try {
        const result = this.#process(item.event, item.data);
        if (result) result.then(item.resolve, item.reject);
        else item.resolve();
      } catch (error) {
        item.reject(error);
      } finally {
        this.#running = false;
      }
    }
  }

  #process(event: DulEvent, data: EventData): void | Promise<void> {
    if (this.#closedNotified) {
      if (event === 'Evt9')
        throw new DicomError('ERR_ASSOCIATION_CLOSED', 'cannot send data: the association is closed');
      return;
    }
    const pdu = data?.pdu;
    let transition: ReturnType<typeof step>;
    try {
      transition = step(this.#state, event, {
        isRequestor: this.isRequestor,
        rqAcceptable: event === 'Evt6' ? this.#acceptableRq(pdu as AssociateRq) : undefined,
        abortFromServiceUser: event === 'Evt16' ? (pdu as Abort).source === 0 : undefined,
      });
    } catch (error) {
      if (event === 'Evt9') {
        throw new DicomError(
          'ERR_ASSOCIATION_CLOSED',
          `cannot send data: the association is not established (${this.#state})`,
        );
      }
      // Primitives issued at the wrong time by the user: report and carry on.
      this.#logger.log('warn', (error as Error).message);
      return;
    }
    if (this.#logger.debugEnabled && event !== 'Evt9' && event !== 'Evt10') {
      this.#logger.log(
        'debug',
        `DUL ${this.#state} + ${event} -> ${transition.action} -> ${transition.next}`,
      );
    }
    this.#state = transition.next;
    let result: Promise<void> | undefined;
    for (const effect of transition.effects) {
      const r = this.#perform(effect, event, data);
      if (r) result = r;
    }
    if (this.#state === 'Sta1') this.#finish();
    return result;
  }

  /** AE-6: the DUL's own check (PS3.8 §9.3.2: bit 0 of the protocol version). */
  #acceptableRq(rq: AssociateRq): boolean {
    if ((rq.protocolVersion & 1) === 1) return true;
    this.#rj = { type: 'A-ASSOCIATE-RJ', result: 1, source: 2, reason: 2 };
    return false;
  }

  #perform(effect: Effect, event: DulEvent, data: EventData): void | Promise<void> {
    switch (effect.kind) {
      case 'connect':
        this.#connect();
        return;
      case 'accept-transport':
      case 'check-acceptable':
        return;
      case 'send':
        return this.#send(effect, event, data);
      case 'indicate':
        return this.#indicate(effect.primitive, event, data);
      case 'start-artim':
        this.#startArtim();
        return;
      case 'stop-artim':
        if (this.#artim) clearTimeout(this.#artim);
        this.#artim = undefined;
        return;
      case 'close-transport':
        this.#clearAcse();
        this.#socket?.close();
        return;
    }
  }

  #send(effect: Extract<Effect, { kind: 'send' }>, event: DulEvent, data: EventData): void | Promise<void> {
    const socket = this.#socket;
    if (!socket) return;
    let pdu: Pdu;
    switch (effect.pdu) {
      case 'P-DATA-TF': {
        const parts = data?.parts ?? [];
        if (this.#user.pduSent) {
          // One event per PDU: a write may carry several (a command and its data set's first
          // PDUs, or a batch), each starting with its header in a part of its own.
          let left = 0;
          for (const p of parts) {
            if (left === 0 && p.length >= 6) {
              const length = 6 + new DataView(p.buffer, p.byteOffset, 6).getUint32(2);
              this.#user.pduSent({ type: 'P-DATA-TF', length });
              left = length;
            }
            left -= Math.min(left, p.length);
          }
        }
        return socket.write(parts, data?.written).catch(() => {});
      }
      case 'A-ASSOCIATE-RQ':
        pdu = this.#rq!;
        this.#startAcse();
        break;
      case 'A-ASSOCIATE-AC':
        pdu = this.#ac!;
        break;
      case 'A-ASSOCIATE-RJ':
        pdu = this.#rj!;
        break;
      case 'A-RELEASE-RQ':
        pdu = { type: 'A-RELEASE-RQ' };
        this.#startAcse();
        break;
      case 'A-RELEASE-RP':
        pdu = { type: 'A-RELEASE-RP' };
        break;
      case 'A-ABORT': {
        const fromUser = effect.abortSource === 'service-user';
        // A well-formed PDU the state does not expect: reason 2, unexpected-PDU (PS3.8 §9.3.8).
        const reason = fromUser
          ? 0
          : (data?.abortReason ?? (data?.error instanceof PduError ? data.error.reason : data?.pdu ? 2 : 0));
        pdu = { type: 'A-ABORT', source: fromUser ? 0 : 2, reason };
        const message =
          data?.abortMessage ??
          data?.error?.message ??
          (event === 'Evt18' ? 'ARTIM timer expired' : 'unexpected PDU');
        this.#notifyAbort({ by: fromUser ? 'local' : 'provider', source: pdu.source, reason, message });
        break;
      }
    }
    if (this.#logger.debugEnabled) this.#logger.log('debug', describePdu(pdu, 'sent'));
    this.#user.pduSent?.(pdu);
    return socket.send(pdu).catch(() => {});
  }

  #indicate(primitive: string, event: DulEvent, data: EventData): void | Promise<void> {
    const pdu = data?.pdu;
    switch (primitive) {
      case 'A-ASSOCIATE indication':
        this.#user.associateIndication?.(pdu as AssociateRq);
        return;
      case 'A-ASSOCIATE confirmation (accept)':
        this.#clearAcse();
        this.#user.associateConfirmAccept?.(pdu as AssociateAc);
        return;
      case 'A-ASSOCIATE confirmation (reject)':
        this.#clearAcse();
        this.#user.associateConfirmReject?.(pdu as AssociateRj);
        return;
      case 'P-DATA indication':
        return this.#user.pData(pdu as PDataTf);
      case 'A-RELEASE indication':
        this.#user.releaseIndication(
          event === 'Evt12' && (this.#state === 'Sta9' || this.#state === 'Sta10'),
        );
        return;
      case 'A-RELEASE confirmation':
        this.#clearAcse();
        this.#user.releaseConfirmation?.();
        return;
      case 'A-ABORT indication': {
        const abort = pdu as Abort;
        this.#notifyAbort({
          by: 'peer',
          source: abort.source,
          reason: abort.reason,
          message: `the peer aborted the association (source ${abort.source}, reason ${abort.reason})`,
        });
        return;
      }
      case 'A-P-ABORT indication': {
        const abort = pdu?.type === 'A-ABORT' ? pdu : undefined;
        this.#notifyAbort({
          by: abort ? 'peer' : 'provider',
          source: abort?.source,
          reason: abort?.reason ?? (data?.error instanceof PduError ? data.error.reason : undefined),
          message: abort
            ? `the peer's service provider aborted (reason ${abort.reason})`
            : (data?.error?.message ?? 'the connection closed unexpectedly'),
        });
        return;
      }
    }
  }

  #notifyAbort(info: AbortInfo): void {
    if (this.#abortNotified) return;
    this.#abortNotified = true;
    this.#clearAcse();
    this.#user.abortIndication(info);
  }

  #connect(): void {
    const target = this.#target!;
    const options = {
      host: target.host,
      port: target.port,
      ...(target.localAddress ? { localAddress: target.localAddress } : {}),
    };
    // Plain TCP reads into our own buffers (TLS sockets take no onread).
    const socket = target.tls
      ? nodeTls().connect({
          ...target.tls,
          ...options,
          servername: target.tls.servername ?? safeServername(target.host),
        })
      : netConnect({ ...options, onread: ownedReads((chunk) => this.#socket?.receive(chunk)) });
    const event = target.tls ? 'secureConnect' : 'connect';
    const timer = setTimeout(
      () =>
        socket.destroy(
          new DicomError(
            'ERR_TIMEOUT',
            `no connection to ${target.host}:${target.port} within ${this.#timeouts.connect} ms`,
          ),
        ),
      this.#timeouts.connect,
    );
    socket.once(event, () => {
      clearTimeout(timer);
      this.#armIdleTimeout(socket);
      void this.#dispatch('Evt2', undefined);
    });
    socket.once('close', () => clearTimeout(timer));
    this.#socket = this.#wrap(socket);
  }

  #wrap(socket: Socket): PduSocket {
    return new PduSocket(
      socket,
      {
        pdu: (pdu, length) => {
          if (this.#logger.debugEnabled) this.#logger.log('debug', describePdu(pdu, 'received'));
          this.#user.pduReceived?.(pdu, length);
          return this.#dispatch(EVENT_OF_PDU[pdu.type], { pdu });
        },
        invalid: (error) => {
          this.#logger.log('warn', `invalid PDU from ${socket.remoteAddress}: ${error.message}`);
          void this.#dispatch('Evt19', { error });
        },
        closed: (error) => {
          void this.#dispatch('Evt17', { error });
          // Whatever state the machine was left in, a closed socket ends the association.
          this.#finish();
        },
      },
      { maxPduLength: this.#maxPduLength },
    );
  }

  #armIdleTimeout(socket: Socket): void {
    const idle = this.#timeouts.idle;
    if (!idle) return;
    // A listener of its own, not setTimeout's callback (a one-time listener): a timeout the
    // user asks to keep waiting through is armed again and may fire again.
    socket.on('timeout', () => {
      if (this.#state === 'Sta13' || this.#state === 'Sta1') {
        socket.destroy();
        return;
      }
      if (this.#user.idleExpired?.() === true) {
        // A fired socket timeout stays quiet until the next byte: arm it again to keep watching.
        socket.setTimeout(idle);
        return;
      }
      this.#logger.log('warn', `no data from the peer for ${idle} ms: aborting`);
      this.abort(`network idle timeout (${idle} ms)`);
    });
    socket.setTimeout(idle);
  }

  #startArtim(): void {
    if (this.#artim) clearTimeout(this.#artim);
    this.#artim = setTimeout(() => {
      this.#artim = undefined;
      void this.#dispatch('Evt18', undefined);
    }, this.#timeouts.artim);
  }

  #startAcse(): void {
    this.#clearAcse();
    this.#acseTimer = setTimeout(() => {
      this.#acseTimer = undefined;
      this.#logger.log(
        'warn',
        `no answer from the peer within ${this.#timeouts.acse} ms (ACSE timeout): aborting`,
      );
      this.abort(`ACSE timeout (${this.#timeouts.acse} ms)`);
    }, this.#timeouts.acse);
  }

  #clearAcse(): void {
    if (this.#acseTimer) clearTimeout(this.#acseTimer);
    this.#acseTimer = undefined;
  }

  #finish(): void {
    if (this.#closedNotified) return;
    if (this.#state !== 'Sta1' && !this.#socket?.closed) return;
    this.#closedNotified = true;
    this.#state = 'Sta1';
    if (this.#artim) clearTimeout(this.#artim);
    this.#artim = undefined;
    this.#clearAcse();
    // A socket we closed gracefully is left to finish; anything else is torn down now.
    if (this.#socket && !this.#socket.closed) this.#socket.close();
    this.#user.closed();
  }
}

/** TLS SNI must not be an IP address (RFC 6066 §3). */
function safeServername(host: string): string | undefined {
  return /^[\d.]+$|:/.test(host) ? undefined : host;
}
