import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { Readable } from 'node:stream';
import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { PIXEL_DATA } from '../../core/index.ts';
import { keywordOf } from '../../dictionary/index.ts';
import { dataSetToJson } from '../../json/index.ts';
import { readDicomFile } from '../../object/file.node.ts';
import { DataSet, readDicom } from '../../object/index.ts';
import { ApplicationEntity, QueryRetrieveModels, verificationContext } from '../../services/index.ts';
import type { QueryLevel } from '../index/types.ts';
import type { Pacs } from '../server.ts';
import { zipStream } from './zip.ts';

/**
 * The REST API of the PACS, with Orthanc's as the reference for what users expect, but DICOM
 * UIDs (and Patient ID) as resource identifiers instead of Orthanc's hashes. One route table
 * per domain (ARCHITECTURE.md): resources, upload and delete, statistics, modalities.
 */

const MAIN_TAGS: Record<QueryLevel, string[]> = {
  PATIENT: ['PatientID', 'PatientName', 'PatientBirthDate', 'PatientSex', 'NumberOfPatientRelatedStudies'],
  STUDY: [
    'StudyInstanceUID',
    'PatientID',
    'PatientName',
    'StudyDate',
    'StudyTime',
    'StudyDescription',
    'AccessionNumber',
    'ModalitiesInStudy',
    'NumberOfStudyRelatedSeries',
    'NumberOfStudyRelatedInstances',
  ],
  SERIES: [
    'StudyInstanceUID',
    'SeriesInstanceUID',
    'Modality',
    'SeriesNumber',
    'SeriesDescription',
    'NumberOfSeriesRelatedInstances',
  ],
  IMAGE: ['StudyInstanceUID', 'SeriesInstanceUID', 'SOPInstanceUID', 'SOPClassUID', 'InstanceNumber'],
};
const ID_KEY: Record<QueryLevel, string> = {
  PATIENT: 'PatientID',
  STUDY: 'StudyInstanceUID',
  SERIES: 'SeriesInstanceUID',
  IMAGE: 'SOPInstanceUID',
};
const ROUTE_LEVEL: Record<string, QueryLevel> = {
  patients: 'PATIENT',
  studies: 'STUDY',
  series: 'SERIES',
  instances: 'IMAGE',
};
const CHILD: Partial<Record<QueryLevel, QueryLevel>> = { PATIENT: 'STUDY', STUDY: 'SERIES', SERIES: 'IMAGE' };

function mainTags(ds: DataSet): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const element of ds) {
    if (element.tag === 0x00080005 || element.tag === 0x00080052 || element.tag === 0x00080054) continue;
    const values = ds.strings(element.tag);
    const name = nameOf(element.tag);
    if (name) out[name] = values && values.length > 1 ? values : (values?.[0]?.trim() ?? '');
  }
  return out;
}

function nameOf(tag: number): string | undefined {
  return keywordOf(tag);
}

function fail(reply: FastifyReply, status: number, code: string, error: string): FastifyReply {
  return reply.code(status).send({ error, code });
}

