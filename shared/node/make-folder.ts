// Makes a folder the person named (a hub's or site's --dir, an output folder), with any missing
// parents, and fails at once with a sentence when it cannot.
//
// Why not mkdirSync(dir, { recursive: true }): in Node 20 it never returns when mkdir(2) answers
// ENOENT for a folder whose parent exists, which is what /proc and /sys do (`radfed hub init --dir
// /proc/x` spun at 100% CPU for ever, in Node's own loop). Here each missing level is made by one
// plain mkdir, top down, so every refusal is one error, and one sentence.
import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { RadfedError } from '../errors.ts';

export type FolderCreateCode =
  'special-folder' | 'not-permitted' | 'read-only' | 'not-a-folder' | 'disk-full' | 'cannot-create';

/** The folder could not be made. The sentence names what the folder is for, never its path (it may be an output folder named after a patient). */
export class FolderCreateError extends RadfedError<FolderCreateCode> {
  override readonly name = 'FolderCreateError';
}

/**
 * Makes `dir` and its missing parents (each with `mode`, when given); a folder already there is
 * left as it is. `what` names the folder for the sentence: "the hub folder (--dir)".
 */
export function makeFolder(dir: string, what: string, mode?: number): void {
  const missing: string[] = [];
  for (let at = resolve(dir); ;) {
    const kind = kindOf(at, what);
    if (kind === 'folder') break;
    if (kind === 'other') throw refusal('ENOTDIR', what);
    missing.unshift(at);
    const parent = dirname(at);
    if (parent === at) break;
    at = parent;
  }
  for (const folder of missing) {
    try {
      mkdirSync(folder, mode === undefined ? undefined : { mode });
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      // Made by someone else meanwhile: as good as made here.
      if (code === 'EEXIST' && kindOf(folder, what) === 'folder') continue;
      throw refusal(code, what, error);
    }
  }
}

function kindOf(path: string, what: string): 'folder' | 'other' | 'missing' {
  try {
    return statSync(path).isDirectory() ? 'folder' : 'other';
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return 'missing';
    if (code === 'ENOTDIR') return 'other';
    throw refusal(code ?? 'error', what, error);
  }
}

function refusal(code: string, what: string, cause?: unknown): FolderCreateError {
  const [ours, sentence] = wordsFor(code);
  return new FolderCreateError(ours, `Cannot create ${what}: ${sentence}`, {
    ...(cause === undefined ? {} : { cause }),
  });
}

function wordsFor(code: string): [FolderCreateCode, string] {
  switch (code) {
    case 'ENOENT':
      // The parent exists (it was just checked), yet the system says there is no such folder.
      return [
        'special-folder',
        'a folder above it is a special system folder (such as /proc or /sys) that cannot hold folders. Choose a folder on a disk, e.g. under your home folder.',
      ];
    case 'EACCES':
    case 'EPERM':
      return [
        'not-permitted',
        'this user may not create folders there. Choose a folder this user may write to, or ask IT to give this user one.',
      ];
    case 'EROFS':
      return ['read-only', 'it would be on a read-only disk. Choose a folder on a writable disk.'];
    case 'ENOTDIR':
    case 'EEXIST':
      return ['not-a-folder', 'that path, or a part of it, is a file, not a folder. Check the path.'];
    case 'ENOSPC':
    case 'EDQUOT':
      return [
        'disk-full',
        'the disk is full (or this user\u2019s quota is used up). Free some space, then run it again.',
      ];
    default:
      return [
        'cannot-create',
        `the system refused (${/^E[A-Z]+$/.test(code) ? code : 'error'}). Check the path, or choose another folder.`,
      ];
  }
}
