import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DicomError } from '../../core/index.ts';
import { transferSyntax } from '../../encoding/index.ts';
import { DataStream, Status } from '../../net/dimse/index.ts';
import {
  concatParts,
  type DataSet,
  DataSetBuilder,
  dataSetParser,
  findMetaStart,
} from '../../object/index.ts';
import { readMeta } from '../../object/part10.ts';
import { storeProposals } from '../../services/index.ts';
import { maxDataSetBytes } from '../config.ts';
import { ingest } from '../ingest.ts';
import { type HttpContext, isStream, params, type Route } from './context.ts';
import { badRequest, HttpError } from './errors.ts';
import { remoteModalities } from './remote.ts';

/**
 * The upload route table: POST /instances takes a Part 10 file as the body (any content
 * type: `curl --data-binary @file.dcm` works) and stores it through the C-STORE path of
 * ingest.ts (stream to a .part file while the header is parsed, fsync, rename, index row
 * committed, then the answer), the file kept byte for byte as uploaded. Only the start of the
 * body is held in memory: the file meta and the data set up to SOP Instance UID, which names
 * the file.
 */

/** The file meta and the data set up to SOP Instance UID must come within this many bytes. */
const HEAD_LIMIT = 1 << 20;
const SOP_INSTANCE_UID = 0x00080018;

interface Head {
  /** Preamble, DICM and file meta, as uploaded. */
  fileMeta: Uint8Array;
  /** The data set bytes read so far. */
  rest: Uint8Array;
  ended: boolean;
  sopInstanceUid: string;
  sopClassUid: string;
  transferSyntax: string;
}

