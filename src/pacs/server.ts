import { existsSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { createLogger, type Logger, PIXEL_DATA } from '../core/index.ts';
import { DimseStatusError, Status } from '../net/dimse/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import type { DataSet } from '../object/index.ts';
import {
  type DicomServer,
  type FindYield,
  QueryRetrieveModels,
  type RequestContext,
  type RetrieveYield,
  supportedFor,
} from '../services/index.ts';
import { PacsAccess } from './access.ts';
import { StorageCommitmentService } from './commitment.ts';
import { maxDataSetBytes, type PacsConfig } from './config.ts';
import { locateResource } from './http/levels.ts';
import { type PacsHttp, startHttp } from './http/server.ts';
import { lastChangeSeqOf, openSqliteIndex, protectedPatientsOf } from './index/sqlite.ts';
import type { PacsIndex, QueryLevel, QueryModel, StoredInstance } from './index/types.ts';
import { IndexWriter, type IngestOptions, ingest } from './ingest.ts';
import { ModalityRegistry } from './modalities.ts';
import { modalityAddress, PacsTls, pacsApplicationEntity } from './outbound.ts';
import { StorageQuota } from './quota.ts';
import { removeResource } from './removal.ts';
import { StabilityWatch } from './stability.ts';
import { FileStorage } from './storage/filesystem.ts';

export interface Pacs {
  config: PacsConfig;
  /** The known modalities: the config's, and those added through REST (`<storage>/modalities.json`). */
  modalities: ModalityRegistry;
  dicom: DicomServer;
  /** The HTTP server (REST API) when `http.enabled`: `http.port`, `http.url`. */
  http: PacsHttp | undefined;
  /** `http.port`, or 0 without HTTP. */
  httpPort: number;
  index: PacsIndex;
  storage: FileStorage;
  access: PacsAccess;
  /** Storage Commitment (PS3.4 Annex J): the SCP's handlers and the REST API's SCU. */
  commitment: StorageCommitmentService;
  logger: Logger;
  /**
   * How instances are stored, for C-STORE and REST uploads alike: one index writer, so rows
   * from both share transactions.
   */
  ingestOptions: IngestOptions;
  /** Logs Stable* events in the change log (and forgets deleted resources). */
  stability: StabilityWatch;
  /** The storage limit (storage.maxStorageMB), if any. */
  quota: StorageQuota | undefined;
  /** Stops listening, waits for open associations (or aborts them), closes the index. */
  close(options?: { abort?: boolean }): Promise<void>;
  /** `dicom.tls`'s certificate and trust, when set. */
  tls: PacsTls | undefined;
  /** When it started (ms since the epoch). */
  readonly startedAt: number;
  /** Settles once closed, whoever closed it (a signal, or POST /tools/shutdown). */
  readonly closed: Promise<void>;
}

const CLEAN_MARK = 'clean-shutdown';
/** The modalities added through REST, beside the file store (see ModalityRegistry). */
const MODALITIES_FILE = 'modalities.json';
const FIND_SOP_CLASSES = new Set<string>([QueryRetrieveModels.patient.find, QueryRetrieveModels.study.find]);
const RETRIEVE_SOP_CLASSES = new Set<string>([
  QueryRetrieveModels.patient.move,
  QueryRetrieveModels.study.move,
  QueryRetrieveModels.patient.get,
  QueryRetrieveModels.study.get,
]);

/**
 * A Q/R extended negotiation reply granting the first `offered` flags when asked, the rest 0.
 * C-FIND (PS3.4 §C.5.1.1.1, Table C.5-1): relational queries and combined date-time matching
 * (the index combines a DA range and a TM range always, which DCMTK's findscu, unable to
 * negotiate, relies on); not fuzzy PN matching, timezone adjustment and the rest. C-MOVE and
 * C-GET (§C.5.2.1.1, §C.5.3.1.1): relational retrieval (locate needs no keys of the levels
 * above); not enhanced multi-frame image conversion.
 */
function grantFirstFlags(offered: number): (requested: Uint8Array) => Uint8Array {
  return (requested) => {
    const reply = new Uint8Array(Math.max(requested.length, 1));
    for (let i = 0; i < Math.min(offered, reply.length); i++) reply[i] = requested[i] === 1 ? 1 : 0;
    return reply;
  };
}

const LEVELS: readonly QueryLevel[] = ['PATIENT', 'STUDY', 'SERIES', 'IMAGE'];

function modelOf(sopClassUid: string): QueryModel | undefined {
  const { patient, study } = QueryRetrieveModels;
  if (Object.values(patient).includes(sopClassUid as never)) return 'patient';
  if (Object.values(study).includes(sopClassUid as never)) return 'study';
  return undefined;
}

function levelOf(identifier: DataSet): QueryLevel | undefined {
  const level = identifier.string('QueryRetrieveLevel')?.trim().toUpperCase();
  return LEVELS.find((l) => l === level);
}

/** Why an identifier has no usable Query/Retrieve Level (the Error Comment of its 0xA900). */
function levelProblem(identifier: DataSet): string {
  const given = identifier.string('QueryRetrieveLevel')?.trim();
  return given
    ? `Query/Retrieve Level ${given.slice(0, 16)} is not PATIENT, STUDY, SERIES or IMAGE`
    : 'the identifier has no Query/Retrieve Level (0008,0052)';
}

/**
 * Starts the PACS (the composition root of ARCHITECTURE.md): file store, index, reconciliation
 * of the two, then the DICOM SCP with the store, Q/R handlers and access control.
 */
export async function startPacs(
  config: PacsConfig,
  options: { logger?: Logger; reindex?: boolean } = {},
): Promise<Pacs> {
  const logger = options.logger ?? createLogger(config.logLevel, (line) => process.stderr.write(`${line}\n`));
  // First: a bad certificate or modalities file fails start-up with nothing open yet.
  const tls = config.dicom.tls ? new PacsTls(config.dicom.tls) : undefined;
  const modalities = new ModalityRegistry(config.modalities, {
    file: join(config.storage.path, MODALITIES_FILE),
    warn: (message) => logger.log('warn', message),
    tls: config.dicom.tls !== undefined,
  });
  const storage = new FileStorage(config.storage.path);
  const indexPath = config.index.path ?? join(config.storage.path, 'index.sqlite');
  let lastSeq = 0;
  let protectedPatients: string[] = [];
  if (options.reindex) {
    try {
      lastSeq = lastChangeSeqOf(indexPath);
      protectedPatients = protectedPatientsOf(indexPath);
    } catch (error) {
      logger.log(
        'warn',
        `--reindex: the old index cannot be read (${(error as Error).message}); the change log starts again at 1 and no patient is protected`,
      );
    }
    for (const suffix of ['', '-wal', '-shm']) rmSync(`${indexPath}${suffix}`, { force: true });
  }
  const index = openSqliteIndex(indexPath, {
    retrieveAeTitle: config.aeTitle,
    onCheckpointFailure: (error) =>
      logger.log(
        'warn',
        `index: the checkpoint worker failed (${error.message}); commits checkpoint the WAL themselves`,
      ),
  });
  // Before reconciliation logs every stored resource as new: those entries number on.
  if (lastSeq > 0) index.clearChangeLog(lastSeq);
  const cleanMark = join(config.storage.path, CLEAN_MARK);
  const wasClean = existsSync(cleanMark) && !options.reindex;
  rmSync(cleanMark, { force: true });
  await reconcile(storage, index, logger, wasClean);
  // The files cannot say which patients were protected: the old index did.
  for (const patientId of protectedPatients) index.setProtected(patientId, true);
  const access = new PacsAccess(config, logger, modalities);
  const stability = new StabilityWatch(index, config.index.stableAge, logger);
  const quota =
    config.storage.maxStorageMB > 0
      ? new StorageQuota(
          index,
          { maxBytes: config.storage.maxStorageMB * 1e6, whenFull: config.storage.whenFull },
          (study) =>
            removeResource(
              { index, storage, stability },
              'STUDY',
              study,
              locateResource(index, 'STUDY', study),
            ),
          logger,
        )
      : undefined;
  const ingestOptions: IngestOptions = {
    storage,
    index,
    writer: new IndexWriter(index, config.duplicates === 'overwrite', (instances) =>
      stability.indexed(instances),
    ),
    fsync: config.storage.fsync,
    duplicates: config.duplicates,
    aeTitle: config.aeTitle,
    logger,
    ...(quota ? { quota } : {}),
  };

  const commitment = new StorageCommitmentService({
    config,
    index,
    storage,
    access,
    modalities,
    tls,
    logger,
  });

  const allowed = async (ctx: RequestContext, operation: 'echo' | 'store' | 'find' | 'move' | 'get') =>
    access.permitted(ctx.association.remoteAeTitle, ctx.association.remoteAddress, operation);

  const ae = pacsApplicationEntity(config, logger);
  const dataSetLimit = maxDataSetBytes(config);
  const handlers = {
    echo: async (ctx: RequestContext) => {
      if (!(await allowed(ctx, 'echo'))) return Status.NotAuthorized;
      // One line per operation at info, the echo included: it is how an administrator checks
      // a modality's link.
      logger.log('info', `C-ECHO from ${ctx.association.remoteAeTitle}`);
      return Status.Success;
    },
    store: async (request: import('../services/index.ts').StoreRequest, ctx: RequestContext) => {
      if (!(await allowed(ctx, 'store'))) {
        request.data.discard();
        return { status: Status.NotAuthorized, errorComment: 'store not permitted for this modality' };
      }
      const result = await ingest(request, ctx.association.remoteAeTitle, ingestOptions);
      if (result === Status.Success) {
        logger.log('info', `C-STORE ${request.sopInstanceUid} from ${ctx.association.remoteAeTitle}: stored`);
      }
      return result;
    },
    async *find(
      request: import('../services/index.ts').FindRequest,
      ctx: RequestContext,
    ): AsyncGenerator<FindYield> {
      if (!(await allowed(ctx, 'find'))) {
        yield { status: Status.NotAuthorized };
        return;
      }
      const model = modelOf(request.sopClassUid);
      const level = levelOf(request.identifier);
      if (!model || !level) {
        throw new DimseStatusError(
          'C-FIND',
          Status.IdentifierDoesNotMatchSOPClass,
          model ? levelProblem(request.identifier) : 'not a Query/Retrieve SOP Class',
        );
      }
      let matches = 0;
      for (const match of index.find({
        model,
        level,
        identifier: request.identifier,
        caseInsensitivePN: config.index.caseInsensitivePN,
        // Granted by SOP Class Extended Negotiation (PS3.4 §C.5.1.1.1), else hierarchical.
        relational: ctx.extendedNegotiation?.[0] === 1,
      })) {
        if (ctx.signal.aborted) break;
        matches++;
        yield match;
      }
      logger.log(
        'info',
        `C-FIND ${model} root, ${level} from ${ctx.association.remoteAeTitle}: ${matches} match(es)${ctx.signal.aborted ? ', cancelled' : ''}`,
      );
    },
    move: (request: import('../services/index.ts').RetrieveRequest, ctx: RequestContext) =>
      retrieve(request, ctx, 'move'),
    get: (request: import('../services/index.ts').RetrieveRequest, ctx: RequestContext) =>
      retrieve(request, ctx, 'get'),
    nAction: commitment.nAction.bind(commitment),
    nEventReport: commitment.nEventReport.bind(commitment),
  };

  async function* retrieve(
    request: import('../services/index.ts').RetrieveRequest,
    ctx: RequestContext,
    operation: 'move' | 'get',
  ): AsyncGenerator<RetrieveYield> {
    if (!(await allowed(ctx, operation))) throw new Error(`${operation} not permitted for this modality`);
    const model = modelOf(request.sopClassUid);
    const level = levelOf(request.identifier);
    if (!model || !level) {
      throw new DimseStatusError(
        'C-MOVE',
        Status.IdentifierDoesNotMatchSOPClass,
        model ? levelProblem(request.identifier) : 'not a Query/Retrieve SOP Class',
      );
    }
    const found = index.locate(model, level, request.identifier);
    logger.log(
      'info',
      `C-${operation.toUpperCase()} ${level} from ${ctx.association.remoteAeTitle}${request.destination ? ` to ${request.destination}` : ''}: ${found.length} instance(s)`,
    );
    yield { count: found.length };
    // What the index knows of each file: the sub-operations start without reading headers first.
    for (const instance of found) {
      yield {
        path: storage.absolute(instance.path),
        sopClassUid: instance.sopClassUid,
        sopInstanceUid: instance.sopInstanceUid,
        transferSyntax: instance.transferSyntax,
        size: instance.size,
      };
    }
  }

  const dicom = await ae.listen({
    port: config.dicom.port,
    host: config.dicom.host,
    handlers,
    // Storage for every storage SOP class and every syntax we can read; Q/R both roots;
    // Storage Commitment, requests and reports.
    contexts: supportedFor(handlers)
      .filter((c) => !Object.values(QueryRetrieveModels.worklist).includes(c.abstractSyntax as never))
      .map((c) =>
        FIND_SOP_CLASSES.has(c.abstractSyntax)
          ? { ...c, extendedNegotiation: grantFirstFlags(2) }
          : RETRIEVE_SOP_CLASSES.has(c.abstractSyntax)
            ? { ...c, extendedNegotiation: grantFirstFlags(1) }
            : c,
      ),
    // A storage SOP class newer than our dictionary, announced as storage (PS3.7 §D.3.3.6).
    acceptNewStorageSopClasses: true,
    ...(dataSetLimit !== undefined ? { maxDataSetSize: dataSetLimit } : {}),
    accessControl: access,
    maxAssociations: config.dicom.maxAssociations,
    // PS3.15 §B.1: with dicom.tls, TLS only on the DICOM port, as Orthanc's DicomTlsEnabled.
    ...(tls ? { tls: tls.server() } : {}),
    moveDestinations: (aeTitle) => {
      const modality = modalities.byAeTitle(aeTitle);
      if (!modality) return undefined;
      const { host, port, tls: client } = modalityAddress(modality, tls);
      return { aeTitle: modality.aeTitle, host, port, ...(client ? { tls: client } : {}) };
    },
  });
  logger.log(
    'info',
    `dicomkit pacs: ${config.aeTitle} on ${config.dicom.host}:${dicom.port}, data in ${config.storage.path}`,
  );

  let closed = false;
  let markClosed!: () => void;
  const closedPromise = new Promise<void>((resolve) => {
    markClosed = resolve;
  });
  const pacs: Pacs = {
    config,
    modalities,
    dicom,
    http: undefined,
    httpPort: 0,
    index,
    storage,
    access,
    commitment,
    stability,
    quota,
    logger,
    ingestOptions,
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      try {
        await pacs.http?.close(closeOptions);
        if (!closeOptions.abort) await commitment.settle();
        await dicom.close(closeOptions);
        stability.stop();
        storage.close();
        index.close();
        writeFileSync(cleanMark, `${new Date().toISOString()}\n`);
      } finally {
        markClosed();
      }
    },
    closed: closedPromise,
    tls,
    startedAt: Date.now(),
  };
  if (config.http.enabled) {
    try {
      pacs.http = await startHttp(pacs);
    } catch (error) {
      // The port is taken, say: stop what started rather than leave a half-running PACS.
      await pacs.close({ abort: true });
      throw error;
    }
    pacs.httpPort = pacs.http.port;
  }
  return pacs;
}

