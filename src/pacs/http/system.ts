import { IMPLEMENTATION_CLASS_UID, IMPLEMENTATION_VERSION_NAME } from '../../core/index.ts';
import type { HttpContext, Route } from './context.ts';

/** The package's version (package.json; the CLI says the same). */
export const VERSION = '0.1.0';

/** The system route table: what this server is (Orthanc's /system) and what it holds (/statistics). */
export function systemRoutes(ctx: HttpContext): Route[] {
  const { pacs } = ctx;
  return [
    {
      method: 'GET',
      url: '/system',
      async handler(request) {
        return {
          Name: 'dicomkit',
          Version: VERSION,
          ApiVersion: 1,
          DicomAet: pacs.config.aeTitle,
          DicomPort: pacs.dicom.port,
          HttpPort: request.socket.localPort,
          ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
          ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
          DatabaseBackend: 'SQLite',
          OverwriteInstances: pacs.config.duplicates === 'overwrite',
        };
      },
    },
    {
      // TotalDiskSize: the bytes of the stored files, as the index counts them.
      method: 'GET',
      url: '/statistics',
      async handler() {
        const s = pacs.index.statistics();
        return {
          CountPatients: s.patients,
          CountStudies: s.studies,
          CountSeries: s.series,
          CountInstances: s.instances,
          TotalDiskSize: s.bytes,
          TotalDiskSizeMB: Math.round(s.bytes / (1024 * 1024)),
        };
      },
    },
  ];
}
