import { EventEmitter } from 'node:events';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions, TlsOptions } from 'node:tls';
import {
  DicomError,
  IMPLEMENTATION_CLASS_UID,
  IMPLEMENTATION_VERSION_NAME,
  type Logger,
  SILENT_LOGGER,
} from '../core/index.ts';
import { lookupUid, storageSopClasses, UID } from '../dictionary/index.ts';
import {
  type AbortInfo,
  type AccessControl,
  ALLOW_ALL,
  assignContextIds,
  commonExtendedNegotiationsFor,
  contextsFromAccept,
  extendedNegotiationsFor,
  type NegotiatedContext,
  negotiateAsAcceptor,
  type ProposedContext,
  Reject,
  reject,
  roleSelectionsFor,
  type SupportedContext,
  supportedLookup,
  UpperLayer,
  type UpperLayerTimeouts,
  userIdentityResponseFor,
} from '../net/association/index.ts';
import {
  type AssociateAc,
  type AssociateRj,
  type AssociateRq,
  type CommonExtendedNegotiation,
  checkAeTitle,
  DICOM_APPLICATION_CONTEXT,
  type Pdu,
  pdvPieces,
  rejectReasonText,
  type UserIdentityRq,
} from '../net/pdu/index.ts';
import { keepChunk, nodeTls } from '../net/transport/index.ts';
import type { DeflateLevel } from '../object/deflate.ts';
import { Association, type AssociationTimeouts } from './association.ts';
import {
  allStorableTransferSyntaxes,
  QueryRetrieveModels,
  UNCOMPRESSED_TRANSFER_SYNTAXES,
  VERIFICATION,
} from './contexts.ts';
import type { MoveDestination, ServiceHandlers } from './handlers.ts';
import { closeSpareFiles } from './part-file.ts';
import type { MoveResolver } from './scp.ts';
import { storageCommitmentSupport } from './storage-commitment.ts';

export interface Timeouts extends UpperLayerTimeouts, AssociationTimeouts {}

/**
 * The largest PDU advertised by default: the largest a P-DATA-TF is decoded where it lies
 * across socket reads (pdu-socket.ts). Larger ones are gathered into a copy, which doubled the
 * garbage of a large C-STORE: with 1 MiB the 1 GiB store grew the SCP by 45-63 MB (limit 64),
 * with 256 KiB by 41-50 MB, at the same speed. Peers send at most this; DCMTK advertises 16 KiB.
 */
export const DEFAULT_MAX_PDU_LENGTH = 256 * 1024;

export interface ApplicationEntityOptions {
  aeTitle: string;
  /** The largest PDU we receive (advertised to peers). Default 256 KiB; DCMTK's is 16 KiB. */
  maxPduLength?: number;
  timeouts?: Timeouts;
  logger?: Logger;
  implementationClassUid?: string;
  implementationVersionName?: string;
}

export interface AssociateOptions {
  host: string;
  port: number;
  /** Default 'ANY-SCP', as DCMTK's tools. */
  calledAeTitle?: string;
  contexts: readonly ProposedContext[];
  /** TLS (node:tls) options: `ca`, `cert`, `key`, `rejectUnauthorized`, `servername`. */
  tls?: TlsConnectionOptions;
  userIdentity?: UserIdentityRq;
  /** Served when the peer sends requests to us (C-STORE during C-GET, N-EVENT-REPORT). */
  handlers?: ServiceHandlers;
  /** Local address to connect from. */
  localAddress?: string;
  /** Propose an asynchronous operations window (PS3.7 §D.3.3.3). */
  asyncOpsWindow?: { invoked: number; performed: number };
  /** Send P-DATA-TF PDUs of at most this length even when the peer takes larger ones. */
  maxSendPduLength?: number;
  /**
   * zlib level (0 stores, 1 fastest, 9 smallest) of what this side deflates on an accepted
   * Deflated Explicit VR Little Endian context: identifiers, N- data sets, and instances
   * re-encoded for it. Default 6, as DCMTK's `+cl`. Stored deflated files go as they are.
   */
  deflateLevel?: DeflateLevel;
  /**
   * Writes the VRs added after 1993 (UN, UT, UC, UR, OD, OF, OL, OV, SV, UV) as OB in what this
   * side encodes in an explicit VR syntax (identifiers, N- data sets, instances), for peers
   * that predate them: DCMTK's `-u`. Instances stored in such a syntax are then re-encoded
   * rather than sent as they lie.
   */
  newVRsAsOB?: boolean;
  /**
   * Gives up the request: connecting or negotiating stops (A-ABORT, or the connection
   * closed) and associate() rejects with ERR_CANCELLED. No effect once accepted: then
   * `association.abort()`.
   */
  signal?: AbortSignal;
}

