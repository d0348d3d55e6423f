// `radfed demo --compare` (issue 20): every collaborative method of the seed paper on the same three
// hospitals, the same data and the same pooled test set, one after another on this machine: local-only,
// cyclic weight transfer, FedAvg, split learning, swarm learning, and FedAvg with secure aggregation,
// with differential privacy and with homomorphic encryption; then the pooled reference. The hub tasks run
// through the demo's real processes (a `radfed hub serve`, one `radfed site run` per hospital), one
// federation at a time (two on the same cores would slow each other unevenly); the swarm runs on the same
// sites with no hub. One table: AUC and accuracy, bytes per site, wall time, what the coordinator sees.
import { federationMethod, type NamedTensor } from '../../shared/federation/index.ts';
import { trainingTaskFor } from '../site/federation/index.ts';
import { compareMethods, visibilityOf, type Visibility } from './compare-methods.ts';
import { evaluateOnTest, trainYardsticks } from './demo-baselines.ts';
import { prepareDemoData } from './demo-data.ts';
import { loadLastGlobalModels, runDemoFederation, type FederationRun } from './demo-federation.ts';
import { loadLastDecryptedModels } from './demo-homomorphic.ts';
import { setUpDemoHubTasks } from './demo-hub.ts';
import { DEMO_DEFAULTS, SITE_NAMES, type DemoSettings } from './demo-options.ts';
import { defaultLauncher, startHubProcess, type ChildHandle, type RadfedLauncher } from './demo-processes.ts';
import { approveDemoTask, joinDemoFederation, setUpDemoSite, type DemoSite } from './demo-sites.ts';
import {
  loadSplitModel,
  readCutLeakage,
  splitFigures,
  type DemoCutLeakage,
  type SplitFigures,
} from './demo-split.ts';
import { runSwarmFederation } from './swarm-federation.ts';
import { openDemoFolder } from './demo-folder.ts';

/**
 * `--compare` runs eight methods: its rounds are fewer than the plain demo's 60 unless --rounds says.
 * Not fewer than 30: at 10 rounds every model, pooled included, was still at chance (AUC 0.45–0.58,
 * 2026-12-07), and the table said nothing about which method learns; at 30 pooled reached 0.93 and
 * FedAvg 0.80, in 470 s on a 2-core AMD EPYC (docs/methods.md).
 */
export const COMPARE_DEFAULT_ROUNDS = 30;

export interface CompareRunOptions extends Partial<DemoSettings> {
  readonly dir?: string;
  readonly keep?: boolean;
  readonly launcher?: RadfedLauncher;
  readonly say?: (line: string) => void;
  /** Threads for what trains in this process (baselines, swarm members; default: all cores). */
  readonly threads?: number;
}

export interface CompareRow {
  /** Stable key for machines: local-a…, cyclic, fedavg, split, swarm, secagg, dp, homomorphic, pooled. */
  readonly key: string;
  readonly label: string;
  readonly kind: 'local' | 'federated' | 'pooled';
  readonly auc: number | null;
  readonly accuracy: number;
  /** Mean over the hospitals of the bytes each sent in the whole run (0: nothing left the site). */
  readonly bytesPerSite: number;
  /** Wall time of the method: the federation from its site agents' start to their stop, or the training. */
  readonly seconds: number;
  readonly sees: Visibility;
  /** Site-rounds whose update counted, of the rounds × sites the method asks for (null: no rounds). */
  readonly siteRounds: { readonly in: number; readonly of: number } | null;
}

export interface CompareResult {
  readonly settings: DemoSettings;
  readonly directory: string;
  readonly testImages: number;
  readonly trainImages: number;
  /** Raw float32 size of the model. */
  readonly modelBytes: number;
  readonly rows: CompareRow[];
  /** What split learning's steps cost (bytes per image and step each way, steps per second, p50/p95). */
  readonly split: SplitFigures | null;
  /** The leakage meter's figures each site measured for the split task's cut when it approved it. */
  readonly leakage: DemoCutLeakage[];
  readonly seconds: { setup: number; methods: number; baselines: number; evaluation: number; total: number };
}

