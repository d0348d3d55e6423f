// The quarantine: identified copies, each under a random name (the original file name may carry a
// patient's name or ID), readable by the site's user only. A copy leaves when its de-identified
// copy is stored, or stays when held back. One left by an interrupted run is swept on the next run.
import { randomUUID } from 'node:crypto';
import { readdir, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Puts an identified copy in quarantine, and returns its name. */
export async function putInQuarantine(quarantineDir: string, bytes: Uint8Array): Promise<string> {
  const name = `${randomUUID()}.dcm`;
  await writeFile(join(quarantineDir, name), bytes, { mode: 0o600, flag: 'wx' });
  return name;
}

export async function removeFromQuarantine(quarantineDir: string, name: string): Promise<void> {
  try {
    await unlink(join(quarantineDir, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}

/**
 * Deletes quarantine files that no held entry accounts for and that were last written before
 * `olderThan`: copies left by a run that was killed mid-file. Recent ones are left alone, since
 * another process (the CLI beside the app) may be working on them. Returns how many were deleted.
 */
export async function sweepQuarantine(
  quarantineDir: string,
  held: ReadonlySet<string>,
  olderThan: Date,
): Promise<number> {
  let swept = 0;
  for (const name of await readdir(quarantineDir)) {
    if (held.has(name)) continue;
    const path = join(quarantineDir, name);
    const info = await stat(path).catch(() => null);
    if (info === null || !info.isFile() || info.mtime >= olderThan) continue;
    await removeFromQuarantine(quarantineDir, name);
    swept += 1;
  }
  return swept;
}
