import { readFileSync } from 'node:fs';
import { type ConnectionOptions, createSecureContext, type TlsOptions } from 'node:tls';
import type { Logger } from '../core/index.ts';
import { ApplicationEntity } from '../services/index.ts';
import { ConfigError, type DicomTlsConfig, type ModalityConfig, type PacsConfig } from './config.ts';

/**
 * The PACS as it calls or serves others: its AE title (or another it answers to), its maximum
 * PDU, its log, `dicom.idleTimeout`, and one time limit for connecting, negotiating and each
 * DIMSE response: `timeoutMs` when given (Orthanc's `Timeout` of the REST calls), else
 * `dicom.scuTimeout` (Orthanc's DicomScuTimeout).
 */
export function pacsApplicationEntity(
  config: PacsConfig,
  logger: Logger,
  options: { aeTitle?: string; timeoutMs?: number } = {},
): ApplicationEntity {
  const timeout = options.timeoutMs ?? Math.round(config.dicom.scuTimeout * 1000);
  const idle = config.dicom.idleTimeout > 0 ? Math.round(config.dicom.idleTimeout * 1000) : undefined;
  return new ApplicationEntity({
    aeTitle: options.aeTitle ?? config.aeTitle,
    maxPduLength: config.dicom.maxPduLength,
    logger,
    timeouts: { connect: timeout, acse: timeout, dimse: timeout, ...(idle ? { idle } : {}) },
  });
}

/**
 * `dicom.tls`'s PEM files, read once at start-up: a file that cannot be read, or a key that
 * is not its certificate's, fails start-up naming the config key.
 */
export class PacsTls {
  readonly #key: Buffer;
  readonly #cert: Buffer;
  readonly #ca: Buffer;
  readonly #remoteCertificateRequired: boolean;

  constructor(config: DicomTlsConfig) {
    const read = (path: string, key: string): Buffer => {
      try {
        return readFileSync(path);
      } catch (error) {
        throw new ConfigError(key, `cannot read ${path}: ${(error as Error).message}`);
      }
    };
    this.#cert = read(config.certificate, 'dicom.tls.certificate');
    this.#key = read(config.privateKey, 'dicom.tls.privateKey');
    this.#ca = read(config.trustedCertificates, 'dicom.tls.trustedCertificates');
    this.#remoteCertificateRequired = config.remoteCertificateRequired;
    try {
      createSecureContext({ cert: this.#cert, key: this.#key, ca: this.#ca });
    } catch (error) {
      throw new ConfigError(
        'dicom.tls',
        `the certificate, key and trusted certificates do not load: ${(error as Error).message}`,
      );
    }
  }

  /** The SCP's TLS server: callers show a certificate the trusted ones vouch for, if required. */
  server(): TlsOptions {
    return {
      cert: this.#cert,
      key: this.#key,
      ca: this.#ca,
      requestCert: true,
      rejectUnauthorized: this.#remoteCertificateRequired,
    };
  }

  /**
   * An association to a `useTls` modality: our certificate, and the modality's checked against
   * the trusted ones. Not its name: DCMTK (Orthanc's TLS) does not check it either, and
   * modalities are often known by address only, with certificates that do not name it.
   */
  client(): ConnectionOptions {
    return {
      cert: this.#cert,
      key: this.#key,
      ca: this.#ca,
      rejectUnauthorized: true,
      checkServerIdentity: () => undefined,
    };
  }
}

/** Where and how to reach a modality: `associate()`'s address options, TLS when it uses it. */
export function modalityAddress(
  modality: ModalityConfig,
  tls: PacsTls | undefined,
): { host: string; port: number; calledAeTitle: string; tls?: ConnectionOptions } {
  if (modality.useTls && !tls)
    throw new ConfigError('dicom.tls', `modality ${modality.aeTitle} uses TLS; dicom.tls is not set`);
  return {
    host: modality.host,
    port: modality.port,
    calledAeTitle: modality.aeTitle,
    ...(modality.useTls && tls ? { tls: tls.client() } : {}),
  };
}
