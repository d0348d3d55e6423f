// A federation in ONE process, for measurements that would not fit a two-core machine as real hub
// and site processes (the DP curve, bench/dp-curve): each round every site trains from the global
// model with the site's own trainer (trainLocalModel, one round's options as round-work.ts sets them),
// and the server step is the hub's own (aggregateRound). What it leaves out is transport: no HTTPS,
// signing, quantisation or secure aggregation, none of which changes the model beyond float16
// rounding (secure aggregation sums the same updates).
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  aggregateRound,
  type DpTrainableLayers,
  type NamedTensor,
  type ServerOptimizerState,
  type SiteUpdate,
  type Strategy,
} from '../../shared/federation/index.ts';
import { readTrainedWeights, toNamedValues } from '../site/federation/index.ts';
import { SeededRandom, trainLocalModel, type LabelledImage, type TrainingTask } from '../site/train/index.ts';

export interface PatientDpSetting {
  readonly l2NormClip: number;
  readonly noiseMultiplier: number;
  readonly samplingRate: number;
  /** DP fine-tuning: only these layers train (shared/federation/dp-trainable-layers.ts). */
  readonly trainableLayers?: DpTrainableLayers;
  /** The bench's baseline: the same steps without clipping or noise (patient-dp-sgd.ts, noiseFree). */
  readonly noiseFree?: boolean;
}

export interface InProcessFederationOptions {
  readonly task: TrainingTask;
  /** Each site's training images. */
  readonly sites: readonly (readonly LabelledImage[])[];
  readonly initial: readonly NamedTensor[];
  readonly rounds: number;
  readonly localEpochs: number;
  readonly batchSize: number;
  readonly learningRate: number;
  /** The rate of each round (1-based) where the task has a schedule over the rounds; default: learningRate. */
  readonly learningRateOf?: (round: number) => number;
  readonly strategy: Strategy;
  /** Patient-level DP-SGD at every site; null trains without DP. */
  readonly dp: PatientDpSetting | null;
  readonly workDir: string;
  readonly threads?: number;
  /** Seeds the Poisson draws (a benchmark replays; a real site draws from the cryptographic source). */
  readonly seed?: number;
  /** After each round, with the global model it published (a benchmark scores the last rounds' models). */
  readonly onRound?: (round: number, rounds: number, global: readonly NamedTensor[]) => void | Promise<void>;
}

/** The global model after the last round. */
export async function runInProcessFederation(options: InProcessFederationOptions): Promise<NamedTensor[]> {
  let global = options.initial.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
  let serverState: ServerOptimizerState = null;
  const sampling = new SeededRandom(options.seed ?? 1);
  const steps = options.dp ? Math.max(1, Math.ceil(options.localEpochs / options.dp.samplingRate - 1e-9)) : 0;
  for (let round = 1; round <= options.rounds; round++) {
    const updates: SiteUpdate[] = [];
    for (const [index, train] of options.sites.entries()) {
      const checkpointDir = mkdtempSync(join(options.workDir, `round-${round}-site-${index + 1}-`));
      try {
        await trainLocalModel({
          task: options.task,
          train,
          // The trainer evaluates after each epoch; a few images keep that cheap (the curve is
          // measured on the pooled test set, not on these).
          validation: train.slice(0, 4),
          cacheDir: join(options.workDir, 'cache'),
          checkpointDir,
          ...(options.threads ? { threads: options.threads } : {}),
          epochs: options.localEpochs,
          batchSize: options.batchSize,
          learningRate: options.learningRateOf?.(round) ?? options.learningRate,
          schedule: { kind: 'constant' },
          patience: 0,
          seed: round,
          initialWeights: toNamedValues(global),
          ...(options.dp ? { patientDpSgd: { ...options.dp, steps, uniform: () => sampling.next() } } : {}),
        });
        // The round's last epoch (the trainer keeps each epoch's weights), as a site sends it.
        const last = join(checkpointDir, `epoch-${String(options.localEpochs).padStart(4, '0')}`, 'model');
        const local = await readTrainedWeights(last, global);
        updates.push({
          siteId: `site-${index + 1}`,
          // As round-work.ts: under patient-level DP the sites weigh equally (the count is not released).
          examples: options.dp ? 1 : train.length,
          delta: local.map((t, i) => ({
            name: t.name,
            shape: t.shape,
            data: t.data.map((v, j) => v - global[i]!.data[j]!),
          })),
        });
      } finally {
        rmSync(checkpointDir, { recursive: true, force: true });
      }
    }
    const result = aggregateRound(options.strategy, global, updates, serverState);
    global = result.weights.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
    serverState = result.serverState;
    await options.onRound?.(round, options.rounds, global);
  }
  return global;
}
