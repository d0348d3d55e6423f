// The hub folder holds the database (every site's keys and submissions), the blobs, the hub's private
// keys and the coordinator accounts, so only the user who runs the hub may read or change anything in
// it: the folder and every folder in it 0700, every file 0600. A folder owned by another user is
// refused: its owner could always open it up again, whatever mode we set.
import { chmodSync, lstatSync, readdirSync, type Stats } from 'node:fs';
import { join, relative } from 'node:path';
import { isMainThread } from 'node:worker_threads';
import { makeFolder } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

/**
 * Makes `dir` (new, or existing and ours) a folder only we can enter. Used by `hub init` before it
 * writes anything, so no file is ever readable by others, even for a moment.
 */
export function makePrivateFolder(dir: string): void {
  // Not mkdirSync's recursive mode: it never returns under /proc (shared/node/make-folder.ts).
  makeFolder(dir, 'the hub folder (--dir)', PRIVATE_DIR_MODE);
  const stats = lstatSync(dir);
  checkOurs(dir, stats);
  if ((stats.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(dir, PRIVATE_DIR_MODE);
}

/**
 * Sets every folder under `dir` (and `dir`) to 0700 and every file to 0600 where they are more open,
 * and returns the paths (relative to `dir`) it had to change, so `hub serve` can say so. Links are
 * left alone (never followed): nothing in a hub folder is a link unless someone put it there.
 */
export function tightenHubFolder(dir: string): string[] {
  const changed: string[] = [];
  const visit = (path: string) => {
    const stats = lstatSync(path);
    if (stats.isSymbolicLink()) return;
    checkOurs(path, stats);
    const wanted = stats.isDirectory() ? PRIVATE_DIR_MODE : PRIVATE_FILE_MODE;
    if ((stats.mode & 0o777 & ~wanted) !== 0) {
      chmodSync(path, wanted);
      changed.push(relative(dir, path) || '.');
    }
    if (stats.isDirectory()) for (const name of readdirSync(path)) visit(join(path, name));
  };
  visit(dir);
  return changed;
}

/**
 * Files the hub creates from now on (blobs, upload parts, the database's -wal and -shm, account
 * files) are private whatever the caller's umask. Process-wide, so only where we own the process:
 * worker threads cannot set it (their files still land in 0700 folders).
 */
export function keepNewFilesPrivate(): void {
  if (isMainThread) process.umask(0o077);
}

function checkOurs(path: string, stats: Stats): void {
  const uid = process.getuid?.();
  if (uid === undefined || stats.uid === uid) return;
  throw new HubError(
    'folder-not-ours',
    409,
    `${path} belongs to another user (uid ${stats.uid}), who could open the hub's database and keys to others; ` +
      `run the hub as that user, or give a folder of your own for the hub.`,
  );
}