/**
 * After a crash the store and the index may disagree: unfinished .part files are removed,
 * complete ones are put in place (a durable store does not wait for its rename to reach the
 * device: PartFile), files the index lacks are indexed from their headers, rows whose file is
 * gone are removed. After a clean shutdown only the .part files are looked for.
 */
async function reconcile(
  storage: FileStorage,
  index: PacsIndex,
  logger: Logger,
  wasClean: boolean,
): Promise<void> {
  const { files, leftovers, complete } = storage.scan();
  if (leftovers.length > 0) {
    storage.removeLeftovers(leftovers);
    logger.log('info', `removed ${leftovers.length} unfinished file(s) (.part)`);
  }
  const recovered = await recoverComplete(storage, index, logger, complete);
  if (wasClean && recovered.length === 0) return;
  const indexed = new Set(index.paths());
  const missing = [...new Set([...files, ...recovered])].filter((f) => !indexed.has(f));
  const present = new Set(files);
  let orphans = 0;
  for (const path of indexed) {
    if (!present.has(path)) {
      const uid = path
        .split('/')
        .pop()!
        .replace(/\.dcm$/, '');
      orphans += index.remove('IMAGE', uid).length;
    }
  }
  const batch: StoredInstance[] = [];
  let added = 0;
  // A file whose series or study the index holds elsewhere stays on disk, unindexed, named here.
  const onRefused = (instance: StoredInstance, error: Error) =>
    logger.log('warn', `cannot index ${instance.path}: ${error.message}`);
  for (const path of missing) {
    try {
      const file = await readDicomFile(storage.absolute(path), { stopAtTag: PIXEL_DATA });
      const size = (await storage.size(path)) ?? 0;
      batch.push({
        header: file.dataset,
        path,
        size,
        transferSyntax: file.transferSyntax.uid,
        ...(file.meta.string('SourceApplicationEntityTitle')
          ? { sourceAeTitle: file.meta.string('SourceApplicationEntityTitle')!.trim() }
          : {}),
        receivedAt: Date.now(),
      });
    } catch (error) {
      logger.log('warn', `cannot index ${path}: ${(error as Error).message}`);
    }
    if (batch.length >= 500) added += index.add(batch.splice(0), { onRefused });
  }
  if (batch.length > 0) added += index.add(batch.splice(0), { onRefused });
  if (added > 0 || orphans > 0) {
    logger.log(
      'info',
      `reconciled the index with the files: ${added} indexed, ${orphans} orphan row(s) removed`,
    );
  }
}

