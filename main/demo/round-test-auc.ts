// The test AUC of every round's global model: the hub keeps each model it published, so after the
// federation the demo scores each on the pooled test set of held-out patients. The last model alone
// is one draw from where the last rounds land; the whole curve shows whether they still swing, and
// from which round (issue 16: the secure run's last model against the plain one's).
import { decodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { findModel, listModels, openHubContext } from '../../hub/index.ts';
import { evaluateWeights, type Evaluation } from '../site/federation/index.ts';
import type { LabelledImage, TrainingTask } from '../site/train/index.ts';
import type { RoundFigures } from './round-tracker.ts';

export interface RoundModelScore {
  readonly version: number;
  readonly auc: number | null;
  readonly accuracy: number;
  readonly loss: number;
}

/** Every published global model of the task (v1 on), first to last, read from the stopped hub's store. */
export async function* publishedGlobalModels(
  hubDir: string,
  taskId: string,
): AsyncGenerator<{ version: number; weights: NamedTensor[] }> {
  const ctx = openHubContext(hubDir);
  try {
    const versions = (await listModels(ctx, taskId))
      .map((m) => m.version)
      .filter((v) => v >= 1)
      .sort((a, b) => a - b);
    for (const version of versions) {
      const row = await findModel(ctx, taskId, version);
      yield { version, weights: decodeWeights(await ctx.store.blobs.read(row.blob_sha256)) };
    }
  } finally {
    await ctx.store.close();
  }
}

/**
 * Scores each published global model on the test images, one at a time (one model's weights in
 * memory, the prepared images read from the demo's cache).
 */
export async function scorePublishedModels(options: {
  readonly hubDir: string;
  readonly taskId: string;
  readonly task: TrainingTask;
  readonly test: readonly LabelledImage[];
  readonly cacheDir: string;
  readonly threads?: number;
}): Promise<RoundModelScore[]> {
  const scores: RoundModelScore[] = [];
  for await (const model of publishedGlobalModels(options.hubDir, options.taskId)) {
    const metrics: Evaluation = await evaluateWeights({
      task: options.task,
      weights: model.weights,
      items: options.test,
      cacheDir: options.cacheDir,
      // The whole test set in one batch where the backend's memory allows it (evaluateWeights makes
      // the batch smaller where not: ResNet-18 at 256 px takes 33 at a time in WebAssembly's 4 GiB).
      batchSize: Math.max(1, options.test.length),
      ...(options.threads ? { threads: options.threads } : {}),
    });
    scores.push({ version: model.version, auc: metrics.auc, accuracy: metrics.accuracy, loss: metrics.loss });
  }
  return scores;
}

/** Puts each round's test AUC beside its other figures (matched by the version the round published). */
export function attachTestAuc(rounds: RoundFigures[], scores: readonly RoundModelScore[]): void {
  const byVersion = new Map(scores.map((score) => [score.version, score.auc]));
  for (const round of rounds) {
    if (round.version !== null) round.testAuc = byVersion.get(round.version) ?? null;
  }
}
