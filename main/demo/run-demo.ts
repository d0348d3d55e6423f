// `radfed demo`: a whole federation on one machine, with nothing to configure. Synthetic studies for
// several hospitals with different scanners; each hospital set up as a real site (consent, ingest and
// de-identification, labels); a hub and one site agent per hospital as separate processes talking
// HTTPS over loopback; a federated task run for several rounds with secure aggregation, as a real
// task runs (`--no-secagg`: without), by FedAvgM or by another method (`--method cyclic`, `--method
// split`: demo-split.ts); then the federated model against each hospital's local-only model and a
// model trained on all data pooled, on one held-out test set. `--compare` (every method side by side)
// is compare-demo.ts.
import { join } from 'node:path';
import { RadfedError } from '../../shared/errors.ts';
import {
  federationMethod,
  type NamedTensor,
  type TaskDefinitionInput,
} from '../../shared/federation/index.ts';
import { trainingTaskFor } from '../site/federation/index.ts';
import { selectBackend } from '../site/train/index.ts';
import { evaluateOnTest, trainYardsticks, type TrainedBaseline } from './demo-baselines.ts';
import { prepareDemoData, type DemoData } from './demo-data.ts';
import { federationFigures, LAST_ROUNDS, lastRoundsAuc } from './demo-comparison.ts';
import { loadLastGlobalModels, runDemoFederation, type FederationRun } from './demo-federation.ts';
import { setUpDemoHub, type DemoTask } from './demo-hub.ts';
import { DEMO_PROTECTION, epsilonSpent, wantsPrivateRun, type DemoPrivacy } from './demo-privacy.ts';
import { loadLastDecryptedModels } from './demo-homomorphic.ts';
import { DEMO_DEFAULTS, SITE_NAMES, type DemoSettings } from './demo-options.ts';
import { defaultLauncher, startHubProcess, type ChildHandle, type RadfedLauncher } from './demo-processes.ts';
import type { DemoResult, ModelResult } from './demo-report.ts';
import { joinDemoFederation, setUpDemoSite, type DemoSite } from './demo-sites.ts';
import { loadSplitModel, readCutLeakage, splitFigures } from './demo-split.ts';
import { measureDemoLeakage } from './demo-split-leakage.ts';
import { attachTestAuc, scorePublishedModels } from './round-test-auc.ts';
import { openDemoFolder } from './demo-folder.ts';

export interface DemoRunOptions extends Partial<DemoSettings> {
  /** Where to work (default: a new temporary folder, removed at the end unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  readonly launcher?: RadfedLauncher;
  /** Progress lines (default: stdout). */
  readonly say?: (line: string) => void;
  /** Threads for the baselines trained in this process (default: all cores). */
  readonly threads?: number;
  /**
   * The federation's protection: secure aggregation by default, as a real task (`--no-secagg` turns it
   * off, `--dp` adds differential privacy).
   */
  readonly privacy?: DemoPrivacy;
  /**
   * The method in place of the demo's FedAvgM (`--method cyclic`: cyclic weight transfer; `--method
   * split`: DEMO_SPLIT_STRATEGY); its record decides how the result is read.
   */
  readonly strategy?: TaskDefinitionInput['strategy'];
  /** The method in the table's words ("cyclic weight transfer"); FedAvgM without `strategy`. */
  readonly methodWords?: string;
  /** Told the weights the local-only and pooled models start from (a spec checks they are the initial model's). */
  readonly onYardstickStart?: (weights: readonly NamedTensor[]) => void;
}

/** The demo's task would be refused by its sites at approval; the message says why and what to change. */
export class DemoRefusedError extends RadfedError<'demo-refused'> {
  override readonly name = 'DemoRefusedError';

  constructor(message: string) {
    super('demo-refused', message);
  }
}

