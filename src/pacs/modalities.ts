import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { DicomError } from '../core/index.ts';
import { ConfigError, type ModalityConfig, parseModality, tlsNeeded } from './config.ts';

/** Where a modality was defined: the config file, or the REST API (kept in the data folder). */
export type ModalityOrigin = 'config' | 'rest';

/** A change the registry refuses: a config-file modality changed or deleted through REST. */
export class ModalityConflictError extends DicomError {
  constructor(message: string) {
    super('ERR_INVALID_VALUE', message);
  }
}

/**
 * The modalities the PACS knows (C-MOVE destinations, callers allowed in, REST SCU peers): the
 * config file's `modalities`, and those added through REST (Orthanc's PUT /modalities/{id}),
 * which are kept in `file` so that a restart keeps them. Orthanc keeps them in memory only,
 * unless DicomModalitiesInDatabase is set; the index is no place for them here, since
 * `--reindex` rebuilds it from the stored instances.
 *
 * The config file stays authoritative for its own names: REST cannot change or delete them
 * (the error names the config key), and a name in both is the config file's (start-up warns).
 * Lookups read the config's record itself, so it is never stale.
 */
export class ModalityRegistry {
  readonly #configured: Record<string, ModalityConfig>;
  readonly #added = new Map<string, ModalityConfig>();
  readonly #file: string | undefined;

  /**
   * `file`: the JSON file of the modalities added through REST, read now (a bad one fails
   * start-up, naming it); none: they live in memory only. `tls`: whether `dicom.tls` is set,
   * without which a modality cannot have `useTls`.
   */
  constructor(
    configured: Record<string, ModalityConfig>,
    options: { file?: string; warn?: (message: string) => void; tls?: boolean } = {},
  ) {
    const { file, warn } = options;
    this.#configured = configured;
    this.#file = file;
    if (file === undefined) return;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw new ConfigError('(modalities file)', `cannot read ${file}: ${(error as Error).message}`);
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ConfigError('(modalities file)', `${file} is not valid JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new ConfigError('(modalities file)', `${file}: the top level must be an object`);
    for (const [name, value] of Object.entries(parsed)) {
      const modality = parseModality(value, `${name} (in ${file})`);
      if (modality.useTls && !options.tls) throw tlsNeeded(`${name} (in ${file}).useTls`);
      if (Object.hasOwn(configured, name)) {
        warn?.(
          `modality ${name} was added through REST and is also in the config file ("modalities.${name}"): the config file's is used`,
        );
      }
      this.#added.set(name, modality);
    }
  }

  get(name: string): ModalityConfig | undefined {
    if (Object.hasOwn(this.#configured, name)) return this.#configured[name];
    return this.#added.get(name);
  }

  origin(name: string): ModalityOrigin | undefined {
    if (Object.hasOwn(this.#configured, name)) return 'config';
    return this.#added.has(name) ? 'rest' : undefined;
  }

  /** Every modality by name, the config file's first. */
  entries(): Array<[string, ModalityConfig]> {
    const all = Object.entries(this.#configured);
    for (const [name, modality] of this.#added) {
      if (!Object.hasOwn(this.#configured, name)) all.push([name, modality]);
    }
    return all;
  }

  names(): string[] {
    return this.entries().map(([name]) => name);
  }

  /** The first modality with this AE title (a C-MOVE destination, say). */
  byAeTitle(aeTitle: string): ModalityConfig | undefined {
    return this.entries().find(([, m]) => m.aeTitle === aeTitle)?.[1];
  }

  /**
   * Adds or replaces a REST modality and saves the file before answering; true when it is new.
   * A config-file name may only be "put" as it is (a script making sure a peer exists).
   */
  put(name: string, modality: ModalityConfig): boolean {
    if (Object.hasOwn(this.#configured, name)) {
      if (sameModality(this.#configured[name]!, modality)) return false;
      throw new ModalityConflictError(
        `modality ${name} is defined in the config file ("modalities.${name}"); change it there`,
      );
    }
    const created = !this.#added.has(name);
    const before = this.#added.get(name);
    this.#added.set(name, modality);
    try {
      this.#save();
    } catch (error) {
      if (before) this.#added.set(name, before);
      else this.#added.delete(name);
      throw error;
    }
    return created;
  }

  /** Removes a REST modality; false when there is none of that name. */
  delete(name: string): boolean {
    if (Object.hasOwn(this.#configured, name)) {
      throw new ModalityConflictError(
        `modality ${name} is defined in the config file ("modalities.${name}"); remove it there`,
      );
    }
    const before = this.#added.get(name);
    if (!before) return false;
    this.#added.delete(name);
    try {
      this.#save();
    } catch (error) {
      this.#added.set(name, before);
      throw error;
    }
    return true;
  }

  /**
   * Writes the file whole, in the config file's form (so an entry can be moved there as it
   * is): a temporary beside it, flushed, renamed over it, and the folder flushed, so that a
   * crash leaves the old list or the new one.
   */
  #save(): void {
    if (this.#file === undefined) return;
    const entries = Object.fromEntries([...this.#added].map(([name, m]) => [name, configForm(m)]));
    const temporary = `${this.#file}.part`;
    const fd = openSync(temporary, 'w', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(entries, null, 2)}\n`);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, this.#file);
    const folder = openSync(dirname(this.#file), 'r');
    try {
      fsyncSync(folder);
    } finally {
      closeSync(folder);
    }
  }
}

function configForm(m: ModalityConfig): Record<string, unknown> {
  return {
    aeTitle: m.aeTitle,
    host: m.host,
    port: m.port,
    checkHost: m.checkHost,
    permissions: m.permissions,
    useTls: m.useTls,
  };
}

function sameModality(a: ModalityConfig, b: ModalityConfig): boolean {
  return JSON.stringify(configForm(a)) === JSON.stringify(configForm(b));
}
