// Files that could not be ingested (not DICOM, or the engine failed on them) are never deleted: they are
// moved to a private folder of the site under a random name (the original name may carry a patient's
// name), beside a `<name>.reason.txt` that says why. The operator can look at them, fix and retry.
import { randomUUID } from 'node:crypto';
import { copyFile, mkdir, open, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SetAsideFile {
  /** The file's new name in the folder (`<uuid>.dcm`). */
  name: string;
  path: string;
}

/**
 * Moves `source` into `folder` (made private, 0700, if new) with its reason. `reason` and each
 * `detail` value are written as they are: they must hold no patient value.
 */
export async function setAsideFailed(
  source: string,
  folder: string,
  reason: string,
  detail: Record<string, string> = {},
): Promise<SetAsideFile> {
  await mkdir(folder, { recursive: true, mode: 0o700 });
  const name = `${randomUUID()}.dcm`;
  const path = join(folder, name);
  // The reason first: a crash between the two leaves a reason with no file, never a file with none.
  const lines = [
    `reason: ${oneLine(reason)}`,
    ...Object.entries(detail).map(([k, v]) => `${k}: ${oneLine(v)}`),
  ];
  await writeFile(join(folder, `${name}.reason.txt`), `${lines.join('\n')}\n`, { mode: 0o600 });
  await moveFile(source, path);
  return { name, path };
}

/** Renames, or copies (flushed) then deletes when `source` is on another file system. */
export async function moveFile(source: string, target: string): Promise<void> {
  try {
    await rename(source, target);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EXDEV') throw error;
  }
  await copyFile(source, target);
  const handle = await open(target, 'r+');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
  await unlink(source);
}

function oneLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f]+/g, ' ');
}
