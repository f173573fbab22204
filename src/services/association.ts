import { EventEmitter } from 'node:events';
import { DicomError, type Logger, SILENT_LOGGER } from '../core/index.ts';
import { transferSyntax } from '../encoding/index.ts';
import type { AbortInfo, NegotiatedContext, UpperLayer } from '../net/association/index.ts';
import {
  type Command,
  type CommandFields,
  commandField,
  DimseChannel,
  type DimseCommandName,
  DimseStatusError,
  describeStatus,
  type IncomingMessage,
  type MessageData,
  Status,
  statusCategory,
} from '../net/dimse/index.ts';
import type { UserIdentityRq } from '../net/pdu/index.ts';
import { type DeflateLevel, deflateRaw } from '../object/deflate.ts';
import { concatParts, DataSet, readDataSet } from '../object/index.ts';
import { modelSopClass, type QueryModel } from './contexts.ts';
import type { ServiceHandlers } from './handlers.ts';
import { LazyAbort, serveRequest } from './scp.ts';
import {
  type DataOptions,
  type PreparedInstance,
  prepareSource,
  type StoreSource,
  wireEncoder,
} from './store-source.ts';

export interface AssociationTimeouts {
  /** Waiting for a DIMSE response (reset by each pending response). Default 60 s. */
  dimse?: number;
}

/** Files storeMany reads ahead of the one on the wire. */
const READ_AHEAD = 4;
/**
 * The peer's requests waiting past the performing window before their socket's input is held.
 * A few, so that a C-CANCEL sent after them is still read.
 */
const MAX_WAITING_REQUESTS = 8;
/** Results of a C-STORE. Failure statuses throw DimseStatusError instead. */
export interface StoreResult {
  status: number;
  sopClassUid: string;
  sopInstanceUid: string;
  /** The transfer syntax the data set was sent in. */
  transferSyntax: string;
  errorComment?: string;
}

/** Sub-operation counts of C-MOVE and C-GET responses (PS3.4 §C.4.2.1.6). */
export interface RetrieveProgress {
  remaining?: number;
  completed: number;
  failed: number;
  warning: number;
}

export interface RetrieveResult extends RetrieveProgress {
  status: number;
  /** Failed SOP Instance UID List (0008,0058) of the final response, if sent. */
  failedSopInstanceUids: string[];
}

export interface FindOptions {
  model?: QueryModel | string;
  priority?: number;
  /** Aborting sends C-CANCEL-RQ; the iteration then ends after the peer's final response. */
  signal?: AbortSignal;
}

export interface RetrieveOptions extends FindOptions {
  onProgress?(progress: RetrieveProgress): void;
}

export interface NResponse {
  status: number;
  errorComment?: string;
  dataset?: DataSet;
  command: Command;
}

interface PendingRequest {
  name: DimseCommandName;
  transferSyntax: string;
  response(message: IncomingMessage): void;
  fail(error: Error): void;
  /** When the DIMSE timeout expires for it (performance.now() ms); undefined without a timeout. */
  deadline?: number;
}

/** What a request may ask of #single beyond sending it. */
interface RequestHooks {
  /** Aborted while the request waits for the window: it is not sent (ERR_CANCELLED). */
  signal?: AbortSignal;
  /** Called with the final response's command (undefined when the request failed) before the next request starts. */
  onFinal?(command: Command | undefined): void;
}

function cancelledBeforeSending(name: string, signal: AbortSignal): DicomError {
  const reason = signal.reason instanceof Error ? `: ${signal.reason.message}` : '';
  return new DicomError('ERR_CANCELLED', `${name} not sent${reason}`, { cause: signal.reason });
}

export interface StoreOptions {
  priority?: number;
  /** For C-MOVE sub-operations: the C-MOVE's originator (PS3.7 §9.3.1.1). */
  moveOriginator?: { aeTitle: string; messageId: number };
  /**
   * Aborted while this store waits behind others (operationsWindow): it is not sent and
   * rejects with ERR_CANCELLED. A C-STORE that has gone out cannot be withdrawn.
   */
  signal?: AbortSignal;
  /**
   * Aborted when this store fails (a failure status, or no response), before any request
   * waiting behind it starts. Given as `failureAborts` to each store of a run and its signal as
   * `signal`, the run stops at its first failure, as DCMTK's storescu does by default (--halt).
   */
  failureAborts?: AbortController;
}

interface ParsedResponse {
  command: Command;
  dataset: DataSet | undefined;
}

/** Internal wiring handed over by the ApplicationEntity. */
export interface AssociationSetup {
  isRequestor: boolean;
  upperLayer: UpperLayer;
  localAeTitle: string;
  remoteAeTitle: string;
  calledAeTitle: string;
  callingAeTitle: string;
  contexts: NegotiatedContext[];
  peerMaxPduLength: number;
  /** Requests this side may have outstanding (Association.operationsWindow); default 1, 0 unlimited. */
  operationsWindow?: number;
  /** The peer's requests this side serves at once (Association.performingWindow); default 1, 0 unlimited. */
  performingWindow?: number;
  peerImplementationClassUid?: string;
  peerImplementationVersionName?: string;
  /** The requestor's User Identity sub-item (PS3.7 §D.3.3.7.1), when it sent one. */
  userIdentity?: UserIdentityRq;
  /** The acceptor's User Identity response (PS3.7 §D.3.3.7.2), when it sent one. */
  userIdentityResponse?: Uint8Array;
  /** Our own cap on the P-DATA-TF PDUs we send, below the peer's maximum (DCMTK --max-send-pdu). */
  maxSendPduLength?: number;
  /** zlib level of the data sets this side deflates (AssociateOptions.deflateLevel); default 6. */
  deflateLevel?: DeflateLevel;
  /** Post-1993 VRs written as OB in the data sets this side encodes (AssociateOptions.newVRsAsOB). */
  newVRsAsOB?: boolean;
  /** Largest data set a request may carry to our handlers (ListenOptions.maxDataSetSize). */
  maxDataSetSize?: number;
  handlers: ServiceHandlers;
  logger?: Logger;
  timeouts?: AssociationTimeouts;
  /** For C-MOVE: opens an association to a destination for the sub-operations. */
  openSubAssociation?: import('./scp.ts').SubAssociationOpener;
  resolveMoveDestination?: import('./scp.ts').MoveResolver;
}

