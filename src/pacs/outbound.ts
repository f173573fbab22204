import type { Logger } from '../core/index.ts';
import { ApplicationEntity } from '../services/index.ts';
import type { PacsConfig } from './config.ts';

/**
 * The PACS as it calls or serves others: its AE title (or another it answers to), its maximum
 * PDU, its log, and one time limit for connecting, negotiating and each DIMSE response when
 * given (Orthanc's `Timeout` of the REST calls).
 */
export function pacsApplicationEntity(
  config: PacsConfig,
  logger: Logger,
  options: { aeTitle?: string; timeoutMs?: number } = {},
): ApplicationEntity {
  const timeout = options.timeoutMs;
  return new ApplicationEntity({
    aeTitle: options.aeTitle ?? config.aeTitle,
    maxPduLength: config.dicom.maxPduLength,
    logger,
    ...(timeout ? { timeouts: { connect: timeout, acse: timeout, dimse: timeout } } : {}),
  });
}