/** The Storage Service Class (PS3.4 Annex B), as SOP Class Common Extended Negotiation names it. */
const STORAGE_SERVICE_CLASS = UID.Storage;

export interface ListenOptions {
  port: number;
  /** Default '127.0.0.1': listening on other interfaces is a choice, not an accident. */
  host?: string;
  handlers: ServiceHandlers;
  /** What we accept; by default derived from the handlers (see supportedFor). */
  contexts?: readonly SupportedContext[];
  /** Transfer syntaxes accepted for storage when `contexts` is not given. Default: every known one. */
  storageTransferSyntaxes?: readonly string[];
  /**
   * Accept abstract syntaxes the dictionary does not know (a vendor's private SOP classes) as
   * storage, with the storage transfer syntaxes, when there is a `store` handler: DCMTK's
   * storescp -pm ("promiscuous"). Default false.
   */
  acceptUnknownSopClasses?: boolean;
  /**
   * Accept a SOP class the dictionary does not know (one newer than it) as storage, when there
   * is a `store` handler and the requestor's SOP Class Common Extended Negotiation (PS3.7
   * §D.3.3.6) names the Storage Service Class for it; with the transfer syntaxes of a related
   * general SOP class we accept, else the storage ones. A SOP class the dictionary knows is
   * never taken for another service class's. Default false; `dicomkit pacs` sets it.
   */
  acceptNewStorageSopClasses?: boolean;
  /**
   * The largest data set a request may carry, in bytes (ARCHITECTURE.md's configured limits
   * for untrusted input). A larger one is received to its end but not handed on: a C-STORE
   * is answered 0xA700 (Refused: Out of Resources), other requests 0x0110 (Processing
   * Failure), and nothing of it is kept. Default: no limit.
   */
  maxDataSetSize?: number;
  transferSyntaxPreference?: 'acceptor' | 'requestor';
  /** Reject requests whose called AE title is not ours. Default false, as DCMTK's storescp. */
  requireCalledAeTitle?: boolean;
  accessControl?: AccessControl;
  /** Simultaneous associations; more are rejected as "local limit exceeded". Default 64. */
  maxAssociations?: number;
  /** TLS server options (`key`, `cert`, `ca`, `requestCert`, `rejectUnauthorized`). */
  tls?: TlsOptions;
  /** C-MOVE destinations by AE title. */
  moveDestinations?: MoveResolver | Record<string, Omit<MoveDestination, 'aeTitle'>>;
  /**
   * Checks the user identity a requestor presents (PS3.7 §D.3.3.7), also called for requests
   * without one (`identity` undefined), so that a policy can insist. Without it, identities
   * are ignored and no response is sent, as DCMTK's storescp does.
   */
  verifyUserIdentity?: UserIdentityVerifier;
}

/** What `ListenOptions.verifyUserIdentity` is asked about. */
export interface UserIdentityRequest {
  identity: UserIdentityRq | undefined;
  callingAeTitle: string;
  calledAeTitle: string;
  remoteAddress: string;
}

/**
 * The verdict on a user identity. Accepted, `serverResponse` is what a requestor that asked
 * for a positive response gets back (a Kerberos ticket, a SAML or JWT response; always empty
 * for a user name or a password, PS3.7 §D.3.3.7.2). Refused, the association is rejected
 * (permanent, service user, no reason given) and `why` is logged.
 */
