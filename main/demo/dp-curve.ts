// The measured curve behind docs/differential-privacy.md ("Measured: ε against AUC loss"): for a
// growing number of patients per site, the demo's federation trained without differential privacy
// and with patient-level DP-SGD at each ε, both evaluated on the same pooled test set of held-out
// patients. Runs in one process (in-process-federation.ts): a two-core machine cannot afford three
// site processes and a hub per point.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  dpTrainableValueCount,
  type DpTrainableLayers,
  type NamedTensor,
  type Strategy,
} from '../../shared/federation/index.ts';
import { calibrateNoiseMultiplier, noiseToSignal } from '../../shared/privacy/index.ts';
import { evaluateWeights, initialModelWeights, modelValueCount } from '../site/federation/index.ts';
import { pretrainOnPublicData } from './dp-pretraining.ts';
import { TRAINING_TASKS, type TrainingTask } from '../site/train/index.ts';
import { DEMO_DEFAULTS } from './demo-options.ts';
import { curveData } from './dp-curve-data.ts';
import { runInProcessFederation } from './in-process-federation.ts';

export interface DpCurveOptions {
  readonly patientsPerSite: readonly number[];
  readonly epsilons: readonly number[];
  readonly delta: number;
  readonly sites: number;
  readonly rounds: number;
  readonly samplingRate: number;
  readonly l2NormClip: number;
  /** Adam's rate with DP (the plain run keeps the demo's). */
  readonly dpLearningRate: number;
  readonly imageSize: number;
  /** Also train the group-norm model without DP (tells the normalisation's cost from the noise's). */
  readonly groupNormBaseline?: boolean;
  /** false: leave out the batch-norm model trained from scratch without DP (measured before at this size). */
  readonly scratchBaseline?: boolean;
  /**
   * Also run each trainable selection with the noise and the clipping turned off (the same Poisson
   * steps and per-patient sums): the DP rows' cost of privacy alone, apart from what training only
   * those layers costs.
   */
  readonly noiseFreeBaseline?: boolean;
  /** false: only the DP runs (and the public model alone), for a point whose baselines were measured before. */
  readonly baselines?: boolean;
  /**
   * DP fine-tuning: the DP runs start from a model pre-trained at the coordinator on this many
   * synthetic patients that no site contributes (dp-pretraining.ts); 0 or absent: from scratch.
   */
  readonly publicPatients?: number;
  readonly pretrainEpochs?: number;
  /** The public model's weights file (read if it exists, else written): dp-pretraining.ts. */
  readonly publicModelFile?: string;
  /** The layers trained under DP, one DP run each (default ['all']). */
  readonly trainableLayers?: readonly DpTrainableLayers[];
  readonly workDir: string;
  readonly threads?: number;
  readonly say?: (line: string) => void;
}

export interface DpCurvePoint {
  readonly patientsPerSite: number;
  /** Training patients per site (the held-out ones form the pooled test set). */
  readonly trainPatientsPerSite: number;
  readonly testImages: number;
  /** null: the run without DP. */
  readonly epsilon: number | null;
  /** resnet-small (batch norm) or resnet-small-gn (group norm: what patient-level DP-SGD trains). */
  readonly model: string;
  /** Where training started: fresh weights, or the model pre-trained on public data ('public only': no site's data at all). */
  readonly start: 'scratch' | 'public' | 'public only';
  /** The layers trained under DP (null without DP). */
  readonly trainableLayers: DpTrainableLayers | null;
  readonly noiseMultiplier: number | null;
  /** ρ = σ√d/(q·N·√T): the noise over the signal of the whole training (shared/privacy/noise-to-signal.ts). */
  readonly noiseToSignal: number | null;
  readonly auc: number;
  /** AUC of the batch-norm model trained without DP from scratch (the demo's plain run) minus this AUC. */
  readonly aucLoss: number | null;
  /**
   * DP fine-tuning: AUC of the same start trained without DP (every layer, the public model as the
   * initial weights) minus this AUC; null elsewhere.
   */
  readonly aucLossSameStart: number | null;
  /** AUC of the same layers trained the same way without noise or clipping minus this AUC (noiseFreeBaseline); null elsewhere. */
  readonly aucLossSameLayers: number | null;
  readonly seconds: number;
}

