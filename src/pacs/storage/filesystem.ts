import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, mkdtemp, stat, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { completeModeIn, isMarkedComplete, SpareFiles } from '../../services/part-file.ts';
import { checkedUid } from '../config.ts';

/**
 * The file store, source of truth of the PACS (ARCHITECTURE.md): one Part 10 file per
 * instance at files/<h>/<SOPInstanceUID>.dcm, where h is the first byte of the UID's SHA-256:
 * 256 directories (ext4 indexes large directories; creating a directory per file, as a
 * deeper fan-out does for a young archive, doubled the cost of each store). UIDs are validated before they
 * become path parts, so no caller-controlled text ever reaches the file system unchecked.
 */
export class FileStorage {
  readonly root: string;
  readonly filesRoot: string;
  /**
   * Where instances are written before they are renamed into place: files created ahead of
   * need (SpareFiles) in one directory of the same file system, whichever of the 256 a store
   * goes to. Under files/, so that a crash's leftovers are found by `scan`. Marked files where
   * the file system keeps permission bits (one flush per durable store; see PartFile).
   */
  readonly incoming: SpareFiles;
  /** Directories known to exist (256 at most). */
  readonly #directories = new Set<string>();

  constructor(root: string) {
    this.root = root;
    this.filesRoot = join(root, 'files');
    const incoming = join(this.filesRoot, '.incoming');
    mkdirSync(incoming, { recursive: true });
    this.incoming = new SpareFiles(incoming, 2, { completeMode: completeModeIn(incoming) });
    // What a download left in the scratch folder when the process died is of no use now.
    rmSync(this.scratchRoot, { recursive: true, force: true });
  }

  /**
   * Scratch space for work files that are not instances (a download's transcoded copies):
   * outside files/, so that `scan` and `--reindex` never take them for stored instances.
   */
  get scratchRoot(): string {
    return join(this.root, 'tmp');
  }

  /** A new folder under the scratch space; the caller removes it. */
  async scratchFolder(): Promise<string> {
    await mkdir(this.scratchRoot, { recursive: true });
    return mkdtemp(join(this.scratchRoot, 'work-'));
  }

  /** The path (relative to the root) an instance is stored at. */
  relativePath(sopInstanceUid: string): string {
    const uid = checkedUid(sopInstanceUid, 'SOP Instance UID');
    const hash = createHash('sha256').update(uid).digest('hex');
    return join('files', hash.slice(0, 2), `${uid}.dcm`);
  }

  absolute(relativePath: string): string {
    return join(this.root, relativePath);
  }

  /** Creates the directory of a new instance; returns its path, relative and absolute. */
  async prepare(sopInstanceUid: string): Promise<{ relativePath: string; path: string }> {
    const relativePath = this.relativePath(sopInstanceUid);
    const path = this.absolute(relativePath);
    const dir = join(path, '..');
    if (!this.#directories.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#directories.add(dir);
    }
    return { relativePath, path };
  }

  async size(relativePath: string): Promise<number | undefined> {
    try {
      return (await stat(this.absolute(relativePath))).size;
    } catch {
      return undefined;
    }
  }

  async remove(relativePath: string): Promise<void> {
    await unlink(this.absolute(relativePath)).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }

  /**
   * Every stored file (relative paths); the .part files a crash left behind, unfinished; and
   * those it left complete, to be put in place (the PACS's start-up does).
   */
  scan(): { files: string[]; leftovers: string[]; complete: string[] } {
    const files: string[] = [];
    const leftovers: string[] = [];
    const complete: string[] = [];
    const walk = (dir: string): void => {
      let entries: import('node:fs').Dirent[];
      try {
        entries = readdirSync(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const entry of entries) {
        const path = join(dir, entry.name);
        if (entry.isDirectory()) walk(path);
        else if (isMarkedComplete(path)) complete.push(relative(this.root, path));
        else if (entry.name.endsWith('.part')) leftovers.push(relative(this.root, path));
        else if (entry.name.endsWith('.dcm')) files.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    walk(this.filesRoot);
    return { files, leftovers, complete };
  }

  /** Removes the spare files; stores after this create their file on demand. */
  close(): void {
    this.incoming.close();
  }

  removeLeftovers(leftovers: readonly string[]): void {
    for (const path of leftovers) rmSync(this.absolute(path), { force: true });
  }
}
