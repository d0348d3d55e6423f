// `radfed demo`: a whole federation on one machine, with nothing to configure. Synthetic studies for
// several hospitals with different scanners; each hospital set up as a real site (consent, ingest and
// de-identification, labels); a hub and one site agent per hospital as separate processes talking
// HTTPS over loopback; a federated task run for several rounds; then the federated model against
// each hospital's local-only model and a model trained on all data pooled, on one held-out test set.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { findModel, listModels, openHubContext } from '../../hub/index.ts';
import { trainingTaskFor } from '../site/federation/index.ts';
import { evaluateOnTest, trainBaseline, type TrainedBaseline } from './demo-baselines.ts';
import { prepareDemoData } from './demo-data.ts';
import { setUpDemoHub } from './demo-hub.ts';
import { describeDemoPrivacy, epsilonSpent, type DemoPrivacy } from './demo-privacy.ts';
import { DEMO_DEFAULTS, SITE_NAMES, type DemoSettings } from './demo-options.ts';
import {
  defaultLauncher,
  startHubProcess,
  startSiteProcess,
  type ChildHandle,
  type RadfedLauncher,
} from './demo-processes.ts';
import type { DemoResult, ModelResult } from './demo-report.ts';
import { joinDemoFederation, setUpDemoSite, type DemoSite } from './demo-sites.ts';
import { RoundTracker } from './round-tracker.ts';

export interface DemoRunOptions extends Partial<DemoSettings> {
  /** Where to work (default: a new temporary folder, removed at the end unless `keep`). */
  readonly dir?: string;
  readonly keep?: boolean;
  readonly launcher?: RadfedLauncher;
  /** Progress lines (default: stdout). */
  readonly say?: (line: string) => void;
  /** Threads for the baselines trained in this process (default: all cores). */
  readonly threads?: number;
  /** Also run the task with secure aggregation and/or differential privacy, and compare (`--secagg`, `--dp`). */
  readonly privacy?: DemoPrivacy;
}

