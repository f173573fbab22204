import { dirname } from 'node:path';
import { DicomError, mapConcurrently } from '../core/index.ts';
import { transferSyntax } from '../encoding/index.ts';
import type { NegotiatedContext, ProposedContext } from '../net/association/index.ts';
import {
  type CommandFields,
  type DataStream,
  DimseStatusError,
  type IncomingMessage,
  responseField,
  Status,
  statusCategory,
} from '../net/dimse/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { DataSet, DataSetHeadReader, readDataSet, receivedFileMeta } from '../object/index.ts';
import { type Association, encodeDataSet, playsRole } from './association.ts';
import { MAX_PRESENTATION_CONTEXTS, storeProposals } from './contexts.ts';
import type {
  FindYield,
  MoveDestination,
  NRequest,
  NResult,
  RequestContext,
  RetrieveYield,
  StatusResult,
  StoreRequest,
  WrittenFile,
} from './handlers.ts';
import { sparesIn } from './part-file.ts';
import { type PreparedInstance, prepareSource, type StoreSource } from './store-source.ts';

const SOP_CLASS_UID = 0x00080016;
const SOP_INSTANCE_UID = 0x00080018;

export interface WriteFileOptions {
  /**
   * fsync of the data before the rename and of the directory after it, so a Success sent
   * after it survives a power cut. Off by default,
   * as in DCMTK's storescp; the PACS turns it on (ARCHITECTURE.md: durable before Success).
   */
  fsync?: boolean;
  /**
   * Whether the data set must carry the SOP Class and Instance UIDs its command announced
   * (PS3.4 §B.2.3): otherwise nothing is kept and the store fails with 0xA900, or 0xC000 when
   * the data set has none, as DCMTK's storescp answers. Default true; padding is tolerated.
   */
  checkIdentity?: boolean;
  /**
   * Write the preamble and file meta (PS3.10 §7.1) before the data set. Default true; false
   * writes the data set alone, as DCMTK's storescp -F does.
   */
  fileMeta?: boolean;
}

/** Opens an association to a C-MOVE destination with the given proposals. */
export type SubAssociationOpener = (
  destination: MoveDestination,
  proposals: ProposedContext[],
) => Promise<Association>;

/** Looks a C-MOVE destination AE title up (the SCP's list of known peers). */
export type MoveResolver = (
  aeTitle: string,
) => MoveDestination | undefined | Promise<MoveDestination | undefined>;

type Respond = (
  fields: Omit<CommandFields, 'CommandField' | 'MessageIDBeingRespondedTo'>,
  data?: Uint8Array,
) => Promise<void>;

/**
 * Serves one request from the peer with the association's handlers and sends the response(s)
 * (PS3.7 §9.1 and §10.1 for what each response carries). A handler that throws becomes a
 * failure status with the error as its Error Comment; nothing a handler does ends the association.
 */