export async function startRest(
  pacs: Pacs,
  options: { host: string; port: number },
): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: 4 * 1024 * 1024 * 1024 - 1 });
  app.addContentTypeParser(
    ['application/dicom', 'application/octet-stream'],
    { parseAs: 'buffer' },
    (_req, body, done) => done(null, body),
  );
  const { index, storage } = pacs;

  const query = (level: QueryLevel, keys: Record<string, string> = {}): DataSet[] => {
    const identifier = new DataSet();
    identifier.set('SpecificCharacterSet', 'ISO_IR 192');
    identifier.set('QueryRetrieveLevel', level);
    for (const keyword of MAIN_TAGS[level]) identifier.set(keyword as never, undefined);
    for (const [keyword, value] of Object.entries(keys)) identifier.set(keyword as never, value);
    return [...index.find({ model: level === 'PATIENT' ? 'patient' : 'study', level, identifier })];
  };

  app.get('/system', async () => ({
    Name: 'dicomkit',
    Version: '0.1.0',
    DicomAet: pacs.config.aeTitle,
    DicomPort: pacs.dicom.port,
    HttpPort: options.port,
  }));

  app.get('/statistics', async () => {
    const s = index.statistics();
    return {
      CountPatients: s.patients,
      CountStudies: s.studies,
      CountSeries: s.series,
      CountInstances: s.instances,
      TotalDiskSize: s.bytes,
    };
  });

  for (const [route, level] of Object.entries(ROUTE_LEVEL)) {
    app.get(`/${route}`, async (request) => {
      const expand = Object.hasOwn(request.query as object, 'expand');
      const rows = query(level);
      return expand ? rows.map(mainTags) : rows.map((r) => r.string(ID_KEY[level] as never)?.trim());
    });
    app.get(`/${route}/:id`, async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const rows = query(level, { [ID_KEY[level]]: id });
      if (rows.length === 0) return fail(reply, 404, 'ERR_NOT_FOUND', `no ${route.replace(/s$/, '')} ${id}`);
      const child = CHILD[level];
      const children = child
        ? query(child, { [ID_KEY[level]]: id }).map((r) => r.string(ID_KEY[child] as never)?.trim())
        : undefined;
      return { ID: id, MainDicomTags: mainTags(rows[0]!), ...(children ? { Children: children } : {}) };
    });
    app.delete(`/${route}/:id`, async (request, reply) => {
      const id = (request.params as { id: string }).id;
      const removed = index.remove(level, id);
      if (removed.length === 0)
        return fail(reply, 404, 'ERR_NOT_FOUND', `no ${route.replace(/s$/, '')} ${id}`);
      for (const r of removed) await storage.remove(r.path);
      pacs.logger.log('info', `REST: deleted ${level} ${id} (${removed.length} instance(s))`);
      return { Deleted: removed.length };
    });
  }

  const locateInstance = (uid: string) => {
    const identifier = new DataSet();
    identifier.set('SOPInstanceUID', uid);
    return index.locate('study', 'IMAGE', identifier)[0];
  };

  app.get('/instances/:id/file', async (request, reply) => {
    const location = locateInstance((request.params as { id: string }).id);
    if (!location) return fail(reply, 404, 'ERR_NOT_FOUND', 'no such instance');
    reply.header('content-type', 'application/dicom');
    reply.header('content-length', String(location.size));
    return reply.send(createReadStream(storage.absolute(location.path)));
  });

  // A study as a ZIP of its files (stored, streamed), named like Orthanc's /studies/{id}/archive.
  app.get('/studies/:id/archive', async (request, reply) => {
    const id = (request.params as { id: string }).id;
    const identifier = new DataSet();
    identifier.set('StudyInstanceUID', id);
    const files = index.locate('study', 'STUDY', identifier);
    if (files.length === 0) return fail(reply, 404, 'ERR_NOT_FOUND', `no study ${id}`);
    reply.header('content-type', 'application/zip');
    reply.header('content-disposition', `attachment; filename="${id}.zip"`);
    return reply.send(
      Readable.from(
        zipStream(
          files.map((f) => ({
            name: `${f.seriesInstanceUid}/${f.sopInstanceUid}.dcm`,
            path: storage.absolute(f.path),
          })),
        ),
      ),
    );
  });

  app.get('/instances/:id/tags', async (request, reply) => {
    const location = locateInstance((request.params as { id: string }).id);
    if (!location) return fail(reply, 404, 'ERR_NOT_FOUND', 'no such instance');
    const file = await readDicomFile(storage.absolute(location.path), { stopAtTag: PIXEL_DATA });
    return dataSetToJson(file.dataset);
  });

  // Upload a Part 10 file: stored as it came, then indexed (the C-STORE path's guarantees).
  app.post('/instances', async (request, reply) => {
    const body = request.body;
    if (!(body instanceof Uint8Array) || body.length === 0)
      return fail(reply, 400, 'ERR_INVALID_VALUE', 'send a DICOM file as application/dicom');
    const bytes = new Uint8Array(body.buffer, body.byteOffset, body.length);
    let file: ReturnType<typeof readDicom>;
    try {
      file = readDicom(bytes, { stopAtTag: PIXEL_DATA });
    } catch (error) {
      return fail(reply, 400, (error as { code?: string }).code ?? 'ERR_NOT_DICOM', (error as Error).message);
    }
    const uid = file.dataset.string('SOPInstanceUID')?.trim();
    if (!uid || !file.dataset.string('StudyInstanceUID') || !file.dataset.string('SeriesInstanceUID')) {
      return fail(
        reply,
        400,
        'ERR_INVALID_VALUE',
        'the file lacks SOP Instance, Study or Series Instance UID',
      );
    }
    if (index.has(uid) && pacs.config.duplicates === 'ignore') return { ID: uid, Status: 'AlreadyStored' };
    const target = await storage.prepare(uid);
    const handle = await open(target.temporary, 'w');
    try {
      await handle.write(bytes);
      if (pacs.config.storage.fsync) await handle.datasync();
    } finally {
      await handle.close();
    }
    storage.commitSync(target.temporary, target.path);
    index.add(
      [
        {
          header: file.dataset,
          path: target.relativePath,
          size: bytes.length,
          transferSyntax: file.transferSyntax.uid,
          receivedAt: Date.now(),
        },
      ],
      { replace: true },
    );
    return { ID: uid, Status: 'Success' };
  });

  app.get('/modalities', async () => pacs.config.modalities);

  const modality = (name: string) => pacs.config.modalities[name];
  const scu = () => new ApplicationEntity({ aeTitle: pacs.config.aeTitle });

  app.post('/modalities/:name/echo', async (request, reply) => {
    const m = modality((request.params as { name: string }).name);
    if (!m) return fail(reply, 404, 'ERR_NOT_FOUND', 'no such modality');
    try {
      const assoc = await scu().associate({
        host: m.host,
        port: m.port,
        calledAeTitle: m.aeTitle,
        contexts: [verificationContext()],
      });
      await assoc.echo();
      await assoc.release();
      return {};
    } catch (error) {
      return fail(reply, 502, (error as { code?: string }).code ?? 'ERR_NETWORK', (error as Error).message);
    }
  });

  // C-MOVE from a modality into this PACS (Orthanc's /modalities/{id}/move).
  app.post('/modalities/:name/move', async (request, reply) => {
    const m = modality((request.params as { name: string }).name);
    if (!m) return fail(reply, 404, 'ERR_NOT_FOUND', 'no such modality');
    const body = request.body as { Level?: string; Resources?: Record<string, string>[]; TargetAet?: string };
    const level =
      (body.Level ?? 'Study').toUpperCase() === 'INSTANCE' ? 'IMAGE' : (body.Level ?? 'Study').toUpperCase();
    try {
      const assoc = await scu().associate({
        host: m.host,
        port: m.port,
        calledAeTitle: m.aeTitle,
        contexts: [
          {
            abstractSyntax: QueryRetrieveModels.study.move,
            transferSyntaxes: ['1.2.840.10008.1.2.1', '1.2.840.10008.1.2'],
          },
        ],
      });
      let completed = 0;
      let failed = 0;
      for (const resource of body.Resources ?? []) {
        const identifier = new DataSet();
        identifier.set('QueryRetrieveLevel', level);
        for (const [keyword, value] of Object.entries(resource)) identifier.set(keyword as never, value);
        const result = await assoc.move(identifier, body.TargetAet ?? pacs.config.aeTitle, {
          model: 'study',
        });
        completed += result.completed;
        failed += result.failed;
      }
      await assoc.release();
      return { Completed: completed, Failed: failed };
    } catch (error) {
      return fail(reply, 502, (error as { code?: string }).code ?? 'ERR_NETWORK', (error as Error).message);
    }
  });

  await app.listen({ host: options.host, port: options.port });
  return app;
}