export async function runDemo(options: DemoRunOptions = {}): Promise<DemoResult> {
  const settings: DemoSettings = { ...DEMO_DEFAULTS, ...definedOnly(options) };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => out(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  const root = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), 'radfed-demo-'));
  mkdirSync(root, { recursive: true });
  const launcher = options.launcher ?? defaultLauncher();
  say(
    `RadFed demo in ${root}: ${settings.sites} hospitals with ${settings.patientsPerSite} patients each, ` +
      `${settings.rounds} federated rounds of ${settings.localEpochs} local epochs, ${settings.imageSize}\u00d7${settings.imageSize} radiographs.`,
  );
  try {
    const data = await prepareDemoData(root, settings);
    say(
      `Synthesised the studies; ${data.test.length} radiographs of held-out patients form the pooled test set.`,
    );
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
    const hub = await setUpDemoHub(root, settings, options.privacy);
    const setupSeconds = elapsed();
    const federationStarted = performance.now();
    const tracker = new RoundTracker(settings.sites, say);
    const privacyWords = options.privacy ? describeDemoPrivacy(options.privacy) : '';
    const privateTracker = new RoundTracker(settings.sites, (line) => say(`[with ${privacyWords}] ${line}`));
    const trackerFor = (event: { taskId?: string }) =>
      hub.privateTask && event.taskId === hub.privateTask.taskId ? privateTracker : tracker;
    const children: ChildHandle[] = [];
    let hubProcess: ChildHandle | null = null;
    try {
      hubProcess = await startHubProcess(launcher, hub.dir, hub.port);
      say(
        `Hub started as its own process at ${hub.url} (HTTPS with its own CA); task ${hub.taskId} defined.`,
      );
      for (const [index, site] of sites.entries()) {
        await joinDemoFederation(site, hub.tokens[index]!, hub.url, [
          hub.taskId,
          ...(hub.privateTask ? [hub.privateTask.taskId] : []),
        ]);
      }
      say(
        `All ${sites.length} hospitals enrolled (hub certificate and signing key pinned) and approved the task.`,
      );
      for (const site of sites) {
        children.push(
          startSiteProcess(launcher, site.name, site.dir, settings.threadsPerSite, (event) =>
            trackerFor(event as { taskId?: string }).on(site.name, event),
          ),
        );
      }
      say(`${sites.length} site agents started as separate processes; rounds begin.`);
      const codes = await Promise.all(children.map((child) => child.exited));
      const failed = codes.findIndex((code) => code !== 0);
      if (failed >= 0) {
        throw new Error(
          `The site agent of ${children[failed]!.name} stopped with an error:\n${children[failed]!.errorTail()}`,
        );
      }
    } finally {
      await Promise.all(children.map((child) => child.stop()));
      await hubProcess?.stop();
    }
    const federationSeconds = (performance.now() - federationStarted) / 1000;
    const task = trainingTaskFor(hub.taskId, hub.definition);
    const federated = loadFederatedModel(hub.dir, hub.taskId);
    say(
      `Federation finished in ${federationSeconds.toFixed(0)} s; its result is the last global model, v${federated.version}.`,
    );

    const baselinesStarted = performance.now();
    const layout = federated.weights;
    const threads = options.threads;
    const baselines: TrainedBaseline[] = [];
    const epochs = settings.rounds * settings.localEpochs;
    for (const site of sites) {
      say(
        `Training ${site.name} alone: ${epochs} epochs on its ${site.train.length} images (the local-only baseline)...`,
      );
      baselines.push(
        await trainBaseline(
          { name: `${site.name} only`, train: site.train, validation: site.validation },
          { task, definition: hub.definition, layout, workDir: root, ...(threads ? { threads } : {}) },
        ),
      );
    }
    const pooledTrain = sites.flatMap((s) => s.train);
    say(
      `Training on all hospitals' data pooled in one place: ${epochs} epochs on ${pooledTrain.length} images (the upper reference)...`,
    );
    const pooled = await trainBaseline(
      {
        name: 'Pooled (all data in one place)',
        train: pooledTrain,
        validation: sites.flatMap((s) => s.validation),
      },
      { task, definition: hub.definition, layout, workDir: root, ...(threads ? { threads } : {}) },
    );
    const baselineSeconds = (performance.now() - baselinesStarted) / 1000;

    const evaluationStarted = performance.now();
    say(`Evaluating every model on the pooled test set (${data.test.length} radiographs)...`);
    const models: ModelResult[] = [];
    for (const baseline of baselines) {
      const metrics = await evaluateOnTest(task, baseline.weights, data.test, root, threads);
      models.push({ ...resultOf(baseline, metrics), kind: 'local' });
    }
    const federatedSeconds = tracker.figures().reduce((sum, r) => sum + (r.seconds ?? 0), 0);
    const federatedMetrics = await evaluateOnTest(task, federated.weights, data.test, root, threads);
    models.push({
      name: `Federated (${settings.serverMomentum > 0 ? 'FedAvgM' : 'FedAvg'}, ${settings.rounds} rounds)`,
      kind: 'federated',
      auc: federatedMetrics.auc,
      accuracy: federatedMetrics.accuracy,
      loss: federatedMetrics.loss,
      trainImages: pooledTrain.length,
      trainSeconds: federatedSeconds,
      kept: `v${federated.version}`,
    });
    let privateRun: DemoResult['privateRun'] = null;
    if (hub.privateTask && options.privacy) {
      const model = loadFederatedModel(hub.dir, hub.privateTask.taskId);
      const metrics = await evaluateOnTest(task, model.weights, data.test, root, threads);
      const rounds = privateTracker.figures();
      models.push({
        name: `Federated with ${privacyWords}`,
        kind: 'federated',
        auc: metrics.auc,
        accuracy: metrics.accuracy,
        loss: metrics.loss,
        trainImages: pooledTrain.length,
        trainSeconds: rounds.reduce((sum, r) => sum + (r.seconds ?? 0), 0),
        kept: `v${model.version}`,
      });
      privateRun = {
        protection: privacyWords,
        auc: metrics.auc,
        accuracy: metrics.accuracy,
        aucCost:
          metrics.auc === null || federatedMetrics.auc === null ? null : federatedMetrics.auc - metrics.auc,
        accuracyCost: federatedMetrics.accuracy - metrics.accuracy,
        epsilon: epsilonSpent(hub.privateTask.definition, model.version),
        rounds,
      };
    }
    const pooledMetrics = await evaluateOnTest(task, pooled.weights, data.test, root, threads);
    models.push({ ...resultOf(pooled, pooledMetrics), kind: 'pooled' });
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;

    const locals = models.filter((m) => m.kind === 'local');
    // The plain federated model is the one compared with the local-only models.
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
      rounds: tracker.figures(),
      modelBytes: hub.modelBytes,
      seconds: {
        setup: setupSeconds,
        federation: federationSeconds,
        baselines: baselineSeconds,
        evaluation: evaluationSeconds,
        total: elapsed(),
      },
      federatedBeatsEveryLocal: beats,
      privateRun,
    };
  } finally {
    if (!options.keep && !options.dir) rmSync(root, { recursive: true, force: true });
  }
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

/**
 * The last published global model (read from the stopped hub's store): the federation's result, kept
 * by the same rule as the baselines (the end of training, no pick by validation).
 */
function loadFederatedModel(hubDir: string, taskId: string): { version: number; weights: NamedTensor[] } {
  const ctx = openHubContext(hubDir);
  try {
    const published = listModels(ctx, taskId).filter((m) => m.version >= 1);
    if (published.length === 0)
      throw new Error('The federation published no global model; see the messages above.');
    const last = published.reduce((a, b) => (b.version > a.version ? b : a));
    const row = findModel(ctx, taskId, last.version);
    return { version: last.version, weights: decodeWeights(ctx.store.blobs.read(row.blob_sha256)) };
  } finally {
    ctx.store.close();
  }
}

function definedOnly(options: DemoRunOptions): Partial<DemoSettings> {
  const picked: Partial<Record<keyof DemoSettings, unknown>> = {};
  for (const key of Object.keys(DEMO_DEFAULTS) as (keyof DemoSettings)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as Partial<DemoSettings>;
}
