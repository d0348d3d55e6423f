// A homomorphic round's update at this site: the change to the global model goes through the same
// pipeline as any update (differential privacy's clip and noise share first, then the task's bound),
// then each value is weighted (never clipped: the encrypted sum must be the plain sum) and encrypted
// under the task's CKKS key (shared/node/homomorphic/task-update.ts). The encrypted frame is then sealed to the hub for the
// journey like every upload and kept on disk before it is sent, so a restart sends the same bytes.
// The update's weight travels inside the ciphertext: the envelope says 1.
import {
  assertFinite,
  weightDelta,
  type NamedTensor,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  sealForHub,
  sha256Hex,
  uploadContext,
  type SealedUpdate,
} from '../../../shared/node/federation/index.ts';
import { encodingOf, SiteCipher, updateVector } from '../../../shared/node/homomorphic/index.ts';
import { loadHeldTaskKey, type HeldTaskKey } from './homomorphic-key.ts';
import type { RoundContext } from './round-work.ts';
import { SyncError } from './sync-error.ts';
import { prepareUpdateForUpload } from './update-pipeline.ts';
import { writeSealed } from './update-upload.ts';

export async function sealEncryptedUpdateToDisk(
  ctx: Pick<RoundContext, 'client' | 'taskId' | 'taskDir' | 'definition'>,
  dir: string,
  options: {
    round: number;
    baseVersion: number;
    local: readonly NamedTensor[];
    global: readonly NamedTensor[];
    examples: number;
    clipNorm: number | null;
  },
): Promise<SealedUpdate> {
  const held = loadHeldTaskKey(ctx.taskDir);
  if (!held) {
    throw new SyncError(
      'bad-state',
      "This site does not hold the task's key yet, so it cannot encrypt its update; it will send in a later round.",
    );
  }
  const frame = await encryptRoundUpdate(ctx.definition, held, options);
  const sealedBytes = sealForHub(
    frame,
    ctx.client.hub.exchangePublicKey,
    uploadContext({ taskId: ctx.taskId, round: options.round, siteId: ctx.client.siteId, kind: 'delta' }),
  );
  const sealed: SealedUpdate = {
    round: options.round,
    kind: 'delta',
    baseVersion: options.baseVersion,
    examples: 1, // the real weight travels encrypted, as the vector's last value
    compression: 'none',
    siteId: ctx.client.siteId,
    sealed: sealedBytes,
    sha256: sha256Hex(sealedBytes),
  };
  writeSealed(dir, sealed);
  return sealed;
}

/**
 * The round's update as this site encrypts it: local − global through the usual pipeline (DP's clip
 * and noise first, then the task's update bound), encoded (task-update.ts) and encrypted with the key.
 */
export async function encryptRoundUpdate(
  definition: TaskDefinition,
  held: HeldTaskKey,
  update: {
    local: readonly NamedTensor[];
    global: readonly NamedTensor[];
    examples: number;
    clipNorm: number | null;
  },
): Promise<Uint8Array> {
  const raw = weightDelta(update.local, update.global);
  assertFinite(raw);
  // Differential privacy's noise is added here, before encryption, as before masking.
  const prepared = prepareUpdateForUpload({ delta: raw, examples: update.examples }, definition, {
    clipNorm: update.clipNorm,
  });
  const { values } = updateVector(prepared.delta, prepared.examples, encodingOf(definition, held.parameters));
  const cipher = await SiteCipher.withKey(held.parameters, held.key);
  try {
    return cipher.encrypt(values);
  } finally {
    cipher.dispose();
  }
}
