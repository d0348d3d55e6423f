// A run in progress marks its output folder with its process id (OUT/.radfed-deid-running). A run
// that finds the mark of a process that is gone knows that run was killed, and first removes the
// temporary files it may have left (NAME.partial): one may hold a source's header for a moment
// (output-writes.ts), and none is a finished file. The mark goes when the run ends, failed or not.
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { outputWriteError, PARTIAL_SUFFIX } from './output-writes.ts';

export const RUN_MARKER = '.radfed-deid-running';

/** Marks the folder, after removing what a killed run left in it. Returns how many files were removed. */
export function beginRun(outDir: string): number {
  const marker = join(outDir, RUN_MARKER);
  let removed = 0;
  const previous = readMarker(marker);
  if (previous !== null && previous !== process.pid && !isAlive(previous)) {
    removed = removePartials(outDir);
  }
  try {
    writeFileSync(marker, `${process.pid}\n`);
  } catch (error) {
    // A folder that does not exist yet: created by the first output, and nothing to clean in it.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw outputWriteError(error);
  }
  return removed;
}

export function endRun(outDir: string): void {
  const marker = join(outDir, RUN_MARKER);
  if (readMarker(marker) === process.pid) rmSync(marker, { force: true });
}

function readMarker(marker: string): number | null {
  try {
    const pid = Number.parseInt(readFileSync(marker, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : 0;
  } catch {
    return null;
  }
}

function isAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function removePartials(folder: string): number {
  let removed = 0;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    const path = join(folder, entry.name);
    if (entry.isDirectory()) removed += removePartials(path);
    else if (entry.name.endsWith(PARTIAL_SUFFIX)) {
      rmSync(path, { force: true });
      removed++;
    }
  }
  return removed;
}
