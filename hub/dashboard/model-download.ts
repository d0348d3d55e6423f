// Model downloads from the dashboard: the TF.js export of hub/model-export.ts (model.json, the weights
// shard, the model card), as one tar file or one file at a time. The export is written to a temporary
// folder, read back and removed; models are small enough (a few MiB) to hold in memory.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubContext } from '../hub-context.ts';
import { exportModel, WEIGHTS_SHARD } from '../model-export.ts';

export const MODEL_FILES = ['model.json', WEIGHTS_SHARD, 'model-card.json'] as const;

export interface ModelFiles {
  readonly version: number;
  readonly files: Map<string, Buffer>;
}

export async function exportModelFiles(
  ctx: HubContext,
  taskId: string,
  version: number,
): Promise<ModelFiles> {
  const outDir = mkdtempSync(join(tmpdir(), 'radfed-hub-export-'));
  try {
    const exported = await exportModel(ctx, { task: taskId, version, outDir });
    return {
      version: exported.version,
      files: new Map(exported.files.map((name) => [name, readFileSync(join(outDir, name))])),
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/** A POSIX ustar archive of the files under one folder name. */
export function tarArchive(folder: string, files: Map<string, Buffer>, mtime: Date): Buffer {
  const parts: Buffer[] = [];
  for (const [name, data] of files) {
    parts.push(tarHeader(`${folder}/${name}`, data.length, mtime), data);
    const padding = (512 - (data.length % 512)) % 512;
    if (padding) parts.push(Buffer.alloc(padding));
  }
  parts.push(Buffer.alloc(1024)); // two empty blocks end the archive
  return Buffer.concat(parts);
}

function tarHeader(path: string, size: number, mtime: Date): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`The archive path ${path} is longer than 100 bytes.`);
  const header = Buffer.alloc(512);
  const octal = (value: number, length: number) => value.toString(8).padStart(length - 1, '0') + '\0';
  header.write(path, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 8, 'ascii');
  header.write(octal(0, 8), 108, 8, 'ascii');
  header.write(octal(0, 8), 116, 8, 'ascii');
  header.write(octal(size, 12), 124, 12, 'ascii');
  header.write(octal(Math.floor(mtime.getTime() / 1000), 12), 136, 12, 'ascii');
  header.write('        ', 148, 8, 'ascii'); // the checksum counts its own field as spaces
  header.write('0', 156, 1, 'ascii');
  header.write('ustar\0', 257, 6, 'ascii');
  header.write('00', 263, 2, 'ascii');
  header.write('radfed', 265, 32, 'ascii');
  header.write('radfed', 297, 32, 'ascii');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'ascii');
  return header;
}

/** A file-name-safe folder name for a task's model, e.g. "pneumonia-v3". */
export function modelFolderName(taskName: string, version: number): string {
  const safe = taskName
    .normalize('NFKD')
    .replace(/[^A-Za-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 60);
  return `${safe || 'model'}-v${version}`;
}