export async function serveRequest(
  association: Association,
  message: IncomingMessage,
  cancel = new LazyAbort(),
): Promise<void> {
  const { command, contextId } = message;
  const context = association.contexts.find((c) => c.id === contextId);
  // The peer may invoke operations on a context only in a role it was granted (PS3.7 §D.3.3.4):
  // the SCU's, or the SCP's for N-EVENT-REPORT (PS3.7 §10.1.1). A requestor that reports
  // without having negotiated the SCP role (older modalities and archives opening an association
  // for a Storage Commitment report do) is served anyway: refusing would lose the report, and
  // the report is what the association is for. We send reports by the rule (findContext).
  const isReport = command.info.name === 'N-EVENT-REPORT-RQ';
  const peerIsRequestor = !association.isRequestor;
  const peerMayInvoke =
    context &&
    ((isReport && peerIsRequestor) || playsRole(context, peerIsRequestor, isReport ? 'scp' : 'scu'));
  if (!context?.accepted || !peerMayInvoke) {
    // The peer broke the protocol: its fault (a warning), and the association is aborted.
    association.logger.log(
      'warn',
      `${command.info.name} on presentation context ${contextId}, which is not accepted for that role; aborting`,
    );
    message.data?.discard();
    await association.abort();
    return;
  }
  const messageId = command.MessageID ?? 0;
  association.operations.set(messageId, cancel);
  const ctx: RequestContext = {
    association,
    contextId,
    abstractSyntax: context.abstractSyntax,
    transferSyntax: context.transferSyntax!,
    messageId,
    ...(context.extendedNegotiation ? { extendedNegotiation: context.extendedNegotiation } : {}),
    get signal() {
      return cancel.signal;
    },
  };
  const respond: Respond = (fields, data) =>
    association.sendMessage(
      contextId,
      { CommandField: responseField(command.CommandField), MessageIDBeingRespondedTo: messageId, ...fields },
      data,
    );
  try {
    if (cancel.aborted && CANCELLABLE.has(command.info.name)) {
      // A C-CANCEL came while it waited its turn: answered Cancel without being run, as one
      // cancelled at its start would be.
      association.logger.log(
        'info',
        `${command.info.name} (message ${messageId}) cancelled before it was served`,
      );
      message.data?.discard();
      return await respond({ AffectedSOPClassUID: command.AffectedSOPClassUID, Status: Status.Cancel });
    }
    switch (command.info.name) {
      case 'C-ECHO-RQ':
        return await serveEcho(association, ctx, respond);
      case 'C-STORE-RQ':
        return await serveStore(association, message, ctx, respond);
      case 'C-FIND-RQ':
        return await serveFind(association, message, ctx, respond);
      case 'C-MOVE-RQ':
      case 'C-GET-RQ':
        return await serveRetrieve(association, message, ctx, respond);
      default:
        return await serveN(association, message, ctx, respond);
    }
  } catch (error) {
    // The response could not be sent: the association is gone or going.
    association.logger.log(
      'warn',
      `${command.info.name} (message ${messageId}): ${(error as Error).message}`,
    );
  } finally {
    association.operations.delete(messageId);
    if (message.data && !message.data.ended) message.data.discard();
  }
}

/** Requests a C-CANCEL applies to (PS3.7 §9.3.2.3, §9.3.3.3, §9.3.4.3). */
const CANCELLABLE: ReadonlySet<string> = new Set(['C-FIND-RQ', 'C-MOVE-RQ', 'C-GET-RQ']);

/**
 * An AbortController made only when a handler looks at its signal: most C-STOREs never do,
 * and creating one (an EventTarget) showed in profiles of small instances. A cancel or an
 * abort that comes first is remembered and applied when the signal is made.
 */
export class LazyAbort {
  #controller: AbortController | undefined;
  #aborted = false;
  #reason: unknown;