export async function runDemo(options: DemoRunOptions = {}): Promise<DemoResult> {
  const settings: DemoSettings = { ...DEMO_DEFAULTS, ...definedOnly(options) };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => out(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  const folder = openDemoFolder('radfed-demo-', options);
  const root = folder.path;
  const launcher = options.launcher ?? defaultLauncher();
  say(
    `RadFed demo in ${root}: ${settings.sites} hospitals with ${settings.patientsPerSite} patients each, ` +
      `${count(settings.rounds, 'federated round')} of ${count(settings.localEpochs, 'local epoch')}, ${settings.imageSize}\u00d7${settings.imageSize} radiographs.`,
  );
  try {
    // `radfed demo --dp` is DP fine-tuning of a public model, with its own yardsticks (dp-demo.ts).
    if (options.privacy?.differentialPrivacy)
      throw new Error('runDemo runs no differential privacy: radfed demo --dp runs runDpDemo (dp-demo.ts).');
    const data = await prepareDemoData(root, settings);
    say(
      `Synthesised the studies; ${data.test.length} radiographs of held-out patients form the pooled test set.`,
    );
    const sites = await setUpDemoHospitals(root, settings, data, say);
    // This process makes the task's initial model and trains the yardsticks: its backend is chosen
    // before its first tensor (a tfjs backend package imported anywhere registers itself, and tfjs
    // would otherwise take it before it has started).
    await selectBackend({ choice: 'auto', ...(options.threads ? { threads: options.threads } : {}) });
    const hub = await setUpDemoHub(root, settings, options.privacy ?? DEMO_PROTECTION, options.strategy);
    const method = federationMethod(hub.main.definition.strategy);
    const setupSeconds = elapsed();
    const runs: FederationRun[] = [];
    let hubProcess: ChildHandle | null = null;
    try {
      hubProcess = await startHubProcess(launcher, hub.dir, hub.port, say);
      say(
        `Hub started as its own process at ${hub.url} (HTTPS with its own CA); task ${hub.main.taskId} defined ` +
          `with ${hub.main.protection}.`,
      );
      for (const [index, site] of sites.entries()) {
        await joinDemoFederation(site, hub.tokens[index]!, hub.url, [hub.main.taskId]);
      }
      say(
        `All ${sites.length} hospitals enrolled (hub certificate and signing key pinned) and approved the task.`,
      );
      const federate = (task: DemoTask, prefix: string) =>
        runDemoFederation({
          task,
          sites,
          launcher,
          threadsPerSite: settings.threadsPerSite,
          say: (line) => say(`${prefix}${line}`),
        });
      runs.push(await federate(hub.main, ''));
    } finally {
      await hubProcess?.stop();
    }
    const [mainRun] = runs as [FederationRun];
    const federationSeconds = mainRun.seconds;
    const task = trainingTaskFor(hub.main.taskId, hub.baselineDefinition);
    // Homomorphic: the hub holds only encrypted sums; the sites hold the models they decrypted. Split
    // learning: the trunk learned at the hub and is in its checkpoint, not in the published model.
    const split =
      method.rhythm === 'step'
        ? await loadSplitModel(hub.dir, hub.main.taskId, hub.main.definition, options.threads)
        : null;
    const mainModels = split
      ? [split]
      : hub.main.privacy.homomorphic
        ? loadLastDecryptedModels(sites[0]!.dir, hub.main.taskId, LAST_ROUNDS)
        : // The last model is the result; every round's is scored on the test set below (round-test-auc.ts).
          await loadLastGlobalModels(hub.dir, hub.main.taskId, 1);
    const federated = mainModels[0]!;
    say(
      `Federation finished in ${federationSeconds.toFixed(0)} s; its result is the last global model, v${federated.version}.`,
    );
    // Split learning: what a hub could recover at the cut, without and with the defences (a small run).
    if (split)
      say(`Running the leakage meter on ${sites[0]!.name}'s images, without and with the defences...`);
    const meter = split
      ? await measureDemoLeakage(sites[0]!, hub.main.definition, method.steps?.cuts ?? undefined)
      : null;

    // The yardsticks start where the federation started (the task's initial model), not from its result.
    const layout = hub.initial;
    options.onYardstickStart?.(layout);
    const threads = options.threads;
    const yardsticks = await trainYardsticks(sites, {
      task,
      definition: hub.baselineDefinition,
      layout,
      workDir: root,
      ...(threads ? { threads } : {}),
      say,
    });
    const { locals: baselines, pooled } = yardsticks;
    const pooledTrain = sites.flatMap((s) => s.train);
    const baselineSeconds = yardsticks.seconds;

    const evaluationStarted = performance.now();
    say(`Evaluating every model on the pooled test set (${data.test.length} radiographs)...`);
    const models: ModelResult[] = [];
    for (const baseline of baselines) {
      const metrics = await evaluateOnTest(task, baseline.weights, data.test, root, threads);
      models.push({ ...resultOf(baseline, metrics), kind: 'local' });
    }
    // Every published round's global model on the test set (the hub keeps them all): the curve shows
    // whether the last rounds still swing, and the mean of the last few does not hang on one round.
    const everyRound =
      split || hub.main.privacy.homomorphic
        ? null
        : await scorePublishedModels({
            hubDir: hub.dir,
            taskId: hub.main.taskId,
            task,
            test: data.test,
            cacheDir: join(root, 'cache'),
            ...(threads ? { threads } : {}),
          });
    if (everyRound) attachTestAuc(mainRun.rounds, everyRound);
    const lastScore = everyRound?.at(-1);
    const federatedMetrics =
      lastScore?.version === federated.version
        ? lastScore
        : await evaluateOnTest(task, federated.weights, data.test, root, threads);
    const strategy = `${options.methodWords ?? (settings.serverMomentum > 0 ? 'FedAvgM' : 'FedAvg')}, ${settings.rounds} rounds`;
    const trainSeconds = (run: FederationRun) => run.rounds.reduce((sum, r) => sum + (r.seconds ?? 0), 0);
    models.push({
      name: wantsPrivateRun(hub.main.privacy)
        ? `Federated with ${hub.main.protection} (${strategy})`
        : `Federated (${strategy})`,
      kind: 'federated',
      auc: federatedMetrics.auc,
      accuracy: federatedMetrics.accuracy,
      loss: federatedMetrics.loss,
      trainImages: pooledTrain.length,
      trainSeconds: trainSeconds(mainRun),
      kept: `v${federated.version}`,
    });
    // The last few global models on the test set too: one round's model alone can land high or low.
    const testAucs = async (models: typeof mainModels) => {
      const aucs: (number | null)[] = [];
      for (const model of models)
        aucs.push((await evaluateOnTest(task, model.weights, data.test, root, threads)).auc);
      return lastRoundsAuc(aucs);
    };
    const federation = federationFigures(
      mainRun,
      sites.length,
      federatedMetrics,
      epsilonSpent(hub.main.definition, federated.version),
      everyRound
        ? lastRoundsAuc(everyRound.slice(-LAST_ROUNDS).map((score) => score.auc))
        : await testAucs(mainModels),
    );
    const pooledMetrics = await evaluateOnTest(task, pooled.weights, data.test, root, threads);
    models.push({ ...resultOf(pooled, pooledMetrics), kind: 'pooled' });
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;

    const locals = models.filter((m) => m.kind === 'local');
    // The demo's federated model (the main run) is the one compared with the local-only models.
    const beats = locals.every((m) => (federatedMetrics.auc ?? 0) > (m.auc ?? 0));
    return {
      settings,
      directory: root,
      sites: sites.map((s) => ({
        name: s.name,
        scanner: s.data.scanner,
        deidentifiedFiles: s.ingested.deidentified,
        excludedByConsent: s.ingested.excludedByConsent,
        trainImages: s.train.length,
        validationImages: s.validation.length,
        patients: s.patients,
        testStudies: s.data.testStudies,
      })),
      testImages: data.test.length,
      models,
      rounds: mainRun.rounds,
      modelBytes: hub.modelBytes,
      seconds: {
        setup: setupSeconds,
        federation: federationSeconds,
        baselines: baselineSeconds,
        evaluation: evaluationSeconds,
        total: elapsed(),
      },
      federatedBeatsEveryLocal: beats,
      federation,
      split: split
        ? {
            figures: splitFigures(mainRun.rounds),
            trunkSteps: split.trunkSteps,
            leakage: sites.flatMap((site) => readCutLeakage(site, hub.main.taskId) ?? []),
            meter,
          }
        : null,
    };
  } finally {
    folder.close();
  }
}

/** Each hospital set up as an operator would (demo-sites.ts), with a line on what it holds. */
export async function setUpDemoHospitals(
  root: string,
  settings: DemoSettings,
  data: DemoData,
  say: (line: string) => void,
): Promise<DemoSite[]> {
  const sites: DemoSite[] = [];
  for (const [index, siteData] of data.sites.entries()) {
    const site = await setUpDemoSite(
      root,
      SITE_NAMES[index] ?? `Hospital ${index + 1}`,
      siteData,
      settings.seed,
    );
    sites.push(site);
    say(
      `${site.name} (${siteData.scanner}): consent imported, ${site.ingested.deidentified} files de-identified ` +
        `(${site.ingested.excludedByConsent} kept out by consent), labels imported; cohort: ${site.train.length} training and ` +
        `${site.validation.length} validation images of ${site.patients} patients.`,
    );
  }
  return sites;
}

function resultOf(
  baseline: TrainedBaseline,
  metrics: { auc: number | null; accuracy: number; loss: number },
): Omit<ModelResult, 'kind'> {
  return {
    name: baseline.name,
    auc: metrics.auc,
    accuracy: metrics.accuracy,
    loss: metrics.loss,
    trainImages: baseline.trainImages,
    trainSeconds: baseline.seconds,
    kept: `epoch ${baseline.epochs} (last)`,
  };
}

export function definedOnly(options: Partial<DemoSettings>): Partial<DemoSettings> {
  const picked: Partial<Record<keyof DemoSettings, unknown>> = {};
  for (const key of Object.keys(DEMO_DEFAULTS) as (keyof DemoSettings)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as Partial<DemoSettings>;
}

/** "1 local epoch", "60 federated rounds". */
function count(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}
