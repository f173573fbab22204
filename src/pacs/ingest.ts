import { DicomError, type Logger } from '../core/index.ts';
import { transferSyntax } from '../encoding/index.ts';
import { Status } from '../net/dimse/index.ts';
import { readDicomFile } from '../object/file.node.ts';
import { type DataSet, DataSetHeadReader, receivedFileMeta } from '../object/index.ts';
import type { StatusResult, StoreRequest } from '../services/index.ts';
import type { PacsIndex, StoredInstance } from './index/types.ts';
import type { StorageQuota } from './quota.ts';
import type { FileStorage } from './storage/filesystem.ts';

/**
 * The header the index needs ends before the first pixel data element: Float Pixel Data
 * (7FE0,0008) and Double Float Pixel Data (7FE0,0009) come before Pixel Data (7FE0,0010), and
 * are passed over with it rather than buffered (parametric maps hold hundreds of MB of them).
 */
const FIRST_PIXEL_DATA = 0x7fe00008;

/**
 * Index rows of concurrent associations go in one transaction: adds queued in the same turn
 * of the event loop are committed together, then every waiting store is answered.
 */
export class IndexWriter {
  readonly #index: PacsIndex;
  readonly #replace: boolean;
  readonly #onIndexed: ((instances: readonly StoredInstance[]) => void) | undefined;
  #queue: { instance: StoredInstance; resolve: () => void; reject: (e: Error) => void }[] = [];
  #scheduled = false;

  /** `onIndexed` hears of every committed batch (the stability watch). */
  constructor(
    index: PacsIndex,
    replace: boolean,
    onIndexed?: (instances: readonly StoredInstance[]) => void,
  ) {
    this.#index = index;
    this.#replace = replace;
    this.#onIndexed = onIndexed;
  }

  add(instance: StoredInstance): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ instance, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    this.#scheduled = false;
    const batch = this.#queue;
    this.#queue = [];
    const instances = batch.map((b) => b.instance);
    const refused = new Map<StoredInstance, Error>();
    try {
      this.#index.add(instances, {
        replace: this.#replace,
        onRefused: (instance, error) => refused.set(instance, error),
      });
    } catch (error) {
      for (const b of batch) b.reject(error as Error);
      return;
    }
    for (const b of batch) {
      const error = refused.get(b.instance);
      if (error) b.reject(error);
      else b.resolve();
    }
    this.#onIndexed?.(instances.filter((instance) => !refused.has(instance)));
  }
}

/**
 * What ingest needs of a C-STORE request, or of a Part 10 file uploaded over HTTP: then
 * `fileMeta` holds the file's own preamble and meta, stored as they came.
 */
export type IngestRequest = Pick<
  StoreRequest,
  'sopClassUid' | 'sopInstanceUid' | 'transferSyntax' | 'data'
> & {
  /** Bytes stored before the data set; default: a file meta written for the C-STORE. */
  fileMeta?: Uint8Array;
};

export interface IngestOptions {
  storage: FileStorage;
  index: PacsIndex;
  writer: IndexWriter;
  fsync: boolean;
  duplicates: 'ignore' | 'overwrite';
  aeTitle: string;
  logger: Logger;
  /** The storage limit, when one is configured. */
  quota?: StorageQuota;
}

/**
 * The C-STORE path of the PACS (ARCHITECTURE.md "Data flow"): the bytes go to a .part file as
 * they arrive while the parser reads the header the index needs from the same chunks; then
 * fsync, rename, index row committed, and only then Success. Received bytes are stored as
 * they came, never re-encoded.
 */