/**
 * An established association, on either side. SCU calls (echo, store, find, move, get, the N-
 * services) send requests and read responses; requests from the peer are served by `handlers`
 * (on an SCP, and on an SCU during C-GET). Events: 'released', 'aborted' (AbortInfo),
 * 'closed', 'request' and 'response' (IncomingMessage), 'error'.
 */
export class Association extends EventEmitter {
  readonly isRequestor: boolean;
  readonly localAeTitle: string;
  readonly remoteAeTitle: string;
  readonly calledAeTitle: string;
  readonly callingAeTitle: string;
  readonly contexts: readonly NegotiatedContext[];
  readonly peerMaxPduLength: number;
  readonly peerImplementationClassUid: string | undefined;
  readonly peerImplementationVersionName: string | undefined;
  /**
   * The user identity the requestor presented (PS3.7 §D.3.3.7): on an SCP, whom the handlers
   * serve (checked by `ListenOptions.verifyUserIdentity` when set); on an SCU, what it sent.
   */
  readonly userIdentity: UserIdentityRq | undefined;
  /**
   * The acceptor's positive response to the user identity (its server response: empty for a
   * user name or password, a Kerberos ticket, SAML or JWT response otherwise); undefined when
   * the acceptor sent none, e.g. because it ignores user identities.
   */
  readonly userIdentityResponse: Uint8Array | undefined;
  readonly remoteAddress: string;
  readonly remotePort: number;
  handlers: ServiceHandlers;
  readonly logger: Logger;
  /** @internal */
  readonly setup: AssociationSetup;
  readonly #ul: UpperLayer;
  readonly #channel: DimseChannel;
  readonly #pending = new Map<number, PendingRequest>();
  /** Requests made while the window was full, in order (see operationsWindow). */
  readonly #waiting: { start(): void; fail(error: Error): void }[] = [];
  /**
   * How many requests this side may have outstanding at once: the negotiated asynchronous
   * operations window (PS3.7 §D.3.3.3; invoked for the requestor, performed for the acceptor),
   * 1 when none was negotiated, Infinity for the standard's 0 (unlimited). Further requests
   * wait and go out as responses complete earlier ones.
   */
  readonly operationsWindow: number;
  /**
   * How many of the peer's requests are served at once: the window this side performs (PS3.7
   * §D.3.3.3), 1 unless negotiated otherwise. A peer that sends more has the rest wait, in
   * order, as DCMTK and pynetdicom serve them. Past MAX_WAITING_REQUESTS waiting, no more is
   * read from the socket until one starts (see #holdInput), so a peer cannot make the server
   * hold more than that many requests and their data sets (each up to the data stream's
   * high-water mark).
   */
  readonly performingWindow: number;
  #performing = 0;
  /** Requests from the peer past the performing window, in order of arrival. */
  readonly #waitingToServe: (() => void)[] = [];
  /** Resumes reading the socket, when it is held for a backlog of requests (see #holdInput). */
  #inputHeld: (() => void) | undefined;
  /** Requests being served, by message ID, for C-CANCEL. */
  readonly operations = new Map<number, { abort(reason?: unknown): void }>();
  readonly #dimseTimeout: number;
  /**
   * One timer watches every outstanding request's deadline: a timer set and cleared per
   * message cost a few microseconds of each small C-STORE. Unreferenced, since a request is
   * outstanding only while the association's socket keeps the process alive anyway.
   */
  #watchdog: NodeJS.Timeout | undefined;
  /** How data sets this side re-encodes are compressed (deflated syntaxes). */
  readonly #encoding: DataOptions;
  #nextMessageId = 1;
  #status: 'established' | 'releasing' | 'released' | 'aborted' = 'established';
  #abortInfo: AbortInfo | undefined;
  #closeWaiters: (() => void)[] = [];
  #releaseWaiters: { resolve: () => void; reject: (e: Error) => void }[] = [];
  /** Requests from the peer being served (see release()). */
  readonly #serving = new Set<Promise<void>>();
  #closed = false;
  #respondAfterConfirm = false;