export type UserIdentityDecision =
  | { accepted: true; serverResponse?: Uint8Array }
  | { accepted: false; why: string };

export type UserIdentityVerifier = (
  request: UserIdentityRequest,
) => UserIdentityDecision | Promise<UserIdentityDecision>;

/** Thrown by associate() when the peer rejects: result, source and reason as in the A-ASSOCIATE-RJ. */
export class AssociationRejectedError extends DicomError {
  readonly result: number;
  readonly source: number;
  readonly reason: number;
  constructor(rj: AssociateRj) {
    super(
      'ERR_ASSOCIATION_REJECTED',
      `association rejected: ${rejectReasonText(rj.result, rj.source, rj.reason)}`,
    );
    this.result = rj.result;
    this.source = rj.source;
    this.reason = rj.reason;
  }
}

/**
 * A DICOM Application Entity (PS3.7 §6.1): requests associations as SCU and listens as SCP.
 *
 *   const ae = new ApplicationEntity({ aeTitle: 'ME' });
 *   const assoc = await ae.associate({ host, port, calledAeTitle: 'PACS', contexts: [verificationContext()] });
 *   await assoc.echo();
 *   await assoc.release();
 */
export class ApplicationEntity {
  readonly aeTitle: string;
  readonly maxPduLength: number;
  readonly timeouts: Timeouts;
  readonly logger: Logger;
  readonly implementationClassUid: string;
  readonly implementationVersionName: string;

  constructor(options: ApplicationEntityOptions) {
    checkAeTitle(options.aeTitle, 'AE title');
    this.aeTitle = options.aeTitle;
    this.maxPduLength = options.maxPduLength ?? DEFAULT_MAX_PDU_LENGTH;
    this.timeouts = options.timeouts ?? {};
    this.logger = options.logger ?? SILENT_LOGGER;
    this.implementationClassUid = options.implementationClassUid ?? IMPLEMENTATION_CLASS_UID;
    this.implementationVersionName = options.implementationVersionName ?? IMPLEMENTATION_VERSION_NAME;
  }

