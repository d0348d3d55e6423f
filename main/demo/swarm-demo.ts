// `radfed demo --method swarm`: the demo's hospitals train together with no hub. The same synthetic
// studies, sites (consent, de-identification, labels), network, initial weights, trainer and baselines
// as the FedAvg demo; instead of a hub, each hospital is a swarm member with its own HTTPS server on
// loopback (mutual TLS, main/site/swarm), the founder invites the others, and every round the ledger
// elects the leader that aggregates under secure aggregation. The members run in this process (their
// traffic still crosses real sockets) and train as the in-process federation does, sharing its cores,
// so the time per round is not comparable with the FedAvg demo's separate site processes.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeWeights, taskDefinitionSchema, type NamedTensor } from '../../shared/federation/index.ts';
import { publicKeyOf, rawPublicKey, sha256Hex } from '../../shared/node/federation/index.ts';
import { silentLogger } from '../../shared/node/index.ts';
import {
  initialModelWeights,
  readTrainedWeights,
  toNamedValues,
  trainingTaskFor,
} from '../site/federation/index.ts';
import { SwarmNode, SwarmRounds, type MemberUpdate } from '../site/swarm/index.ts';
import { trainLocalModel, type LabelledImage, type TrainingTask } from '../site/train/index.ts';
import { evaluateOnTest, trainBaseline } from './demo-baselines.ts';
import { prepareDemoData } from './demo-data.ts';
import {
  DEMO_DEFAULTS,
  DEMO_SECURE_AGGREGATION,
  demoTaskDefinition,
  SITE_NAMES,
  type DemoSettings,
} from './demo-options.ts';
import type { ModelResult } from './demo-report.ts';
import { setUpDemoSite, type DemoSite } from './demo-sites.ts';

export interface SwarmRoundFigures {
  readonly round: number;
  readonly leader: string;
  readonly ledgerHeight: number;
  readonly seconds: number;
  readonly mergeSeconds: number | null;
  /** Bytes each member sent in the round (requests and answers), by member name. */
  readonly bytesSent: Record<string, number>;
}

export interface SwarmDemoResult {
  readonly settings: DemoSettings;
  readonly directory: string;
  readonly testImages: number;
  readonly models: ModelResult[];
  readonly rounds: SwarmRoundFigures[];
  readonly modelBytes: number;
  readonly seconds: { total: number; swarm: number };
}

/** One member's round: the site's trainer from the global model, as the in-process federation does. */
async function trainRound(
  task: TrainingTask,
  train: readonly LabelledImage[],
  global: readonly NamedTensor[],
  settings: DemoSettings,
  workDir: string,
  round: number,
): Promise<MemberUpdate> {
  const checkpointDir = mkdtempSync(join(workDir, `round-${round}-`));
  try {
    await trainLocalModel({
      task,
      train,
      validation: train.slice(0, 4),
      cacheDir: join(workDir, 'cache'),
      checkpointDir,
      epochs: settings.localEpochs,
      batchSize: settings.batchSize,
      learningRate: settings.learningRate,
      schedule: { kind: 'constant' },
      patience: 0,
      seed: round,
      initialWeights: toNamedValues(global),
    });
    const last = join(checkpointDir, `epoch-${String(settings.localEpochs).padStart(4, '0')}`, 'model');
    const local = await readTrainedWeights(last, global);
    const delta = local.map((t, i) => ({ ...t, data: t.data.map((v, j) => v - global[i]!.data[j]!) }));
    return { delta, examples: train.length };
  } finally {
    rmSync(checkpointDir, { recursive: true, force: true });
  }
}