function bytesOf(chunk: Uint8Array | string): Uint8Array {
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/** Reads the body until the file meta and the data set's SOP Instance UID are known. */
async function readHead(chunks: AsyncIterator<Uint8Array>): Promise<Head> {
  const parts: Uint8Array[] = [];
  let length = 0;
  let ended = false;
  let meta: { meta: DataSet; end: number } | undefined;
  let parser: ReturnType<typeof dataSetParser> | undefined;
  let builder: DataSetBuilder | undefined;
  let tsUid = '';
  for (;;) {
    const next = await chunks.next();
    let chunk: Uint8Array | undefined;
    if (next.done) ended = true;
    else {
      chunk = bytesOf(next.value);
      parts.push(chunk);
      length += chunk.length;
    }
    if (!meta) {
      const bytes = concatParts(parts);
      parts.splice(0, parts.length, bytes);
      const metaStart = findMetaStart(bytes);
      if (metaStart < 0) {
        if (length >= 132 || ended) {
          throw badRequest('not a DICOM Part 10 file (no DICM prefix after the preamble)', 'ERR_NOT_DICOM');
        }
        continue;
      }
      try {
        const read = readMeta(bytes, metaStart);
        // Complete only once an element of another group follows (or the body ends).
        if (!ended && length < read.end + 8) continue;
        meta = read;
      } catch (error) {
        if (!ended && length < HEAD_LIMIT) continue;
        throw badRequest(`the file meta cannot be read: ${(error as Error).message}`, 'ERR_MALFORMED');
      }
      tsUid = meta.meta.string('TransferSyntaxUID')?.trim() ?? '';
      if (!tsUid) throw badRequest('the file meta has no Transfer Syntax UID', 'ERR_MISSING_TRANSFER_SYNTAX');
      const ts = transferSyntax(tsUid);
      if (ts.unknown) {
        throw badRequest(`unknown transfer syntax ${tsUid}`, 'ERR_UNSUPPORTED_TRANSFER_SYNTAX');
      }
      if (ts.deflated) {
        // The data set is deflated: its identity comes from the meta (ingest checks it against the data set).
        return head(parts, meta, ended, meta.meta, tsUid);
      }
      builder = new DataSetBuilder();
      parser = dataSetParser(builder, ts, meta.end, { stopAtTag: SOP_INSTANCE_UID + 1 });
      chunk = bytes.subarray(meta.end);
    }
    try {
      if (chunk) parser!.write(chunk);
      if (ended && !parser!.stopped) parser!.end();
    } catch (error) {
      throw badRequest(
        `the data set cannot be read: ${(error as Error).message}`,
        (error as DicomError).code,
      );
    }
    if (parser!.stopped || ended) return head(parts, meta, ended, builder!.root, tsUid);
    if (length > HEAD_LIMIT) {
      throw badRequest(`no SOP Instance UID in the first ${HEAD_LIMIT} bytes`, 'ERR_INVALID_VALUE');
    }
  }
}

function head(
  parts: Uint8Array[],
  meta: { meta: DataSet; end: number },
  ended: boolean,
  identity: DataSet,
  tsUid: string,
): Head {
  const bytes = concatParts(parts);
  // The data set's own UIDs name the instance (as a C-STORE's would); the meta's stand in.
  const uid = (key: 'SOPInstanceUID' | 'SOPClassUID', metaKey: number) =>
    identity.string(key)?.trim() || meta.meta.string(metaKey)?.trim() || '';
  const sopInstanceUid = uid('SOPInstanceUID', 0x00020003);
  const sopClassUid = uid('SOPClassUID', 0x00020002);
  if (!sopInstanceUid || !sopClassUid) {
    throw badRequest('the file has no SOP Instance UID or SOP Class UID', 'ERR_INVALID_VALUE');
  }
  return {
    fileMeta: bytes.subarray(0, meta.end),
    rest: bytes.subarray(meta.end),
    ended,
    sopInstanceUid,
    sopClassUid,
    transferSyntax: tsUid,
  };
}

/** Reads what is left of a body nobody wants (answering before it is read confuses clients). */
async function drain(chunks: AsyncIterator<unknown>): Promise<void> {
  try {
    while (!(await chunks.next()).done) {
      // discarded
    }
  } catch {
    // the client went away
  }
}

/** The body's Part 10 head, and the rest of it to read; a body that is not one is read to its end, then a 400. */
async function uploadedHead(body: unknown): Promise<{ chunks: AsyncIterator<Uint8Array>; head: Head }> {
  if (!isStream(body)) {
    throw badRequest(
      'send a DICOM Part 10 file as the body (content-type: application/dicom)',
      'ERR_NOT_DICOM',
    );
  }
  const chunks = body[Symbol.asyncIterator]();
  try {
    return { chunks, head: await readHead(chunks) };
  } catch (error) {
    await drain(chunks);
    throw error;
  }
}

export function uploadRoutes(ctx: HttpContext): Route[] {
  const { pacs } = ctx;
  const { config, index, logger } = pacs;
  return [
    {
      method: 'POST',
      url: '/instances',
      async handler(request) {
        const body = request.body;
        const { chunks, head } = await uploadedHead(body);
        const uid = head.sopInstanceUid;
        if (config.duplicates === 'ignore' && index.has(uid)) {
          await drain(chunks);
          logger.log('info', `REST: ${uid} uploaded again: kept the stored copy`);
          return { ID: uid, Status: 'AlreadyStored' };
        }
        // dicom.maxDataSetMB bounds uploads as it bounds C-STOREs.
        const data = new DataStream(undefined, maxDataSetBytes(config));
        const pump = (async () => {
          try {
            if (head.rest.length > 0) await data.push(head.rest);
            if (!head.ended) {
              for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
                await data.push(bytesOf(next.value));
              }
            }
            data.end();
          } catch (error) {
            data.fail(error instanceof Error ? error : new DicomError('ERR_IO', String(error)));
          }
        })();
        let result: Awaited<ReturnType<typeof ingest>>;
        try {
          result = await ingest(
            {
              sopClassUid: head.sopClassUid,
              sopInstanceUid: uid,
              transferSyntax: head.transferSyntax,
              data,
              fileMeta: head.fileMeta,
            },
            '',
            pacs.ingestOptions,
          );
        } catch (error) {
          data.discard();
          await pump;
          if (error instanceof DicomError && error.code === 'ERR_VALUE_TOO_LARGE') {
            throw new HttpError(413, error.code, `${error.message} (dicom.maxDataSetMB)`);
          }
          throw error;
        }
        await pump;
        if (result !== Status.Success) {
          const comment = typeof result === 'object' && result ? result.errorComment : undefined;
          const status = typeof result === 'object' && result ? result.status : result;
          // RFC 4918 §11.5: 507 Insufficient Storage, what a full store is over HTTP.
          if (status === Status.OutOfResources) {
            throw new HttpError(507, 'ERR_STORAGE_FULL', comment ?? 'the storage is full');
          }
          throw new HttpError(400, 'ERR_INVALID_VALUE', comment ?? 'the file was refused');
        }
        logger.log('info', `REST: stored ${uid}`);
        return { ID: uid, Status: 'Success' };
      },
    },
    {
      // Orthanc's store-straight: the Part 10 file in the body goes to the modality by C-STORE
      // and is not stored here (storescu through REST). It passes through a scratch file, so a
      // body cut short sends nothing; the modality gets it in its own transfer syntax.
      method: 'POST',
      url: '/modalities/:name/store-straight',
      async handler(request) {
        const body = request.body;
        const remote = remoteModalities(ctx);
        const m = remote.named(params(request).name!);
        const { chunks, head } = await uploadedHead(body);
        const limit = maxDataSetBytes(config);
        const folder = await pacs.storage.scratchFolder();
        try {
          const path = join(folder, 'instance.dcm');
          const file = await open(path, 'w');
          try {
            await file.write(head.fileMeta);
            await file.write(head.rest);
            let size = head.rest.length;
            if (!head.ended) {
              for (let next = await chunks.next(); !next.done; next = await chunks.next()) {
                const bytes = bytesOf(next.value);
                size += bytes.length;
                if (limit !== undefined && size > limit) {
                  await drain(chunks);
                  throw new HttpError(413, 'ERR_VALUE_TOO_LARGE', `the data set is over dicom.maxDataSetMB`);
                }
                await file.write(bytes);
              }
            }
          } finally {
            await file.close();
          }
          const { uncompressed, stored } = storeProposals([
            { sopClassUid: head.sopClassUid, transferSyntax: head.transferSyntax },
          ]);
          const result = await remote.withAssociation(
            m,
            [...uncompressed, ...stored],
            undefined,
            (association) => association.store(path),
          );
          logger.log(
            'info',
            `REST: C-STORE of ${head.sopInstanceUid} (not stored here) to ${remote.label(m)}: status 0x${result.status.toString(16).padStart(4, '0')}`,
          );
          return { SOPClassUID: head.sopClassUid, SOPInstanceUID: head.sopInstanceUid };
        } finally {
          await rm(folder, { recursive: true, force: true });
        }
      },
    },
  ];
}
