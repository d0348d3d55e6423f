// The one folder walker: lists the files under an input (a file, or a folder walked recursively) for
// ingest, the watched folder and `radfed deid`. Symbolic links are followed unless the caller says not
// to, but a folder already visited (a link loop, or two links to one folder) is walked once. Only
// regular files are listed: reading a FIFO or a device would hang or never end.
// Its errors never name a path: folder and file names can carry patient names.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { IngestError } from './ingest-error.ts';

export interface InputListing {
  /** Sorted by path, as code units compare (the same order on every platform). */
  files: string[];
  /**
   * Folders under the input that could not be listed (unreadable, or removed while walked): their
   * files are not in `files`. The paths are for the caller's own count or log, never for an error.
   */
  unreadableFolders: { path: string; code: string }[];
}

export interface WalkOptions {
  /** Follow symbolic links to files and folders (default true). The watched folder does not. */
  followLinks?: boolean;
  /** Entries (files or folders) to leave out by name, e.g. copies in progress. */
  skipName?: (name: string) => boolean;
}

/**
 * The regular files under `input`, sorted, leaving out anything that resolves inside one of the
 * `exclude` folders (the site's own folder: its research store must never be ingested again). A
 * folder that cannot be read is an error here (its files would be silently missing); walkInput
 * reports such folders instead.
 */
export async function listInputFiles(
  input: string,
  exclude: readonly string[] = [],
  options: WalkOptions = {},
): Promise<string[]> {
  const { files, unreadableFolders } = await walkInput(input, exclude, options);
  if (unreadableFolders.length > 0) {
    const n = unreadableFolders.length;
    throw new IngestError(
      'input-unreadable',
      `${n === 1 ? 'A folder' : `${n} folders`} under the input could not be read (no permission, or removed while being read), so ${n === 1 ? 'its' : 'their'} files would be missed. Check the folder permissions and try again.`,
    );
  }
  return files;
}

/** As listInputFiles, and says which folders could not be read (the caller reports them). */
export async function walkInput(
  input: string,
  exclude: readonly string[] = [],
  options: WalkOptions = {},
): Promise<InputListing> {
  const followLinks = options.followLinks ?? true;
  const skipName = options.skipName ?? (() => false);
  const excluded = await Promise.all(exclude.map((path) => realpath(path).catch(() => path)));
  const isExcluded = (real: string) => excluded.some((root) => isInside(real, root));

  const notFound = () =>
    new IngestError(
      'input-not-found',
      'The input (a file or a folder) does not exist. Check the path and try again.',
    );
  const real = await realpath(input).catch(() => null);
  if (real === null) throw notFound();
  if (isExcluded(real)) {
    throw new IngestError(
      'input-inside-site',
      'The input is inside the site folder. Ingest files from outside it (the research store is already de-identified).',
    );
  }
  // Removed between the two calls: the same answer as never there.
  const info = await stat(real).catch(() => null);
  if (info === null) throw notFound();
  const files: string[] = [];
  const unreadableFolders: InputListing['unreadableFolders'] = [];
  if (info.isFile()) return { files: [input], unreadableFolders };
  if (!info.isDirectory()) return { files, unreadableFolders };

  const visited = new Set<string>([real]);
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // Its files cannot even be counted: the caller reports the folder, and the run as incomplete.
      unreadableFolders.push({ path: dir, code: (error as NodeJS.ErrnoException).code ?? 'error' });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (skipName(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isFile()) {
        if (excluded.length === 0 || !isExcluded(await realpath(path).catch(() => path))) files.push(path);
      } else if (entry.isDirectory() || (followLinks && entry.isSymbolicLink())) {
        const target = await realpath(path).catch(() => null);
        if (target === null || isExcluded(target)) continue; // a broken link, or the site itself
        const targetInfo = await stat(target).catch(() => null);
        if (targetInfo?.isFile()) files.push(path);
        else if (targetInfo?.isDirectory() && !visited.has(target)) {
          visited.add(target);
          await walk(path);
        }
      }
    }
  };
  await walk(input);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, unreadableFolders };
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
