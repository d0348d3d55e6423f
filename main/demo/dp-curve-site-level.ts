// Site-level DP-FedAvg against the number of hospitals (docs/differential-privacy.md, "Site-level
// DP-FedAvg: from how many sites it pays"). A two-core machine cannot train 50 or 300 hospitals, so
// this trains a FEW real sites (the demo's synthetic hospitals) and states a model for the rest:
// a federation of K sites whose clipped updates look like these sites' ones. DP-FedAvg's noise is
// N(0, (zC)²) on the SUM of the K clipped updates (McMahan et al. 2018), so on their AVERAGE it is
// N(0, (zC/K)²) per value; each round the real sites' clipped updates are averaged and that noise
// added, then the hub's own server step (aggregateRound, FedAvgM) moves the global model. K = null is
// the same run with the clipping and no noise: "the same run without DP" for this curve.
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
import { cryptoGaussian, type GaussianSource } from '../../shared/node/privacy/index.ts';
import { calibrateNoiseMultiplier } from '../../shared/privacy/index.ts';
import { readTrainedWeights, toNamedValues } from '../site/federation/index.ts';
import { trainLocalModel, SeededRandom, type LabelledImage, type TrainingTask } from '../site/train/index.ts';

export interface SiteLevelRunOptions {
  readonly task: TrainingTask;
  /** The real sites' training images (a few: they stand for all K). */
  readonly sites: readonly (readonly LabelledImage[])[];
  readonly initial: readonly NamedTensor[];
  readonly rounds: number;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly strategy: Strategy;
  /** C: each site's update (all tensors together) is scaled down to this L2 norm. */
  readonly clipNorm: number;
  /** z: the SUM of the K updates carries N(0, (zC)²); 0 with `simulatedSites` null. */
  readonly noiseMultiplier: number;
  /** K, the hospitals the federation stands for; null: clipping only, no noise. */
  readonly simulatedSites: number | null;
  /**
   * 'all': the sites train every layer (the plain trainer); 'head' and 'norm-and-head': only those
   * layers train, through the DP-SGD trainer with no noise and no per-patient clipping.
   */
  readonly trainableLayers: DpTrainableLayers;
  readonly workDir: string;
  readonly threads?: number;
  /** Tests and the bench may pass a seeded source; default the cryptographic one. */
  readonly gaussian?: GaussianSource;
  readonly seed?: number;
}

export interface SiteLevelRun {
  readonly weights: NamedTensor[];
  /** Every real site's update norm before clipping, every round (to choose C). */
  readonly updateNorms: number[];
}

/** z for ε at δ over `rounds` releases with no sampling of sites (RadFed takes every joined site each round). */
export function siteLevelNoiseMultiplier(epsilon: number, delta: number, rounds: number): number {
  return calibrateNoiseMultiplier({ samplingRate: 1, steps: rounds, budget: { epsilon, delta } });
}

/**
 * Noise over signal of site-level DP-FedAvg at the end of training, the same reading as patient
 * level's ρ (shared/privacy/noise-to-signal.ts): per round the average of K clipped updates (norm ≤ C)
 * carries noise of norm about zC√d/K; over R rounds the signal adds up like R·C, the noise like √R.
 */
export function siteLevelNoiseToSignal(
  z: number,
  modelValues: number,
  sites: number,
  rounds: number,
): number {
  return (z * Math.sqrt(modelValues)) / (sites * Math.sqrt(rounds));
}

/** The global model after the last round of the simulated K-site DP-FedAvg federation. */
export async function runSiteLevelFederation(options: SiteLevelRunOptions): Promise<SiteLevelRun> {
  let global = options.initial.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
  let serverState: ServerOptimizerState = null;
  const sampling = new SeededRandom(options.seed ?? 1);
  const gaussian = options.gaussian ?? cryptoGaussian;
  const realSites = options.sites.length;
  // Each real site's share, so that their plain average carries N(0, (zC/K)²) per value.
  const std =
    options.simulatedSites === null
      ? 0
      : (options.noiseMultiplier * options.clipNorm * Math.sqrt(realSites)) / options.simulatedSites;
  const updateNorms: number[] = [];
  for (let round = 1; round <= options.rounds; round++) {
    const updates: SiteUpdate[] = [];
    for (const [index, train] of options.sites.entries()) {
      const checkpointDir = mkdtempSync(join(options.workDir, `round-${round}-site-${index + 1}-`));
      try {
        await trainLocalModel({
          task: options.task,
          train,
          validation: train.slice(0, 4),
          cacheDir: join(options.workDir, 'cache'),
          checkpointDir,
          ...(options.threads ? { threads: options.threads } : {}),
          epochs: 1,
          batchSize: options.batchSize,
          learningRate: options.learningRate,
          schedule: { kind: 'constant' },
          patience: 0,
          seed: round,
          initialWeights: toNamedValues(global),
          // Only some layers: the DP-SGD trainer is the one that can freeze the rest; noiseFree runs its
          // Poisson steps without noise or per-patient clipping (no patient-level DP here).
          ...(options.trainableLayers === 'all'
            ? {}
            : {
                patientDpSgd: {
                  l2NormClip: 1e6,
                  noiseMultiplier: 1e-12,
                  samplingRate: 0.2,
                  steps: 5,
                  trainableLayers: options.trainableLayers,
                  noiseFree: true,
                  uniform: () => sampling.next(),
                },
              }),
        });
        const local = await readTrainedWeights(join(checkpointDir, 'epoch-0001', 'model'), global);
        const delta = local.map((t, i) => ({
          name: t.name,
          shape: t.shape,
          data: t.data.map((v, j) => v - global[i]!.data[j]!),
        }));
        const norm = Math.sqrt(delta.reduce((s, t) => s + t.data.reduce((a, v) => a + v * v, 0), 0));
        updateNorms.push(norm);
        const scale = norm > options.clipNorm ? options.clipNorm / norm : 1;
        updates.push({
          siteId: `site-${index + 1}`,
          // DP-FedAvg weighs every site the same (round-work.ts): one site moves the sum by at most C.
          examples: 1,
          delta: delta.map((t) => {
            const noise = std > 0 ? gaussian(t.data.length) : null;
            return {
              ...t,
              data: t.data.map((v, j) => v * scale + (noise ? std * noise[j]! : 0)),
            };
          }),
        });
      } finally {
        rmSync(checkpointDir, { recursive: true, force: true });
      }
    }
    const result = aggregateRound(options.strategy, global, updates, serverState);
    global = result.weights.map((t) => ({ ...t, data: Float32Array.from(t.data) }));
    serverState = result.serverState;
  }
  return { weights: global, updateNorms };
}
