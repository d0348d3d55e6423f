// Lists the files under an ingest input: a file, or a folder walked recursively. Symbolic links are
// followed, but a folder already visited (a link loop, or two links to one folder) is walked once.
// Only regular files are listed: reading a FIFO or a device would hang or never end.
import { readdir, realpath, stat } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import { IngestError } from './ingest-error.ts';

export interface InputListing {
  files: string[];
  /** Folders under the input that could not be listed: their files are not in `files`. */
  unreadableFolders: { path: string; code: string }[];
}

/**
 * The regular files under `input`, sorted, leaving out anything that resolves inside one of the
 * `exclude` folders (the site's own folder: its research store must never be ingested again).
 */
export async function listInputFiles(input: string, exclude: readonly string[] = []): Promise<string[]> {
  return (await walkInput(input, exclude)).files;
}

/** As listInputFiles, and says which folders could not be read (the caller reports them). */
export async function walkInput(input: string, exclude: readonly string[] = []): Promise<InputListing> {
  const excluded = await Promise.all(exclude.map((path) => realpath(path).catch(() => path)));
  const isExcluded = (real: string) => excluded.some((root) => isInside(real, root));

  let real: string;
  try {
    real = await realpath(input);
  } catch {
    // The path itself is left out of the message: folder and file names can carry patient names.
    throw new IngestError(
      'input-not-found',
      'The input to ingest does not exist. Check the path and try again.',
    );
  }
  if (isExcluded(real)) {
    throw new IngestError(
      'input-inside-site',
      'The input is inside the site folder. Ingest files from outside it (the research store is already de-identified).',
    );
  }
  const info = await stat(real);
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
      const path = join(dir, entry.name);
      if (entry.isFile()) {
        if (excluded.length === 0 || !isExcluded(await realpath(path).catch(() => path))) files.push(path);
      } else if (entry.isDirectory() || entry.isSymbolicLink()) {
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
  return { files, unreadableFolders };
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
