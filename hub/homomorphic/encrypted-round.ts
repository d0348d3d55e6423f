// A homomorphic round at the hub: each accepted upload is a CKKS frame (sealed to the hub in transit,
// like every upload), checked without decrypting; at round close the frames are added into one
// encrypted sum, which becomes the round's published "model": a signed blob that only the sites can
// decrypt. The hub never holds the sum, a site's update or the model; it cannot evaluate the model
// (the sites report metrics of what they decrypted, as in every task).
import { elementCount } from '../../shared/federation/index.ts';
import { openSealed, uploadContext } from '../../shared/node/federation/index.ts';
import { Worker } from 'node:worker_threads';
import {
  ciphertextCount,
  HomomorphicError,
  POLY_MODULUS_DEGREE,
  type HomomorphicErrorCode,
} from '../../shared/node/homomorphic/index.ts';
import type { HubContext } from '../hub-context.ts';
import { findModel, loadModelWeights } from '../model-registry.ts';
import type { HubRows, SubmissionRow, TaskRow } from '../store/index.ts';
import type { SumJob, SumReply } from './sum-worker.ts';
import { loadedTaskSummation, loadTaskSummation, taskKeyParameters } from './task-key.ts';

/** The hub's sealing of an upload for the journey, with room to spare. */
const SEALING_SLACK_BYTES = 64 * 1024;

/**
 * The largest encrypted upload a task takes: the frame of its model's values + 1, each ciphertext at
 * most two polynomials of 64-bit words with SEAL's header (ciphertext-frame.ts), and the sealing.
 */
export async function encryptedUploadLimit(ctx: HubContext, task: TaskRow): Promise<number> {
  const ciphertexts = ciphertextCount((await modelValues(ctx, task)) + 1);
  return 52 + ciphertexts * (4 + 16 + 2 * POLY_MODULUS_DEGREE * 8 + 1024) + SEALING_SLACK_BYTES;
}

/** Values in the task's model: the initial model is the one plain model the hub holds (random weights). */
async function modelValues(ctx: HubContext, task: TaskRow): Promise<number> {
  const initial = await loadModelWeights(ctx, await findModel(ctx, task.id, 0));
  return initial.reduce((sum, tensor) => sum + elementCount(tensor.shape), 0);
}

/** Loads SEAL and the task key's parameters before an upload is checked (SEAL loads asynchronously). */
export async function prepareEncryptedCheck(ctx: HubContext, taskId: string): Promise<void> {
  await loadTaskSummation(ctx, taskId);
}

/**
 * Why an encrypted upload cannot be added, in words for the site; null when it can. Checked without
 * decrypting: the frame's header, the key id, the parameters, SEAL's own checks of each ciphertext.
 */
export async function encryptedUpdateProblem(
  ctx: HubContext,
  task: TaskRow,
  round: number,
  frame: Uint8Array,
): Promise<string | null> {
  const summation = await loadedTaskSummation(ctx, task.id);
  if (!summation)
    return "The task's key has not been made yet; wait until the hub has it from the key's maker, then send again.";
  try {
    const checked = summation.check(frame);
    if (checked.kind !== 'update') return 'This is an encrypted sum, not one site\u2019s encrypted update.';
    const expected = (await modelValues(ctx, task)) + 1;
    if (checked.values !== expected) {
      return `The encrypted update holds ${checked.values} values, but this task's model needs ${expected}; train the task's model.`;
    }
    return encryptedSumFull(ctx.store, task.id, round, summation.parameters.maxSites);
  } catch (error) {
    if (error instanceof HomomorphicError) return error.message;
    throw error;
  }
}

/**
 * Why the round's sum has no room for one more encrypted update; null when it has. Checked again under
 * the round's lock as the verdict is recorded (upload-checks.ts): completions checked at once on
 * PostgreSQL each saw room for one more, and a round of more updates than the key is sized for failed
 * whole at its sum.
 */
export async function encryptedSumFull(
  rows: HubRows,
  taskId: string,
  round: number,
  maxSites: number,
): Promise<string | null> {
  const accepted = (await rows.uploads.acceptedUpdates(taskId, round)).length;
  return accepted >= maxSites
    ? `This round already holds ${maxSites} encrypted updates, the most the task's encryption is sized for.`
    : null;
}

/** The most encrypted updates one round of the task takes (its key's sizing); null before the key. */
export async function encryptedSumCapacity(ctx: HubContext, taskId: string): Promise<number | null> {
  return (await loadedTaskSummation(ctx, taskId))?.parameters.maxSites ?? null;
}

/**
 * The round's encrypted sum, added in a worker thread (sum-worker.ts): SEAL adds synchronously, about
 * 0.5 ms per site per 2048 values, so a large model's round (10M values, 50 sites: two minutes) would
 * otherwise hold the hub's thread. The sealed uploads are opened here, yielding between them.
 */
export async function encryptedRoundSum(
  ctx: HubContext,
  task: TaskRow,
  submissions: readonly SubmissionRow[],
): Promise<{ sum: Uint8Array; updateBytes: number }> {
  const key = await taskKeyParameters(ctx, task.id);
  if (!key) throw new HomomorphicError('bad-key-message', "The task's key is missing at the hub.");
  const frames: Uint8Array[] = [];
  let updateBytes = 0;
  for (const submission of submissions) {
    const sealed = await ctx.store.blobs.read(submission.blob_sha256);
    updateBytes += sealed.byteLength;
    frames.push(
      openSealed(
        sealed,
        ctx.keys.exchangeKey,
        uploadContext({
          taskId: task.id,
          round: submission.round,
          siteId: submission.site_id,
          kind: 'delta',
        }),
      ),
    );
    await new Promise((resolve) => setImmediate(resolve));
  }
  return { sum: await sumInWorker({ parameters: key.parameters, keyId: key.keyId, frames }), updateBytes };
}

function sumInWorker(job: SumJob): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./sum-worker-entry.js', import.meta.url), { workerData: job });
    let settled = false;
    worker.once('message', (reply: SumReply) => {
      settled = true;
      if (reply.ok) resolve(reply.sum);
      else reject(new HomomorphicError(reply.code as HomomorphicErrorCode, reply.message));
    });
    worker.once('error', (error) => {
      settled = true;
      reject(error);
    });
    worker.once('exit', (code) => {
      if (!settled) reject(new Error(`The hub's summation worker stopped unexpectedly (exit code ${code}).`));
    });
  });
}