export async function runCompareDemo(options: CompareRunOptions = {}): Promise<CompareResult> {
  const settings: DemoSettings = {
    ...DEMO_DEFAULTS,
    rounds: COMPARE_DEFAULT_ROUNDS,
    ...definedOnly(options),
  };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = options.say ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => out(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  const folder = openDemoFolder('radfed-compare-', options);
  const root = folder.path;
  const launcher = options.launcher ?? defaultLauncher();
  const threads = options.threads;
  const methods = compareMethods(settings);
  say(
    `RadFed demo --compare in ${root}: ${settings.sites} hospitals with ${settings.patientsPerSite} patients each, ` +
      `${settings.rounds} rounds of ${settings.localEpochs} local epoch(s) per method, ${methods.length + 1} methods ` +
      'one after another, then the local-only and pooled models.',
  );
  try {
    const data = await prepareDemoData(root, settings);
    const sites: DemoSite[] = [];
    for (const [index, siteData] of data.sites.entries())
      sites.push(
        await setUpDemoSite(root, SITE_NAMES[index] ?? `Hospital ${index + 1}`, siteData, settings.seed),
      );
    say(
      `Set up ${sites.length} hospitals as sites (consent, de-identification, labels); ` +
        `${data.test.length} radiographs of held-out patients form the pooled test set.`,
    );
    const hub = await setUpDemoHubTasks(
      root,
      settings,
      methods.map((m) => m.spec),
    );
    const setupSeconds = elapsed();
    const methodsStarted = performance.now();
    const runs: FederationRun[] = [];
    let hubProcess: ChildHandle | null = null;
    try {
      hubProcess = await startHubProcess(launcher, hub.dir, hub.port, say);
      for (const [index, site] of sites.entries())
        await joinDemoFederation(site, hub.tokens[index]!, hub.url, []);
      say(`Hub started as its own process at ${hub.url}; all ${sites.length} hospitals enrolled.`);
      for (const [index, method] of methods.entries()) {
        const task = hub.tasks[index]!;
        // Approved only now: a site agent runs every task it has approved, and one at a time is the point.
        for (const site of sites) await approveDemoTask(site, task.taskId);
        say(
          `Method ${index + 1} of ${methods.length + 1}: ${method.label}; the hospitals approved its task.`,
        );
        runs.push(
          await runDemoFederation({
            task,
            sites,
            launcher,
            threadsPerSite: settings.threadsPerSite,
            say: (line) => say(`[${method.key}] ${line}`),
          }),
        );
      }
    } finally {
      await hubProcess?.stop();
    }
    const task = trainingTaskFor('compare', hub.baselineDefinition);
    const models: { run: FederationRun; weights: NamedTensor[] }[] = [];
    for (const run of runs) models.push({ run, weights: await resultOf(run, hub.dir, sites[0]!, threads) });

    say(
      `Method ${methods.length + 1} of ${methods.length + 1}: swarm learning, the same hospitals with no hub.`,
    );
    const swarm = await runSwarmFederation({
      sites,
      settings,
      task,
      name: hub.baselineDefinition.name,
      initial: hub.initial,
      workDir: root,
      say: (line) => say(`[swarm] ${line}`),
    });
    const methodsSeconds = (performance.now() - methodsStarted) / 1000;

    const yardsticks = await trainYardsticks(sites, {
      task,
      definition: hub.baselineDefinition,
      layout: hub.initial,
      workDir: root,
      ...(threads ? { threads } : {}),
      say,
    });

    const evaluationStarted = performance.now();
    say(`Evaluating every model on the pooled test set (${data.test.length} radiographs)...`);
    const score = (weights: readonly NamedTensor[]) =>
      evaluateOnTest(task, weights, data.test, root, threads);
    const rows: CompareRow[] = [];
    for (const [index, local] of yardsticks.locals.entries()) {
      const metrics = await score(local.weights);
      rows.push({
        key: `local-${String.fromCharCode(97 + index)}`,
        label: `Local only: ${local.name.replace(/ only$/, '')}`,
        kind: 'local',
        auc: metrics.auc,
        accuracy: metrics.accuracy,
        bytesPerSite: 0,
        seconds: local.seconds,
        sees: 'nothing-leaves',
        siteRounds: null,
      });
    }
    for (const [index, { run, weights }] of models.entries()) {
      const metrics = await score(weights);
      rows.push({
        key: methods[index]!.key,
        label: methods[index]!.label,
        kind: 'federated',
        auc: metrics.auc,
        accuracy: metrics.accuracy,
        bytesPerSite: bytesPerSite(run, sites),
        seconds: run.seconds,
        sees: visibilityOf(run.task.definition),
        siteRounds: siteRoundsOf(run, sites.length),
      });
    }
    const swarmMetrics = await score(swarm.weights);
    const swarmSent = swarm.rounds.flatMap((r) => Object.values(r.bytesSent));
    rows.push({
      key: 'swarm',
      label: 'Swarm learning (SecAgg+, no hub)',
      kind: 'federated',
      auc: swarmMetrics.auc,
      accuracy: swarmMetrics.accuracy,
      bytesPerSite: swarmSent.reduce((a, b) => a + b, 0) / sites.length,
      seconds: swarm.seconds,
      sees: 'peer-sum',
      siteRounds: { in: swarm.rounds.length * sites.length, of: settings.rounds * sites.length },
    });
    const pooledMetrics = await score(yardsticks.pooled.weights);
    rows.push({
      key: 'pooled',
      label: 'Pooled (all data in one place)',
      kind: 'pooled',
      auc: pooledMetrics.auc,
      accuracy: pooledMetrics.accuracy,
      bytesPerSite: 0,
      seconds: yardsticks.pooled.seconds,
      sees: 'every-image',
      siteRounds: null,
    });
    const evaluationSeconds = (performance.now() - evaluationStarted) / 1000;
    return {
      settings,
      directory: root,
      testImages: data.test.length,
      trainImages: sites.reduce((n, s) => n + s.train.length, 0),
      modelBytes: hub.modelBytes,
      rows: order(rows),
      split: runs.map((run) => splitFigures(run.rounds)).find((f) => f !== null) ?? null,
      leakage: runs.flatMap((run) => sites.flatMap((site) => readCutLeakage(site, run.task.taskId) ?? [])),
      seconds: {
        setup: setupSeconds,
        methods: methodsSeconds,
        baselines: yardsticks.seconds,
        evaluation: evaluationSeconds,
        total: elapsed(),
      },
    };
  } finally {
    folder.close();
  }
}

/** The federation's result, read where it exists in the clear (the method record decides where). */
async function resultOf(
  run: FederationRun,
  hubDir: string,
  site: DemoSite,
  threads: number | undefined,
): Promise<NamedTensor[]> {
  const { taskId, definition } = run.task;
  // Split learning's trunk learned at the hub (its checkpoint); homomorphic sums exist decrypted only
  // at the sites; everything else is the hub's last published model.
  if (federationMethod(definition.strategy).rhythm === 'step')
    return (await loadSplitModel(hubDir, taskId, definition, threads)).weights;
  if (definition.privacy.homomorphic.enabled) return loadLastDecryptedModels(site.dir, taskId, 1)[0]!.weights;
  return (await loadLastGlobalModels(hubDir, taskId, 1))[0]!.weights;
}

/** Mean over the sites of what each sent in the whole run: its round updates and its split sessions' frames. */
function bytesPerSite(run: FederationRun, sites: readonly DemoSite[]): number {
  let total = 0;
  for (const round of run.rounds) {
    for (const bytes of Object.values(round.bytesSent)) total += bytes;
    for (const steps of Object.values(round.split)) total += steps.bytesUp;
  }
  return total / sites.length;
}

/** Updates that counted, of rounds × sites (cyclic weight transfer asks one site a round). */
function siteRoundsOf(run: FederationRun, siteCount: number): { in: number; of: number } {
  const published = run.rounds.filter((r) => r.version !== null);
  const perRound = federationMethod(run.task.definition.strategy).participation.summedUpdates(siteCount);
  return {
    in: published.reduce((n, r) => n + Object.keys(r.bytesSent).length, 0),
    of: run.task.definition.rounds * Math.min(perRound, siteCount),
  };
}

/** The order: local-only, cyclic, FedAvg, split, swarm, the protected FedAvgs, pooled. */
const ORDER = ['cyclic', 'fedavg', 'split', 'swarm', 'secagg', 'homomorphic', 'dp'];
function order(rows: readonly CompareRow[]): CompareRow[] {
  const rank = (row: CompareRow) =>
    row.kind === 'local' ? -1 : row.kind === 'pooled' ? ORDER.length : ORDER.indexOf(row.key);
  return [...rows].sort((a, b) => rank(a) - rank(b));
}

function definedOnly(options: CompareRunOptions): Partial<DemoSettings> {
  const picked: Partial<Record<keyof DemoSettings, unknown>> = {};
  for (const key of Object.keys(DEMO_DEFAULTS) as (keyof DemoSettings)[]) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked as Partial<DemoSettings>;
}
