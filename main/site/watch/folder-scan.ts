// One look at the watched folder: the regular files under it (sub-folders too, as a PACS export or a
// CD copy brings them), leaving out copies in progress and hidden files. Symbolic links are not
// followed: what they point at is not the dropper's to give away, and would not be removed.
import { lstat, readdir, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IngestError, walkInput } from '../ingest/index.ts';
import { isInProgressName, type FileObservation } from './settle-tracker.ts';

export async function scanFolder(root: string): Promise<FileObservation[]> {
  // The one folder walker, told not to follow links; a folder it cannot read is left for the next look.
  const listing = await walkInput(root, [], { followLinks: false, skipName: isInProgressName }).catch(
    (error: unknown) => {
      // The watched folder itself gone or unreadable: nothing to take this time (the watcher reports it).
      if (error instanceof IngestError) return { files: [] };
      throw error;
    },
  );
  const files: FileObservation[] = [];
  for (const path of listing.files) {
    const info = await lstat(path).catch(() => null);
    if (info?.isFile()) files.push({ path, size: info.size, mtimeMs: info.mtimeMs });
  }
  return files;
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
