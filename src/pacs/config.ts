import { readFileSync } from 'node:fs';
import { DicomError, isValidUid } from '../core/index.ts';
import { DEFAULT_MAX_PDU_LENGTH } from '../services/application-entity.ts';

/** What a known modality may ask of the PACS. */
export interface ModalityPermissions {
  echo: boolean;
  store: boolean;
  find: boolean;
  move: boolean;
  get: boolean;
}

/** A DICOM peer the PACS knows: a C-MOVE destination and an allowed caller. */
export interface ModalityConfig {
  aeTitle: string;
  host: string;
  port: number;
  /** Callers with this AE title must come from `host` (default true, as Orthanc's DicomCheckCalledAet-like checks). */
  checkHost: boolean;
  permissions: ModalityPermissions;
  /** Associations to it use TLS, with `dicom.tls`'s certificate and trust (Orthanc's UseDicomTls). */
  useTls: boolean;
}

/**
 * DICOM over TLS (PS3.15 Annex B.1, the Basic TLS Secure Transport Connection Profile), as
 * Orthanc's DicomTls* options: PEM files. With it the SCP accepts TLS only.
 */
export interface DicomTlsConfig {
  /** Our certificate (chain), shown to callers and to the modalities we call with `useTls`. */
  certificate: string;
  privateKey: string;
  /** The certificates (a CA bundle, or the peers' own) a peer's certificate must chain to. */
  trustedCertificates: string;
  /** Callers must present a trusted certificate (default true). */
  remoteCertificateRequired: boolean;
}

export interface PacsConfig {
  /** Our AE title (ARCHITECTURE.md defaults: DICOMKIT). */
  aeTitle: string;
  dicom: {
    host: string;
    port: number;
    maxAssociations: number;
    maxPduLength: number;
    /**
     * Storage Commitment reports a modality could not take (it was not listening, say) are
     * tried again this many times, `commitmentRetryDelay` seconds apart.
     */
    commitmentRetries: number;
    commitmentRetryDelay: number;
    /** The largest data set accepted in one request, in MB (10^6 bytes); 0: no limit. */
    maxDataSetMB: number;
    /** TLS on the DICOM port and to `useTls` modalities; undefined: plain TCP. */
    tls: DicomTlsConfig | undefined;
    /**
     * Seconds an association may wait silent for the next request before it is aborted
     * (Orthanc's DicomScpTimeout), so that peers gone quiet do not hold maxAssociations'
     * places for good. A request being worked on is not waiting. 0: no limit.
     */
    idleTimeout: number;
    /**
     * Seconds the PACS waits, as the calling side (C-MOVE destinations, storage commitment,
     * REST calls to modalities without their own Timeout), for a connection, the association's
     * answer and each response (Orthanc's DicomScuTimeout, whose default it takes).
     */
    scuTimeout: number;
  };
  http: {
    host: string;
    port: number;
    enabled: boolean;
    /**
     * Serve requests from addresses outside `localAddresses` (Orthanc's RemoteAccessAllowed).
     * Needs `users`: the REST API can read and delete everything.
     */
    remoteAccessAllowed: boolean;
    /** HTTP Basic authentication, name -> password (Orthanc's RegisteredUsers); empty: none. */
    users: Record<string, string>;
  };
  /** Where the files and the index live. */
  storage: {
    path: string;
    fsync: boolean;
    /** Stored files at most, in MB (10^6 bytes); 0: no limit (Orthanc's MaximumStorageSize). */
    maxStorageMB: number;
    /** Past `maxStorageMB`: refuse new instances, or delete the least recently received studies. */
    whenFull: 'reject' | 'recycle';
  };
  index: {
    path: string | undefined;
    caseInsensitivePN: boolean;
    /**
     * Seconds without a new instance after which a series, study or patient is logged as
     * stable in the change log (Orthanc's StableAge).
     */
    stableAge: number;
  };
  /** What a second copy of an instance does: keep the first ('ignore') or replace it. */
  duplicates: 'ignore' | 'overwrite';
  /** Accept callers that are neither loopback nor known modalities. */
  allowUnknownCallers: boolean;
  /** Addresses treated as local (accepted like loopback). Default: 127.0.0.0/8 and ::1. */
  localAddresses: string[];
  modalities: Record<string, ModalityConfig>;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
}