  constructor(setup: AssociationSetup) {
    super();
    this.setup = setup;
    this.isRequestor = setup.isRequestor;
    this.localAeTitle = setup.localAeTitle;
    this.remoteAeTitle = setup.remoteAeTitle;
    this.calledAeTitle = setup.calledAeTitle;
    this.callingAeTitle = setup.callingAeTitle;
    this.contexts = setup.contexts;
    this.peerMaxPduLength = setup.peerMaxPduLength;
    this.peerImplementationClassUid = setup.peerImplementationClassUid;
    this.peerImplementationVersionName = setup.peerImplementationVersionName;
    this.userIdentity = setup.userIdentity;
    this.userIdentityResponse = setup.userIdentityResponse;
    this.handlers = setup.handlers;
    this.logger = setup.logger ?? SILENT_LOGGER;
    this.#ul = setup.upperLayer;
    this.remoteAddress = this.#ul.remoteAddress;
    this.remotePort = this.#ul.remotePort;
    this.#dimseTimeout = setup.timeouts?.dimse ?? 60_000;
    this.#encoding = {
      ...(setup.deflateLevel !== undefined ? { deflateLevel: setup.deflateLevel } : {}),
      ...(setup.newVRsAsOB ? { newVRsAsOB: true } : {}),
    };
    const window = setup.operationsWindow ?? 1;
    this.operationsWindow = window === 0 ? Number.POSITIVE_INFINITY : window;
    const performing = setup.performingWindow ?? 1;
    this.performingWindow = performing === 0 ? Number.POSITIVE_INFINITY : performing;
    this.#channel = new DimseChannel({
      send: (parts, written) => this.#ul.sendPData(parts, written),
      peerMaxPduLength: sendLimit(setup.peerMaxPduLength, setup.maxSendPduLength),
      ...(setup.maxDataSetSize !== undefined ? { maxDataSetSize: setup.maxDataSetSize } : {}),
      logger: this.logger,
      message: (message) => this.#onMessage(message),
      protocolError: (error) => {
        // The peer's fault, not ours: a warning, as for any PDU that breaks the protocol.
        this.logger.log('warn', `DIMSE protocol error: ${error.message}; aborting`);
        this.#ul.abort(error.message);
      },
    });
  }

  get isEstablished(): boolean {
    return this.#status === 'established';
  }

  /** How the association ended, if it was aborted. */
  get abortInfo(): AbortInfo | undefined {
    return this.#abortInfo;
  }

  // ---- called by the ApplicationEntity's UpperLayer hooks ----

  /** @internal */
  receivePData(pdu: import('../net/pdu/index.ts').PDataTf): void | Promise<void> {
    return this.#channel.receive(pdu);
  }

  /**
   * @internal The connection was silent for the idle timeout: keep it while a request is being
   * worked on, ours (its handler) or the peer's (its DIMSE timeout watches it), as Orthanc's
   * DicomScpTimeout counts only the wait for the next command. A message stopped halfway is a
   * peer gone quiet.
   */
  onIdle(): boolean {
    if (this.#channel.receiving) return false;
    return this.#serving.size > 0 || this.#pending.size > 0;
  }

  /** @internal */
  onReleaseIndication(collision: boolean): void {
    this.logger.log('info', `association release requested by ${this.remoteAeTitle}`);
    if (collision && !this.isRequestor) {
      // PS3.8 Table 9-10: the acceptor answers a collision only after AR-10 (Sta12).
      this.#respondAfterConfirm = true;
      return;
    }
    // Requests the peer sent before its A-RELEASE-RQ are answered first, then the release: in
    // Sta8 the acceptor may still send P-DATA (AR-7), and the requestor, in Sta7, still takes
    // it (AR-6). DCMTK and pynetdicom serve one message at a time, in order, and so answer them.
    // Until then nothing new is sent (isEstablished is false): the peer can no longer answer it.
    this.#status = 'releasing';
    this.#channel.abandonIncoming(
      new DicomError('ERR_UNEXPECTED_END', 'the peer asked for release before the data set was complete'),
    );
    void this.#releaseWhenServed();
  }

  async #releaseWhenServed(): Promise<void> {
    while (this.#serving.size > 0 && !this.#closed) await Promise.allSettled([...this.#serving]);
    if (this.#closed) return;
    this.#status = 'released';
    this.#ul.releaseResponse();
  }

  /** @internal */
  onReleaseConfirmation(): void {
    this.#status = 'released';
    if (this.#respondAfterConfirm) {
      this.#respondAfterConfirm = false;
      this.#ul.releaseResponse();
    }
  }

  /** @internal */
  onAbort(info: AbortInfo): void {
    if (this.#status !== 'released') this.#status = 'aborted';
    this.#abortInfo = info;
    this.logger.log(info.by === 'local' ? 'info' : 'warn', `association aborted: ${info.message}`);
    this.emit('aborted', info);
  }

  /** @internal */
  onClosed(): void {
    if (this.#closed) return;
    this.#closed = true;
    const released = this.#status === 'released';
    if (!released && this.#status !== 'aborted') this.#status = 'aborted';
    const error = released
      ? new DicomError('ERR_ASSOCIATION_CLOSED', 'the association was released')
      : new DicomError(
          'ERR_ASSOCIATION_ABORTED',
          `the association was aborted${this.#abortInfo ? `: ${this.#abortInfo.message}` : ''}`,
        );
    this.#channel.close(error);
    if (this.#watchdog) clearTimeout(this.#watchdog);
    this.#watchdog = undefined;
    for (const [, pending] of this.#pending) pending.fail(error);
    this.#pending.clear();
    for (const waiting of this.#waiting.splice(0)) waiting.fail(error);
    for (const [, controller] of this.operations) controller.abort(error);
    this.#releaseInput();
    for (const w of this.#releaseWaiters) {
      if (released) w.resolve();
      else w.reject(error);
    }
    this.#releaseWaiters = [];
    if (released) this.emit('released');
    this.emit('closed');
    for (const w of this.#closeWaiters) w();
    this.#closeWaiters = [];
  }

  /** Resolves when the connection is closed, however it ends. */
  closed(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => this.#closeWaiters.push(resolve));
  }

  // ---- SCU calls ----

  /**
   * A-RELEASE (PS3.8 §7.2): resolves once the peer confirms and the connection is closed.
   * Requests from the peer being served are answered first: a report the peer sent just
   * before (an N-EVENT-REPORT, say) gets its response rather than a release in its place.
   */
  async release(): Promise<void> {
    while (this.#serving.size > 0 && this.#status === 'established') {
      await Promise.allSettled([...this.#serving]);
    }
    if (this.#closed) {
      if (this.#status === 'released') return;
      throw new DicomError('ERR_ASSOCIATION_ABORTED', 'the association was aborted');
    }
    const done = new Promise<void>((resolve, reject) => this.#releaseWaiters.push({ resolve, reject }));
    if (this.#status === 'established') {
      this.#status = 'releasing';
      this.#ul.release();
    }
    return done;
  }

  /** A-ABORT (PS3.8 §7.3): ends the association at once. */
  abort(): Promise<void> {
    if (!this.#closed) this.#ul.abort();
    return this.closed();
  }

  /** C-ECHO (PS3.7 §9.1.5); resolves with the status, throws on a failure status. */
  async echo(): Promise<number> {
    const context = this.findContext('1.2.840.10008.1.1');
    const response = await this.#single('C-ECHO-RQ', context, { AffectedSOPClassUID: '1.2.840.10008.1.1' });
    return checked('C-ECHO', response.command).Status!;
  }

  /**
   * C-STORE (PS3.7 §9.1.1) of a file path, data set or stream. A file in an accepted syntax is
   * sent as it lies on disk, without decoding it; otherwise it is re-encoded to one the peer took.
   */
  async store(source: StoreSource | PreparedInstance, options: StoreOptions = {}): Promise<StoreResult> {
    const instance = isPrepared(source) ? source : await prepareSource(source);
    const context = this.storeContextFor(instance);
    const ts = context.transferSyntax!;
    if (ts !== instance.transferSyntax.uid) {
      this.logger.log(
        'info',
        `sending ${instance.label} as ${transferSyntax(ts).name} (stored as ${instance.transferSyntax.name})`,
      );
    }
    const fields: Omit<CommandFields, 'CommandField'> = {
      AffectedSOPClassUID: instance.sopClassUid,
      AffectedSOPInstanceUID: instance.sopInstanceUid,
      Priority: options.priority ?? 0,
    };
    if (options.moveOriginator) {
      fields.MoveOriginatorApplicationEntityTitle = options.moveOriginator.aeTitle;
      fields.MoveOriginatorMessageID = options.moveOriginator.messageId;
    }
    const failureAborts = options.failureAborts;
    const response = await this.#single('C-STORE-RQ', context, fields, instance.data(ts, this.#encoding), {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(failureAborts
        ? {
            // Before #settle starts the request waiting behind this one.
            onFinal: (command: Command | undefined) => {
              const status = command?.Status ?? Status.Success;
              if (!command || statusCategory(status) === 'failure' || statusCategory(status) === 'cancel')
                failureAborts.abort(new DicomError('ERR_CANCELLED', 'a store before this one failed'));
            },
          }
        : {}),
    });
    // The peer has answered; once the socket has handed every byte to the kernel, nothing
    // refers to the instance's bytes and its buffer can take the next file.
    if (instance.release && !this.#ul.socket?.writesPending) instance.release();
    const command = checked('C-STORE', response.command);
    return {
      status: command.Status!,
      sopClassUid: instance.sopClassUid,
      sopInstanceUid: instance.sopInstanceUid,
      transferSyntax: ts,
      ...(command.ErrorComment ? { errorComment: command.ErrorComment } : {}),
    };
  }

  /**
   * Stores many sources through this association, reading the next file while the current
   * one is on the wire (its header, and the whole file when small). Yields one outcome per
   * source, in order; a failed store does not stop the rest. `blocking` reads the files with
   * blocking calls (PrepareOptions.blocking): for tools, not for servers. `priority`,
   * `moveOriginator` and `signal` go to each store (a C-MOVE's sub-operations: a request not
   * yet sent when `signal` aborts is not sent, and yields ERR_CANCELLED).
   */
  async *storeMany(
    sources: Iterable<StoreSource> | AsyncIterable<StoreSource>,
    options: Pick<StoreOptions, 'priority' | 'moveOriginator' | 'signal'> & { blocking?: boolean } = {},
  ): AsyncGenerator<{ source: StoreSource; result?: StoreResult; error?: Error }> {
    const prepare = (source: StoreSource) =>
      prepareSource(source, { preload: true, blocking: options.blocking ?? false }).then(
        (instance) => ({ source, instance }),
        (error: Error) => ({ source, error }),
      );
    // Several files ahead: reading one takes four thread-pool round trips (open, stat, read,
    // close), which a single file of look-ahead did not always hide behind a small store.
    // Files over 8 MiB are not preloaded, so this holds 40 MiB at the most (four ahead, one sent).
    const ahead: ReturnType<typeof prepare>[] = [];
    // Stores made and not yet yielded: one more than the window, so that the next request is
    // waiting when a response arrives and goes out from its read callback (#settle).
    const inFlight: Promise<{ source: StoreSource; result?: StoreResult; error?: Error }>[] = [];
    const depth = Math.min(this.operationsWindow, READ_AHEAD) + 1;
    for await (const source of sources) {
      if (ahead.length < READ_AHEAD) {
        ahead.push(prepare(source));
        continue;
      }
      inFlight.push(this.#storePrepared(await ahead.shift()!, options));
      // The next file is read once this one is handed to the socket (the send runs in
      // microtasks, before an immediate), so it waits for the response, not the other way round:
      // read first, a blocking read sat between a response and the next request.
      ahead.push(new Promise<void>((resolve) => setImmediate(resolve)).then(() => prepare(source)));
      if (inFlight.length >= depth) yield await inFlight.shift()!;
    }
    while (ahead.length > 0) {
      inFlight.push(this.#storePrepared(await ahead.shift()!, options));
      if (inFlight.length >= depth) yield await inFlight.shift()!;
    }
    while (inFlight.length > 0) yield await inFlight.shift()!;
  }

  async #storePrepared(
    prepared: { source: StoreSource; instance?: PreparedInstance; error?: Error },
    options: Pick<StoreOptions, 'priority' | 'moveOriginator' | 'signal'>,
  ): Promise<{ source: StoreSource; result?: StoreResult; error?: Error }> {
    if (!prepared.instance) return { source: prepared.source, error: prepared.error! };
    try {
      return { source: prepared.source, result: await this.store(prepared.instance, options) };
    } catch (error) {
      return { source: prepared.source, error: error as Error };
    }
  }

  /**
   * C-FIND (PS3.7 §9.1.2): yields each pending response's identifier. Breaking out of the loop
   * or aborting `signal` sends C-CANCEL-RQ and waits for the final response, so the association
   * stays usable. Returns the final status; a failure status throws DimseStatusError.
   */
  async *find(identifier: DataSet, options: FindOptions = {}): AsyncGenerator<DataSet, number, undefined> {
    const sopClass = modelSopClass(options.model ?? 'study', 'find');
    const context = this.findContext(sopClass);
    const queue = this.#multi(
      'C-FIND-RQ',
      context,
      { AffectedSOPClassUID: sopClass, Priority: options.priority ?? 0 },
      encodeDataSet(identifier, context.transferSyntax!, this.#encoding),
    );
    let cancelled = false;
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      void this.#sendCancel(context.id, queue.messageId);
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    let finished = false;
    try {
      if (options.signal?.aborted) cancel();
      for (;;) {
        const response = await queue.next();
        const status = response.command.Status ?? Status.Success;
        const category = statusCategory(status);
        if (category === 'pending') {
          if (!cancelled && response.dataset) yield response.dataset;
          continue;
        }
        finished = true;
        if (category === 'failure')
          throw new DimseStatusError('C-FIND', status, response.command.ErrorComment);
        return status;
      }
    } finally {
      options.signal?.removeEventListener('abort', cancel);
      if (!finished) {
        cancel();
        await queue.drain();
      }
    }
  }

  /** C-MOVE (PS3.7 §9.1.4): the peer sends the matches to `destination` on another association. */
  move(identifier: DataSet, destination: string, options: RetrieveOptions = {}): Promise<RetrieveResult> {
    const sopClass = modelSopClass(options.model ?? 'study', 'move');
    return this.#retrieve('C-MOVE-RQ', sopClass, identifier, options, { MoveDestination: destination });
  }

  /**
   * C-GET (PS3.7 §9.1.3): the peer sends the matches as C-STORE sub-operations on this
   * association, served by `options.store` or `handlers.store`. Storage contexts with the SCP
   * role must have been negotiated (see getStorageContexts).
   */
  async get(
    identifier: DataSet,
    options: RetrieveOptions & { store?: ServiceHandlers['store'] } = {},
  ): Promise<RetrieveResult> {
    const sopClass = modelSopClass(options.model ?? 'study', 'get');
    const previous = this.handlers;
    if (options.store) this.handlers = { ...previous, store: options.store };
    try {
      return await this.#retrieve('C-GET-RQ', sopClass, identifier, options, {});
    } finally {
      this.handlers = previous;
    }
  }

  async #retrieve(
    name: 'C-MOVE-RQ' | 'C-GET-RQ',
    sopClass: string,
    identifier: DataSet,
    options: RetrieveOptions,
    extra: Partial<CommandFields>,
  ): Promise<RetrieveResult> {
    const context = this.findContext(sopClass);
    const queue = this.#multi(
      name,
      context,
      { AffectedSOPClassUID: sopClass, Priority: options.priority ?? 0, ...extra },
      encodeDataSet(identifier, context.transferSyntax!, this.#encoding),
    );
    let cancelled = false;
    const cancel = (): void => {
      if (cancelled) return;
      cancelled = true;
      void this.#sendCancel(context.id, queue.messageId);
    };
    options.signal?.addEventListener('abort', cancel, { once: true });
    if (options.signal?.aborted) cancel();
    const service = name.slice(0, 5);
    try {
      for (;;) {
        const response = await queue.next();
        const c = response.command;
        const status = c.Status ?? Status.Success;
        const progress: RetrieveProgress = {
          remaining: c.NumberOfRemainingSuboperations,
          completed: c.NumberOfCompletedSuboperations ?? 0,
          failed: c.NumberOfFailedSuboperations ?? 0,
          warning: c.NumberOfWarningSuboperations ?? 0,
        };
        if (statusCategory(status) === 'pending') {
          options.onProgress?.(progress);
          continue;
        }
        if (statusCategory(status) === 'failure' && progress.completed === 0 && progress.warning === 0) {
          throw new DimseStatusError(service, status, c.ErrorComment);
        }
        return {
          ...progress,
          status,
          failedSopInstanceUids: response.dataset?.strings(0x00080058)?.map((s) => s.trim()) ?? [],
        };
      }
    } finally {
      options.signal?.removeEventListener('abort', cancel);
    }
  }

  /** N-EVENT-REPORT (PS3.7 §10.1.1). */
  nEventReport(
    sopClassUid: string,
    sopInstanceUid: string,
    eventTypeId: number,
    info?: DataSet,
  ): Promise<NResponse> {
    return this.#nCall(
      'N-EVENT-REPORT-RQ',
      sopClassUid,
      'scp',
      { AffectedSOPClassUID: sopClassUid, AffectedSOPInstanceUID: sopInstanceUid, EventTypeID: eventTypeId },
      info,
    );
  }

  /** N-GET (PS3.7 §10.1.2): `attributes` empty asks for all. */
  nGet(sopClassUid: string, sopInstanceUid: string, attributes: number[] = []): Promise<NResponse> {
    return this.#nCall('N-GET-RQ', sopClassUid, 'scu', {
      RequestedSOPClassUID: sopClassUid,
      RequestedSOPInstanceUID: sopInstanceUid,
      ...(attributes.length > 0 ? { AttributeIdentifierList: attributes } : {}),
    });
  }

  /** N-SET (PS3.7 §10.1.3). */
  nSet(sopClassUid: string, sopInstanceUid: string, modifications: DataSet): Promise<NResponse> {
    return this.#nCall(
      'N-SET-RQ',
      sopClassUid,
      'scu',
      { RequestedSOPClassUID: sopClassUid, RequestedSOPInstanceUID: sopInstanceUid },
      modifications,
    );
  }

  /** N-ACTION (PS3.7 §10.1.4). */
  nAction(
    sopClassUid: string,
    sopInstanceUid: string,
    actionTypeId: number,
    info?: DataSet,
  ): Promise<NResponse> {
    return this.#nCall(
      'N-ACTION-RQ',
      sopClassUid,
      'scu',
      {
        RequestedSOPClassUID: sopClassUid,
        RequestedSOPInstanceUID: sopInstanceUid,
        ActionTypeID: actionTypeId,
      },
      info,
    );
  }

  /** N-CREATE (PS3.7 §10.1.5); without an instance UID the SCP assigns one (see the response). */
  nCreate(sopClassUid: string, sopInstanceUid: string | undefined, attributes?: DataSet): Promise<NResponse> {
    return this.#nCall(
      'N-CREATE-RQ',
      sopClassUid,
      'scu',
      {
        AffectedSOPClassUID: sopClassUid,
        ...(sopInstanceUid ? { AffectedSOPInstanceUID: sopInstanceUid } : {}),
      },
      attributes,
    );
  }

  /** N-DELETE (PS3.7 §10.1.6). */
  nDelete(sopClassUid: string, sopInstanceUid: string): Promise<NResponse> {
    return this.#nCall('N-DELETE-RQ', sopClassUid, 'scu', {
      RequestedSOPClassUID: sopClassUid,
      RequestedSOPInstanceUID: sopInstanceUid,
    });
  }

  async #nCall(
    name: DimseCommandName,
    sopClassUid: string,
    role: 'scu' | 'scp',
    fields: Omit<CommandFields, 'CommandField'>,
    data?: DataSet,
  ): Promise<NResponse> {
    const context = this.findContext(sopClassUid, role);
    const response = await this.#single(
      name,
      context,
      fields,
      data ? encodeDataSet(data, context.transferSyntax!, this.#encoding) : undefined,
    );
    const command = response.command;
    const status = command.Status ?? Status.Success;
    if (statusCategory(status) === 'failure') {
      throw new DimseStatusError(name.replace(/-RQ$/, ''), status, command.ErrorComment);
    }
    return {
      status,
      command,
      ...(command.ErrorComment ? { errorComment: command.ErrorComment } : {}),
      ...(response.dataset ? { dataset: response.dataset } : {}),
    };
  }

  // ---- contexts ----

  /**
   * The accepted context for an abstract syntax in which we play `role` of its SOP class: the
   * SCU's (who invokes most operations) by default; the SCP's for N-EVENT-REPORT, which the
   * SCP invokes (PS3.7 §10.1.1).
   */
  findContext(abstractSyntax: string, role: 'scu' | 'scp' = 'scu'): NegotiatedContext {
    const context = this.contexts.find(
      (c) => c.accepted && c.abstractSyntax === abstractSyntax && playsRole(c, this.isRequestor, role),
    );
    if (!context) {
      const proposed = this.contexts.filter((c) => c.abstractSyntax === abstractSyntax);
      throw new DicomError(
        'ERR_NO_PRESENTATION_CONTEXT',
        proposed.length === 0
          ? `no presentation context was proposed for ${abstractSyntax}`
          : `the peer did not accept a presentation context for ${abstractSyntax}`,
      );
    }
    return context;
  }

  /**
   * The context to send an instance in: its own syntax if accepted, else one it converts to,
   * preferring Explicit VR Little Endian.
   */
  storeContextFor(instance: PreparedInstance): NegotiatedContext {
    const candidates = this.contexts.filter(
      (c) => c.accepted && c.abstractSyntax === instance.sopClassUid && playsRole(c, this.isRequestor, 'scu'),
    );
    if (candidates.length === 0) {
      throw new DicomError(
        'ERR_NO_PRESENTATION_CONTEXT',
        `${instance.label}: the peer accepted no presentation context for ${instance.sopClassUid}`,
      );
    }
    const exact = candidates.find((c) => c.transferSyntax === instance.transferSyntax.uid);
    if (exact) return exact;
    const order = [
      '1.2.840.10008.1.2.1',
      '1.2.840.10008.1.2',
      '1.2.840.10008.1.2.1.99',
      '1.2.840.10008.1.2.2',
    ];
    const ranked = [...candidates].sort(
      (a, b) => rank(order, a.transferSyntax!) - rank(order, b.transferSyntax!),
    );
    const usable = ranked.find((c) => instance.canSendAs(c.transferSyntax!));
    if (!usable) {
      throw new DicomError(
        'ERR_NO_PRESENTATION_CONTEXT',
        `${instance.label} is ${instance.transferSyntax.name}; the peer accepted only ${[...new Set(candidates.map((c) => transferSyntax(c.transferSyntax!).name))].join(', ')} for its SOP class, and converting needs a pixel codec`,
      );
    }
    return usable;
  }

  // ---- messages ----

  /** @internal Sends a message (responses and requests) on a context. */
  sendMessage(contextId: number, fields: CommandFields, data?: MessageData): Promise<void> {
    return this.#channel.send(contextId, fields, data);
  }

  /**
   * Sends one of our requests. Its DIMSE timeout, armed when it was registered, runs again
   * after each write the socket made us wait for and at the end of a message sent in parts
   * (the channel's `progress`): a large data set to a slow reader then takes the time it
   * needs, while a peer that stops reading still fails it (DCMTK's and pynetdicom's DIMSE
   * timeouts, too, wait for responses, not sends).
   */
  #sendRequest(
    messageId: number,
    contextId: number,
    fields: CommandFields,
    data?: MessageData,
  ): Promise<void> {
    const rearm = () => {
      const pending = this.#pending.get(messageId);
      if (pending) this.#armTimer(pending);
    };
    return this.#channel.send(contextId, fields, data, rearm);
  }

  /** @internal */
  nextMessageId(): number {
    const id = this.#nextMessageId;
    this.#nextMessageId = id >= 0xffff ? 1 : id + 1;
    return id;
  }

  #onMessage(message: IncomingMessage): void | Promise<void> {
    const command = message.command;
    if (command.info.isResponse) {
      this.emit('response', message);
      const pending = this.#pending.get(command.MessageIDBeingRespondedTo ?? -1);
      if (!pending) {
        this.logger.log(
          'warn',
          `${command.info.name} answers message ${command.MessageIDBeingRespondedTo}, which is not outstanding`,
        );
        message.data?.discard();
        return;
      }
      // The DIMSE timeout runs again until the next response; a final one settles the
      // request in pending.response(), after which the watchdog no longer sees it.
      if (statusCategory(command.Status ?? Status.Success) === 'pending') {
        this.#armTimer(pending);
      }
      pending.response(message);
      return;
    }
    this.emit('request', message);
    if (command.info.name === 'C-CANCEL-RQ') {
      const operation = this.operations.get(command.MessageIDBeingRespondedTo ?? -1);
      this.logger.log(
        'info',
        `C-CANCEL for message ${command.MessageIDBeingRespondedTo}${operation ? '' : ' (not running)'}`,
      );
      operation?.abort(new DicomError('ERR_CANCELLED', 'cancelled by the peer (C-CANCEL-RQ)'));
      return;
    }
    const serving = this.#serveInTurn(message)
      .catch((error: unknown) => {
        this.logger.log('error', `serving ${command.info.name}: ${(error as Error).message}`);
      })
      .finally(() => this.#serving.delete(serving));
    this.#serving.add(serving);
    return this.#holdInput();
  }

  /** Serves a request once fewer than performingWindow are being served, in order of arrival. */
  async #serveInTurn(message: IncomingMessage): Promise<void> {
    let cancel: LazyAbort | undefined;
    const messageId = message.command.MessageID ?? 0;
    if (this.#performing >= this.performingWindow) {
      // A C-CANCEL may come for it while it waits (PS3.7 §9.3.2.3): it is then answered with
      // Cancel instead of being run (serveRequest).
      if (!this.operations.has(messageId)) {
        cancel = new LazyAbort();
        this.operations.set(messageId, cancel);
      }
      // The one finishing hands its place over (#performing stays), so none can jump the queue.
      await new Promise<void>((resolve) => this.#waitingToServe.push(resolve));
    } else {
      this.#performing++;
    }
    try {
      if (this.#closed) {
        if (cancel && this.operations.get(messageId) === cancel) this.operations.delete(messageId);
        message.data?.discard();
        return;
      }
      await serveRequest(this, message, cancel);
    } finally {
      const next = this.#waitingToServe.shift();
      if (next) next();
      else this.#performing--;
      if (this.#waitingToServe.length < MAX_WAITING_REQUESTS) this.#releaseInput();
    }
  }

  /**
   * Holds the socket's input (the channel's backpressure) while MAX_WAITING_REQUESTS of the
   * peer's requests wait their turn: a peer pipelining past the window (thousands of C-ECHOs,
   * or C-STOREs whose data sets fit the data stream's buffer) would otherwise make us keep
   * them all. Not while a request of ours is outstanding, e.g. a C-GET's sub-operation: its
   * response comes through the same input, and holding it would wait for ever.
   */
  #holdInput(): Promise<void> | undefined {
    if (this.#waitingToServe.length < MAX_WAITING_REQUESTS || this.#pending.size > 0 || this.#closed) return;
    if (this.#inputHeld) return;
    this.logger.log(
      'debug',
      `${this.#waitingToServe.length} requests wait their turn: reading no more until one is served`,
    );
    return new Promise<void>((resolve) => {
      this.#inputHeld = resolve;
    });
  }

  #releaseInput(): void {
    const resume = this.#inputHeld;
    this.#inputHeld = undefined;
    resume?.();
  }

  /** (Re)starts a request's DIMSE timeout: at sending, and at each pending response. */
  #armTimer(pending: PendingRequest): void {
    if (this.#dimseTimeout <= 0) return;
    pending.deadline = performance.now() + this.#dimseTimeout;
    // A running watchdog fires before this deadline (it was set no later, for no longer).
    if (!this.#watchdog) this.#watchDeadlines(this.#dimseTimeout);
  }

  #watchDeadlines(delay: number): void {
    this.#watchdog = setTimeout(() => this.#checkDeadlines(), delay);
    this.#watchdog.unref();
  }

  /** Fails the requests whose DIMSE timeout expired (then aborts), else waits for the next deadline. */
  #checkDeadlines(): void {
    this.#watchdog = undefined;
    const now = performance.now();
    let next = Number.POSITIVE_INFINITY;
    let expired: Error | undefined;
    for (const [messageId, pending] of this.#pending) {
      if (pending.deadline === undefined) continue;
      // Timers may fire a little early: a millisecond of slack.
      if (pending.deadline > now + 1) {
        next = Math.min(next, pending.deadline);
        continue;
      }
      this.#pending.delete(messageId);
      expired = new DicomError(
        'ERR_TIMEOUT',
        `no ${pending.name.replace('-RQ', '-RSP')} within ${this.#dimseTimeout} ms (DIMSE timeout)`,
      );
      pending.fail(expired);
    }
    if (expired) {
      this.logger.log('error', `${expired.message}; aborting the association`);
      this.#ul.abort(expired.message);
    } else if (next !== Number.POSITIVE_INFINITY) {
      this.#watchDeadlines(next - now);
    }
  }

  #register(
    name: DimseCommandName,
    context: NegotiatedContext,
    handler: Omit<PendingRequest, 'name' | 'transferSyntax'>,
  ): number {
    if (this.#closed || this.#status !== 'established') {
      throw new DicomError(
        'ERR_ASSOCIATION_CLOSED',
        `cannot send ${name}: the association is ${this.#status}`,
      );
    }
    const messageId = this.nextMessageId();
    const pending: PendingRequest = { name, transferSyntax: context.transferSyntax!, ...handler };
    this.#pending.set(messageId, pending);
    // Its response comes through the input (see #holdInput).
    this.#releaseInput();
    this.#armTimer(pending);
    return messageId;
  }

  #single(
    name: DimseCommandName,
    context: NegotiatedContext,
    fields: Omit<CommandFields, 'CommandField'>,
    data?: MessageData,
    hooks: RequestHooks = {},
  ): Promise<ParsedResponse> {
    return new Promise<ParsedResponse>((resolve, reject) => {
      this.#whenWindowAllows(() => {
        if (hooks.signal?.aborted) {
          reject(cancelledBeforeSending(name, hooks.signal));
          return;
        }
        let messageId = 0;
        try {
          messageId = this.#register(name, context, {
            response: (message) => {
              hooks.onFinal?.(message.command);
              this.#settle(messageId);
              parseResponse(message, context.transferSyntax!).then(resolve, reject);
            },
            fail: (error) => {
              hooks.onFinal?.(undefined);
              reject(error);
            },
          });
        } catch (error) {
          hooks.onFinal?.(undefined);
          reject(error);
          return;
        }
        this.#sendRequest(
          messageId,
          context.id,
          { ...fields, CommandField: commandField(name), MessageID: messageId },
          data,
        ).catch((error: unknown) => {
          hooks.onFinal?.(undefined);
          this.#settle(messageId);
          reject(error);
          // Part of a message may have gone out; the peer cannot make sense of what follows.
          if (this.#status === 'established')
            this.#ul.abort(`sending ${name} failed: ${(error as Error).message}`);
        });
      }, reject);
    });
  }

  /** A request with several responses: a queue read in order; the last non-pending one ends it. */
  #multi(
    name: DimseCommandName,
    context: NegotiatedContext,
    fields: Omit<CommandFields, 'CommandField'>,
    data?: MessageData,
  ): ResponseQueue {
    const queue = new ResponseQueue();
    this.#whenWindowAllows(
      () => {
        let messageId = 0;
        try {
          messageId = this.#register(name, context, {
            response: (message) => {
              const status = message.command.Status ?? Status.Success;
              const final = statusCategory(status) !== 'pending';
              if (final) this.#settle(messageId);
              queue.push(parseResponse(message, context.transferSyntax!), final);
            },
            fail: (error) => queue.fail(error),
          });
        } catch (error) {
          queue.fail(error as Error);
          return;
        }
        queue.messageId = messageId;
        this.#sendRequest(
          messageId,
          context.id,
          { ...fields, CommandField: commandField(name), MessageID: messageId },
          data,
        ).catch((error: unknown) => {
          this.#settle(messageId);
          queue.fail(error as Error);
        });
      },
      (error) => queue.fail(error),
    );
    return queue;
  }

  /**
   * Starts a request now if fewer than `operationsWindow` of ours are outstanding, else when
   * one completes (PS3.7 §D.3.3.3: without a negotiated window, one at a time). Requests
   * queued this way go out in the order they were made.
   */
  #whenWindowAllows(start: () => void, fail: (error: Error) => void): void {
    if (this.#waiting.length === 0 && this.#pending.size < this.operationsWindow) {
      start();
      return;
    }
    this.#waiting.push({ start, fail });
  }

  /** A request of ours is complete (or failed): forget it and start the next one waiting. */
  #settle(messageId: number): void {
    const pending = this.#pending.get(messageId);
    if (!pending) return;
    this.#pending.delete(messageId);
    while (this.#waiting.length > 0 && this.#pending.size < this.operationsWindow) {
      this.#waiting.shift()!.start();
    }
  }

  async #sendCancel(contextId: number, messageId: number): Promise<void> {
    try {
      await this.sendMessage(contextId, { CommandField: 0x0fff, MessageIDBeingRespondedTo: messageId });
    } catch (error) {
      this.logger.log('warn', `C-CANCEL-RQ not sent: ${(error as Error).message}`);
    }
  }
}

