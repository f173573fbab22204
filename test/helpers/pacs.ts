/**
 * The set-up the PACS tests share: a PACS on 127.0.0.1 (a port the OS chose, no HTTP unless
 * asked, no fsync, silent) and an association with it.
 */
import { type Logger, SILENT_LOGGER } from '../../src/core/index.ts';
import { resolveConfig } from '../../src/pacs/config.ts';
import { type Pacs, startPacs } from '../../src/pacs/server.ts';
import {
  ApplicationEntity,
  type AssociateOptions,
  type Association,
  storageContexts,
} from '../../src/services/index.ts';

type Section = Record<string, unknown>;

/** `config` as resolveConfig takes it; `dicom` and `storage` are merged over the test defaults. */
export function startLoopbackPacs(
  storage: string,
  config: Section & { dicom?: Section; storage?: Section; http?: Section } = {},
  options: { logger?: Logger; reindex?: boolean } = {},
): Promise<Pacs> {
  return startPacs(
    resolveConfig({
      ...config,
      dicom: { host: '127.0.0.1', port: 0, ...config.dicom },
      http: config.http ?? { enabled: false },
      storage: { path: storage, fsync: false, ...config.storage },
    }),
    { logger: SILENT_LOGGER, ...options },
  );
}

/**
 * An association with `pacs` (called DICOMKIT) from `aeTitle`, proposing `contexts`, or
 * storage of `SOP classes` when given an array of UIDs.
 */
export function associateWithPacs(
  pacs: Pacs,
  contexts: string[] | AssociateOptions['contexts'],
  options: { aeTitle?: string } & Omit<AssociateOptions, 'host' | 'port' | 'calledAeTitle' | 'contexts'> = {},
): Promise<Association> {
  const { aeTitle = 'MODALITY', ...rest } = options;
  const proposed = contexts.every((c) => typeof c === 'string')
    ? storageContexts(contexts as string[])
    : (contexts as AssociateOptions['contexts']);
  return new ApplicationEntity({ aeTitle }).associate({
    host: '127.0.0.1',
    port: pacs.dicom.port,
    calledAeTitle: 'DICOMKIT',
    contexts: proposed,
    ...rest,
  });
}
