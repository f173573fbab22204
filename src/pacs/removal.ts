import { DicomError } from '../core/index.ts';
import type { InstanceLocation, PacsIndex, QueryLevel } from './index/types.ts';
import type { StabilityWatch } from './stability.ts';
import type { FileStorage } from './storage/filesystem.ts';

/** What deleting needs of the PACS. */
export interface RemovalContext {
  index: PacsIndex;
  storage: FileStorage;
  stability: StabilityWatch;
}

/**
 * Deletes a patient, study, series or instance with everything below it: files first, then
 * rows, so that a crash between leaves rows without files, which start-up removes (never files
 * without rows, which would come back at the next reconciliation). `located` are the files
 * the resource had when the caller looked. Returns the instances removed from the index.
 */
export async function removeResource(
  ctx: RemovalContext,
  level: QueryLevel,
  id: string,
  located: readonly InstanceLocation[],
): Promise<InstanceLocation[]> {
  const { index, storage } = ctx;
  const unlinked = new Set<string>();
  try {
    for (const file of located) {
      await storage.remove(file.path);
      unlinked.add(file.path);
    }
  } catch (error) {
    // Rows of the files already gone go too; the rest stay, with their files.
    for (const file of located) if (unlinked.has(file.path)) index.remove('IMAGE', file.sopInstanceUid);
    throw new DicomError('ERR_IO', `deleting ${level.toLowerCase()} ${id}: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const removed = index.remove(level, id);
  ctx.stability.forget(level, id);
  // Instances that arrived in between went with the rows: their files go too.
  for (const file of removed) if (!unlinked.has(file.path)) await storage.remove(file.path);
  return removed;
}
