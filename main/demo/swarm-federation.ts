// The swarm's rounds on hospitals already set up (demo-sites.ts): each hospital a swarm member with its
// own HTTPS server on loopback (mutual TLS, main/site/swarm), the founder invites the others, and every
// round the ledger elects the leader that aggregates under secure aggregation. Shared by
// `radfed demo --method swarm` (swarm-demo.ts) and `radfed demo --compare` (compare-demo.ts), so both
// run the same swarm on the same sites. The members run in this process (their traffic still crosses
// real sockets) and train as the in-process federation does, sharing its cores.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { encodeWeights, type NamedTensor } from '../../shared/federation/index.ts';
import { publicKeyOf, rawPublicKey, sha256Hex } from '../../shared/node/federation/index.ts';
import { silentLogger } from '../../shared/node/index.ts';
import { readTrainedWeights, toNamedValues } from '../site/federation/index.ts';
import { SwarmNode, SwarmRounds, type MemberUpdate } from '../site/swarm/index.ts';
import { trainLocalModel, type LabelledImage, type TrainingTask } from '../site/train/index.ts';
import { DEMO_SECURE_AGGREGATION, type DemoSettings } from './demo-options.ts';
import type { DemoSite } from './demo-sites.ts';

export interface SwarmRoundFigures {
  readonly round: number;
  readonly leader: string;
  readonly ledgerHeight: number;
  readonly seconds: number;
  readonly mergeSeconds: number | null;
  /** Bytes each member sent in the round (requests and answers), by member name. */
  readonly bytesSent: Record<string, number>;
}

export interface SwarmRun {
  /** The swarm's global model after its last round. */
  readonly weights: NamedTensor[];
  readonly rounds: SwarmRoundFigures[];
  /** Wall time of the rounds (the members' start and the ledger's founding not counted). */
  readonly seconds: number;
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

/**
 * Rejects when a member's attempt to lead fails: in the demo nobody should wait for the successor's
 * timeout. It stops polling once `settled` is aborted (the round ended), leaving no timer behind, or
 * the demo's process would never exit.
 */
async function leaderFailure(rounds: readonly SwarmRounds[], settled: AbortSignal): Promise<never> {
  while (!settled.aborted) {
    const failed = rounds.find((r) => r.lastLeadError !== null);
    if (failed?.lastLeadError) throw failed.lastLeadError;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  // The round ended without a failed leader: nothing to report, and nothing left waiting.
  return new Promise<never>(() => undefined);
}

export async function runSwarmFederation(options: {
  readonly sites: readonly DemoSite[];
  readonly settings: DemoSettings;
  readonly task: TrainingTask;
  /** The swarm's name on its ledger (the task's name). */
  readonly name: string;
  readonly initial: readonly NamedTensor[];
  /** A folder for the members' round checkpoints. */
  readonly workDir: string;
  readonly say: (line: string) => void;
}): Promise<SwarmRun> {
  const { sites, settings, task, say } = options;
  const members: SwarmNode[] = [];
  const rounds: SwarmRounds[] = [];
  try {
    const initialBytes = encodeWeights(options.initial);
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
      name: options.name,
      initialModel: sha256Hex(initialBytes),
      rounds: settings.rounds,
      secureAggregation: DEMO_SECURE_AGGREGATION,
      // Training a round takes minutes here: a leader is replaced only when it is clearly gone.
      leaderTimeoutMs: 1_800_000,
    };
    members.forEach((member, index) => {
      const site = sites[index]!;
      const work = join(options.workDir, 'swarm-work', String(index + 1));
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
      const settled = new AbortController();
      const outcomes = await Promise.race([
        Promise.all(rounds.map((r) => r.waitForRound(round, 3_600_000))),
        leaderFailure(rounds, settled.signal),
      ]).finally(() => settled.abort());
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
    const seconds = (performance.now() - swarmStarted) / 1000;
    const { weights } = await rounds[0]!.globalModel();
    return { weights, rounds: figures, seconds };
  } finally {
    for (const r of rounds) r.stop();
    for (const member of members) await member.stop();
  }
}