function rank(order: string[], ts: string): number {
  const i = order.indexOf(ts);
  return i < 0 ? order.length : i;
}

function isPrepared(source: StoreSource | PreparedInstance): source is PreparedInstance {
  return typeof source === 'object' && source !== null && 'canSendAs' in source;
}

function checked(service: string, command: Command): Command {
  const status = command.Status ?? Status.Success;
  if (statusCategory(status) === 'failure' || statusCategory(status) === 'cancel') {
    throw new DimseStatusError(service, status, command.ErrorComment);
  }
  return command;
}

/**
 * Whether the requestor (`requestor` true) or the acceptor plays `role` of a context's SOP
 * class. A negotiated context's roles are the requestor's (PS3.7 §D.3.3.4); the acceptor
 * plays the other one.
 */
export function playsRole(context: NegotiatedContext, requestor: boolean, role: 'scu' | 'scp'): boolean {
  return requestor === (role === 'scu') ? context.scuRole : context.scpRole;
}

/** Encodes a data set (identifier, N- attributes) in a context's transfer syntax, as wireEncoder() does. */
export function encodeDataSet(dataset: DataSet, tsUid: string, options: DataOptions = {}): Uint8Array {
  const ts = transferSyntax(tsUid);
  const bytes = concatParts(wireEncoder(options).encode(dataset, ts));
  return ts.deflated ? deflateRaw(bytes, options.deflateLevel) : bytes;
}

