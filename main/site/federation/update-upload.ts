// One round's update from the trained weights to the hub: the difference from the global model,
// compressed and sealed to the hub, written to disk before anything is sent (the same bytes are sent
// again after a restart, so the hub resumes the upload it has), then sent in chunks with retries.
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import {
  assertFinite,
  clipBitTensor,
  COMPRESSIONS,
  HubRequestError,
  hubPaths,
  uploadStatusSchema,
  weightDelta,
  type Compression,
  type NamedTensor,
  type SubmissionView,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  sha256Hex,
  type HubClient,
  type SealedUpdate,
  type UploadProgress,
} from '../../../shared/node/federation/index.ts';
import { writeFileAtomically } from '../../../shared/node/index.ts';
import { SyncError } from './sync-error.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';

const sealedMetaSchema = z.object({
  round: z.number().int(),
  kind: z.enum(['delta', 'initial']),
  baseVersion: z.number().int().nullable(),
  examples: z.number().int(),
  compression: z.enum(COMPRESSIONS),
  siteId: z.string(),
  sha256: z.string(),
});

/** Seals `local − global` for the hub and writes it to `dir` (update.sealed, then update.json). */
export function sealUpdateToDisk(
  client: HubClient,
  dir: string,
  options: {
    taskId: string;
    round: number;
    baseVersion: number;
    local: readonly NamedTensor[];
    global: readonly NamedTensor[];
    examples: number;
    compression: Compression;
    /** The task: its privacy settings decide what happens to the update before sealing. */
    definition?: TaskDefinition;
    /** The round's clip norm as the hub stated it (adaptive clipping). */
    clipNorm?: number | null;
  },
): SealedUpdate {
  const raw = weightDelta(options.local, options.global);
  // The hub would refuse it; better to say so here, before anything is sent.
  assertFinite(raw);
  const { delta, examples, privacy } = options.definition
    ? prepareUpdateForUpload({ delta: raw, examples: options.examples }, options.definition, {
        clipNorm: options.clipNorm ?? null,
      })
    : { delta: raw, examples: options.examples, privacy: null };
  const clipBit = privacy?.clipBit ?? null;
  const sealed = client.seal({
    taskId: options.taskId,
    round: options.round,
    kind: 'delta',
    // Adaptive clipping: the noised bit travels sealed, as one extra tensor the hub takes off.
    weights: clipBit === null ? delta : [...delta, clipBitTensor(clipBit)],
    baseVersion: options.baseVersion,
    examples,
    compression: options.compression,
  });
  writeSealed(dir, sealed);
  return sealed;
}

export function writeSealed(dir: string, sealed: SealedUpdate): void {
  writeFileAtomically(join(dir, 'update.sealed'), sealed.sealed, { mode: 0o600 });
  const { sealed: _bytes, ...meta } = sealed;
  writeFileAtomically(join(dir, 'update.json'), JSON.stringify(meta), { mode: 0o600 });
}

export function readSealed(dir: string): SealedUpdate | null {
  const metaPath = join(dir, 'update.json');
  const bytesPath = join(dir, 'update.sealed');
  if (!existsSync(metaPath) || !existsSync(bytesPath)) return null;
  const bytes = readFileSync(bytesPath);
  const parsed = sealedMetaSchema.safeParse(JSON.parse(readFileSync(metaPath, 'utf8')));
  if (!parsed.success || sha256Hex(bytes) !== parsed.data.sha256) {
    // A torn write: the update is made again from the trained weights.
    rmSync(metaPath, { force: true });
    return null;
  }
  return { ...parsed.data, sealed: new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength) };
}

export type SendOutcome =
  | {
      kind: 'submitted';
      submission: SubmissionView | null;
      bytes: number;
      resumedFromBytes: number;
      uploadId: string;
    }
  | { kind: 'refused'; reason: string }
  | { kind: 'missed'; reason: string };

/**
 * Sends a sealed update. The hub keeps partial uploads by their hash, so calling this again after a
 * failure (or a restart) continues from the bytes the hub already holds. Refusals come back as an
 * outcome with the hub's reason; transport failures are thrown for the caller to retry.
 */
export async function sendSealedUpdate(
  client: HubClient,
  taskId: string,
  sealed: SealedUpdate,
  options: {
    chunkBytes?: number;
    onUploadId?: (id: string) => void;
    onProgress?: (progress: UploadProgress) => void;
  } = {},
): Promise<SendOutcome> {
  try {
    // Opening the upload is idempotent: it answers how much of these exact bytes the hub holds already.
    const status = await client.call(uploadStatusSchema, 'POST', hubPaths.uploads(taskId), {
      round: sealed.round,
      kind: sealed.kind,
      bytes: sealed.sealed.byteLength,
      sha256: sealed.sha256,
      ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
    });
    options.onUploadId?.(status.uploadId);
    const { submission } = await client.uploadSealed(taskId, sealed, {
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}),
    });
    return {
      kind: 'submitted',
      submission,
      bytes: sealed.sealed.byteLength,
      resumedFromBytes: status.receivedBytes,
      uploadId: status.uploadId,
    };
  } catch (error) {
    if (!(error instanceof HubRequestError)) throw error;
    switch (error.hubCode) {
      case 'already-submitted':
        // An earlier try landed, and the site stopped before it noted so.
        return {
          kind: 'submitted',
          submission: null,
          bytes: sealed.sealed.byteLength,
          resumedFromBytes: sealed.sealed.byteLength,
          uploadId: '',
        };
      case 'update-rejected':
        return { kind: 'refused', reason: error.message };
      case 'round-not-collecting':
      case 'not-your-turn':
      case 'task-not-active':
        return { kind: 'missed', reason: error.message };
      default:
        if (error.status >= 500 || error.status === 429) throw error;
        throw new SyncError(
          'update-refused',
          `The hub did not take this site's update for round ${sealed.round}: ${error.message}`,
          {
            cause: error,
          },
        );
    }
  }
}
