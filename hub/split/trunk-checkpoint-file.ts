// Where a task's trunk checkpoint lives in the hub folder (split/<task>/trunk.ckpt) and what it holds:
// which site owns each session, then the trunk's own bytes (SplitTrunkEngine.checkpoint). One file,
// written by the one atomic writer, so a hub killed mid-write finds the previous step's checkpoint.
//
//   u32 little-endian: the length of the owners' JSON, the JSON ([[session, site id], …]), the trunk.
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomicallyAsync } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';

export interface SavedTrunk {
  readonly owners: readonly (readonly [string, string])[];
  readonly engine: Uint8Array;
}

const ownersSchema = z.array(z.tuple([z.string().regex(/^[0-9a-f]{32}$/), z.string().max(64)]));

export function trunkCheckpointPath(hubRoot: string, taskId: string): string {
  return join(hubRoot, 'split', taskId, 'trunk.ckpt');
}

export async function writeTrunkCheckpoint(
  hubRoot: string,
  taskId: string,
  owners: ReadonlyMap<string, string>,
  engine: Uint8Array,
): Promise<void> {
  const path = trunkCheckpointPath(hubRoot, taskId);
  await mkdir(join(hubRoot, 'split', taskId), { recursive: true, mode: 0o700 });
  await writeFileAtomicallyAsync(path, encodeSavedTrunk(owners, engine), { mode: 0o600 });
}

/** The checkpoint's bytes: the file's, and a replicated hub's row's (trunk-checkpoints.ts). */
export function encodeSavedTrunk(owners: ReadonlyMap<string, string>, engine: Uint8Array): Buffer {
  const json = Buffer.from(JSON.stringify([...owners]));
  const head = Buffer.alloc(4);
  head.writeUInt32LE(json.length, 0);
  return Buffer.concat([head, json, engine]);
}

/** The saved trunk, or null when the task's trunk has never finished a step. */
export async function readTrunkCheckpoint(hubRoot: string, taskId: string): Promise<SavedTrunk | null> {
  let bytes: Buffer;
  try {
    bytes = await readFile(trunkCheckpointPath(hubRoot, taskId));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  return decodeSavedTrunk(
    bytes,
    `remove the folder split/${taskId} in the hub folder to start its trunk again`,
  );
}

/** The saved trunk in bytes encodeSavedTrunk wrote; remedy says how to start over when they are damaged. */
export function decodeSavedTrunk(bytes: Buffer, remedy: string): SavedTrunk {
  const damaged = () =>
    new HubError(
      'bad-trunk-checkpoint',
      500,
      `A split-learning task's trunk checkpoint is damaged; ${remedy}.`,
    );
  if (bytes.length < 4) throw damaged();
  const length = bytes.readUInt32LE(0);
  if (4 + length > bytes.length) throw damaged();
  const owners = ownersSchema.safeParse(safeJson(bytes.subarray(4, 4 + length).toString('utf8')));
  if (!owners.success) throw damaged();
  return { owners: owners.data, engine: new Uint8Array(bytes.subarray(4 + length)) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