export const DEFAULT_CONFIG: PacsConfig = {
  aeTitle: 'DICOMKIT',
  dicom: {
    host: '0.0.0.0',
    port: 4242,
    maxAssociations: 64,
    maxPduLength: DEFAULT_MAX_PDU_LENGTH,
    commitmentRetries: 3,
    commitmentRetryDelay: 10,
    maxDataSetMB: 0,
    tls: undefined,
    idleTimeout: 30,
    scuTimeout: 10,
  },
  http: { host: '127.0.0.1', port: 8042, enabled: true, remoteAccessAllowed: false, users: {} },
  storage: { path: 'dicomkit-data', fsync: true, maxStorageMB: 0, whenFull: 'reject' },
  index: { path: undefined, caseInsensitivePN: true, stableAge: 60 },
  duplicates: 'ignore',
  allowUnknownCallers: false,
  localAddresses: ['127.0.0.0/8', '::1'],
  modalities: {},
  logLevel: 'info',
};

/** `dicom.maxDataSetMB` in bytes, or undefined for no limit. */
export function maxDataSetBytes(config: PacsConfig): number | undefined {
  return config.dicom.maxDataSetMB > 0 ? Math.floor(config.dicom.maxDataSetMB * 1e6) : undefined;
}

const ALL_PERMISSIONS: ModalityPermissions = { echo: true, store: true, find: true, move: true, get: true };