  /**
   * Requests an association. Resolves when accepted; rejects with AssociationRejectedError,
   * or a DicomError (ERR_ASSOCIATION_ABORTED, ERR_TIMEOUT, ERR_NETWORK, ERR_CANCELLED) when it
   * cannot be made.
   */
  associate(options: AssociateOptions): Promise<Association> {
    const { signal } = options;
    if (signal?.aborted) {
      return Promise.reject(
        new DicomError('ERR_CANCELLED', 'association request cancelled before it started'),
      );
    }
    const calledAeTitle = options.calledAeTitle ?? 'ANY-SCP';
    checkAeTitle(calledAeTitle, 'called AE title');
    if (options.contexts.length === 0)
      throw new DicomError('ERR_INVALID_VALUE', 'no presentation contexts to propose');
    const proposals = assignContextIds(options.contexts);
    const rq: AssociateRq = {
      type: 'A-ASSOCIATE-RQ',
      protocolVersion: 1,
      calledAeTitle,
      callingAeTitle: this.aeTitle,
      applicationContext: DICOM_APPLICATION_CONTEXT,
      presentationContexts: proposals.map((p) => ({
        id: p.id,
        abstractSyntax: p.abstractSyntax,
        transferSyntaxes: [...p.transferSyntaxes],
      })),
      userInformation: {
        maxPduLength: this.maxPduLength,
        implementationClassUid: this.implementationClassUid,
        implementationVersionName: this.implementationVersionName,
        roleSelections: roleSelectionsFor(proposals),
        extendedNegotiations: extendedNegotiationsFor(proposals),
        commonExtendedNegotiations: commonExtendedNegotiationsFor(proposals),
        unknownItems: [],
        ...(options.asyncOpsWindow ? { asyncOpsWindow: options.asyncOpsWindow } : {}),
        ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
      },
    };
    this.logger.log(
      'info',
      `requesting association with ${calledAeTitle} at ${options.host}:${options.port}`,
    );
    return new Promise<Association>((resolve, rejectPromise) => {
      let association: Association | undefined;
      let settled = false;
      const onAbort = (): void => {
        if (settled) return;
        fail(
          new DicomError('ERR_CANCELLED', `association request to ${options.host}:${options.port} cancelled`),
        );
        ul.abort('association request cancelled');
      };
      const fail = (error: Error): void => {
        if (settled) return;
        settled = true;
        signal?.removeEventListener('abort', onAbort);
        rejectPromise(error);
      };
      const ul: UpperLayer = new UpperLayer({
        isRequestor: true,
        maxPduLength: this.maxPduLength,
        timeouts: this.timeouts,
        logger: this.logger,
        user: {
          associateConfirmAccept: (ac: AssociateAc) => {
            const contexts = contextsFromAccept(proposals, ac);
            association = new Association({
              isRequestor: true,
              upperLayer: ul,
              localAeTitle: this.aeTitle,
              remoteAeTitle: calledAeTitle,
              calledAeTitle,
              callingAeTitle: this.aeTitle,
              contexts,
              peerMaxPduLength: ac.userInformation.maxPduLength ?? 0,
              operationsWindow: negotiatedWindow(
                options.asyncOpsWindow?.invoked,
                ac.userInformation.asyncOpsWindow?.invoked,
              ),
              // The acceptor's requests (C-GET sub-operations, N-EVENT-REPORTs) we serve at once.
              performingWindow: negotiatedWindow(
                options.asyncOpsWindow?.performed,
                ac.userInformation.asyncOpsWindow?.performed,
              ),
              peerImplementationClassUid: ac.userInformation.implementationClassUid,
              peerImplementationVersionName: ac.userInformation.implementationVersionName,
              ...(options.userIdentity ? { userIdentity: options.userIdentity } : {}),
              ...(options.maxSendPduLength ? { maxSendPduLength: options.maxSendPduLength } : {}),
              ...(options.deflateLevel !== undefined ? { deflateLevel: options.deflateLevel } : {}),
              ...(options.newVRsAsOB ? { newVRsAsOB: true } : {}),
              ...(ac.userInformation.userIdentityResponse
                ? { userIdentityResponse: ac.userInformation.userIdentityResponse }
                : {}),
              handlers: options.handlers ?? {},
              logger: this.logger,
              timeouts: this.timeouts,
            });
            this.logger.log('info', `association accepted (max PDU ${ac.userInformation.maxPduLength ?? 0})`);
            logContexts(this.logger, contexts);
            settled = true;
            signal?.removeEventListener('abort', onAbort);
            resolve(association);
          },
          associateConfirmReject: (rj) => {
            this.logger.log(
              'warn',
              `association rejected: ${rejectReasonText(rj.result, rj.source, rj.reason)}`,
            );
            fail(new AssociationRejectedError(rj));
          },
          pData: (pdu) => association?.receivePData(pdu),
          releaseIndication: (collision) => association?.onReleaseIndication(collision),
          idleExpired: () => association?.onIdle() ?? false,
          releaseConfirmation: () => association?.onReleaseConfirmation(),
          abortIndication: (info: AbortInfo) => {
            if (association) association.onAbort(info);
            else
              fail(
                new DicomError(
                  info.by === 'provider' &&
                    /ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|timeout|no connection/i.test(info.message)
                    ? 'ERR_NETWORK'
                    : 'ERR_ASSOCIATION_ABORTED',
                  `association with ${options.host}:${options.port} failed: ${info.message}`,
                ),
              );
          },
          closed: () => {
            if (association) association.onClosed();
            else
              fail(
                new DicomError(
                  'ERR_NETWORK',
                  `association with ${options.host}:${options.port} failed: the connection closed`,
                ),
              );
          },
        },
      });
      signal?.addEventListener('abort', onAbort, { once: true });
      ul.requestAssociation(rq, {
        host: options.host,
        port: options.port,
        ...(options.tls ? { tls: options.tls } : {}),
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      });
    });
  }

