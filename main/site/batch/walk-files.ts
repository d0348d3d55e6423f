// Lists every regular file under a path (or the path itself), following folder symlinks once:
// a loop of links is visited only once, so a recursive walk always ends.
import { readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';

export class InputPathError extends Error {
  readonly code = 'input-not-found';
  constructor(message: string) {
    super(message);
    this.name = 'InputPathError';
  }
}

export function walkFiles(root: string): string[] {
  let rootStat;
  try {
    rootStat = statSync(root);
  } catch {
    throw new InputPathError(`Cannot find ${root}: give a DICOM file or a folder that contains DICOM files.`);
  }
  if (rootStat.isFile()) return [root];
  const files: string[] = [];
  const seenFolders = new Set<string>();
  const pending = [root];
  while (pending.length > 0) {
    const folder = pending.pop() as string;
    const real = realpathSync(folder);
    if (seenFolders.has(real)) continue;
    seenFolders.add(real);
    const entries = readdirSync(folder, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? 1 : -1));
    for (const entry of entries) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) pending.push(path);
      else if (entry.isFile()) files.push(path);
      else if (entry.isSymbolicLink()) {
        const target = safeStat(path);
        if (target?.isDirectory()) pending.push(path);
        else if (target?.isFile()) files.push(path);
      }
    }
  }
  return files.sort();
}

function safeStat(path: string) {
  try {
    return statSync(path);
  } catch {
    return undefined;
  }
}