  get signal(): AbortSignal {
    if (!this.#controller) {
      this.#controller = new AbortController();
      if (this.#aborted) this.#controller.abort(this.#reason);
    }
    return this.#controller.signal;
  }

  get aborted(): boolean {
    return this.#controller ? this.#controller.signal.aborted : this.#aborted;
  }

  abort(reason?: unknown): void {
    if (this.#controller) {
      this.#controller.abort(reason);
      return;
    }
    if (this.#aborted) return;
    this.#aborted = true;
    this.#reason = reason;
  }
}

function statusFields(
  result: StatusResult | WrittenFile | undefined,
  fallback: number,
): Pick<CommandFields, 'Status' | 'ErrorComment' | 'OffendingElement'> {
  if (result === undefined || result === null) return { Status: fallback };
  if (typeof result === 'number') {
    // Only a 16-bit status is a status; anything else a handler returns means "done".
    return Number.isInteger(result) && result >= 0 && result <= 0xffff
      ? { Status: result }
      : { Status: fallback };
  }
  if (typeof result !== 'object' || !('status' in result) || typeof result.status !== 'number') {
    return { Status: fallback };
  }
  return {
    Status: result.status,
    ...(result.errorComment ? { ErrorComment: result.errorComment.slice(0, 64) } : {}),
    ...(result.offendingElements ? { OffendingElement: result.offendingElements } : {}),
  };
}

function isFailure(result: StatusResult | WrittenFile): boolean {
  return statusCategory(statusFields(result, Status.Success).Status ?? 0) === 'failure';
}

/** Error codes of failures the peer caused (see failureLevel). */
const PEER_CAUSED = new Set([
  'ERR_DIMSE',
  'ERR_ASSOCIATION_ABORTED',
  'ERR_ASSOCIATION_CLOSED',
  'ERR_UNEXPECTED_END',
  'ERR_VALUE_TOO_LARGE',
]);

/**
 * How loud a handler's failure is logged: 'error' for this side's own trouble (a disk, a
 * database, a bug), 'warn' for what the peer caused: a request refused with a status, a broken
 * message, a data set over the limit, or an association the peer ended under the handler.
 */
function failureLevel(error: unknown): 'warn' | 'error' {
  if (error instanceof DimseStatusError) return 'warn';
  return PEER_CAUSED.has((error as DicomError).code) ? 'warn' : 'error';
}

function failure(
  error: unknown,
  status: number = Status.ProcessingFailure,
): { status: number; errorComment: string } {
  // A status error already names its status; its own comment says more in 64 characters.
  const text =
    error instanceof DimseStatusError && error.errorComment
      ? error.errorComment
      : error instanceof Error
        ? error.message
        : String(error);
  // LO: 64 characters of the default repertoire.
  return {
    // A handler that throws a status error chose the status (e.g. 0xA900 for a bad identifier).
    status: error instanceof DimseStatusError ? error.status : status,
    errorComment: text
      .replace(/[^\x20-\x7e]/g, '?')
      .replace(/\\/g, '/')
      .slice(0, 64),
  };
}

async function serveEcho(association: Association, ctx: RequestContext, respond: Respond): Promise<void> {
  let result: StatusResult;
  try {
    result = await association.handlers.echo?.(ctx);
  } catch (error) {
    result = failure(error);
  }
  await respond({ AffectedSOPClassUID: ctx.abstractSyntax, ...statusFields(result, Status.Success) });
}

async function serveStore(
  association: Association,
  message: IncomingMessage,
  ctx: RequestContext,
  respond: Respond,
): Promise<void> {
  const { command } = message;
  const data = message.data;
  const identity = {
    AffectedSOPClassUID: command.AffectedSOPClassUID,
    AffectedSOPInstanceUID: command.AffectedSOPInstanceUID,
  };
  if (!data) {
    await respond({
      ...identity,
      Status: Status.CannotUnderstand,
      ErrorComment: 'C-STORE-RQ without a data set',
    });
    return;
  }
  const handler = association.handlers.store;
  let result: StatusResult | WrittenFile;
  if (!handler) {
    data.discard();
    result = Status.SOPClassNotSupported;
  } else if (command.AffectedSOPClassUID !== ctx.abstractSyntax) {
    data.discard();
    result = {
      status: Status.DataSetDoesNotMatchSOPClass,
      errorComment: 'SOP class differs from the presentation context',
    };
  } else {
    const request: StoreRequest = {
      sopClassUid: command.AffectedSOPClassUID!,
      sopInstanceUid: command.AffectedSOPInstanceUID!,
      priority: command.Priority ?? 0,
      transferSyntax: ctx.transferSyntax,
      ...(command.MoveOriginatorApplicationEntityTitle
        ? {
            moveOriginator: {
              aeTitle: command.MoveOriginatorApplicationEntityTitle,
              messageId: command.MoveOriginatorMessageID ?? 0,
            },
          }
        : {}),
      data,
      dataset: async () => readDataSet(await data.bytes(), ctx.transferSyntax),
      writeFile: (path, options) =>
        writeReceivedFile(
          path,
          data,
          {
            sopClassUid: command.AffectedSOPClassUID!,
            sopInstanceUid: command.AffectedSOPInstanceUID!,
            transferSyntax: ctx.transferSyntax,
            sourceAeTitle: association.remoteAeTitle,
          },
          options,
        ).then((bytes) => ({ path, bytes })),
    };
    try {
      result = await handler(request, ctx);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // A full disk, or a data set over ListenOptions.maxDataSetSize: out of resources (PS3.4 §B.2.3).
      const outOfResources = code === 'ENOSPC' || code === 'ERR_VALUE_TOO_LARGE';
      result = failure(error, outOfResources ? Status.OutOfResources : Status.ProcessingFailure);
      association.logger.log(
        failureLevel(error),
        `storing ${request.sopInstanceUid}: ${(error as Error).message}`,
      );
    }
  }
  // Answer only once the whole data set is in: the peer is still sending until then.
  data.discard();
  try {
    await data.whenEnded();
  } catch (error) {
    // Closed or aborted: nothing can be answered. Cut short by the peer's A-RELEASE-RQ
    // (Association.onReleaseIndication): responses still go out (AR-7), and this store failed.
    if ((error as DicomError).code !== 'ERR_UNEXPECTED_END') return;
    if (!isFailure(result)) result = failure(error);
  }
  if (data.tooLarge && !isFailure(result)) {
    // The handler never read as far as the limit: the data set is refused all the same.
    result = {
      status: Status.OutOfResources,
      errorComment: `data set of ${data.received} bytes is over this SCP's limit`,
    };
  }
  await respond({ ...identity, ...statusFields(result, Status.Success) });
}

/**
 * Writes a received data set as a Part 10 file: preamble, DICM, file meta (PS3.10 §7.1) from
 * the command and context, then the data set bytes exactly as received. The data goes to
 * a unique `.part` file as it arrives, is fsynced when asked, and renamed into place.
 */
export async function writeReceivedFile(
  path: string,
  data: DataStream,
  identity: { sopClassUid: string; sopInstanceUid: string; transferSyntax: string; sourceAeTitle?: string },
  options: WriteFileOptions = {},
): Promise<number> {
  const withMeta = options.fileMeta ?? true;
  const header = withMeta ? receivedFileMeta(identity) : new Uint8Array(0);
  const ts = transferSyntax(identity.transferSyntax);
  // A deflated data set written without meta cannot be read back to check (nothing says it is deflated).
  const check = (options.checkIdentity ?? true) && (withMeta || !ts.deflated);
  // The UIDs are read from the chunks as they pass (deflated data sets from the file after).
  const reader =
    check && !ts.deflated ? new DataSetHeadReader(ts, header.length, SOP_INSTANCE_UID + 1) : undefined;
  // A spare of the directory (unique names: two associations may receive one instance at once).
  const file = await sparesIn(dirname(path)).take();
  try {
    await file.write(header);
    const readerDone = await file.writeStream(data, reader);
    if (check) {
      let head = new DataSet();
      let parseError: unknown;
      if (reader) {
        try {
          head = reader.finish();
        } catch (error) {
          parseError = error;
        }
        readerDone();
      } else {
        await file.writeQueued();
        head = (await readDicomFile(file.temporary, { stopAtTag: SOP_INSTANCE_UID + 1 })).dataset;
      }
      checkReceivedIdentity(head, identity, parseError);
    }
    await file.finish(options.fsync ?? false);
    await file.commit(path, options.fsync ?? false);
  } catch (error) {
    file.discard();
    throw error;
  }
  return file.size;
}

/**
 * The data set names the instance its C-STORE-RQ announced (PS3.4 §B.2.3). Trailing spaces
 * and NULs are padding (DCMTK's -up), not a difference.
 */
function checkReceivedIdentity(
  head: DataSet,
  expected: { sopClassUid: string; sopInstanceUid: string },
  parseError: unknown,
): void {
  const sopClass = head.string(SOP_CLASS_UID)?.replace(/[\s\0]+$/, '');
  const sopInstance = head.string(SOP_INSTANCE_UID)?.replace(/[\s\0]+$/, '');
  if (!sopClass || !sopInstance) {
    const why = parseError instanceof Error ? `: ${parseError.message}` : '';
    throw new DimseStatusError(
      'C-STORE',
      Status.CannotUnderstand,
      `no SOP Class or Instance UID in the data set${why}`,
    );
  }
  if (sopClass !== expected.sopClassUid.replace(/[\s\0]+$/, '')) {
    throw new DimseStatusError(
      'C-STORE',
      Status.DataSetDoesNotMatchSOPClass,
      `data set is ${sopClass}, not the command's class`,
    );
  }
  if (sopInstance !== expected.sopInstanceUid.replace(/[\s\0]+$/, '')) {
    throw new DimseStatusError(
      'C-STORE',
      Status.DataSetDoesNotMatchSOPClass,
      `data set is ${sopInstance}, not the command's instance`,
    );
  }
}

async function readIdentifier(message: IncomingMessage, ts: string): Promise<DataSet> {
  if (!message.data) throw new DicomError('ERR_DIMSE', `${message.command.info.name} without an identifier`);
  const bytes = await message.data.bytes();
  return bytes.length === 0 ? new DataSet() : readDataSet(bytes, ts);
}

async function serveFind(
  association: Association,
  message: IncomingMessage,
  ctx: RequestContext,
  respond: Respond,
): Promise<void> {
  const sopClass = message.command.AffectedSOPClassUID!;
  let identifier: DataSet;
  try {
    identifier = await readIdentifier(message, ctx.transferSyntax);
  } catch (error) {
    await respond({
      AffectedSOPClassUID: sopClass,
      ...statusFields(failure(error, Status.IdentifierDoesNotMatchSOPClass), 0),
    });
    return;
  }
  const handler = association.handlers.find;
  let final: StatusResult = Status.Success;
  // A pending response that could not go out (the association is gone) is not the handler's
  // failure: nobody is left to answer, and serveRequest reports it as such.
  let unsent: unknown;
  const respondPending: Respond = (fields, data) =>
    respond(fields, data).catch((error: unknown) => {
      unsent = error;
      throw error;
    });
  if (!handler) {
    final = Status.SOPClassNotSupported;
  } else {
    try {
      const results = await handler(
        { sopClassUid: sopClass, priority: message.command.Priority ?? 0, identifier },
        ctx,
      );
      for await (const item of results as AsyncIterable<FindYield>) {
        if (ctx.signal.aborted) break;
        if (item instanceof DataSet) {
          await respondPending(
            { AffectedSOPClassUID: sopClass, Status: Status.Pending },
            encodeDataSet(item, ctx.transferSyntax),
          );
          continue;
        }
        if (statusCategory(item.status) === 'pending') {
          await respondPending(
            { AffectedSOPClassUID: sopClass, Status: item.status },
            item.identifier ? encodeDataSet(item.identifier, ctx.transferSyntax) : undefined,
          );
          continue;
        }
        final = item.status;
        break;
      }
      if (ctx.signal.aborted) final = Status.Cancel;
    } catch (error) {
      if (error === unsent) throw error;
      final = ctx.signal.aborted ? Status.Cancel : failure(error, Status.UnableToProcess);
      if (!ctx.signal.aborted)
        association.logger.log(failureLevel(error), `C-FIND handler: ${(error as Error).message}`);
    }
  }
  await respond({ AffectedSOPClassUID: sopClass, ...statusFields(final, Status.Success) });
}

async function serveRetrieve(
  association: Association,
  message: IncomingMessage,
  ctx: RequestContext,
  respond: Respond,
): Promise<void> {
  const { command } = message;
  const isMove = command.info.name === 'C-MOVE-RQ';
  const sopClass = command.AffectedSOPClassUID!;
  const base = { AffectedSOPClassUID: sopClass };
  let identifier: DataSet;
  try {
    identifier = await readIdentifier(message, ctx.transferSyntax);
  } catch (error) {
    await respond({ ...base, ...statusFields(failure(error, Status.IdentifierDoesNotMatchSOPClass), 0) });
    return;
  }
  const handler = isMove ? association.handlers.move : association.handlers.get;
  if (!handler) {
    await respond({ ...base, Status: Status.SOPClassNotSupported });
    return;
  }
  let destination: MoveDestination | undefined;
  if (isMove) {
    const title = command.MoveDestination ?? '';
    destination = await association.setup.resolveMoveDestination?.(title);
    if (!destination) {
      association.logger.log('warn', `C-MOVE to unknown destination '${title}'`);
      await respond({
        ...base,
        Status: Status.MoveDestinationUnknown,
        ErrorComment: `unknown destination ${title}`.slice(0, 64),
      });
      return;
    }
  }
  // Collect the matches first: the count goes in every pending response, and a move needs the
  // SOP classes to propose before the first sub-operation.
  const sources: StoreSource[] = [];
  try {
    const results = await handler(
      {
        sopClassUid: sopClass,
        priority: command.Priority ?? 0,
        identifier,
        ...(isMove ? { destination: command.MoveDestination } : {}),
      },
      ctx,
    );
    for await (const item of results as AsyncIterable<RetrieveYield>) {
      if (typeof item === 'object' && item !== null && 'count' in item && !(item instanceof DataSet))
        continue;
      sources.push(item as StoreSource);
    }
  } catch (error) {
    association.logger.log(failureLevel(error), `${command.info.name} handler: ${(error as Error).message}`);
    await respond({ ...base, ...statusFields(failure(error, Status.UnableToProcess), 0) });
    return;
  }
  const counts = { remaining: sources.length, completed: 0, failed: 0, warning: 0 };
  const failedUids: string[] = [];
  const prepared = await prepareAll(sources, association);
  let target: Association = association;
  if (isMove && prepared.some((p) => p)) {
    try {
      target = await association.setup.openSubAssociation!(destination!, proposalsFor(prepared));
    } catch (error) {
      association.logger.log(
        'error',
        `C-MOVE: cannot associate with ${destination!.aeTitle}: ${(error as Error).message}`,
      );
      await respond({
        ...base,
        Status: Status.OutOfResourcesSubOperations,
        ErrorComment: `cannot reach ${destination!.aeTitle}`.slice(0, 64),
      });
      return;
    }
  }
  const subCounts = (): Pick<
    CommandFields,
    | 'NumberOfRemainingSuboperations'
    | 'NumberOfCompletedSuboperations'
    | 'NumberOfFailedSuboperations'
    | 'NumberOfWarningSuboperations'
  > => ({
    NumberOfRemainingSuboperations: counts.remaining,
    NumberOfCompletedSuboperations: counts.completed,
    NumberOfFailedSuboperations: counts.failed,
    NumberOfWarningSuboperations: counts.warning,
  });
  // What cannot be sent counts as failed from the start; the rest go out in order, the next
  // file read while one is on the wire and the next request sent from the response's read
  // callback (storeMany), so the destination's answer is the only wait between sub-operations.
  const sendable: StoreSource[] = [];
  const sendableUids: string[] = [];
  prepared.forEach((instance, index) => {
    if (instance) {
      sendable.push(sources[index]!);
      sendableUids.push(instance.sopInstanceUid);
    } else {
      counts.remaining--;
      counts.failed++;
    }
  });
  try {
    let sent = 0;
    const outcomes = target.storeMany(sendable, {
      signal: ctx.signal,
      ...(isMove ? { moveOriginator: { aeTitle: association.remoteAeTitle, messageId: ctx.messageId } } : {}),
    });
    for await (const { result, error } of outcomes) {
      const uid = sendableUids[sent++]!;
      // A request that waited behind a C-CANCEL was not sent.
      if (error instanceof DicomError && error.code === 'ERR_CANCELLED') break;
      counts.remaining--;
      if (result) {
        if (statusCategory(result.status) === 'warning') counts.warning++;
        else counts.completed++;
      } else {
        counts.failed++;
        failedUids.push(uid);
        association.logger.log('warn', `sub-operation for ${uid} failed: ${error!.message}`);
        if (!target.isEstablished) {
          // The destination went away: the rest cannot be sent.
          failedUids.push(...sendableUids.slice(sent));
          counts.failed += counts.remaining;
          counts.remaining = 0;
          break;
        }
      }
      if (ctx.signal.aborted) break;
      if (counts.remaining > 0 && association.isEstablished)
        await respond({ ...base, Status: Status.Pending, ...subCounts() });
    }
  } finally {
    if (target !== association) await target.release().catch(() => target.abort());
  }
  const cancelled = ctx.signal.aborted;
  let status: number = Status.Success;
  if (cancelled) status = Status.Cancel;
  else if (counts.failed > 0 || counts.warning > 0) status = Status.SubOperationsCompleteWithFailures;
  const final: Omit<CommandFields, 'CommandField' | 'MessageIDBeingRespondedTo'> = {
    ...base,
    Status: status,
    ...subCounts(),
  };
  // The final response carries no Remaining count unless cancelled (PS3.4 §C.4.2.1.6).
  if (!cancelled) delete final.NumberOfRemainingSuboperations;
  if (failedUids.length > 0) {
    const failedList = new DataSet();
    failedList.set('FailedSOPInstanceUIDList', failedUids);
    await respond(final, encodeDataSet(failedList, ctx.transferSyntax));
  } else {
    await respond(final);
  }
}

/** Headers read at the same time: the thread pool's four threads each have one or two to do. */
const PREPARE_CONCURRENCY = 8;

/**
 * What each retrieved source is (SOP class, instance, stored syntax), in order; undefined for
 * one that cannot be sent (logged). File headers are read several at a time: one after the
 * other, each file's open, stat, read and close made four thread-pool round trips in a row
 * before the first sub-operation could start.
 */
function prepareAll(
  sources: readonly StoreSource[],
  association: Association,
): Promise<(PreparedInstance | undefined)[]> {
  return mapConcurrently(sources, PREPARE_CONCURRENCY, async (source) => {
    try {
      return await prepareSource(source);
    } catch (error) {
      association.logger.log(
        'warn',
        `cannot send ${typeof source === 'string' ? source : 'path' in source ? source.path : 'instance'}: ${(error as Error).message}`,
      );
      return undefined;
    }
  });
}

/** Proposals for a C-MOVE sub-association: each SOP class in its stored syntax and uncompressed. */
function proposalsFor(instances: readonly (PreparedInstance | undefined)[]): ProposedContext[] {
  const { uncompressed, stored } = storeProposals(
    instances
      .filter((p): p is PreparedInstance => p !== undefined)
      .map((p) => ({ sopClassUid: p.sopClassUid, transferSyntax: p.transferSyntax.uid })),
  );
  // Beyond the limit, compressed variants go first (their instances can still be sent decoded).
  return [...uncompressed, ...stored].slice(0, MAX_PRESENTATION_CONTEXTS);
}

async function serveN(
  association: Association,
  message: IncomingMessage,
  ctx: RequestContext,
  respond: Respond,
): Promise<void> {
  const { command } = message;
  const name = command.info.name;
  const sopClassUid = command.AffectedSOPClassUID ?? command.RequestedSOPClassUID ?? ctx.abstractSyntax;
  const sopInstanceUid = command.AffectedSOPInstanceUID ?? command.RequestedSOPInstanceUID;
  let dataset: DataSet | undefined;
  try {
    dataset = message.data ? await readIdentifier(message, ctx.transferSyntax) : undefined;
  } catch (error) {
    await respond({
      AffectedSOPClassUID: sopClassUid,
      ...statusFields(failure(error, Status.InvalidArgumentValue), 0),
    });
    return;
  }
  const request: NRequest = { command, sopClassUid, sopInstanceUid, dataset };
  const h = association.handlers;
  let result: NResult | undefined;
  try {
    switch (name) {
      case 'N-EVENT-REPORT-RQ':
        result = await h.nEventReport?.({ ...request, eventTypeId: command.EventTypeID ?? 0 }, ctx);
        break;
      case 'N-GET-RQ':
        result = await h.nGet?.({ ...request, attributes: command.AttributeIdentifierList ?? [] }, ctx);
        break;
      case 'N-SET-RQ':
        result = await h.nSet?.(request, ctx);
        break;
      case 'N-ACTION-RQ':
        result = await h.nAction?.({ ...request, actionTypeId: command.ActionTypeID ?? 0 }, ctx);
        break;
      case 'N-CREATE-RQ':
        result = await h.nCreate?.(request, ctx);
        break;
      case 'N-DELETE-RQ':
        result = await h.nDelete?.(request, ctx);
        break;
      default:
        result = { status: Status.UnrecognizedOperation };
    }
    result ??= { status: Status.UnrecognizedOperation, errorComment: `no ${name} handler` };
  } catch (error) {
    result = failure(error);
  }
  const fields: Omit<CommandFields, 'CommandField' | 'MessageIDBeingRespondedTo'> = {
    AffectedSOPClassUID: sopClassUid,
    ...((result.sopInstanceUid ?? sopInstanceUid)
      ? { AffectedSOPInstanceUID: result.sopInstanceUid ?? sopInstanceUid }
      : {}),
    ...(name === 'N-EVENT-REPORT-RQ' && command.EventTypeID !== undefined
      ? { EventTypeID: command.EventTypeID }
      : {}),
    ...(name === 'N-ACTION-RQ' && command.ActionTypeID !== undefined
      ? { ActionTypeID: command.ActionTypeID }
      : {}),
    ...statusFields(
      result.status === undefined
        ? undefined
        : { status: result.status, ...(result.errorComment ? { errorComment: result.errorComment } : {}) },
      Status.Success,
    ),
  };
  await respond(fields, result.dataset ? encodeDataSet(result.dataset, ctx.transferSyntax) : undefined);
}

export function contextSummary(context: NegotiatedContext): string {
  return `${context.id}: ${context.abstractSyntax} ${context.accepted ? transferSyntax(context.transferSyntax!).name : 'rejected'}`;
}
