// Test support: one swarm member as its own process (so a spec can kill it with SIGKILL), driven by
// JSON lines on stdin and reporting JSON lines on stdout. It trains the synthetic nodule.
//   node --import tsx main/site/swarm/testing/member-process.ts <folder> <name> <data seed>
// Commands: found, invite, join {token}, rounds {task, initialModel (base64)}, start-round.
// Events: ready, founded, invitation, joined, rounds-ready, round-started, merging, committed, error.
import { generateKeyPairSync } from 'node:crypto';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { publicKeyOf, rawPublicKey } from '../../../../shared/node/federation/index.ts';
import { silentLogger } from '../../../../shared/node/index.ts';
import { SwarmNode } from '../swarm-node.ts';
import { SwarmRounds } from '../swarm-rounds.ts';
import type { SwarmTask } from '../swarm-task.ts';
import { noduleSet, trainNodule } from './nodule-learner.ts';

const [folder = '.', name = 'member', seedText = '1'] = process.argv.slice(2);
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const signing = generateKeyPairSync('ed25519');
const node = await SwarmNode.start({
  dbPath: join(folder, `${name}.db`),
  name,
  signingKey: signing.privateKey,
  signingPublicKey: publicKeyOf(signing.privateKey),
  exchangePublicKey: rawPublicKey(generateKeyPairSync('x25519').publicKey),
  logger: silentLogger(),
  timeoutMs: 10_000,
});
let rounds: SwarmRounds | null = null;
const data = noduleSet(60, Number(seedText));
say({ event: 'ready', id: node.id });

for await (const line of createInterface({ input: process.stdin })) {
  const command = JSON.parse(line) as {
    cmd: string;
    token?: string;
    task?: SwarmTask;
    initialModel?: string;
  };
  try {
    if (command.cmd === 'found') say({ event: 'founded', swarm: node.found('Kill test swarm') });
    if (command.cmd === 'invite') say({ event: 'invitation', token: node.invite() });
    if (command.cmd === 'join') say({ event: 'joined', swarm: await node.join(command.token ?? '') });
    if (command.cmd === 'rounds') {
      rounds = new SwarmRounds(node, {
        task: command.task as SwarmTask,
        initialModel: Buffer.from(command.initialModel ?? '', 'base64'),
        train: (global) => Promise.resolve(trainNodule(global, data)),
        // The leader holds the unmasked sum here: the spec kills it now, mid-merge.
        beforeAggregateCommit: async (round) => {
          say({ event: 'merging', round, at: Date.now() });
          await new Promise((resolve) => setTimeout(resolve, 1500));
        },
      });
      const watch = node.onStored;
      node.onStored = (entries) => {
        watch?.(entries);
        for (const { signed } of entries) {
          const body = signed.entry.body;
          if (body.kind === 'aggregate-commit')
            say({
              event: 'committed',
              round: body.round,
              leader: body.leader,
              model: body.model,
              participants: body.participants,
              at: Date.now(),
            });
        }
      };
      say({ event: 'rounds-ready' });
    }
    if (command.cmd === 'start-round') say({ event: 'round-started', round: await rounds?.startRound() });
  } catch (error) {
    say({ event: 'error', message: (error as Error).message });
  }
}
