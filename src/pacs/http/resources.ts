import { type FileHandle, open, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DicomError, mapConcurrently, PIXEL_DATA, type Tag } from '../../core/index.ts';
import { type Keyword, keywordOf } from '../../dictionary/index.ts';
import { dataSetToJson, dicomJsonToString } from '../../json/index.ts';
import { buildDicomDir, DataSet, type DicomDirEntry, directoryKeys } from '../../object/index.ts';
import type { InstanceLocation, QueryLevel } from '../index/types.ts';
import { removeResource } from '../removal.ts';
import { basicIsoDate } from './changes.ts';
import {
  type HttpContext,
  jsonBody,
  jsonObject,
  paging,
  params,
  queryParam,
  type Route,
  shortBodyText,
} from './context.ts';
import { badRequest, HttpError, notFound } from './errors.ts';
import { fillFromKeywords, simplify, tagFromKey } from './keywords.ts';
import {
  CHILD,
  checkId,
  findResource,
  ID_KEY,
  instanceFile,
  LEVELS,
  locateResource,
  PARENT,
  parseLevel,
  ROUTE,
  readInstance,
  TYPE,
  unreadable,
} from './levels.ts';
import { transcodeTarget, writeTranscoded } from './transcode.ts';
import { type ZipEntry, zipLayout, zipStream } from './zip.ts';

/**
 * The resources route table: patients, studies, series and instances as Orthanc lists and
 * shows them (`/studies`, `/studies/{id}`, `/studies/{id}/series`...), the instance's file
 * and tags, archives, and DELETE at any level. Everything is read from the index (main tags
 * are its columns, counts its derived keys) except the file and its tags, read from disk.
 */

/** The attributes shown as MainDicomTags: the index's columns of each level. */
const MAIN_TAGS: Record<QueryLevel, Keyword[]> = {
  PATIENT: ['PatientID', 'IssuerOfPatientID', 'PatientName', 'PatientBirthDate', 'PatientSex'],
  STUDY: [
    'StudyInstanceUID',
    'StudyDate',
    'StudyTime',
    'StudyID',
    'StudyDescription',
    'AccessionNumber',
    'ReferringPhysicianName',
    'ModalitiesInStudy',
    // Also in PatientMainDicomTags (Orthanc's place); here too, so a study says whose it is.
    'PatientID',
    'PatientName',
  ],
  SERIES: ['SeriesInstanceUID', 'Modality', 'SeriesNumber', 'SeriesDescription', 'BodyPartExamined'],
  IMAGE: ['SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'],
};

/** Counts below a resource, from the index's derived keys (PS3.4 C.6.1.1.x). */
const COUNTS: Record<QueryLevel, [Keyword, string][]> = {
  PATIENT: [
    ['NumberOfPatientRelatedStudies', 'CountStudies'],
    ['NumberOfPatientRelatedSeries', 'CountSeries'],
    ['NumberOfPatientRelatedInstances', 'CountInstances'],
  ],
  STUDY: [
    ['NumberOfStudyRelatedSeries', 'CountSeries'],
    ['NumberOfStudyRelatedInstances', 'CountInstances'],
  ],
  SERIES: [['NumberOfSeriesRelatedInstances', 'CountInstances']],
  IMAGE: [],
};

/** Orthanc's name of the list of children. */
const CHILDREN: Partial<Record<QueryLevel, string>> = {
  PATIENT: 'Studies',
  STUDY: 'Series',
  SERIES: 'Instances',
};

const DEPTH: Record<QueryLevel, number> = { PATIENT: 0, STUDY: 1, SERIES: 2, IMAGE: 3 };

function text(ds: DataSet, key: Keyword | Tag): string {
  return (ds.strings(key) ?? []).map((v) => v.trim()).join('\\');
}

function pick(ds: DataSet, keys: readonly Keyword[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of keys) out[key] = text(ds, key);
  return out;
}

