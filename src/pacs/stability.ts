import type { Logger } from '../core/index.ts';
import type { NewChangeLogEntry, PacsIndex, QueryLevel, StoredInstance } from './index/types.ts';

interface Pending {
  level: Exclude<QueryLevel, 'IMAGE'>;
  resource: string;
  /** The resource's patient and study (itself at those levels), for forget(). */
  patient: string;
  study: string;
  due: number;
}

/**
 * Orthanc's stable resources: a series, study or patient that has received no new instance
 * for the stable age is logged once as StableSeries, StableStudy or StablePatient in the
 * change log, which is how scripts polling /changes learn that a study has fully arrived.
 * Kept in memory, as in Orthanc: resources not yet stable when the PACS stops are not logged
 * after it starts again.
 */
export class StabilityWatch {
  readonly #index: PacsIndex;
  readonly #ageMs: number;
  readonly #logger: Logger;
  readonly #now: () => number;
  /** Ordered by last activity (an update moves its entry to the end), so by due time. */
  readonly #pending = new Map<string, Pending>();
  #timer: NodeJS.Timeout | undefined;

  constructor(index: PacsIndex, ageSeconds: number, logger: Logger, now: () => number = Date.now) {
    this.#index = index;
    this.#ageMs = ageSeconds * 1000;
    this.#logger = logger;
    this.#now = now;
  }

  /** Instances just committed to the index: their series, study and patient start a new quiet spell. */
  indexed(instances: readonly StoredInstance[]): void {
    const due = this.#now() + this.#ageMs;
    for (const { header } of instances) {
      const patient = header.string('PatientID')?.trim() ?? '';
      const study = header.string('StudyInstanceUID')?.trim() ?? '';
      const series = header.string('SeriesInstanceUID')?.trim() ?? '';
      // Series first: entries that fall due together are logged series, study, patient.
      this.#touch({ level: 'SERIES', resource: series, patient, study, due });
      this.#touch({ level: 'STUDY', resource: study, patient, study, due });
      if (patient !== '') this.#touch({ level: 'PATIENT', resource: patient, patient, study: '', due });
    }
    if (!this.#timer) {
      this.#timer = setInterval(() => this.check(), Math.min(1000, this.#ageMs));
      this.#timer.unref();
    }
  }

  /** A deleted resource and what was below it will not be logged stable. */
  forget(level: QueryLevel, resource: string): void {
    for (const [key, p] of this.#pending) {
      const gone =
        level === 'PATIENT'
          ? p.patient === resource
          : level === 'STUDY'
            ? p.study === resource
            : level === 'SERIES' && p.level === 'SERIES' && p.resource === resource;
      if (gone) this.#pending.delete(key);
    }
  }

  /** Logs what has fallen due (the timer calls this every second). */
  check(): void {
    const now = this.#now();
    const entries: NewChangeLogEntry[] = [];
    for (const [key, p] of this.#pending) {
      if (p.due > now) break;
      this.#pending.delete(key);
      entries.push({ type: STABLE[p.level], level: p.level, resource: p.resource });
    }
    if (this.#pending.size === 0) this.stop();
    if (entries.length === 0) return;
    try {
      this.#index.logChanges(entries);
    } catch (error) {
      this.#logger.log(
        'warn',
        `change log: ${entries.length} stable event(s) not logged: ${(error as Error).message}`,
      );
    }
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  #touch(entry: Pending): void {
    const key = `${entry.level}:${entry.resource}`;
    this.#pending.delete(key);
    this.#pending.set(key, entry);
  }
}

const STABLE = { SERIES: 'StableSeries', STUDY: 'StableStudy', PATIENT: 'StablePatient' } as const;