async function parseResponse(message: IncomingMessage, tsUid: string): Promise<ParsedResponse> {
  if (!message.data) return { command: message.command, dataset: undefined };
  const bytes = await message.data.bytes();
  try {
    return {
      command: message.command,
      dataset: bytes.length > 0 ? readDataSet(bytes, tsUid) : new DataSet(),
    };
  } catch (error) {
    throw new DicomError(
      'ERR_DIMSE',
      `${message.command.info.name} data set cannot be parsed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}

/** Responses of one multi-response request, in arrival order. */
class ResponseQueue {
  messageId = 0;
  #items: Promise<ParsedResponse>[] = [];
  #waiter: (() => void) | undefined;
  #error: Error | undefined;
  #finished = false;

  push(item: Promise<ParsedResponse>, final: boolean): void {
    item.catch(() => {});
    this.#items.push(item);
    if (final) this.#finished = true;
    this.#wake();
  }

  fail(error: Error): void {
    this.#error = error;
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.();
  }

  async next(): Promise<ParsedResponse> {
    for (;;) {
      const item = this.#items.shift();
      if (item) return item;
      if (this.#error) throw this.#error;
      await new Promise<void>((resolve) => {
        this.#waiter = resolve;
      });
    }
  }

  /** Reads and drops responses up to the final one (after a cancel or an early exit). */
  async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.#finished && this.#items.length === 0) return;
        await this.next();
      }
    } catch {
      // The association ended; nothing left to drain.
    }
  }
}

export { describeStatus };

/** The largest PDU to send: the peer's maximum (0: unlimited), lowered to our own cap if any. */
function sendLimit(peerMaximum: number, ownCap: number | undefined): number {
  if (ownCap === undefined) return peerMaximum;
  return peerMaximum > 0 ? Math.min(peerMaximum, ownCap) : ownCap;
}