/** A config problem, naming the key at fault (ARCHITECTURE.md: start-up fails naming the bad key). */
export class ConfigError extends DicomError {
  readonly key: string;
  constructor(key: string, message: string) {
    super('ERR_INVALID_VALUE', `config ${key}: ${message}`);
    this.key = key;
  }
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Reads a JSON config file; unknown keys are errors, so a typo never goes unnoticed. */
export function loadConfigFile(path: string): Json {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError('(file)', `cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!isObject(parsed)) throw new Error('the top level must be an object');
    return parsed;
  } catch (error) {
    throw new ConfigError('(file)', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** Merges `input` over the defaults, checking every key and value. */
export function resolveConfig(input: Json = {}): PacsConfig {
  const config: PacsConfig = structuredClone(DEFAULT_CONFIG);
  checkKeys(input, 'config', [
    'aeTitle',
    'dicom',
    'http',
    'storage',
    'index',
    'duplicates',
    'allowUnknownCallers',
    'localAddresses',
    'modalities',
    'logLevel',
  ]);
  if (input.aeTitle !== undefined) config.aeTitle = aeTitle(input.aeTitle, 'aeTitle');
  if (input.dicom !== undefined) {
    const d = object(input.dicom, 'dicom');
    checkKeys(d, 'dicom', [
      'host',
      'port',
      'maxAssociations',
      'maxPduLength',
      'commitmentRetries',
      'commitmentRetryDelay',
      'maxDataSetMB',
      'tls',
      'idleTimeout',
      'scuTimeout',
    ]);
    if (d.host !== undefined) config.dicom.host = string(d.host, 'dicom.host');
    if (d.port !== undefined) config.dicom.port = port(d.port, 'dicom.port');
    if (d.maxAssociations !== undefined)
      config.dicom.maxAssociations = integer(d.maxAssociations, 'dicom.maxAssociations', 1);
    if (d.maxPduLength !== undefined)
      config.dicom.maxPduLength = integer(d.maxPduLength, 'dicom.maxPduLength', 4096);
    if (d.commitmentRetries !== undefined)
      config.dicom.commitmentRetries = integer(d.commitmentRetries, 'dicom.commitmentRetries', 0);
    if (d.commitmentRetryDelay !== undefined)
      config.dicom.commitmentRetryDelay = amount(
        d.commitmentRetryDelay,
        'dicom.commitmentRetryDelay',
        0,
        'must be a number of seconds >= 0',
      );
    if (d.maxDataSetMB !== undefined)
      config.dicom.maxDataSetMB = amount(
        d.maxDataSetMB,
        'dicom.maxDataSetMB',
        0,
        'must be a number of MB >= 0 (0: no limit)',
      );
    if (d.idleTimeout !== undefined)
      config.dicom.idleTimeout = amount(
        d.idleTimeout,
        'dicom.idleTimeout',
        0,
        'must be a number of seconds >= 0 (0: no limit)',
      );
    if (d.scuTimeout !== undefined) {
      config.dicom.scuTimeout = amount(
        d.scuTimeout,
        'dicom.scuTimeout',
        0,
        'must be a number of seconds > 0',
      );
      if (config.dicom.scuTimeout === 0)
        throw new ConfigError('dicom.scuTimeout', 'must be a number of seconds > 0');
    }
    if (d.tls !== undefined) {
      const t = object(d.tls, 'dicom.tls');
      const keys = ['certificate', 'privateKey', 'trustedCertificates', 'remoteCertificateRequired'];
      checkKeys(t, 'dicom.tls', keys);
      config.dicom.tls = {
        certificate: string(t.certificate, 'dicom.tls.certificate'),
        privateKey: string(t.privateKey, 'dicom.tls.privateKey'),
        trustedCertificates: string(t.trustedCertificates, 'dicom.tls.trustedCertificates'),
        remoteCertificateRequired:
          t.remoteCertificateRequired === undefined
            ? true
            : boolean(t.remoteCertificateRequired, 'dicom.tls.remoteCertificateRequired'),
      };
    }
  }
  if (input.http !== undefined) {
    const h = object(input.http, 'http');
    checkKeys(h, 'http', ['host', 'port', 'enabled', 'remoteAccessAllowed', 'users']);
    if (h.host !== undefined) config.http.host = string(h.host, 'http.host');
    if (h.port !== undefined) config.http.port = port(h.port, 'http.port');
    if (h.enabled !== undefined) config.http.enabled = boolean(h.enabled, 'http.enabled');
    if (h.remoteAccessAllowed !== undefined)
      config.http.remoteAccessAllowed = boolean(h.remoteAccessAllowed, 'http.remoteAccessAllowed');
    if (h.users !== undefined) {
      const users = object(h.users, 'http.users');
      for (const [name, password] of Object.entries(users)) {
        // RFC 7617 §2: the user-id cannot contain a colon.
        if (name === '' || name.includes(':'))
          throw new ConfigError(
            'http.users',
            `user name ${JSON.stringify(name)} must be non-empty, without ':'`,
          );
        config.http.users[name] = string(password, `http.users.${name}`);
      }
    }
    if (config.http.remoteAccessAllowed && Object.keys(config.http.users).length === 0) {
      // ARCHITECTURE.md / issue 5: HTTP stays local until authentication is configured.
      throw new ConfigError(
        'http.remoteAccessAllowed',
        'remote access to the REST API needs authentication: set http.users (name -> password)',
      );
    }
  }
  if (input.storage !== undefined) {
    const s = object(input.storage, 'storage');
    checkKeys(s, 'storage', ['path', 'fsync', 'maxStorageMB', 'whenFull']);
    if (s.path !== undefined) config.storage.path = string(s.path, 'storage.path');
    if (s.fsync !== undefined) config.storage.fsync = boolean(s.fsync, 'storage.fsync');
    if (s.maxStorageMB !== undefined)
      config.storage.maxStorageMB = amount(
        s.maxStorageMB,
        'storage.maxStorageMB',
        0,
        'must be a number of MB >= 0 (0: no limit)',
      );
    if (s.whenFull !== undefined)
      config.storage.whenFull = oneOf(s.whenFull, 'storage.whenFull', ['reject', 'recycle'] as const);
  }
  if (input.index !== undefined) {
    const i = object(input.index, 'index');
    checkKeys(i, 'index', ['path', 'caseInsensitivePN', 'stableAge']);
    if (i.path !== undefined) config.index.path = string(i.path, 'index.path');
    if (i.caseInsensitivePN !== undefined)
      config.index.caseInsensitivePN = boolean(i.caseInsensitivePN, 'index.caseInsensitivePN');
    if (i.stableAge !== undefined)
      config.index.stableAge = amount(
        i.stableAge,
        'index.stableAge',
        Number.MIN_VALUE,
        'must be a number of seconds > 0',
      );
  }
  if (input.duplicates !== undefined)
    config.duplicates = oneOf(input.duplicates, 'duplicates', ['ignore', 'overwrite'] as const);
  if (input.allowUnknownCallers !== undefined)
    config.allowUnknownCallers = boolean(input.allowUnknownCallers, 'allowUnknownCallers');
  if (input.localAddresses !== undefined) {
    if (!Array.isArray(input.localAddresses))
      throw new ConfigError('localAddresses', 'must be a list of addresses or CIDR blocks');
    config.localAddresses = input.localAddresses.map((a, i) => string(a, `localAddresses[${i}]`));
  }
  if (input.modalities !== undefined) {
    const m = object(input.modalities, 'modalities');
    for (const [name, value] of Object.entries(m)) {
      config.modalities[name] = parseModality(value, `modalities.${name}`);
      if (config.modalities[name].useTls && !config.dicom.tls) throw tlsNeeded(`modalities.${name}.useTls`);
    }
  }
  if (input.logLevel !== undefined) {
    const level = input.logLevel;
    if (level !== 'debug' && level !== 'info' && level !== 'warn' && level !== 'error') {
      throw new ConfigError('logLevel', 'must be one of debug, info, warn, error');
    }
    config.logLevel = level;
  }
  return config;
}

/** One `modalities` entry, checked; `key` names it in errors. */
export function parseModality(value: unknown, key: string): ModalityConfig {
  // Orthanc's short form: [ "AET", "host", port ].
  if (Array.isArray(value)) {
    if (value.length !== 3) throw new ConfigError(key, 'the short form is ["AE_TITLE", "host", port]');
    return {
      aeTitle: aeTitle(value[0], `${key}[0]`),
      host: string(value[1], `${key}[1]`),
      port: port(value[2], `${key}[2]`),
      checkHost: true,
      permissions: { ...ALL_PERMISSIONS },
      useTls: false,
    };
  }
  const m = object(value, key);
  checkKeys(m, key, ['aeTitle', 'host', 'port', 'checkHost', 'permissions', 'useTls']);
  const permissions = { ...ALL_PERMISSIONS };
  if (m.permissions !== undefined) {
    const p = object(m.permissions, `${key}.permissions`);
    checkKeys(p, `${key}.permissions`, Object.keys(ALL_PERMISSIONS));
    for (const [name, allowed] of Object.entries(p)) {
      permissions[name as keyof ModalityPermissions] = boolean(allowed, `${key}.permissions.${name}`);
    }
  }
  return {
    aeTitle: aeTitle(m.aeTitle, `${key}.aeTitle`),
    host: string(m.host, `${key}.host`),
    port: port(m.port, `${key}.port`),
    checkHost: m.checkHost === undefined ? true : boolean(m.checkHost, `${key}.checkHost`),
    permissions,
    useTls: m.useTls === undefined ? false : boolean(m.useTls, `${key}.useTls`),
  };
}

/** A modality with `useTls` and no `dicom.tls` to call it with. */
export function tlsNeeded(key: string): ConfigError {
  return new ConfigError(key, 'needs dicom.tls (our certificate and the certificates we trust)');
}

function checkKeys(value: Json, key: string, allowed: readonly string[]): void {
  for (const name of Object.keys(value)) {
    if (!allowed.includes(name)) {
      throw new ConfigError(
        `${key === 'config' ? '' : `${key}.`}${name}`,
        `unknown key (known: ${allowed.join(', ')})`,
      );
    }
  }
}

function object(value: unknown, key: string): Json {
  if (!isObject(value)) throw new ConfigError(key, 'must be an object');
  return value;
}

function string(value: unknown, key: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new ConfigError(key, 'must be a non-empty string');
  return value;
}

function boolean(value: unknown, key: string): boolean {
  if (typeof value !== 'boolean') throw new ConfigError(key, 'must be true or false');
  return value;
}

function integer(value: unknown, key: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new ConfigError(key, `must be an integer >= ${min}`);
  }
  return value;
}

/** A finite number of seconds or megabytes, at least `min`; `wanted` says so in the error. */
function amount(value: unknown, key: string, min: number, wanted: string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) throw new ConfigError(key, wanted);
  return value;
}

/** One of a few words, e.g. "reject" or "recycle". */
function oneOf<T extends string>(value: unknown, key: string, choices: readonly T[]): T {
  if (!choices.includes(value as T)) {
    throw new ConfigError(
      key,
      `must be ${choices.map((c) => JSON.stringify(c)).join(' or ')}, not ${JSON.stringify(value)}`,
    );
  }
  return value as T;
}

function port(value: unknown, key: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > 65535) {
    throw new ConfigError(key, 'must be a port number 0-65535');
  }
  return value;
}

/** PS3.5 Table 6.2-1: an AE title is 1-16 characters of the default repertoire, no backslash or controls. */
export function isAeTitle(value: unknown): value is string {
  return typeof value === 'string' && /^[\x20-\x5b\x5d-\x7e]{1,16}$/.test(value) && value.trim() !== '';
}

function aeTitle(value: unknown, key: string): string {
  if (!isAeTitle(value)) {
    throw new ConfigError(key, 'must be an AE title: 1-16 printable ASCII characters, no backslash');
  }
  return value.trim();
}

/** The storage path of an instance: two hash levels keep directories small; the UID is validated. */
export function checkedUid(uid: string, what: string): string {
  if (!isValidUid(uid))
    throw new DicomError('ERR_INVALID_VALUE', `${what} is not a valid UID: ${JSON.stringify(uid)}`);
  return uid;
}