/** Rejects when a member's attempt to lead fails: in the demo nobody should wait for the successor's timeout. */
async function leaderFailure(rounds: readonly SwarmRounds[]): Promise<never> {
  for (;;) {
    const failed = rounds.find((r) => r.lastLeadError !== null);
    if (failed?.lastLeadError) throw failed.lastLeadError;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
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
  const root = dir ? resolve(dir) : mkdtempSync(join(tmpdir(), 'radfed-swarm-demo-'));
  mkdirSync(root, { recursive: true });
  say(`RadFed swarm demo in ${root}: ${settings.sites} hospitals, no hub, ${settings.rounds} rounds.`);
  const members: SwarmNode[] = [];
  const rounds: SwarmRounds[] = [];
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
    const initialBytes = encodeWeights(initial);
    for (const site of sites) {
      const signing = generateKeyPairSync('ed25519');
      members.push(
        await SwarmNode.start({
          dbPath: join(site.dir, 'swarm.db'),
          name: site.name,
          signingKey: signing.privateKey,
          signingPublicKey: publicKeyOf(signing.privateKey),
          exchangePublicKey: rawPublicKey(generateKeyPairSync('x25519').publicKey),
          logger: silentLogger(),
          timeoutMs: 600_000,
        }),
      );
    }
    const founder = members[0]!;
    founder.found('RadFed demo swarm');
    for (const member of members.slice(1)) await member.join(founder.invite());
    await Promise.all(members.map((m) => m.catchUp()));
    say(
      `${founder.identity.name} founded the swarm and invited the others; ledger height ${founder.state.nextHeight - 1}.`,
    );
    const swarmTask = {
      name: definition.name,
      initialModel: sha256Hex(initialBytes),
      rounds: settings.rounds,
      secureAggregation: DEMO_SECURE_AGGREGATION,
      // Training a round takes minutes here: a leader is replaced only when it is clearly gone.
      leaderTimeoutMs: 1_800_000,
    };
    members.forEach((member, index) => {
      const site = sites[index]!;
      const work = join(root, 'swarm-work', String(index + 1));
      mkdirSync(work, { recursive: true });
      rounds.push(
        new SwarmRounds(member, {
          task: swarmTask,
          initialModel: initialBytes,
          train: (global, round) => trainRound(task, site.train, global, settings, work, round),
        }),
      );
    });
    const swarmStarted = performance.now();
    const figures: SwarmRoundFigures[] = [];
    const sent = () => members.map((m) => m.client.bytesOut + m.server.bytesOut);
    for (let round = 1; round <= settings.rounds; round++) {
      const before = sent();
      const roundStarted = performance.now();
      for (const r of rounds) r.lastMergeMs = null;
      await rounds[(round - 1) % rounds.length]!.startRound();
      const outcomes = await Promise.race([
        Promise.all(rounds.map((r) => r.waitForRound(round, 3_600_000))),
        leaderFailure(rounds),
      ]);
      const leader = rounds.find((r) => r.node.id === outcomes[0]!.leader)!;
      while (leader.lastMergeMs === null) await new Promise((resolve) => setTimeout(resolve, 10));
      const after = sent();
      figures.push({
        round,
        leader: leader.node.identity.name,
        ledgerHeight: members[0]!.state.nextHeight - 1,
        seconds: (performance.now() - roundStarted) / 1000,
        mergeSeconds: leader.lastMergeMs / 1000,
        bytesSent: Object.fromEntries(members.map((m, i) => [m.identity.name, after[i]! - before[i]!])),
      });
      say(
        `Round ${round}: led by ${leader.node.identity.name}, ledger height ${figures.at(-1)!.ledgerHeight}.`,
      );
    }
    const swarmSeconds = (performance.now() - swarmStarted) / 1000;
    const { weights: federated } = await rounds[0]!.globalModel();
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
      rounds: figures,
      modelBytes: initial.reduce((sum, t) => sum + t.data.byteLength, 0),
      seconds: { total: elapsed(), swarm: swarmSeconds },
    };
  } finally {
    for (const r of rounds) r.stop();
    for (const member of members) await member.stop();
    if (!keep && !dir) rmSync(root, { recursive: true, force: true });
  }
}
