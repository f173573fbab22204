import type { Logger } from '../core/index.ts';
import type { InstanceLocation, PacsIndex } from './index/types.ts';

export interface QuotaOptions {
  /** Bytes of stored files at most. */
  maxBytes: number;
  /**
   * What a store that would pass `maxBytes` does: 'reject' answers it Out of Resources
   * (0xA700); 'recycle' first deletes the studies that received nothing for longest, never the
   * study being stored (Orthanc's MaximumStorageSize with MaximumStorageMode).
   */
  whenFull: 'reject' | 'recycle';
}

/**
 * The storage limit. Bytes stored are counted in memory from the index's total at start,
 * plus what is being stored now ("in flight": admitted, not yet committed, so that concurrent
 * associations cannot overshoot together); near the limit the index is asked again, since
 * deletions and replaced duplicates are not all counted here.
 */
export class StorageQuota {
  readonly #index: PacsIndex;
  readonly #options: QuotaOptions;
  readonly #recycle: (studyInstanceUid: string) => Promise<InstanceLocation[]>;
  readonly #logger: Logger;
  #stored: number;
  #inFlight = 0;
  /** Studies with an instance in flight: not recycled under it. */
  readonly #busy = new Map<string, number>();
  /** Admissions wait for the one before them: two recyclings at once would delete twice. */
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    index: PacsIndex,
    options: QuotaOptions,
    recycle: (studyInstanceUid: string) => Promise<InstanceLocation[]>,
    logger: Logger,
  ) {
    this.#index = index;
    this.#options = options;
    this.#recycle = recycle;
    this.#logger = logger;
    this.#stored = index.statistics().bytes;
  }

  /** Bytes stored, by this count (an estimate between recounts, never below the truth by much). */
  get stored(): number {
    return this.#stored;
  }

  /**
   * Room for an instance of `size` bytes in study `study`: true when it may be stored (and is
   * then in flight until committed() or released()), false when the storage is full.
   */
  admit(size: number, study: string): Promise<boolean> {
    const next = this.#queue.then(() => this.#admit(size, study));
    this.#queue = next.catch(() => undefined);
    return next;
  }

  /** The instance admitted is in the index. */
  committed(size: number, study: string): void {
    this.#settle(size, study);
    this.#stored += size;
  }

  /** The instance admitted was not stored. */
  released(size: number, study: string): void {
    this.#settle(size, study);
  }

  /** Instances deleted by other means (REST). */
  removed(instances: readonly InstanceLocation[]): void {
    for (const instance of instances) this.#stored -= instance.size;
    this.#stored = Math.max(0, this.#stored);
  }

  async #admit(size: number, study: string): Promise<boolean> {
    const max = this.#options.maxBytes;
    if (size > max) return false;
    const fits = () => this.#stored + this.#inFlight + size <= max;
    if (!fits()) this.#stored = this.#index.statistics().bytes;
    if (!fits() && this.#options.whenFull === 'recycle') await this.#makeRoom(study, fits);
    if (!fits()) return false;
    this.#inFlight += size;
    this.#busy.set(study, (this.#busy.get(study) ?? 0) + 1);
    return true;
  }

  async #makeRoom(study: string, fits: () => boolean): Promise<void> {
    const tried = new Set<string>();
    while (!fits()) {
      const candidates = this.#index
        .leastRecentStudies(tried.size + this.#busy.size + 2)
        .filter((uid) => uid !== study && !this.#busy.has(uid) && !tried.has(uid));
      const victim = candidates[0];
      if (victim === undefined) return;
      tried.add(victim);
      const removed = await this.#recycle(victim);
      const bytes = removed.reduce((sum, r) => sum + r.size, 0);
      this.#logger.log(
        'warn',
        `storage full (storage.maxStorageMB): recycled study ${victim}, ${removed.length} instance(s), ${bytes} bytes`,
      );
      this.#stored = this.#index.statistics().bytes;
    }
  }

  #settle(size: number, study: string): void {
    this.#inFlight = Math.max(0, this.#inFlight - size);
    const n = (this.#busy.get(study) ?? 1) - 1;
    if (n > 0) this.#busy.set(study, n);
    else this.#busy.delete(study);
  }
}
