// The Browse button's two halves: in the app, the system's folder dialog (main/app passes it in); in the
// web UI, which has no dialog, a folder browser served by the agent. The web UI answers only on
// loopback with its access token (../web-ui/web-ui-server.ts); this lists folder names, never files or contents.
import { readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import type { FolderChoice, FolderListing } from '../../../shared/ipc/index.ts';
import { RadfedError } from '../../../shared/errors.ts';
import type { IpcHandlers } from './ipc-handlers.ts';

/** The system's folder dialog (Electron's); resolves with the chosen folder, or null when cancelled. */
export interface FolderDialogPort {
  chooseFolder(): Promise<string | null>;
}

const MAX_FOLDERS = 500;

export class FolderListError extends RadfedError<'folder-unreadable'> {
  override readonly name = 'FolderListError';
  constructor(message: string) {
    super('folder-unreadable', message);
  }
}

export function createFolderHandlers(
  dialog: FolderDialogPort | undefined,
): Pick<IpcHandlers, 'files:choose-folder' | 'files:list-folders'> {
  return {
    'files:choose-folder': async (): Promise<FolderChoice> => {
      if (!dialog) return { kind: 'browse' };
      const path = await dialog.chooseFolder();
      return path === null ? { kind: 'cancelled' } : { kind: 'chosen', path };
    },
    'files:list-folders': ({ path }) => listFolders(path),
  };
}

export function listFolders(path: string | undefined): FolderListing {
  const wanted = path?.trim() ? path.trim() : homedir();
  if (!isAbsolute(wanted)) {
    throw new FolderListError(
      'Give the whole folder path, starting from the top (for example /data/studies).',
    );
  }
  const folder = resolve(wanted);
  let names: string[];
  try {
    names = readdirSync(folder, { withFileTypes: true })
      .filter((entry) => !entry.name.startsWith('.') && isFolder(folder, entry))
      .map((entry) => entry.name)
      .sort((a, b) => a.localeCompare(b));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new FolderListError(
      code === 'ENOENT' || code === 'ENOTDIR'
        ? 'That folder does not exist on this computer. Check the path, or go up a level.'
        : 'RadFed may not open that folder (the system refused). Choose another one.',
    );
  }
  const parent = dirname(folder);
  return {
    path: folder,
    parent: parent === folder ? null : parent,
    folders: names.slice(0, MAX_FOLDERS).map((name) => ({ name, path: join(folder, name) })),
    truncated: names.length > MAX_FOLDERS,
  };
}

function isFolder(
  folder: string,
  entry: { name: string; isDirectory(): boolean; isSymbolicLink(): boolean },
) {
  if (entry.isDirectory()) return true;
  if (!entry.isSymbolicLink()) return false;
  try {
    return statSync(join(folder, entry.name)).isDirectory();
  } catch {
    return false;
  }
}
