// `radfed demo --method swarm`: the demo's hospitals train together with no hub. The same synthetic
// studies, sites (consent, de-identification, labels), network, initial weights, trainer and baselines
// as the FedAvg demo; instead of a hub, each hospital is a swarm member with its own HTTPS server on
// loopback (mutual TLS, main/site/swarm), the founder invites the others, and every round the ledger
// elects the leader that aggregates under secure aggregation. The members run in this process (their
// traffic still crosses real sockets) and train as the in-process federation does, sharing its cores,
// so the time per round is not comparable with the FedAvg demo's separate site processes.
import { taskDefinitionSchema } from '../../shared/federation/index.ts';
import { initialModelWeights, trainingTaskFor } from '../site/federation/index.ts';
import { evaluateOnTest, trainBaseline } from './demo-baselines.ts';
import { prepareDemoData } from './demo-data.ts';
import { DEMO_DEFAULTS, demoTaskDefinition, SITE_NAMES, type DemoSettings } from './demo-options.ts';
import type { ModelResult } from './demo-report.ts';
import { setUpDemoSite, type DemoSite } from './demo-sites.ts';
import { runSwarmFederation, type SwarmRoundFigures } from './swarm-federation.ts';
import { openDemoFolder } from './demo-folder.ts';

export type { SwarmRoundFigures } from './swarm-federation.ts';

export interface SwarmDemoResult {
  readonly settings: DemoSettings;
  readonly directory: string;
  readonly testImages: number;
  readonly models: ModelResult[];
  readonly rounds: SwarmRoundFigures[];
  readonly modelBytes: number;
  readonly seconds: { total: number; swarm: number };
}

export async function runSwarmDemo(
  options: Partial<DemoSettings> & { dir?: string; keep?: boolean; say?: (line: string) => void } = {},
): Promise<SwarmDemoResult> {
  const { dir, keep, say: sayOption, ...overrides } = options;
  const settings: DemoSettings = { ...DEMO_DEFAULTS, ...overrides };
  const started = performance.now();
  const elapsed = () => (performance.now() - started) / 1000;
  const out = sayOption ?? ((line: string) => process.stdout.write(`${line}\n`));
  const say = (line: string) => out(`[${elapsed().toFixed(0).padStart(4)} s] ${line}`);
  const folder = openDemoFolder('radfed-swarm-demo-', { dir, keep });
  const root = folder.path;
  say(`RadFed swarm demo in ${root}: ${settings.sites} hospitals, no hub, ${settings.rounds} rounds.`);
  try {
    const data = await prepareDemoData(root, settings);
    const sites: DemoSite[] = [];
    for (const [index, siteData] of data.sites.entries())
      sites.push(
        await setUpDemoSite(root, SITE_NAMES[index] ?? `Hospital ${index + 1}`, siteData, settings.seed),
      );
    say(`Set up ${sites.length} hospitals as sites (consent, de-identification, labels).`);
    const definition = taskDefinitionSchema.parse(demoTaskDefinition(settings));
    const task = trainingTaskFor('swarm-demo', definition);
    const initial = await initialModelWeights(task);
    const swarm = await runSwarmFederation({
      sites,
      settings,
      task,
      name: definition.name,
      initial,
      workDir: root,
      say,
    });
    const swarmSeconds = swarm.seconds;
    const federated = swarm.weights;
    const models: ModelResult[] = [];
    for (const site of sites) {
      say(`Training ${site.name} alone (the local-only baseline)...`);
      const baseline = await trainBaseline(
        { name: `${site.name} only`, train: site.train, validation: site.validation },
        { task, definition, layout: initial, workDir: root },
      );
      const metrics = await evaluateOnTest(task, baseline.weights, data.test, root);
      models.push({
        name: baseline.name,
        kind: 'local',
        ...metrics,
        trainImages: baseline.trainImages,
        trainSeconds: baseline.seconds,
        kept: 'last epoch',
      });
    }
    const pooledTrain = sites.flatMap((s) => s.train);
    const fedMetrics = await evaluateOnTest(task, federated, data.test, root);
    models.push({
      name: `Swarm, no hub (FedAvg under SecAgg+, ${settings.rounds} rounds)`,
      kind: 'federated',
      ...fedMetrics,
      trainImages: pooledTrain.length,
      trainSeconds: swarmSeconds,
      kept: `round ${settings.rounds}`,
    });
    say('Training on all data pooled (the upper reference)...');
    const pooled = await trainBaseline(
      {
        name: 'Pooled (all data in one place)',
        train: pooledTrain,
        validation: sites.flatMap((s) => s.validation),
      },
      { task, definition, layout: initial, workDir: root },
    );
    const pooledMetrics = await evaluateOnTest(task, pooled.weights, data.test, root);
    models.push({
      name: pooled.name,
      kind: 'pooled',
      ...pooledMetrics,
      trainImages: pooled.trainImages,
      trainSeconds: pooled.seconds,
      kept: 'last epoch',
    });
    return {
      settings,
      directory: root,
      testImages: data.test.length,
      models,
      rounds: swarm.rounds,
      modelBytes: initial.reduce((sum, t) => sum + t.data.byteLength, 0),
      seconds: { total: elapsed(), swarm: swarmSeconds },
    };
  } finally {
    folder.close();
  }
}
