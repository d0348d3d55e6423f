// The one folder walker: lists the regular files under a path (a file, or a folder walked
// recursively), for ingest, the watched folder, `radfed deid`, the quarantine search of a withdrawal
// and the benchmarks. Symbolic links are followed unless the caller says not to, but a folder already
// visited (a link loop, or two links to one folder) is walked once. Only regular files are listed:
// reading a FIFO or a device would hang or never end.
// Its errors never name a path: folder and file names can carry patient names. Each room words them
// for its own users (main/site/ingest/input-walk.ts for inputs).
import { readdir, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import { RadfedError } from '../errors.ts';

export interface FolderListing {
  /** Sorted by path, as code units compare (the same order on every platform). */
  files: string[];
  /**
   * Folders under the root that could not be listed (unreadable, or removed while walked): their
   * files are not in `files`. The paths are for the caller's own count or log, never for an error.
   */
  unreadableFolders: { path: string; code: string }[];
}

export interface FolderWalkOptions {
  /** Anything that resolves inside one of these folders is left out; a root inside one is refused. */
  exclude?: readonly string[];
  /** Follow symbolic links to files and folders (default true). */
  followLinks?: boolean;
  /** Entries (files or folders) to leave out by name, e.g. copies in progress. */
  skipName?: (name: string) => boolean;
}

/** 'not-found': the root does not exist; 'excluded': it is inside an excluded folder; 'unreadable': see listFolderFiles. */
export class FolderWalkError extends RadfedError<'not-found' | 'excluded' | 'unreadable'> {
  override readonly name = 'FolderWalkError';
  constructor(
    code: 'not-found' | 'excluded' | 'unreadable',
    /** For 'unreadable': how many folders could not be read. */
    readonly folders = 0,
  ) {
    super(code, FOLDER_WALK_SENTENCES[code](folders));
  }
}

const FOLDER_WALK_SENTENCES: Record<FolderWalkError['code'], (folders: number) => string> = {
  'not-found': () => 'The file or folder does not exist. Check the path and try again.',
  excluded: () => 'The folder is inside a folder that may not be read here.',
  unreadable: (n) =>
    `${n === 1 ? 'A folder' : `${n} folders`} inside could not be read (no permission, or removed while being read). Check the folder permissions and try again.`,
};

/**
 * The regular files under `root`, sorted. A folder that cannot be read is an error here (its files
 * would be silently missing); walkFolder reports such folders instead.
 */
export async function listFolderFiles(root: string, options: FolderWalkOptions = {}): Promise<string[]> {
  const { files, unreadableFolders } = await walkFolder(root, options);
  if (unreadableFolders.length > 0) throw new FolderWalkError('unreadable', unreadableFolders.length);
  return files;
}

/** As listFolderFiles, and says which folders could not be read (the caller reports them). */
export async function walkFolder(root: string, options: FolderWalkOptions = {}): Promise<FolderListing> {
  const followLinks = options.followLinks ?? true;
  const skipName = options.skipName ?? (() => false);
  const excluded = await Promise.all((options.exclude ?? []).map((path) => realpath(path).catch(() => path)));
  const isExcluded = (real: string) => excluded.some((folder) => isInside(real, folder));

  const real = await realpath(root).catch(() => null);
  if (real === null) throw new FolderWalkError('not-found');
  if (isExcluded(real)) throw new FolderWalkError('excluded');
  // Removed between the two calls: the same answer as never there.
  const info = await stat(real).catch(() => null);
  if (info === null) throw new FolderWalkError('not-found');
  const files: string[] = [];
  const unreadableFolders: FolderListing['unreadableFolders'] = [];
  if (info.isFile()) return { files: [root], unreadableFolders };
  if (!info.isDirectory()) return { files, unreadableFolders };

  const visited = new Set<string>([real]);
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error) {
      // Its files cannot even be counted: the caller reports the folder.
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
        if (target === null || isExcluded(target)) continue; // a broken link, or an excluded folder
        const targetInfo = await stat(target).catch(() => null);
        if (targetInfo?.isFile()) files.push(path);
        else if (targetInfo?.isDirectory() && !visited.has(target)) {
          visited.add(target);
          await walk(path);
        }
      }
    }
  };
  await walk(root);
  files.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return { files, unreadableFolders };
}

function isInside(path: string, folder: string): boolean {
  const rel = relative(folder, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
