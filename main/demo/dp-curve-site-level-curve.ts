// The site-level DP-FedAvg curve (`radfed bench dp-fedavg-curve`): AUC against the number of hospitals
// K at a fixed ε, from a few real sites and the stated model of dp-curve-site-level.ts. Per trained
// selection: the run without DP (no clipping, no noise), the same run clipped at C with no noise (the
// DP run's "same run without DP"), then one run per K with the noise a K-site federation's average
// would carry.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  dpTrainableValueCount,
  type DpTrainableLayers,
  type NamedTensor,
  type Strategy,
} from '../../shared/federation/index.ts';
import { evaluateWeights, initialModelWeights, modelValueCount } from '../site/federation/index.ts';
import { TRAINING_TASKS, type TrainingTask } from '../site/train/index.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import { curveData } from './dp-curve-data.ts';
import {
  runSiteLevelFederation,
  siteLevelNoiseMultiplier,
  siteLevelNoiseToSignal,
} from './dp-curve-site-level.ts';
import { pretrainOnPublicData } from './dp-pretraining.ts';

export interface SiteLevelCurveOptions {
  readonly patientsPerSite: number;
  /** Real sites trained (they stand for all K). */
  readonly sites: number;
  /** K: the hospitals of the simulated federation, one DP run each. */
  readonly simulatedSites: readonly number[];
  readonly epsilon: number;
  readonly delta: number;
  readonly rounds: number;
  readonly learningRate: number;
  readonly imageSize: number;
  readonly trainableLayers: readonly DpTrainableLayers[];
  /** C; absent: the median update norm of the run without DP (where adaptive clipping at γ = ½ settles). */
  readonly clipNorm?: number;
  /** The public model to start from (dp-pretraining.ts); absent: from fresh weights. */
  readonly publicModelFile?: string;
  readonly publicPatients?: number;
  readonly pretrainEpochs?: number;
  readonly workDir: string;
  readonly threads?: number;
  readonly say?: (line: string) => void;
}