export async function ingest(
  request: IngestRequest,
  sourceAeTitle: string,
  options: IngestOptions,
): Promise<StatusResult> {
  const { storage, index } = options;
  let target: Awaited<ReturnType<FileStorage['prepare']>>;
  try {
    target = await storage.prepare(request.sopInstanceUid);
  } catch (error) {
    request.data.discard();
    return { status: Status.CannotUnderstand, errorComment: (error as Error).message };
  }
  if (options.duplicates === 'ignore' && index.has(request.sopInstanceUid)) {
    // Orthanc and most archives answer Success and keep the first copy (PS3.4 §B.2.3 leaves
    // duplicates to the SCP); the log says so.
    request.data.discard();
    options.logger.log(
      'info',
      `duplicate ${request.sopInstanceUid} from ${sourceAeTitle}: kept the stored copy`,
    );
    return Status.Success;
  }
  const ts = transferSyntax(request.transferSyntax);
  const header =
    request.fileMeta ??
    receivedFileMeta({
      sopClassUid: request.sopClassUid,
      sopInstanceUid: request.sopInstanceUid,
      transferSyntax: request.transferSyntax,
      sourceAeTitle,
    });
  // Deflated data sets are parsed from the file afterwards; the others while they stream. The
  // rest (pixel data and what follows) is checked for structure: a data set whose end is
  // broken is refused now, rather than kept and failing whoever reads it later.
  const reader = ts.deflated
    ? undefined
    : new DataSetHeadReader(ts, header.length, FIRST_PIXEL_DATA, { checkRest: true });
  const file = await storage.incoming.take();
  let readerDone = (): void => {};
  try {
    await file.write(header);
    readerDone = await file.writeStream(request.data, reader);
  } catch (error) {
    // The association failed or the disk did: nothing is kept, the caller reports it.
    file.discard();
    throw error;
  }
  let headerDataSet: DataSet;
  try {
    if (reader) {
      try {
        headerDataSet = reader.finish();
      } finally {
        readerDone();
      }
    } else {
      await file.writeQueued();
      // Read to the end (the structure check), bulk values passed over.
      headerDataSet = (await readDicomFile(file.temporary, { bulkDataThreshold: 64 * 1024 })).dataset;
    }
    checkIdentity(headerDataSet, request);
    // A series or study the index holds under another study or patient: refused before the
    // file takes its name (taking it would move or rename what is there).
    const conflict = index.conflict(headerDataSet);
    if (conflict !== undefined) throw new DicomError('ERR_INVALID_VALUE', conflict);
  } catch (error) {
    file.discard();
    const message = (error as Error).message;
    options.logger.log('warn', `refused ${request.sopInstanceUid} from ${sourceAeTitle}: ${message}`);
    return { status: Status.CannotUnderstand, errorComment: message };
  }
  const study = headerDataSet.string('StudyInstanceUID')!.trim();
  let admitted = true;
  try {
    if (options.quota) admitted = await options.quota.admit(file.size, study);
  } catch (error) {
    // Recycling failed (a file that would not go): this instance is not kept either.
    file.discard();
    throw error;
  }
  if (!admitted) {
    file.discard();
    const message = `storage full: ${file.size} bytes more would pass storage.maxStorageMB`;
    options.logger.log('warn', `refused ${request.sopInstanceUid} from ${sourceAeTitle}: ${message}`);
    return { status: Status.OutOfResources, errorComment: message };
  }
  try {
    await file.finish(options.fsync);
    // The rename happens at once; the directory's fsync and the index commit then run together.
    const committing = file.commit(target.path, options.fsync);
    // A rename that failed leaves no file for a row to name: its error, and no row.
    if (file.committedTo === undefined) await committing;
    await Promise.all([
      committing,
      options.writer.add({
        header: headerDataSet,
        path: target.relativePath,
        size: file.size,
        transferSyntax: ts.uid,
        sourceAeTitle,
        receivedAt: Date.now(),
      }),
    ]);
  } catch (error) {
    options.quota?.released(file.size, study);
    // The file took its name before the index refused its row: another association indexed
    // a series or study contradicting it meanwhile, or the database failed. A file that no
    // row names would stay until the next start, whose reconciliation would refuse it again.
    // A row that names the path (a duplicate overwritten) keeps its file.
    if (!indexed(index, request.sopInstanceUid) && file.uncommit())
      options.logger.log('info', `removed ${target.relativePath}: its index row was refused`);
    file.discard();
    if (error instanceof DicomError && error.code === 'ERR_INVALID_VALUE') {
      options.logger.log('warn', `refused ${request.sopInstanceUid} from ${sourceAeTitle}: ${error.message}`);
      return { status: Status.CannotUnderstand, errorComment: error.message };
    }
    throw error;
  }
  options.quota?.committed(file.size, study);
  return Status.Success;
}

/** Whether the index has a row for the instance; true when it cannot tell (keep the file). */
function indexed(index: PacsIndex, sopInstanceUid: string): boolean {
  try {
    return index.has(sopInstanceUid);
  } catch {
    return true;
  }
}

/** The data set must be the instance the command announced (PS3.4 §B.2.3: A900 otherwise). */
function checkIdentity(header: DataSet, request: IngestRequest): void {
  const uid = header.string('SOPInstanceUID')?.trim();
  const sopClass = header.string('SOPClassUID')?.trim();
  if (uid !== request.sopInstanceUid) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `SOP Instance UID ${uid ?? '(none)'} differs from the command's`,
    );
  }
  if (sopClass !== request.sopClassUid) {
    throw new DicomError(
      'ERR_INVALID_VALUE',
      `SOP Class UID ${sopClass ?? '(none)'} differs from the command's`,
    );
  }
  for (const key of ['StudyInstanceUID', 'SeriesInstanceUID'] as const) {
    if (!header.string(key)?.trim()) throw new DicomError('ERR_INVALID_VALUE', `no ${key}`);
  }
}