/** Orthanc's metadata names for what the index keeps of an instance's arrival. */
function instanceMetadata(file: InstanceLocation): Record<string, string> {
  const received = basicIsoDate(file.receivedAt);
  return {
    ReceptionDate: received,
    LastUpdate: received,
    RemoteAET: file.sourceAeTitle,
    SopClassUid: file.sopClassUid,
    TransferSyntax: file.transferSyntax,
  };
}

/** Whether `id` can name a resource of `level` (checkId would accept it). */
function usableId(level: QueryLevel, id: string): boolean {
  try {
    checkId(level, id);
    return true;
  } catch {
    return false;
  }
}

/** UIDs per list-matching query: well under SQLite's limit on bound parameters. */
const UID_LIST_CHUNK = 500;

function unique(values: string[]): string[] {
  return [...new Set(values)];
}

/** A path component of an archive entry: UIDs pass unchanged; nothing can climb out of the folder. */
function safeName(part: string): string {
  const cleaned = part.replace(/[^0-9A-Za-z._-]/g, '_');
  return cleaned === '' || cleaned === '.' || cleaned === '..' ? '_' : cleaned;
}

export function resourceRoutes(ctx: HttpContext): Route[] {
  const { index, storage, logger } = ctx.pacs;

  /** Index rows matching a C-FIND identifier at `level`, every level's keys usable (relational). */
  function search(
    level: QueryLevel,
    identifier: DataSet,
    options: { caseInsensitivePN: boolean; limit?: number },
  ): Iterable<DataSet> {
    identifier.set('QueryRetrieveLevel', level);
    return index.find({
      model: level === 'PATIENT' ? 'patient' : 'study',
      level,
      identifier,
      caseInsensitivePN: options.caseInsensitivePN,
      // No hierarchical rules: a series is listed without naming its study.
      relational: true,
      ...(options.limit !== undefined ? { limit: options.limit } : {}),
    });
  }

  /** Index rows at `level` with `keys`, all or those whose `match.key` is exactly `match.value`. */
  function rows(
    level: QueryLevel,
    keys: readonly Keyword[],
    match?: { key: Keyword; value: string },
    limit?: number,
  ): DataSet[] {
    const identifier = new DataSet();
    identifier.set('SpecificCharacterSet', 'ISO_IR 192');
    for (const key of keys) identifier.set(key, undefined);
    if (match) identifier.set(match.key, match.value);
    const found: DataSet[] = [];
    for (const row of search(level, identifier, {
      caseInsensitivePN: false,
      ...(limit !== undefined && !match ? { limit } : {}),
    })) {
      // The index matches a Patient ID taken from a row as C-FIND would (wildcards): keep exact ones.
      if (match && text(row, match.key) !== match.value) continue;
      found.push(row);
      if (limit !== undefined && found.length >= limit) break;
    }
    return found;
  }

  /** What a resource shows: its main tags and counts, the IDs of its parents (all) and children. */
  function keysFor(level: QueryLevel): Keyword[] {
    const keys = [...MAIN_TAGS[level], ...COUNTS[level].map(([key]) => key)];
    if (level === 'STUDY') keys.push(...MAIN_TAGS.PATIENT);
    for (let parent = PARENT[level]; parent; parent = PARENT[parent]) keys.push(ID_KEY[parent]);
    return unique(keys) as Keyword[];
  }

  function one(level: QueryLevel, id: string, keys: readonly Keyword[] = keysFor(level)): DataSet {
    const row = rows(level, keys, { key: ID_KEY[level], value: id })[0];
    if (!row) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
    return row;
  }

  const locate = (level: QueryLevel, id: string): InstanceLocation[] => locateResource(index, level, id);

  /**
   * What describing many resources of one level needs from the index, fetched for all of them
   * at once (UID lists, PS3.4 §C.2.2.2.2): the files of instances and the children of studies
   * and series. Looked up one resource at a time, listing a study's 2,000 instances made
   * 2,000 queries.
   */
  interface Prefetched {
    files?: Map<string, InstanceLocation>;
    children?: Map<string, string[]>;
  }

  function prefetch(level: QueryLevel, ids: readonly string[]): Prefetched {
    const uids = unique(ids.filter(Boolean));
    const prefetched: Prefetched = {};
    if (level === 'IMAGE') {
      prefetched.files = new Map();
      for (let at = 0; at < uids.length; at += UID_LIST_CHUNK) {
        const identifier = new DataSet();
        identifier.set('SOPInstanceUID', uids.slice(at, at + UID_LIST_CHUNK));
        for (const file of index.locate('study', 'IMAGE', identifier))
          prefetched.files.set(file.sopInstanceUid, file);
      }
    }
    const child = CHILD[level];
    // A Patient ID is not a UID: no list matching for it; patients are described one by one.
    if (child && level !== 'PATIENT') {
      prefetched.children = new Map(uids.map((uid) => [uid, []]));
      for (let at = 0; at < uids.length; at += UID_LIST_CHUNK) {
        const identifier = new DataSet();
        identifier.set('SpecificCharacterSet', 'ISO_IR 192');
        identifier.set(ID_KEY[child], undefined);
        identifier.set(ID_KEY[level], uids.slice(at, at + UID_LIST_CHUNK));
        for (const row of search(child, identifier, { caseInsensitivePN: false }))
          prefetched.children.get(text(row, ID_KEY[level]))?.push(text(row, ID_KEY[child]));
      }
    }
    return prefetched;
  }

  function describeAll(level: QueryLevel, found: readonly DataSet[]): Record<string, unknown>[] {
    const prefetched = prefetch(
      level,
      found.map((row) => text(row, ID_KEY[level])),
    );
    return found.map((row) => describe(level, row, prefetched));
  }

  function describe(level: QueryLevel, row: DataSet, prefetched: Prefetched = {}): Record<string, unknown> {
    const id = text(row, ID_KEY[level]);
    const out: Record<string, unknown> = {
      ID: id,
      Type: TYPE[level],
      MainDicomTags: pick(row, MAIN_TAGS[level]),
    };
    if (level === 'STUDY') out.PatientMainDicomTags = pick(row, MAIN_TAGS.PATIENT);
    const parent = PARENT[level];
    if (parent) out[`Parent${TYPE[parent]}`] = text(row, ID_KEY[parent]);
    const child = CHILD[level];
    if (child) {
      const ids = unique(
        prefetched.children?.get(id) ??
          rows(child, [ID_KEY[child]], { key: ID_KEY[level], value: id }).map((r) => text(r, ID_KEY[child])),
      );
      out[CHILDREN[level]!] = ids;
      // The same list under one name at every level (what clients iterating levels use).
      out.Children = ids;
    }
    for (const [key, name] of COUNTS[level]) out[name] = Number(text(row, key) || 0);
    if (level === 'PATIENT' && id !== '') out.IsProtected = index.isProtected(id) ?? false;
    if (level === 'IMAGE') {
      const file = prefetched.files ? prefetched.files.get(id) : locate('IMAGE', id)[0];
      if (file) {
        out.FileSize = file.size;
        out.TransferSyntaxUID = file.transferSyntax;
      }
    }
    return out;
  }

  async function remove(level: QueryLevel, id: string): Promise<Record<string, unknown>> {
    const located = locate(level, id);
    if (located.length === 0) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
    const parent = PARENT[level];
    const parentId = parent ? text(one(level, id, [ID_KEY[parent]]), ID_KEY[parent]) : undefined;
    let removed: InstanceLocation[];
    try {
      removed = await removeResource(ctx.pacs, level, id, located);
    } catch (error) {
      throw new HttpError(500, 'ERR_IO', (error as Error).message);
    }
    ctx.pacs.quota?.removed(removed);
    logger.log('info', `REST: deleted ${TYPE[level].toLowerCase()} ${id} (${removed.length} instance(s))`);
    const remains =
      parent !== undefined &&
      parentId !== undefined &&
      rows(parent, [ID_KEY[parent]], { key: ID_KEY[parent], value: parentId }).length > 0;
    return {
      Deleted: removed.length,
      RemainingAncestor: remains
        ? { Type: TYPE[parent], ID: parentId, Path: `/${ROUTE[parent]}/${encodeURIComponent(parentId)}` }
        : null,
    };
  }

  /**
   * Orthanc's protection from recycling (storage.whenFull "recycle"): GET answers "1" or "0";
   * PUT takes "1" or "0" (or true / false as JSON).
   */
  function protectionRoutes(): Route[] {
    const patient = (request: FastifyRequest): string => checkId('PATIENT', params(request).id!);
    return [
      {
        method: 'GET',
        url: '/patients/:id/protected',
        async handler(request, reply) {
          const id = patient(request);
          const value = index.isProtected(id);
          if (value === undefined) throw notFound(`no patient ${id}`);
          return reply.type('text/plain').send(value ? '1' : '0');
        },
      },
      {
        method: 'PUT',
        url: '/patients/:id/protected',
        async handler(request, reply) {
          const id = patient(request);
          const body = request.body;
          const given =
            typeof body === 'boolean' || typeof body === 'number'
              ? String(Number(body))
              : (await shortBodyText(body, '1 or 0')).trim();
          if (given !== '1' && given !== '0')
            throw badRequest(`the body must be 1 or 0, not ${JSON.stringify(given)}`);
          if (!index.setProtected(id, given === '1')) throw notFound(`no patient ${id}`);
          logger.log('info', `REST: patient ${id} ${given === '1' ? 'protected from' : 'open to'} recycling`);
          return reply.type('text/plain').send('');
        },
      },
    ];
  }

  const routes: Route[] = [];
  for (const level of LEVELS) {
    const route = ROUTE[level];
    routes.push(
      {
        method: 'GET',
        url: `/${route}`,
        async handler(request) {
          const { since, limit } = paging(request);
          const expand = queryParam(request, 'expand') !== undefined;
          const end = limit === undefined ? undefined : since + limit;
          if (!expand) {
            // Patients without an ID (one per study) cannot be named here; their studies can.
            const ids = unique(rows(level, [ID_KEY[level]]).map((r) => text(r, ID_KEY[level]))).filter(
              Boolean,
            );
            return ids.slice(since, end);
          }
          return describeAll(level, rows(level, keysFor(level), undefined, end).slice(since, end));
        },
      },
      {
        method: 'GET',
        url: `/${route}/:id`,
        async handler(request) {
          const id = checkId(level, params(request).id!);
          return describe(level, one(level, id));
        },
      },
      {
        method: 'DELETE',
        url: `/${route}/:id`,
        async handler(request) {
          return remove(level, checkId(level, params(request).id!));
        },
      },
    );
    if (level === 'PATIENT') routes.push(...protectionRoutes());
    // Descendants, expanded, as Orthanc's /patients/{id}/studies, /studies/{id}/instances...
    for (const below of LEVELS.filter((l) => DEPTH[l] > DEPTH[level])) {
      routes.push({
        method: 'GET',
        url: `/${route}/:id/${ROUTE[below]}`,
        async handler(request) {
          const id = checkId(level, params(request).id!);
          const found = rows(below, keysFor(below), { key: ID_KEY[level], value: id });
          if (found.length === 0) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
          return describeAll(below, found);
        },
      });
    }
    // The resource's ancestors, as Orthanc's /instances/{id}/study, /series/{id}/patient...
    for (let ancestor = PARENT[level]; ancestor; ancestor = PARENT[ancestor]) {
      const above = ancestor;
      routes.push({
        method: 'GET',
        url: `/${route}/:id/${TYPE[above].toLowerCase()}`,
        async handler(request) {
          const id = checkId(level, params(request).id!);
          const aboveId = text(one(level, id, [ID_KEY[above]]), ID_KEY[above]);
          return describe(above, one(above, aboveId));
        },
      });
    }
    routes.push({
      // Orthanc's /{level}/{id}/statistics. Files are stored as received, never compressed
      // by the store: the uncompressed sizes are the disk sizes.
      method: 'GET',
      url: `/${route}/:id/statistics`,
      async handler(request) {
        const id = checkId(level, params(request).id!);
        const located = locate(level, id);
        if (located.length === 0) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
        const bytes = located.reduce((sum, file) => sum + file.size, 0);
        const megabytes = Math.round(bytes / (1024 * 1024));
        const counts: Record<string, number> = {};
        if (level === 'PATIENT') counts.CountStudies = new Set(located.map((f) => f.studyInstanceUid)).size;
        if (level === 'PATIENT' || level === 'STUDY')
          counts.CountSeries = new Set(located.map((f) => f.seriesInstanceUid)).size;
        return {
          ...counts,
          CountInstances: located.length,
          DiskSize: bytes,
          DiskSizeMB: megabytes,
          UncompressedSize: bytes,
          UncompressedSizeMB: megabytes,
        };
      },
    });
    if (level !== 'IMAGE') {
      // A ZIP of the files: by study and series folder (archive), or as a DICOMDIR File-set
      // (media, PS3.10 §8: IMAGES/IM000001..., what Orthanc's /media burns to a CD).
      for (const kind of ['archive', 'media'] as const) {
        routes.push({
          method: 'GET',
          url: `/${route}/:id/${kind}`,
          async handler(request, reply) {
            const id = checkId(level, params(request).id!);
            const located = locate(level, id);
            if (located.length === 0) throw notFound(`no ${TYPE[level].toLowerCase()} ${id}`);
            const folders = level === 'PATIENT' ? 2 : level === 'STUDY' ? 1 : 0;
            const transcode = await transcodeTarget(queryParam(request, 'transcode'));
            return sendZip(
              reply,
              kind,
              located,
              folders,
              `${TYPE[level].toLowerCase()} ${id}`,
              id,
              transcode,
            );
          },
        });
      }
    }
  }
  // Orthanc's /tools/create-archive and /tools/create-media: one ZIP of several resources,
  // given as {"Resources": [id, ...]} or a bare list; each ID is looked up at every level.
  for (const kind of ['archive', 'media'] as const) {
    routes.push({
      method: 'POST',
      url: `/tools/create-${kind}`,
      async handler(request, reply) {
        const body = await jsonBody(request);
        const ids = Array.isArray(body) ? body : (body as { Resources?: unknown }).Resources;
        const transcode = Array.isArray(body)
          ? undefined
          : await transcodeTarget((body as { Transcode?: unknown }).Transcode, 'Transcode');
        if (!Array.isArray(ids) || ids.length === 0 || !ids.every((v) => typeof v === 'string')) {
          throw badRequest('the body must be {"Resources": [ID, ...]} or a list of IDs');
        }
        const seen = new Set<string>();
        const located: InstanceLocation[] = [];
        for (const id of ids as string[]) {
          const found = LEVELS.flatMap((level) => (usableId(level, id) ? locate(level, id) : []));
          if (found.length === 0) throw notFound(`no patient, study, series or instance ${id}`);
          for (const file of found) {
            if (seen.has(file.sopInstanceUid)) continue;
            seen.add(file.sopInstanceUid);
            located.push(file);
          }
        }
        return sendZip(reply, kind, located, 2, `${ids.length} resource(s)`, kind, transcode);
      },
    });
  }

  /**
   * Streams a ZIP of `located`: for an archive, named `{study}/{series}/{sop}.dcm` keeping the
   * last `folders` levels of folders; for media, IMAGES/IM000001... with a DICOMDIR.
   */
  async function sendZip(
    reply: FastifyReply,
    kind: 'archive' | 'media',
    located: readonly InstanceLocation[],
    folders: number,
    what: string,
    fileName: string,
    transcode?: string,
  ): Promise<FastifyReply> {
    const entries: ZipEntry[] = [];
    const directory: DicomDirEntry[] = [];
    // Transcoded copies are made first, so that the archive's size is known before it is sent.
    let scratch: string | undefined;
    const cleanUp = () => {
      if (scratch) rm(scratch, { recursive: true, force: true }).catch(() => {});
    };
    try {
      // Each file's size as it is now (the archive's length is announced before it is sent),
      // several at a time: one stat after another took ~0.1 s before a 2,000-file study began.
      const sizes = await mapConcurrently(located, 16, (file) => storage.size(file.path));
      for (const [at, file] of located.entries()) {
        let path = storage.absolute(file.path);
        let size = sizes[at];
        if (size === undefined) {
          throw new HttpError(
            500,
            'ERR_IO',
            `instance ${file.sopInstanceUid} is indexed but its file is gone`,
          );
        }
        let transferSyntaxUid = file.transferSyntax;
        let copy: DataSet | undefined;
        if (transcode && transcode !== file.transferSyntax) {
          scratch ??= await storage.scratchFolder();
          const out = join(scratch, `${entries.length}.dcm`);
          try {
            copy = await writeTranscoded(path, transcode, out);
            path = out;
            size = (await stat(out)).size;
            transferSyntaxUid = transcode;
          } catch (error) {
            // As Orthanc: the stored file goes in instead, and the log says why.
            copy = undefined;
            logger.log(
              'warn',
              `REST: ${kind} of ${what}: ${file.sopInstanceUid} not transcoded (${(error as Error).message}); the stored file is in the archive`,
            );
          }
        }
        let name: string;
        if (kind === 'media') {
          const fileId = ['IMAGES', `IM${String(entries.length + 1).padStart(6, '0')}`];
          name = fileId.join('/');
          const dataset =
            copy ??
            (await readInstance(index, storage, file.sopInstanceUid, { stopAtTag: PIXEL_DATA })).dataset;
          directory.push({ fileId, dataset: directoryKeys(dataset), transferSyntaxUid });
        } else {
          const parts = [file.studyInstanceUid, file.seriesInstanceUid].slice(2 - folders);
          name = [...parts, `${file.sopInstanceUid}.dcm`].map(safeName).join('/');
        }
        entries.push({ name, path, size });
      }
    } catch (error) {
      cleanUp();
      throw error;
    }
    if (kind === 'media') {
      const bytes = buildDicomDir(directory);
      entries.unshift({ name: 'DICOMDIR', bytes, size: bytes.length });
    }
    let size: number;
    try {
      size = zipLayout(entries).size;
    } catch (error) {
      cleanUp();
      throw new HttpError(
        413,
        'ERR_VALUE_TOO_LARGE',
        `${(error as Error).message}; download fewer instances at a time`,
      );
    }
    const body = Readable.from(zipStream(entries));
    body.on('error', (error) => logger.log('warn', `REST: ${kind} of ${what} cut short: ${error.message}`));
    // Sent, cut short or abandoned by the client: the copies go.
    body.on('close', cleanUp);
    return reply
      .header('content-type', 'application/zip')
      .header('content-length', String(size))
      .header('content-disposition', `attachment; filename="${safeName(fileName)}.zip"`)
      .send(body);
  }

  routes.push(
    {
      method: 'GET',
      url: '/instances/:id/file',
      async handler(request, reply) {
        const id = checkId('IMAGE', params(request).id!);
        const transcode = await transcodeTarget(queryParam(request, 'transcode'));
        const stored = instanceFile(index, id);
        let path = storage.absolute(stored.path);
        let cleanUp: (() => void) | undefined;
        if (transcode && transcode !== stored.transferSyntax) {
          // The copy is written to a scratch file, a frame at a time, then sent from it. A
          // failure is an error here, as Orthanc's (an archive falls back to the stored file).
          const scratch = await storage.scratchFolder();
          cleanUp = () => void rm(scratch, { recursive: true, force: true }).catch(() => {});
          const copy = join(scratch, 'copy.dcm');
          try {
            await writeTranscoded(path, transcode, copy);
          } catch (error) {
            cleanUp();
            throw new HttpError(
              error instanceof DicomError && error.code !== 'ERR_IO' ? 400 : 500,
              error instanceof DicomError ? error.code : 'ERR_INTERNAL',
              `${id} cannot be transcoded: ${(error as Error).message}`,
            );
          }
          path = copy;
        }
        let handle: FileHandle;
        try {
          handle = await open(path, 'r');
        } catch (error) {
          cleanUp?.();
          throw error instanceof HttpError ? error : unreadable(id, error);
        }
        const size = (await handle.stat()).size;
        const body = handle.createReadStream();
        // Sent, cut short or abandoned by the client: a transcoded copy goes.
        if (cleanUp) body.on('close', cleanUp);
        return reply
          .header('content-type', 'application/dicom')
          .header('content-length', String(size))
          .header('content-disposition', `attachment; filename="${id}.dcm"`)
          .send(body);
      },
    },
    {
      // Orthanc's metadata of an instance: what the PACS recorded when it stored it. The
      // names without ?expand; name: value with it.
      method: 'GET',
      url: '/instances/:id/metadata',
      async handler(request) {
        const metadata = instanceMetadata(instanceFile(index, checkId('IMAGE', params(request).id!)));
        return queryParam(request, 'expand') !== undefined ? metadata : Object.keys(metadata);
      },
    },
    {
      method: 'GET',
      url: '/instances/:id/metadata/:name',
      async handler(request, reply) {
        const { id, name } = params(request);
        const metadata = instanceMetadata(instanceFile(index, checkId('IMAGE', id!)));
        // Own names only: `__proto__` or `constructor` are no metadata either.
        if (!Object.hasOwn(metadata, name!))
          throw notFound(`no metadata ${name} (${Object.keys(metadata).join(', ')})`);
        return reply.type('text/plain; charset=utf-8').send(metadata[name!]);
      },
    },
    {
      // The header as DICOM JSON (PS3.18 Annex F), or keyword: value with ?simplify.
      method: 'GET',
      url: '/instances/:id/tags',
      async handler(request, reply) {
        const id = checkId('IMAGE', params(request).id!);
        const file = await readInstance(index, storage, id, { stopAtTag: PIXEL_DATA });
        if (queryParam(request, 'simplify') !== undefined) return simplify(file.dataset);
        return reply.type('application/json').send(dicomJsonToString(dataSetToJson(file.dataset)));
      },
    },
    {
      // Orthanc's spelling of /tags?simplify.
      method: 'GET',
      url: '/instances/:id/simplified-tags',
      async handler(request) {
        const id = checkId('IMAGE', params(request).id!);
        return simplify((await readInstance(index, storage, id, { stopAtTag: PIXEL_DATA })).dataset);
      },
    },
  );
  routes.push({
    // Orthanc's /tools/lookup: the body is an identifier (Patient ID, Study, Series or SOP
    // Instance UID); the answer lists the resources it names, at any level.
    method: 'POST',
    url: '/tools/lookup',
    async handler(request) {
      const value = (await shortBodyText(request.body, 'a Patient ID or a UID')).trim();
      if (value === '') throw badRequest('the body must be a Patient ID or a UID');
      const found: Record<string, string>[] = [];
      for (const level of LEVELS) {
        if (!usableId(level, value)) continue;
        if (rows(level, [ID_KEY[level]], { key: ID_KEY[level], value }).length === 0) continue;
        found.push({ ID: value, Path: `/${ROUTE[level]}/${encodeURIComponent(value)}`, Type: TYPE[level] });
      }
      return found;
    },
  });
  routes.push({
    // Orthanc's /tools/bulk-delete: { "Resources": [IDs of any level] }. IDs that name nothing
    // (deleted already, say) are skipped, as Orthanc does, and listed in the answer.
    method: 'POST',
    url: '/tools/bulk-delete',
    async handler(request) {
      const body = await jsonBody(request);
      const resources = (body as { Resources?: unknown } | null)?.Resources;
      if (!Array.isArray(resources) || !resources.every((r) => typeof r === 'string')) {
        throw badRequest('the body must be { "Resources": [IDs...] }');
      }
      let deleted = 0;
      const unknown: string[] = [];
      for (const id of new Set(resources as string[])) {
        const found = findResource(index, id);
        if (found) deleted += ((await remove(found.level, id)).Deleted as number) ?? 0;
        else unknown.push(id);
      }
      if (unknown.length > 0)
        logger.log('info', `REST: bulk delete: ${unknown.length} unknown resource(s) skipped`);
      return { Deleted: deleted, Unknown: unknown };
    },
  });
  routes.push({
    // Orthanc's /tools/find: { "Level": "Study", "Query": { "PatientName": "DOE*", "StudyDate":
    // "20200101-" }, "Expand"?, "Since"?, "Limit"?, "CaseSensitive"?, "RequestedTags"? }. The
    // Query is a C-FIND identifier matched by the index as the Q/R SCP matches (PS3.4
    // §C.2.2.2: wildcards, ranges, UID lists), with keys of any level (relational).
    method: 'POST',
    url: '/tools/find',
    async handler(request) {
      const find = parseFind(await jsonObject(request), ctx.pacs.config.index.caseInsensitivePN);
      const { level } = find;
      const requested = find.requestedTags.map((tag) => keywordOf(tag) ?? tag);
      const identifier = new DataSet();
      identifier.set('SpecificCharacterSet', 'ISO_IR 192');
      if (find.expand) for (const key of keysFor(level)) identifier.set(key, undefined);
      else identifier.set(ID_KEY[level], undefined);
      for (const tag of find.requestedTags) if (!identifier.has(tag)) identifier.set(tag, undefined);
      fillFromKeywords(identifier, find.query);
      const end = find.limit === undefined ? undefined : find.since + find.limit;
      const seen = new Set<string>();
      const found: DataSet[] = [];
      // Patient rows can repeat an ID (one patient row per issuer): the index's own limit
      // would count the repeats, so patients are limited here only.
      const indexLimit = level === 'PATIENT' ? undefined : end;
      for (const row of search(level, identifier, {
        caseInsensitivePN: !find.caseSensitive,
        ...(indexLimit !== undefined ? { limit: indexLimit } : {}),
      })) {
        const id = text(row, ID_KEY[level]);
        // A patient without an ID cannot be named in a URL; its studies can.
        if (id === '' || seen.has(id)) continue;
        seen.add(id);
        found.push(row);
        if (end !== undefined && found.length >= end) break;
      }
      const page = found.slice(find.since, end);
      if (!find.expand) return page.map((row) => text(row, ID_KEY[level]));
      const described = describeAll(level, page);
      return page.map((row, i) => {
        const out = described[i]!;
        if (requested.length > 0) {
          out.RequestedTags = Object.fromEntries(
            find.requestedTags.map((tag, i) => [requested[i], row.has(tag) ? text(row, tag) : null]),
          );
        }
        return out;
      });
    },
  });
  return routes;
}