export interface SiteLevelCurvePoint {
  readonly trainableLayers: DpTrainableLayers;
  /** K; null for the two runs without noise. */
  readonly simulatedSites: number | null;
  /** 'none': no clipping, no noise; 'clip': clipped at C, no noise; 'dp': clipped and noised. */
  readonly kind: 'none' | 'clip' | 'dp';
  readonly clipNorm: number | null;
  readonly noiseMultiplier: number | null;
  /** z√d/(K√R), d the trained values. */
  readonly noiseToSignal: number | null;
  readonly auc: number;
  /** The clipped run without noise minus this AUC. */
  readonly aucLossSameRun: number | null;
  /** The run with neither clipping nor noise minus this AUC. */
  readonly aucLossNoDp: number | null;
  readonly medianUpdateNorm: number;
  readonly seconds: number;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function measureSiteLevelCurve(options: SiteLevelCurveOptions): Promise<SiteLevelCurvePoint[]> {
  const say = options.say ?? (() => {});
  const task: TrainingTask = {
    ...TRAINING_TASKS['chest-radiograph-nodule']!,
    id: 'dp-fedavg-curve',
    inputSize: options.imageSize,
    // The group-norm twin, as patient-level DP and the public model use: the curves compare.
    model: 'resnet-small-gn',
  };
  const fresh = await initialModelWeights(task, 0);
  const initial: NamedTensor[] =
    options.publicModelFile || (options.publicPatients ?? 0) > 0
      ? await pretrainOnPublicData({
          task,
          initial: fresh,
          patients: options.publicPatients ?? 800,
          epochs: options.pretrainEpochs ?? 20,
          workDir: join(options.workDir, 'public'),
          ...(options.publicModelFile ? { modelFile: options.publicModelFile } : {}),
          ...(options.threads ? { threads: options.threads } : {}),
          say,
        })
      : fresh;
  const dir = join(options.workDir, `patients-${options.patientsPerSite}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const data = await curveData(dir, options.patientsPerSite, options);
  const strategy: Strategy = {
    name: 'fedavgm',
    serverLearningRate: 1,
    momentum: DEMO_DEFAULTS.serverMomentum,
    plainTensorSuffixes: ['moving_mean', 'moving_variance'],
  };
  const z = siteLevelNoiseMultiplier(options.epsilon, options.delta, options.rounds);
  const evaluate = async (weights: NamedTensor[]) =>
    (
      await evaluateWeights({
        task,
        weights,
        items: data.test,
        cacheDir: join(dir, 'cache'),
        ...(options.threads ? { threads: options.threads } : {}),
      })
    ).auc ?? 0;
  const points: SiteLevelCurvePoint[] = [];
  for (const layers of options.trainableLayers) {
    const definition = { model: { name: task.model }, labels: [...task.labels] };
    const d = layers === 'all' ? modelValueCount(task) : (dpTrainableValueCount(definition, layers) ?? 1);
    const run = async (clipNorm: number, simulatedSites: number | null) => {
      const started = performance.now();
      const result = await runSiteLevelFederation({
        task,
        sites: data.sites,
        initial,
        rounds: options.rounds,
        batchSize: DEMO_DEFAULTS.batchSize,
        learningRate: options.learningRate,
        strategy,
        clipNorm,
        noiseMultiplier: simulatedSites === null ? 0 : z,
        simulatedSites,
        trainableLayers: layers,
        workDir: dir,
        ...(options.threads ? { threads: options.threads } : {}),
        seed: options.patientsPerSite,
      });
      const auc = await evaluate(result.weights);
      return { auc, norms: result.updateNorms, seconds: (performance.now() - started) / 1000 };
    };
    const plain = await run(Number.POSITIVE_INFINITY, null);
    const clipNorm = options.clipNorm ?? median(plain.norms);
    const base = { trainableLayers: layers, medianUpdateNorm: median(plain.norms) };
    points.push({
      ...base,
      simulatedSites: null,
      kind: 'none',
      clipNorm: null,
      noiseMultiplier: null,
      noiseToSignal: null,
      auc: plain.auc,
      aucLossSameRun: null,
      aucLossNoDp: null,
      seconds: plain.seconds,
    });
    say(
      `${layers}: without DP AUC ${plain.auc.toFixed(3)}; median update norm ${base.medianUpdateNorm.toPrecision(3)}`,
    );
    const clipped = await run(clipNorm, null);
    points.push({
      ...base,
      simulatedSites: null,
      kind: 'clip',
      clipNorm,
      noiseMultiplier: null,
      noiseToSignal: null,
      auc: clipped.auc,
      aucLossSameRun: null,
      aucLossNoDp: plain.auc - clipped.auc,
      seconds: clipped.seconds,
    });
    say(`${layers}: clipped at C = ${clipNorm.toPrecision(3)}, no noise: AUC ${clipped.auc.toFixed(3)}`);
    for (const sites of options.simulatedSites) {
      const noised = await run(clipNorm, sites);
      points.push({
        ...base,
        simulatedSites: sites,
        kind: 'dp',
        clipNorm,
        noiseMultiplier: z,
        noiseToSignal: siteLevelNoiseToSignal(z, d, sites, options.rounds),
        auc: noised.auc,
        aucLossSameRun: clipped.auc - noised.auc,
        aucLossNoDp: plain.auc - noised.auc,
        seconds: noised.seconds,
      });
      say(`${layers}: K = ${sites} sites, z = ${z}: AUC ${noised.auc.toFixed(3)}`);
    }
  }
  return points;
}

export function formatSiteLevelCurve(points: readonly SiteLevelCurvePoint[]): string {
  const rows = [
    '| trained layers | hospitals K | run | C | z | ρ = z√d/(K√R) | AUC | loss against the same run clipped, no noise | loss against no DP | seconds |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...points.map(
      (p) =>
        `| ${p.trainableLayers} | ${p.simulatedSites ?? '–'} | ${p.kind} | ${p.clipNorm?.toPrecision(3) ?? '–'} | ` +
        `${p.noiseMultiplier?.toPrecision(4) ?? '–'} | ${p.noiseToSignal?.toPrecision(3) ?? '–'} | ${p.auc.toFixed(3)} | ` +
        `${p.aucLossSameRun?.toFixed(3) ?? '–'} | ${p.aucLossNoDp?.toFixed(3) ?? '–'} | ${p.seconds.toFixed(0)} |`,
    ),
  ];
  return `${rows.join('\n')}\n`;
}
