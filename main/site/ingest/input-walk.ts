// Lists the files under an ingest input (a file, or a folder walked recursively) with the one folder
// walker (shared/node/folder-walk.ts: links followed once, only regular files, no path in errors), and
// words its refusals for the person who gave the input.
import {
  FolderWalkError,
  walkFolder,
  type FolderListing,
  type FolderWalkOptions,
} from '../../../shared/node/index.ts';
import { IngestError } from './ingest-error.ts';

export type InputListing = FolderListing;
export type WalkOptions = Omit<FolderWalkOptions, 'exclude'>;

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
  if (unreadableFolders.length > 0)
    throw ingestErrorFor(new FolderWalkError('unreadable', unreadableFolders.length));
  return files;
}

/** As listInputFiles, and says which folders could not be read (the caller reports them). */
export async function walkInput(
  input: string,
  exclude: readonly string[] = [],
  options: WalkOptions = {},
): Promise<InputListing> {
  try {
    return await walkFolder(input, { ...options, exclude });
  } catch (error) {
    throw ingestErrorFor(error);
  }
}

function ingestErrorFor(error: unknown): unknown {
  if (!(error instanceof FolderWalkError)) return error;
  switch (error.code) {
    case 'not-found':
      return new IngestError(
        'input-not-found',
        'The input (a file or a folder) does not exist. Check the path and try again.',
      );
    case 'excluded':
      return new IngestError(
        'input-inside-site',
        'The input is inside the site folder. Ingest files from outside it (the research store is already de-identified).',
      );
    case 'unreadable': {
      const n = error.folders;
      return new IngestError(
        'input-unreadable',
        `${n === 1 ? 'A folder' : `${n} folders`} under the input could not be read (no permission, or removed while being read), so ${n === 1 ? 'its' : 'their'} files would be missed. Check the folder permissions and try again.`,
      );
    }
  }
}