/**
 * Files a crash left complete under their temporary name (written, flushed, maybe
 * acknowledged; the rename not done or not on the device) go where the rename would have put
 * them, replacing what is there: they are the newer copy. Each is read to its end first, as
 * ingest reads what it keeps. Returns their paths; their index rows, if any, are dropped so
 * that they are indexed afresh from the file.
 */
async function recoverComplete(
  storage: FileStorage,
  index: PacsIndex,
  logger: Logger,
  complete: readonly string[],
): Promise<string[]> {
  const recovered: string[] = [];
  for (const path of complete) {
    const absolute = storage.absolute(path);
    try {
      const { dataset } = await readDicomFile(absolute, { bulkDataThreshold: 64 * 1024 });
      const uid = dataset.string('SOPInstanceUID')?.trim();
      if (!uid) throw new Error('no SOP Instance UID');
      const target = await storage.prepare(uid);
      renameSync(absolute, target.path);
      if (index.has(uid)) index.remove('IMAGE', uid);
      recovered.push(target.relativePath.split(sep).join('/'));
    } catch (error) {
      rmSync(absolute, { force: true });
      logger.log('warn', `removed ${path}, left by a crash and unreadable: ${(error as Error).message}`);
    }
  }
  if (recovered.length > 0) {
    logger.log('info', `put in place ${recovered.length} instance(s) that a crash left before their rename`);
  }
  return recovered;
}
