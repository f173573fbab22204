import type { Command, DataStream } from '../net/dimse/index.ts';
import type { DataSet } from '../object/index.ts';
import type { Association } from './association.ts';
import type { StoreSource } from './store-source.ts';

/** What every handler learns about the request it serves. */
export interface RequestContext {
  association: Association;
  contextId: number;
  abstractSyntax: string;
  transferSyntax: string;
  messageId: number;
  /**
   * What the SCP granted in SOP Class Extended Negotiation for this SOP class (PS3.7
   * §D.3.3.5), e.g. byte 0 = 1 for relational queries (PS3.4 §C.5.1.1.1).
   */
  extendedNegotiation?: Uint8Array;
  /** Aborted by a C-CANCEL-RQ for this message, or when the association ends. */
  signal: AbortSignal;
}

/** A status, with an optional Error Comment (0000,0902) and Offending Element (0000,0901). */
export type StatusResult =
  | number
  | { status: number; errorComment?: string; offendingElements?: number[] }
  | undefined
  // biome-ignore lint/suspicious/noConfusingVoidType: lets a handler be a plain `async () => {}` (success)
  | void;

/** What StoreRequest.writeFile wrote. */
export interface WrittenFile {
  path: string;
  bytes: number;
}

export interface StoreRequest {
  sopClassUid: string;
  sopInstanceUid: string;
  priority: number;
  /** The syntax the data set arrives in (the presentation context's). */
  transferSyntax: string;
  /** Set when the store is a C-MOVE sub-operation (PS3.7 §9.1.1.1). */
  moveOriginator?: { aeTitle: string; messageId: number };
  /** The data set bytes as they arrive; read it once (or call one of the helpers). */
  data: DataStream;
  /** Reads the whole data set into memory and parses it. */
  dataset(): Promise<DataSet>;
  /**
   * Streams the data set into a Part 10 file at `path` (file meta first; written to
   * `path.part`, fsynced when asked, renamed), never holding it in memory. Returning its result from
   * the handler answers Success.
   */
  writeFile(path: string, options?: import('./scp.ts').WriteFileOptions): Promise<WrittenFile>;
}

export interface FindRequest {
  sopClassUid: string;
  priority: number;
  identifier: DataSet;
}

/** A C-FIND handler yields matches; a `{ status }` item sets the status of its response. */
export type FindYield = DataSet | { status: number; identifier?: DataSet };

export interface RetrieveRequest {
  sopClassUid: string;
  priority: number;
  identifier: DataSet;
  /** C-MOVE only: the AE title to send to. */
  destination?: string;
}

/** A C-MOVE/C-GET handler yields instances to send, optionally preceded by `{ count }`. */
export type RetrieveYield = StoreSource | { count: number };

export interface NRequest {
  command: Command;
  sopClassUid: string;
  sopInstanceUid: string | undefined;
  dataset: DataSet | undefined;
}

export interface NResult {
  status?: number;
  errorComment?: string;
  dataset?: DataSet;
  /** N-CREATE: the instance UID the SCP assigned when the SCU gave none. */
  sopInstanceUid?: string;
}

type MaybeAsyncIterable<T> = Iterable<T> | AsyncIterable<T>;
type Awaitable<T> = T | Promise<T>;

/** Async functions and async generators serving DIMSE requests (SCP role, or SCU during C-GET). */
export interface ServiceHandlers {
  echo?(ctx: RequestContext): Awaitable<StatusResult>;
  store?(request: StoreRequest, ctx: RequestContext): Awaitable<StatusResult | WrittenFile>;
  find?(request: FindRequest, ctx: RequestContext): Awaitable<MaybeAsyncIterable<FindYield>>;
  move?(request: RetrieveRequest, ctx: RequestContext): Awaitable<MaybeAsyncIterable<RetrieveYield>>;
  get?(request: RetrieveRequest, ctx: RequestContext): Awaitable<MaybeAsyncIterable<RetrieveYield>>;
  nEventReport?(request: NRequest & { eventTypeId: number }, ctx: RequestContext): Awaitable<NResult>;
  nGet?(request: NRequest & { attributes: number[] }, ctx: RequestContext): Awaitable<NResult>;
  nSet?(request: NRequest, ctx: RequestContext): Awaitable<NResult>;
  nAction?(request: NRequest & { actionTypeId: number }, ctx: RequestContext): Awaitable<NResult>;
  nCreate?(request: NRequest, ctx: RequestContext): Awaitable<NResult>;
  nDelete?(request: NRequest, ctx: RequestContext): Awaitable<NResult>;
}

/** Where a C-MOVE destination AE title leads. */
export interface MoveDestination {
  aeTitle: string;
  host: string;
  port: number;
  tls?: import('node:tls').ConnectionOptions;
}
