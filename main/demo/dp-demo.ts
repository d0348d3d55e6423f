// `radfed demo --dp`: differential privacy at a meaningful ε on the demo's hospitals (issue 16). With a
// few hospitals of tens of patients, DP-SGD of the whole model from scratch stays at chance; DP
// fine-tuning works (docs/differential-privacy.md): the coordinator pre-trains the model on public data
// (dp-pretraining.ts, cached), and the hospitals train only its head with patient-level DP-SGD at
// ε = 8, δ = 1e-5, through the real processes (a hub and one site agent per hospital, secure aggregation
// on). Beside it, in this process with the same data and the same public model: the same run without
// DP (the head, the same Poisson steps, no noise or clipping: the cost of privacy itself), and full
// fine-tuning without DP (every layer: what the product gives with DP off, a second yardstick).
import { existsSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { privacySpentAfter, taskDefinitionSchema, type NamedTensor } from '../../shared/federation/index.ts';
import { initialModelWeights, roundLearningRate, trainingTaskFor } from '../site/federation/index.ts';
import { evaluateOnTest } from './demo-baselines.ts';
import { federationFigures, LAST_ROUNDS, lastRoundsAuc } from './demo-comparison.ts';
import { prepareDemoData } from './demo-data.ts';
import { loadLastGlobalModels, runDemoFederation } from './demo-federation.ts';
import { setUpDemoHubTasks } from './demo-hub.ts';
import { DEMO_DP, demoDpRefusal, dpDemoTaskDefinition, epsilonSpent } from './demo-privacy.ts';
import { defaultLauncher, startHubProcess, type ChildHandle, type RadfedLauncher } from './demo-processes.ts';
import { joinDemoFederation } from './demo-sites.ts';
import type { DpDemoPlan } from './dp-demo-options.ts';
import { estimateDemoTime } from './demo-scale.ts';
import {
  describeDpEstimate,
  estimateDpDemoSeconds,
  type DpDemoResult,
  type ScoredModel,
} from './dp-demo-report.ts';
import { pretrainOnPublicData, publicModelFileName } from './dp-pretraining.ts';
import { runInProcessFederation, type PatientDpSetting } from './in-process-federation.ts';
import { DemoRefusedError, setUpDemoHospitals } from './run-demo.ts';
import { openDemoFolder } from './demo-folder.ts';

export interface DpDemoRunOptions extends DpDemoPlan {
  readonly launcher?: RadfedLauncher;
  readonly say?: (line: string) => void;
  /** Threads for what trains in this process (pre-training, the yardsticks; default: all cores). */
  readonly threads?: number;
}

/** The run's time, estimated before it starts (the command prints it first). */
export async function estimateDpDemo(plan: DpDemoPlan): Promise<string> {
  const task = trainingTaskFor(
    'demo',
    taskDefinitionSchema.parse(dpDemoTaskDefinition(plan.settings, plan.epsilon)),
  );
  const cached = existsSync(
    join(resolve(plan.publicModelDir), publicModelFileName(task, plan.publicPatients, plan.pretrainEpochs)),
  );
  // Two probes, the faster kept: on a shared machine one timed step can land on another job's burst.
  const probes = [await estimateDemoTime(plan.settings), await estimateDemoTime(plan.settings)];
  const secondsPerImage = Math.min(...probes.map((probe) => probe.secondsPerImage));
  const seconds = estimateDpDemoSeconds(plan.settings, secondsPerImage, {
    patients: plan.publicPatients,
    epochs: plan.pretrainEpochs,
    cached,
  });
  return describeDpEstimate(seconds, cached);
}

export async function runDpDemo(options: DpDemoRunOptions): Promise<DpDemoResult> {
  const { settings, epsilon } = options;
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => out(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  // A task the sites would refuse at approval is refused before minutes of synthesis and ingest.
  const refusal = demoDpRefusal(settings, epsilon);
  if (refusal) throw new DemoRefusedError(refusal);
  const folder = openDemoFolder('radfed-demo-dp-', options);
  const root = folder.path;
  const launcher = options.launcher ?? defaultLauncher();
  const threads = options.threads;
  say(
    `RadFed demo with differential privacy in ${root}: ${settings.sites} hospitals with ${settings.patientsPerSite} patients each ` +
      `fine-tune the head of a public model with patient-level DP-SGD at \u03b5 = ${epsilon}, \u03b4 = ${DEMO_DP.budget.delta}, ` +
      `${settings.rounds} rounds, secure aggregation on.`,
  );
  try {
    const data = await prepareDemoData(root, settings);
    say(
      `Synthesised the studies; ${data.test.length} radiographs of held-out patients form the pooled test set.`,
    );
    const sites = await setUpDemoHospitals(root, settings, data, say);
    const input = dpDemoTaskDefinition(settings, epsilon);
    const task = trainingTaskFor('demo', taskDefinitionSchema.parse(input));

    // The public model: trained at the coordinator on data no hospital contributed, so outside the guarantee.
    const modelFile = join(
      resolve(options.publicModelDir),
      publicModelFileName(task, options.publicPatients, options.pretrainEpochs),
    );
    const cached = existsSync(modelFile);
    say(
      cached
        ? `Public model found in ${modelFile}: pre-training skipped.`
        : `Pre-training ${task.model} on ${options.publicPatients} public synthetic patients (another seed, one standard console), ` +
            `${options.pretrainEpochs} epochs; kept in ${modelFile} for the next run...`,
    );
    const pretrainStarted = performance.now();
    const publicModel = await pretrainOnPublicData({
      task,
      initial: await initialModelWeights(task),
      patients: options.publicPatients,
      epochs: options.pretrainEpochs,
      workDir: join(root, 'public-pretraining'),
      modelFile,
      ...(threads ? { threads } : {}),
    });
    const pretrainSeconds = (performance.now() - pretrainStarted) / 1000;

    const hub = await setUpDemoHubTasks(
      root,
      settings,
      [
        {
          input,
          protection: 'secure aggregation and differential privacy',
          privacy: { secureAggregation: true, differentialPrivacy: true },
        },
      ],
      publicModel,
    );
    const dpTask = hub.tasks[0]!;
    const dp = dpTask.definition.privacy.differentialPrivacy;
    if (dp?.unit !== 'patient') throw new Error('The demo task lost its patient-level DP settings.');
    let hubProcess: ChildHandle | null = null;
    let run;
    try {
      hubProcess = await startHubProcess(launcher, hub.dir, hub.port, say);
      say(
        `Hub started at ${hub.url}; task ${dpTask.taskId}: the head under DP-SGD (C = ${dp.l2NormClip}, q = ${dp.samplingRate}, ` +
          `\u03c3 = ${dp.noiseMultiplier} calibrated for ${settings.rounds} rounds), the rest of the model as the public model has it.`,
      );
      for (const [index, site] of sites.entries())
        await joinDemoFederation(site, hub.tokens[index]!, hub.url, [dpTask.taskId]);
      say(
        `All ${sites.length} hospitals enrolled and approved the task (each checked its own patients against the noise).`,
      );
      run = await runDemoFederation({
        task: dpTask,
        sites,
        launcher,
        threadsPerSite: settings.threadsPerSite,
        say,
      });
    } finally {
      await hubProcess?.stop();
    }
    const published = await loadLastGlobalModels(hub.dir, dpTask.taskId, LAST_ROUNDS);
    const last = published[0]!;
    say(
      `Federation under DP finished in ${run.seconds.toFixed(0)} s; its result is the last global model, v${last.version}.`,
    );

    // The yardsticks, in this process: the same hospitals' images, the same public start and strategy.
    const yardstick = async (dpSetting: PatientDpSetting | null, words: string) => {
      say(`Training ${words} (in this process, ${settings.rounds} rounds)...`);
      const yardstickStarted = performance.now();
      const workDir = mkdtempSync(join(root, 'yardstick-'));
      const weights = await runInProcessFederation({
        task,
        sites: sites.map((site) => site.train),
        initial: publicModel,
        rounds: settings.rounds,
        localEpochs: settings.localEpochs,
        batchSize: settings.batchSize,
        learningRate: settings.learningRate,
        // The task's schedule over the rounds, as the sites follow it (roundLearningRate).
        learningRateOf: (round) => roundLearningRate(dpTask.definition, round),
        strategy: dpTask.definition.strategy,
        dp: dpSetting,
        workDir,
        ...(threads ? { threads } : {}),
        seed: settings.seed,
      });
      return { weights, seconds: (performance.now() - yardstickStarted) / 1000 };
    };
    const sameRun = await yardstick(
      {
        // The noise-free mode ignores C and σ: the same Poisson steps, one summed gradient each.
        l2NormClip: dp.l2NormClip,
        noiseMultiplier: dp.noiseMultiplier,
        samplingRate: dp.samplingRate,
        trainableLayers: DEMO_DP.trainableLayers,
        noiseFree: true,
      },
      'the same run without DP: the head, the same Poisson steps, no noise or clipping',
    );
    const fullFineTuning = await yardstick(
      null,
      'full fine-tuning without DP: every layer of the public model',
    );

    say(`Evaluating on the pooled test set (${data.test.length} radiographs)...`);
    const score = async (weights: readonly NamedTensor[], seconds: number): Promise<ScoredModel> => {
      const metrics = await evaluateOnTest(task, weights, data.test, root, threads);
      return { auc: metrics.auc, accuracy: metrics.accuracy, seconds };
    };
    const lastAucs: (number | null)[] = [];
    for (const model of published)
      lastAucs.push((await evaluateOnTest(task, model.weights, data.test, root, threads)).auc);
    const dpScore = await score(last.weights, run.seconds);
    const spent = privacySpentAfter(dpTask.definition, last.version);
    return {
      settings,
      directory: root,
      testImages: data.test.length,
      modelBytes: hub.modelBytes,
      trainPatientsPerSite: sites.map((site) => new Set(site.train.map((item) => item.patient)).size),
      publicModel: {
        ...(await score(publicModel, cached ? 0 : pretrainSeconds)),
        patients: options.publicPatients,
        epochs: options.pretrainEpochs,
        file: modelFile,
        cached,
      },
      dp: {
        ...dpScore,
        taskId: dpTask.taskId,
        version: last.version,
        epsilon: spent.epsilon,
        delta: dp.budget.delta,
        epsilonBudget: dp.budget.epsilon,
        noiseMultiplier: dp.noiseMultiplier,
        samplingRate: dp.samplingRate,
        l2NormClip: dp.l2NormClip,
        trainableLayers: DEMO_DP.trainableLayers,
        federation: federationFigures(
          run,
          sites.length,
          dpScore,
          epsilonSpent(dpTask.definition, last.version),
          lastRoundsAuc(lastAucs),
        ),
      },
      sameRunWithoutDp: await score(sameRun.weights, sameRun.seconds),
      fullFineTuning: await score(fullFineTuning.weights, fullFineTuning.seconds),
      seconds: elapsed(),
    };
  } finally {
    folder.close();
  }
}