  /** Starts an SCP; resolves once listening (port 0 picks a free port: see `server.port`). */
  async listen(options: ListenOptions): Promise<DicomServer> {
    const server = new DicomServer(this, options);
    await server.start();
    return server;
  }

  /**
   * An SCP that does not listen: it serves the connections handed to `server.accept(socket)`,
   * accepted elsewhere (inetd or systemd socket activation, as DCMTK's storescp -id; a proxy).
   */
  serve(options: Omit<ListenOptions, 'port' | 'host' | 'tls'>): DicomServer {
    return new DicomServer(this, { ...options, port: 0 });
  }
}

function logContexts(logger: Logger, contexts: readonly NegotiatedContext[]): void {
  if (!logger.debugEnabled) return;
  for (const c of contexts) {
    logger.log(
      'debug',
      `  context ${c.id}: ${c.abstractSyntax} -> ${c.accepted ? `accepted, ${c.transferSyntax}` : `rejected (result ${c.result})`}${c.scpRole ? ' [SCP role]' : ''}`,
    );
  }
}

/**
 * The acceptor's default contexts, derived from its handlers: Verification always; every
 * storage SOP class for `store`; the Q/R models for `find`/`move`/`get`; for `get`, storage
 * classes with the SCP role so that requestors can take the C-STORE sub-operations; Storage
 * Commitment for `nAction` (requests) and `nEventReport` (reports, from a requestor in the SCP role).
 */
export function supportedFor(
  handlers: ServiceHandlers,
  storageSyntaxes?: readonly string[],
): SupportedContext[] {
  const out: SupportedContext[] = [
    { abstractSyntax: VERIFICATION, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES },
  ];
  const qr = (op: 'find' | 'move' | 'get'): string[] =>
    Object.values(QueryRetrieveModels)
      .map((m) => (m as Partial<Record<string, string>>)[op])
      .filter((u): u is string => u !== undefined);
  if (handlers.find)
    for (const uid of qr('find'))
      out.push({ abstractSyntax: uid, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES });
  if (handlers.move)
    for (const uid of qr('move'))
      out.push({ abstractSyntax: uid, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES });
  if (handlers.get)
    for (const uid of qr('get'))
      out.push({ abstractSyntax: uid, transferSyntaxes: UNCOMPRESSED_TRANSFER_SYNTAXES });
  // N-ACTION and N-EVENT-REPORT handlers serve whatever SOP class they are given; Storage
  // Commitment (PS3.4 Annex J) is the one a store or archive is asked for, so it comes by default.
  if (handlers.nAction || handlers.nEventReport) {
    out.push(storageCommitmentSupport({ reports: handlers.nEventReport !== undefined }));
  }
  if (handlers.store || handlers.get) {
    const syntaxes = storageSyntaxes ?? allStorableTransferSyntaxes();
    for (const c of storageSopClasses()) {
      out.push({
        abstractSyntax: c.uid,
        transferSyntaxes: syntaxes,
        scuRole: handlers.store !== undefined,
        scpRole: handlers.get !== undefined,
      });
    }
  }
  return out;
}

/**
 * A listening SCP. Events: 'association-requested' ({ rq, remoteAddress }), 'association'
 * (Association, when accepted), 'rejected'
 * ({ rq, rj, why, remoteAddress }), 'released', 'aborted' (Association, AbortInfo),
 * 'pdu-sent' / 'pdu-received' (Pdu, Association?), 'error'.
 */