export async function measureDpCurve(options: DpCurveOptions): Promise<DpCurvePoint[]> {
  const say = options.say ?? (() => {});
  const task: TrainingTask = {
    ...TRAINING_TASKS['chest-radiograph-nodule']!,
    id: 'dp-curve',
    inputSize: options.imageSize,
  };
  // Batch statistics mix patients, so patient-level DP trains the group-norm twin; both are measured
  // without DP, to tell the cost of the normalisation from the cost of the noise.
  const dpTask: TrainingTask = { ...task, model: 'resnet-small-gn' };
  const initial = await initialModelWeights(task, 0);
  const strategy: Strategy = {
    name: 'fedavgm',
    serverLearningRate: 1,
    momentum: DEMO_DEFAULTS.serverMomentum,
    plainTensorSuffixes: ['moving_mean', 'moving_variance'],
  };
  const points: DpCurvePoint[] = [];
  const publicPatients = options.publicPatients ?? 0;
  const pretrained =
    publicPatients > 0
      ? await pretrainOnPublicData({
          task: dpTask,
          initial,
          patients: publicPatients,
          epochs: options.pretrainEpochs ?? 10,
          workDir: join(options.workDir, 'public'),
          ...(options.publicModelFile ? { modelFile: options.publicModelFile } : {}),
          ...(options.threads ? { threads: options.threads } : {}),
          say,
        })
      : null;
  for (const patients of options.patientsPerSite) {
    const dir = join(options.workDir, `patients-${patients}`);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const data = await curveData(dir, patients, options);
    const trainPatients = Math.round(
      data.sites.reduce((n, s) => n + new Set(s.map((i) => i.patient)).size, 0) / options.sites,
    );
    const common = {
      task,
      sites: data.sites,
      initial,
      rounds: options.rounds,
      localEpochs: 1,
      batchSize: DEMO_DEFAULTS.batchSize,
      strategy,
      workDir: dir,
      ...(options.threads ? { threads: options.threads } : {}),
    };
    const evaluate = async (weights: NamedTensor[], model: TrainingTask = task) =>
      (
        await evaluateWeights({
          task: model,
          weights,
          items: data.test,
          cacheDir: join(dir, 'cache'),
          ...(options.threads ? { threads: options.threads } : {}),
        })
      ).auc ?? 0;
    const base = {
      patientsPerSite: patients,
      trainPatientsPerSite: trainPatients,
      testImages: data.test.length,
    };
    let plainAuc: number | null = null;
    const loss = (auc: number) => (plainAuc === null ? null : plainAuc - auc);
    let publicStartAuc: number | null = null;
    const plainModels = [
      ...(options.scratchBaseline === false ? [] : [task]),
      ...(options.groupNormBaseline === false ? [] : [dpTask]),
    ];
    for (const model of options.baselines === false ? [] : plainModels) {
      const started = performance.now();
      const auc = await evaluate(
        await runInProcessFederation({
          ...common,
          task: model,
          // The batch-norm model at the demo's rate; its group-norm twin at the DP runs' rate, so that
          // the step from it to the DP rows is the noise and clipping alone.
          learningRate: model === task ? DEMO_DEFAULTS.learningRate : options.dpLearningRate,
          dp: null,
        }),
        model,
      );
      if (model === task) plainAuc = auc;
      points.push({
        ...base,
        epsilon: null,
        model: model.model,
        start: 'scratch',
        trainableLayers: null,
        noiseMultiplier: null,
        noiseToSignal: null,
        auc,
        aucLoss: model === task ? null : loss(auc),
        aucLossSameStart: null,
        aucLossSameLayers: null,
        seconds: (performance.now() - started) / 1000,
      });
      say(`${patients} patients per site, ${model.model} without DP: AUC ${auc.toFixed(3)}`);
    }
    if (pretrained) {
      // What the public data alone gives, before any site trains: the floor DP fine-tuning starts from.
      const auc = await evaluate(pretrained, dpTask);
      points.push({
        ...base,
        epsilon: null,
        model: dpTask.model,
        start: 'public only',
        trainableLayers: null,
        noiseMultiplier: null,
        noiseToSignal: null,
        auc,
        aucLoss: loss(auc),
        aucLossSameStart: null,
        aucLossSameLayers: null,
        seconds: 0,
      });
      say(`${patients} patients per site, public pre-training alone: AUC ${auc.toFixed(3)}`);
    }
    if (pretrained && options.baselines !== false) {
      // The same run without DP: the sites fine-tune every layer of the public model, no noise.
      const started = performance.now();
      publicStartAuc = await evaluate(
        await runInProcessFederation({
          ...common,
          task: dpTask,
          initial: pretrained,
          learningRate: options.dpLearningRate,
          dp: null,
        }),
        dpTask,
      );
      points.push({
        ...base,
        epsilon: null,
        model: dpTask.model,
        start: 'public',
        trainableLayers: 'all',
        noiseMultiplier: null,
        noiseToSignal: null,
        auc: publicStartAuc,
        aucLoss: loss(publicStartAuc),
        aucLossSameStart: null,
        aucLossSameLayers: null,
        seconds: (performance.now() - started) / 1000,
      });
      say(
        `${patients} patients per site, public model fine-tuned without DP: AUC ${publicStartAuc.toFixed(3)}`,
      );
    }
    for (const layers of options.trainableLayers ?? ['all']) {
      let noiseFreeAuc: number | null = null;
      if (options.noiseFreeBaseline) {
        // The steps as DP-SGD takes them (the same Poisson draws), without noise or clipping, in one pass per step.
        const started = performance.now();
        noiseFreeAuc = await evaluate(
          await runInProcessFederation({
            ...common,
            task: dpTask,
            initial: pretrained ?? initial,
            learningRate: options.dpLearningRate,
            dp: {
              l2NormClip: 1e6,
              noiseMultiplier: 1e-12,
              samplingRate: options.samplingRate,
              trainableLayers: layers,
              noiseFree: true,
            },
            seed: patients,
          }),
          dpTask,
        );
        points.push({
          ...base,
          epsilon: null,
          model: `${dpTask.model} (no noise, no clipping)`,
          start: pretrained ? 'public' : 'scratch',
          trainableLayers: layers,
          noiseMultiplier: null,
          noiseToSignal: null,
          auc: noiseFreeAuc,
          aucLoss: loss(noiseFreeAuc),
          aucLossSameStart: publicStartAuc === null ? null : publicStartAuc - noiseFreeAuc,
          aucLossSameLayers: null,
          seconds: (performance.now() - started) / 1000,
        });
        say(
          `${patients} patients per site, ${layers} without noise or clipping: AUC ${noiseFreeAuc.toFixed(3)}`,
        );
      }
      for (const epsilon of options.epsilons) {
        const steps = options.rounds * Math.ceil(1 / options.samplingRate - 1e-9);
        const sigma = calibrateNoiseMultiplier({
          samplingRate: options.samplingRate,
          steps,
          budget: { epsilon, delta: options.delta },
        });
        const started = performance.now();
        const auc = await evaluate(
          await runInProcessFederation({
            ...common,
            task: dpTask,
            initial: pretrained ?? initial,
            learningRate: options.dpLearningRate,
            dp: {
              l2NormClip: options.l2NormClip,
              noiseMultiplier: sigma,
              samplingRate: options.samplingRate,
              trainableLayers: layers,
            },
            seed: patients,
          }),
          dpTask,
        );
        const definition = { model: { name: dpTask.model }, labels: [...dpTask.labels] };
        const modelValues =
          layers === 'all' ? modelValueCount(dpTask) : (dpTrainableValueCount(definition, layers) ?? 1);
        points.push({
          ...base,
          epsilon,
          model: dpTask.model,
          start: pretrained ? 'public' : 'scratch',
          trainableLayers: layers,
          noiseMultiplier: sigma,
          noiseToSignal: noiseToSignal(sigma, options.samplingRate, trainPatients, { modelValues, steps })
            .ratio,
          auc,
          aucLoss: loss(auc),
          aucLossSameStart: publicStartAuc === null ? null : publicStartAuc - auc,
          aucLossSameLayers: noiseFreeAuc === null ? null : noiseFreeAuc - auc,
          seconds: (performance.now() - started) / 1000,
        });
        say(`${patients} patients per site, ε = ${epsilon}, ${layers}: σ = ${sigma}, AUC ${auc.toFixed(3)}`);
      }
    }
  }
  return points;
}