interface FindBody {
  level: QueryLevel;
  query: Record<string, unknown>;
  expand: boolean;
  since: number;
  limit: number | undefined;
  caseSensitive: boolean;
  requestedTags: Tag[];
}

/** The body of /tools/find, checked field by field as Orthanc does (400 naming the field). */
function parseFind(body: Record<string, unknown>, caseInsensitivePN: boolean): FindBody {
  if (!('Level' in body)) throw badRequest('Level is required (Patient, Study, Series or Instance)');
  const level = parseLevel(body.Level);
  const query = body.Query;
  if (typeof query !== 'object' || query === null || Array.isArray(query)) {
    throw badRequest('Query must be an object of keyword: value (C-FIND matching)');
  }
  const flag = (key: string, fallback: boolean): boolean => {
    const value = body[key];
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw badRequest(`${key} must be true or false`);
    return value;
  };
  const count = (key: string): number | undefined => {
    const value = body[key];
    if (value === undefined) return undefined;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
      throw badRequest(`${key} must be a whole number`);
    }
    return value;
  };
  const requested = body.RequestedTags ?? [];
  if (!Array.isArray(requested) || !requested.every((t) => typeof t === 'string')) {
    throw badRequest('RequestedTags must be a list of keywords or tags');
  }
  return {
    level,
    query: query as Record<string, unknown>,
    expand: flag('Expand', false),
    since: count('Since') ?? 0,
    // Orthanc reads a Limit of 0 as no limit.
    limit: count('Limit') || undefined,
    caseSensitive: flag('CaseSensitive', !caseInsensitivePN),
    requestedTags: (requested as string[]).map(tagFromKey),
  };
}