export class DicomServer extends EventEmitter {
  readonly ae: ApplicationEntity;
  readonly associations = new Set<Association>();
  readonly #options: ListenOptions;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #lookup: (
    abstractSyntax: string,
    common?: CommonExtendedNegotiation,
  ) => SupportedContext | undefined;

  constructor(ae: ApplicationEntity, options: ListenOptions) {
    super();
    this.ae = ae;
    this.#options = options;
    const known = supportedLookup(
      options.contexts ?? supportedFor(options.handlers, options.storageTransferSyntaxes),
    );
    const storing = options.handlers.store !== undefined;
    const promiscuous = options.acceptUnknownSopClasses === true && storing;
    const byServiceClass = options.acceptNewStorageSopClasses === true && storing;
    const storageSyntaxes = options.storageTransferSyntaxes ?? allStorableTransferSyntaxes();
    this.#lookup = (abstractSyntax, common) => {
      const supported = known(abstractSyntax);
      if (supported || lookupUid(abstractSyntax) !== undefined) return supported;
      if (byServiceClass && common?.serviceClassUid === STORAGE_SERVICE_CLASS) {
        const related = common.relatedGeneralSopClasses.map((uid) => known(uid)).find((c) => c !== undefined);
        const transferSyntaxes = related?.transferSyntaxes ?? storageSyntaxes;
        // As for the storage classes we know: the requestor may take C-GET's sub-operations.
        return {
          abstractSyntax,
          transferSyntaxes,
          scuRole: true,
          scpRole: options.handlers.get !== undefined,
        };
      }
      if (!promiscuous) return undefined;
      return { abstractSyntax, transferSyntaxes: storageSyntaxes, scuRole: true, scpRole: false };
    };
    this.#server = options.tls
      ? nodeTls().createServer(options.tls, (socket) => this.#onConnection(socket, false))
      : createTcpServer({ pauseOnConnect: true }, (socket) => this.#onConnection(socket, true));
    this.#server.on('error', (error) => this.emit('error', error));
    if (options.tls) {
      this.#server.on('tlsClientError', (error, socket) => {
        this.ae.logger.log('warn', `TLS handshake with ${socket.remoteAddress} failed: ${error.message}`);
      });
    }
  }

  get port(): number {
    const address = this.#server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  start(): Promise<void> {
    return new Promise((resolve, rejectPromise) => {
      this.#server.once('error', rejectPromise);
      this.#server.listen(this.#options.port, this.#options.host ?? '127.0.0.1', () => {
        this.#server.off('error', rejectPromise);
        this.ae.logger.log(
          'info',
          `${this.ae.aeTitle} listening on ${this.#options.host ?? '127.0.0.1'}:${this.port}`,
        );
        resolve();
      });
    });
  }

  /** Stops listening; with `abort`, aborts open associations, else waits for them to end. */
  async close(options: { abort?: boolean } = {}): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    if (options.abort) {
      for (const a of this.associations) void a.abort();
      for (const s of this.#sockets) s.destroy();
    }
    await Promise.all([...this.associations].map((a) => a.closed()));
    await closed;
    // Spare files made for StoreRequest.writeFile are removed (a server still running makes new ones).
    closeSpareFiles();
  }

  /**
   * Serves an association on a connection accepted elsewhere (see `ApplicationEntity.serve`),
   * as one accepted by `listen()`: access control, limits and events alike. A TLS connection
   * is handed over as a `TLSSocket` already set up; `ListenOptions.tls` is for listening only.
   */
  accept(socket: Socket): void {
    this.#onConnection(socket, false);
    // A server made with pauseOnConnect (so that it reads nothing itself) hands it over paused.
    socket.resume();
  }

  /**
   * `fromServer`: accepted by our own plain TCP server (made with pauseOnConnect), whose
   * sockets are re-made to read into our own buffers (see withOwnedReads).
   */
  #onConnection(accepted: Socket, fromServer: boolean): void {
    // The socket in use: the accepted one, or the one re-made from it by attachAccepted.
    let socket = accepted;
    const ae = this.ae;
    let association: Association | undefined;
    const ul: UpperLayer = new UpperLayer({
      isRequestor: false,
      maxPduLength: ae.maxPduLength,
      timeouts: ae.timeouts,
      logger: ae.logger,
      user: {
        associateIndication: (rq) => {
          // The association is adopted before the A-ASSOCIATE-AC goes out: accepting can run
          // PDUs the peer sent early, and their abort and close must find it (otherwise it
          // stayed in `associations` for good, counting against maxAssociations).
          const adopt = (made: Association): void => {
            association = made;
          };
          void this.#decide(rq, ul, socket, adopt).then(
            () => {},
            (error: unknown) => {
              // A typed error is the request's (a value it cannot hold); anything else is ours.
              ae.logger.log(
                error instanceof DicomError ? 'warn' : 'error',
                `association set-up failed: ${(error as Error).message}`,
              );
              ul.abort();
            },
          );
        },
        pData: (pdu) => association?.receivePData(pdu),
        releaseIndication: (collision) => association?.onReleaseIndication(collision),
        idleExpired: () => association?.onIdle() ?? false,
        releaseConfirmation: () => association?.onReleaseConfirmation(),
        abortIndication: (info) => {
          association?.onAbort(info);
          if (association) this.emit('aborted', association, info);
        },
        closed: () => {
          if (association) {
            association.onClosed();
            this.associations.delete(association);
          }
        },
        pduSent: (pdu) => this.emit('pdu-sent', pdu as Pdu, association),
        pduReceived: (pdu) => {
          if (this.listenerCount('pdu-received') === 0) return;
          // A listener may keep the PDU: the receive buffers under its data are never reused.
          if (pdu.type === 'P-DATA-TF')
            for (const pdv of pdu.pdvs) for (const piece of pdvPieces(pdv)) keepChunk(piece);
          this.emit('pdu-received', pdu, association);
        },
      },
    });
    socket = ul.attachAccepted(accepted, { ownReads: fromServer });
    if (fromServer && socket === accepted) socket.resume();
    this.#sockets.add(socket);
    socket.on('close', () => this.#sockets.delete(socket));
  }

  async #decide(
    rq: AssociateRq,
    ul: UpperLayer,
    socket: Socket,
    adopt: (association: Association) => void,
  ): Promise<Association | undefined> {
    const ae = this.ae;
    const options = this.#options;
    const remoteAddress = socket.remoteAddress ?? '';
    const refuse = (rj: AssociateRj, why: string): undefined => {
      ae.logger.log('warn', `rejecting association from ${rq.callingAeTitle} (${remoteAddress}): ${why}`);
      this.emit('rejected', { rq, rj, why, remoteAddress });
      ul.reject(rj);
      return undefined;
    };
    ae.logger.log(
      'info',
      `association request from ${rq.callingAeTitle} at ${remoteAddress} to ${rq.calledAeTitle}`,
    );
    this.emit('association-requested', { rq, remoteAddress });
    const limit = options.maxAssociations ?? 64;
    if (this.associations.size >= limit) {
      return refuse(
        reject(Reject.transient, Reject.sourcePresentation, Reject.localLimitExceeded),
        `${this.associations.size} associations open, the limit is ${limit} (maxAssociations)`,
      );
    }
    const { implementationClassUid, implementationVersionName } = rq.userInformation;
    const access = await (options.accessControl ?? ALLOW_ALL).check({
      callingAeTitle: rq.callingAeTitle,
      calledAeTitle: rq.calledAeTitle,
      remoteAddress,
      ...(implementationClassUid ? { implementationClassUid } : {}),
      ...(implementationVersionName ? { implementationVersionName } : {}),
    });
    if (!access.allowed) return refuse(access.rj, access.why);
    const identity = rq.userInformation.userIdentity;
    let identityResponse: Uint8Array | undefined;
    if (options.verifyUserIdentity) {
      const verdict = await verifyIdentity(options.verifyUserIdentity, {
        identity,
        callingAeTitle: rq.callingAeTitle,
        calledAeTitle: rq.calledAeTitle,
        remoteAddress,
      });
      if (!verdict.accepted) {
        return refuse(reject(Reject.permanent, Reject.sourceServiceUser, Reject.noReasonGiven), verdict.why);
      }
      identityResponse = userIdentityResponseFor(identity, verdict.serverResponse);
    }
    const decision = negotiateAsAcceptor(rq, {
      aeTitle: ae.aeTitle,
      requireCalledAeTitle: options.requireCalledAeTitle ?? false,
      contexts: this.#lookup,
      transferSyntaxPreference: options.transferSyntaxPreference ?? 'acceptor',
      maxPduLength: ae.maxPduLength,
      implementationClassUid: ae.implementationClassUid,
      implementationVersionName: ae.implementationVersionName,
    });
    if (!decision.accepted) {
      return refuse(
        decision.rj,
        decision.why ?? rejectReasonText(decision.rj.result, decision.rj.source, decision.rj.reason),
      );
    }
    if (identityResponse) decision.ac.userInformation.userIdentityResponse = identityResponse;
    if (ul.state !== 'Sta3') return undefined;
    // Checked again: access control may have awaited while other requests were accepted.
    if (this.associations.size >= limit) {
      return refuse(
        reject(Reject.transient, Reject.sourcePresentation, Reject.localLimitExceeded),
        `${this.associations.size} associations open, the limit is ${limit} (maxAssociations)`,
      );
    }
    const association = new Association({
      isRequestor: false,
      upperLayer: ul,
      localAeTitle: ae.aeTitle,
      remoteAeTitle: rq.callingAeTitle,
      calledAeTitle: rq.calledAeTitle,
      callingAeTitle: rq.callingAeTitle,
      contexts: decision.contexts,
      peerMaxPduLength: rq.userInformation.maxPduLength ?? 0,
      peerImplementationClassUid: rq.userInformation.implementationClassUid,
      peerImplementationVersionName: rq.userInformation.implementationVersionName,
      ...(identity ? { userIdentity: identity } : {}),
      ...(identityResponse ? { userIdentityResponse: identityResponse } : {}),
      handlers: options.handlers,
      logger: ae.logger,
      timeouts: ae.timeouts,
      ...(options.maxDataSetSize !== undefined ? { maxDataSetSize: options.maxDataSetSize } : {}),
      resolveMoveDestination: this.#moveResolver(),
      openSubAssociation: (destination, proposals) =>
        ae.associate({
          host: destination.host,
          port: destination.port,
          calledAeTitle: destination.aeTitle,
          contexts: proposals,
          ...(destination.tls ? { tls: destination.tls } : {}),
        }),
    });
    this.associations.add(association);
    adopt(association);
    association.on('released', () => this.emit('released', association));
    ul.accept(decision.ac);
    ae.logger.log('info', `association accepted from ${rq.callingAeTitle} (${remoteAddress})`);
    logContexts(ae.logger, decision.contexts);
    this.emit('association', association);
    return association;
  }

  #moveResolver(): MoveResolver | undefined {
    const d = this.#options.moveDestinations;
    if (!d) return undefined;
    if (typeof d === 'function') return d;
    return (aeTitle) => {
      const entry = d[aeTitle];
      return entry ? { aeTitle, ...entry } : undefined;
    };
  }
}

/** A verifier that throws refuses: an identity check that failed must not let the caller in. */
async function verifyIdentity(
  verifier: UserIdentityVerifier,
  request: UserIdentityRequest,
): Promise<UserIdentityDecision> {
  try {
    return await verifier(request);
  } catch (error) {
    return { accepted: false, why: `the user identity check failed: ${(error as Error).message}` };
  }
}

/**
 * One side of the asynchronous operations window (PS3.7 §D.3.3.3), as the requestor holds it:
 * how many operations it may invoke, or perform, at once. 1 unless it proposed a window and
 * the acceptor answered one; 0 (unlimited) on one side leaves the other's limit. An acceptor
 * granting more than was proposed is held to the proposal.
 */
export function negotiatedWindow(proposed: number | undefined, granted: number | undefined): number {
  if (proposed === undefined || granted === undefined) return 1;
  if (proposed === 0) return granted;
  if (granted === 0) return proposed;
  return Math.min(proposed, granted);
}
