import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { mkdir, stat, unlink } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
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
  /** Directories known to exist (256 at most). */
  readonly #directories = new Set<string>();

  constructor(root: string) {
    this.root = root;
    this.filesRoot = join(root, 'files');
    mkdirSync(this.filesRoot, { recursive: true });
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

  /** Creates the directory of a new instance; returns its absolute path and the .part path to write. */
  async prepare(sopInstanceUid: string): Promise<{ relativePath: string; path: string; temporary: string }> {
    const relativePath = this.relativePath(sopInstanceUid);
    const path = this.absolute(relativePath);
    const dir = join(path, '..');
    if (!this.#directories.has(dir)) {
      await mkdir(dir, { recursive: true });
      this.#directories.add(dir);
    }
    // A unique temporary name: two associations may send the same instance at once.
    const temporary = `${path}.${process.pid}.${Math.random().toString(36).slice(2)}.part`;
    return { relativePath, path, temporary };
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

  /** Every stored file (relative paths), and the .part files a crash left behind. */
  scan(): { files: string[]; leftovers: string[] } {
    const files: string[] = [];
    const leftovers: string[] = [];
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
        else if (entry.name.endsWith('.part')) leftovers.push(relative(this.root, path));
        else if (entry.name.endsWith('.dcm')) files.push(relative(this.root, path).split(sep).join('/'));
      }
    };
    walk(this.filesRoot);
    return { files, leftovers };
  }

  removeLeftovers(leftovers: readonly string[]): void {
    for (const path of leftovers) rmSync(this.absolute(path), { force: true });
  }
}
