import { generateUid, isLevelledLogger, type LogLevel } from '../../core/index.ts';
import { basicIsoDate } from './changes.ts';
import { type HttpContext, queryParam, type Route, shortBodyText } from './context.ts';
import { badRequest, HttpError } from './errors.ts';

/**
 * Orthanc's small /tools routes for scripts and administrators: the time, new UIDs, the log
 * level while running, Prometheus metrics and a shutdown. The others (/tools/find, lookup,
 * create-archive, dicom-echo, bulk-delete...) sit with the routes they share code with.
 */

/** Every /tools route this server has (GET /tools lists them, as Orthanc's does). */
const TOOLS = [
  'bulk-delete',
  'create-archive',
  'create-media',
  'dicom-echo',
  'find',
  'generate-uid',
  'log-level',
  'lookup',
  'metrics-prometheus',
  'now',
  'now-local',
  'shutdown',
];

/** Orthanc's verbosities (default, verbose, trace) as our levels; ours are accepted as they are. */
const LOG_LEVELS: Record<string, LogLevel> = {
  default: 'info',
  verbose: 'debug',
  trace: 'debug',
  debug: 'debug',
  info: 'info',
  warn: 'warn',
  error: 'error',
};

/** One Prometheus gauge (text exposition format 0.0.4). */
function gauge(name: string, help: string, value: number): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} gauge\n${name} ${value}\n`;
}

export function toolRoutes(ctx: HttpContext): Route[] {
  const { pacs, jobs } = ctx;
  const { logger } = pacs;
  return [
    {
      method: 'GET',
      url: '/tools',
      async handler() {
        return TOOLS;
      },
    },
    {
      method: 'GET',
      url: '/tools/now',
      async handler(_request, reply) {
        return reply.type('text/plain').send(basicIsoDate(Date.now()));
      },
    },
    {
      method: 'GET',
      url: '/tools/now-local',
      async handler(_request, reply) {
        // The local clock's reading, in the same form: UTC shifted by the local offset.
        const now = new Date();
        return reply.type('text/plain').send(basicIsoDate(now.getTime() - now.getTimezoneOffset() * 60_000));
      },
    },
    {
      // A new UID under dicomkit's root, whatever the level (Orthanc makes one per level alike).
      method: 'GET',
      url: '/tools/generate-uid',
      async handler(request, reply) {
        const level = queryParam(request, 'level');
        if (!['patient', 'study', 'series', 'instance'].includes(level ?? '')) {
          throw badRequest(
            `level must be patient, study, series or instance, not ${JSON.stringify(level ?? '')}`,
          );
        }
        return reply.type('text/plain').send(generateUid());
      },
    },
    {
      method: 'GET',
      url: '/tools/log-level',
      async handler(_request, reply) {
        if (!isLevelledLogger(logger)) throw fixedLevel();
        return reply.type('text/plain').send(logger.level);
      },
    },
    {
      // debug shows every PDU and DIMSE message, as `dicomkit pacs --log-level debug` would.
      method: 'PUT',
      url: '/tools/log-level',
      async handler(request, reply) {
        if (!isLevelledLogger(logger)) throw fixedLevel();
        const given = (await shortBodyText(request.body, 'a log level')).trim();
        const level = Object.hasOwn(LOG_LEVELS, given) ? LOG_LEVELS[given]! : undefined;
        if (!level) {
          throw badRequest(
            `the log level must be one of ${Object.keys(LOG_LEVELS).join(', ')}, not ${JSON.stringify(given)}`,
          );
        }
        logger.level = level;
        logger.log('warn', `REST: log level set to ${level}`);
        return reply.type('text/plain').send('');
      },
    },
    {
      // Orthanc's metric names, so that dashboards made for Orthanc work; a few of our own.
      method: 'GET',
      url: '/tools/metrics-prometheus',
      async handler(_request, reply) {
        const s = pacs.index.statistics();
        const j = jobs.statistics();
        const megabytes = Math.round((s.bytes / (1024 * 1024)) * 1000) / 1000;
        const text = [
          gauge('orthanc_disk_size_mb', 'Size of the stored files, in MiB', megabytes),
          gauge(
            'orthanc_uncompressed_size_mb',
            'Size of the stored files, in MiB (stored as received)',
            megabytes,
          ),
          gauge('orthanc_count_patients', 'Patients in the index', s.patients),
          gauge('orthanc_count_studies', 'Studies in the index', s.studies),
          gauge('orthanc_count_series', 'Series in the index', s.series),
          gauge('orthanc_count_instances', 'Instances in the index', s.instances),
          gauge('orthanc_jobs_pending', 'Jobs waiting to run', j.pending),
          gauge('orthanc_jobs_running', 'Jobs running', j.running),
          gauge('orthanc_jobs_completed', 'Jobs ended since start', j.succeeded + j.failed),
          gauge('orthanc_jobs_success', 'Jobs succeeded since start', j.succeeded),
          gauge('orthanc_jobs_failed', 'Jobs failed since start', j.failed),
          gauge('dicomkit_jobs_paused', 'Jobs paused', j.paused),
          gauge('orthanc_up_time_s', 'Seconds since start', Math.floor((Date.now() - pacs.startedAt) / 1000)),
          gauge(
            'orthanc_last_change',
            'Sequence number of the last change log entry',
            pacs.index.lastChange()?.seq ?? 0,
          ),
          gauge(
            'dicomkit_associations_active',
            'DICOM associations open with this SCP',
            pacs.dicom.associations.size,
          ),
          gauge('dicomkit_disk_size_bytes', 'Size of the stored files, in bytes', s.bytes),
        ].join('');
        return reply.type('text/plain; version=0.0.4').send(text);
      },
    },
    {
      // As a signal does: stops taking requests, lets those under way finish, closes the index.
      method: 'POST',
      url: '/tools/shutdown',
      async handler(_request, reply) {
        logger.log('warn', 'REST: shutdown requested');
        // After the answer is out: closing waits for the requests under way, this one too.
        reply.raw.once('finish', () => {
          pacs
            .close()
            .catch((error: unknown) => logger.log('error', `shutting down: ${(error as Error).message}`));
        });
        return reply.type('text/plain').send('');
      },
    },
  ];
}

function fixedLevel(): HttpError {
  return new HttpError(
    409,
    'ERR_CONFLICT',
    'the log level is fixed by the application that started this PACS (its logger cannot change level)',
  );
}
