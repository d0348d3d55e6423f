// The global model of a homomorphic task, as this site holds it. The hub publishes version 0 in the
// clear (the random initial weights) and every later version as the encrypted sum of a round's
// updates. The site decrypts each sum with the task key and takes the method's combine step itself
// (FedAvg: w + Σwᵢ·Δᵢ / Σwᵢ; FedAvgM keeps its velocity here): the step is deterministic, so every
// site arrives at the same model. Decrypted models stay in the task's folder, never sent anywhere:
// a site that misses versions (or joins late) decrypts them in order from the last it has.
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeWeights,
  encodeWeights,
  federationMethod,
  homomorphicOn,
  layoutOf,
  unpublishableReason,
  type NamedTensor,
  type ServerOptimizerState,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  decodePublishedSum,
  encodingOf,
  SiteCipher,
  sumFromVector,
  sumReceiptProblem,
} from '../../../shared/node/homomorphic/index.ts';
import { writeFileAtomicallyAsync } from '../../../shared/node/index.ts';
import { loadHeldTaskKey, type HeldTaskKey } from './homomorphic-key.ts';
import { fetchGlobalModel, fetchModelBytes, type CachedModel } from './model-cache.ts';
import type { RoundContext } from './round-work.ts';
import { SyncError } from './sync-error.ts';

type ModelContext = Pick<RoundContext, 'client' | 'taskId' | 'taskDir' | 'definition'>;

export interface Decrypted {
  readonly weights: NamedTensor[];
  readonly state: ServerOptimizerState;
}

/** The task's global model at `version`: downloaded, or (homomorphic) decrypted and stepped here. */
export async function globalModelAt(ctx: ModelContext, version: number): Promise<CachedModel> {
  const plainFolder = join(ctx.taskDir, 'models');
  if (!homomorphicOn(ctx.definition) || version === 0)
    return fetchGlobalModel(ctx.client, ctx.taskId, version, plainFolder);
  const folder = join(ctx.taskDir, 'decrypted-models');
  mkdirSync(folder, { recursive: true });
  let from = version;
  while (from > 0 && !existsSync(weightsPath(folder, from))) from -= 1;
  let downloadedBytes = 0;
  let current: Decrypted;
  if (from === 0) {
    const initial = await fetchGlobalModel(ctx.client, ctx.taskId, 0, plainFolder);
    downloadedBytes += initial.downloadedBytes;
    current = { weights: initial.weights, state: null };
  } else {
    current = readDecrypted(ctx.definition, folder, from);
  }
  for (let next = from + 1; next <= version; next += 1) {
    const encrypted = await fetchModelBytes(
      ctx.client,
      ctx.taskId,
      next,
      join(ctx.taskDir, 'encrypted-models'),
    );
    downloadedBytes += encrypted.downloadedBytes;
    current = await decryptAndStep(ctx, current, encrypted.bytes);
    await writeDecrypted(ctx.definition, folder, next, current);
  }
  const meta = await ctx.client.getModelMeta(ctx.taskId, version);
  return { meta, weights: current.weights, downloadedBytes };
}

async function decryptAndStep(
  ctx: ModelContext,
  previous: Decrypted,
  encrypted: Uint8Array,
): Promise<Decrypted> {
  const held = loadHeldTaskKey(ctx.taskDir);
  if (!held) {
    throw new SyncError(
      'bad-state',
      "This site does not hold the task's key, so it cannot read the task's encrypted model; wait for the key's maker to send it.",
    );
  }
  return stepFromEncryptedSum(ctx.taskId, ctx.definition, held, previous, encrypted);
}

/**
 * The next global model from the previous one and a round's encrypted sum: decrypted with the task
 * key, read back as Σwᵢ·Δᵢ and Σwᵢ, and stepped by the method record's combine step (as the hub steps
 * a plain sum), so every site that holds the key arrives at the same model.
 */
export async function stepFromEncryptedSum(
  taskId: string,
  definition: TaskDefinition,
  held: HeldTaskKey,
  previous: Decrypted,
  encrypted: Uint8Array,
): Promise<Decrypted> {
  // The hub's receipt (signed with the blob) is checked before the sum is used: a sum of fewer sites
  // than the quorum, or with an update counted twice, is refused with the reason.
  const { receipt, frame } = decodePublishedSum(encrypted);
  const cipher = await SiteCipher.withKey(held.parameters, held.key);
  let decrypted: { values: Float64Array; contributions: number };
  try {
    decrypted = cipher.decrypt(frame);
  } finally {
    cipher.dispose();
  }
  const method = federationMethod(definition.strategy);
  const problem = sumReceiptProblem(receipt, decrypted.contributions, {
    taskId,
    // The updates a round needs before the hub may close it (the hub's own rule, hub/rounds.ts).
    quorum: method.participation.neededUpdates(definition.quorum),
  });
  if (problem) throw new SyncError('bad-state', problem);
  const sum = sumFromVector(
    decrypted.values,
    layoutOf(previous.weights),
    encodingOf(definition, held.parameters),
    decrypted.contributions,
  );
  if (method.combine.input !== 'sum') {
    throw new SyncError('bad-state', `The ${method.name} strategy cannot combine an encrypted sum.`);
  }
  const result = method.combine.step(previous.weights, sum, previous.state);
  const unusable = unpublishableReason(result.weights);
  if (unusable) throw new SyncError('bad-state', unusable);
  return { weights: result.weights, state: result.serverState };
}

const weightsPath = (folder: string, version: number) => join(folder, `v${version}.rfw`);
const statePath = (folder: string, version: number) => join(folder, `v${version}-state.json`);

async function writeDecrypted(
  definition: TaskDefinition,
  folder: string,
  version: number,
  model: Decrypted,
): Promise<void> {
  const codec = federationMethod(definition.strategy).serverState;
  if (model.state && codec) {
    // The server state first: a model file on disk always has its state beside it.
    const tensors = encodeWeights(codec.toTensors(model.state), 'none');
    await writeFileAtomicallyAsync(
      statePath(folder, version),
      JSON.stringify({ step: model.state.step, tensors: Buffer.from(tensors).toString('base64') }),
      { mode: 0o600 },
    );
  }
  await writeFileAtomicallyAsync(weightsPath(folder, version), encodeWeights(model.weights, 'none'), {
    mode: 0o600,
  });
}

function readDecrypted(definition: TaskDefinition, folder: string, version: number): Decrypted {
  const weights = decodeWeights(readFileSync(weightsPath(folder, version)));
  const codec = federationMethod(definition.strategy).serverState;
  if (!codec || !existsSync(statePath(folder, version))) return { weights, state: null };
  const saved = JSON.parse(readFileSync(statePath(folder, version), 'utf8')) as {
    step: number;
    tensors: string;
  };
  return {
    weights,
    state: codec.fromTensors(decodeWeights(Buffer.from(saved.tensors, 'base64')), saved.step),
  };
}
