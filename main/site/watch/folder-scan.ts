// One look at the watched folder: the regular files under it (sub-folders too, as a PACS export or a
// CD copy brings them), leaving out copies in progress and hidden files. Symbolic links are not
// followed: what they point at is not the dropper's to give away, and would not be removed.
import { lstat, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { isInProgressName, type FileObservation } from './settle-tracker.ts';

export async function scanFolder(root: string): Promise<FileObservation[]> {
  const files: FileObservation[] = [];
  const walk = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (isInProgressName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const info = await lstat(path).catch(() => null);
        if (info?.isFile()) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  };
  await walk(root);
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Removes the empty sub-folders left once their files were taken, but only those untouched for
 * `quietMs`: a copier may have just made one and be about to write into it.
 */
export async function removeEmptyFolders(root: string, quietMs: number, now: number): Promise<void> {
  const visit = async (dir: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isDirectory() || isInProgressName(entry.name)) continue;
      const path = join(dir, entry.name);
      await visit(path);
      const info = await lstat(path).catch(() => null);
      if (info !== null && now - info.mtimeMs >= quietMs) await rmdir(path).catch(() => undefined);
    }
  };
  await visit(root);
}
