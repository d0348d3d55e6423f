// Test support: `radfed swarm serve` as its own process, through the same function the CLI calls
// (serveSwarmMember), with the synthetic nodule as the member's cohort so no TensorFlow is loaded.
// A spec can kill it with SIGKILL and start it again on the same folder, or stop it with SIGTERM.
//   node --import tsx main/site/swarm/testing/serve-process.ts <site folder> <data seed> <train ms>
// Prints the service's events as JSON lines, then {"type":"stopped"} after a SIGTERM.
import { silentLogger } from '../../../../shared/node/index.ts';
import { serveSwarmMember } from '../swarm-serve.ts';
import { noduleSet, trainNodule } from './nodule-learner.ts';

const [dir = '.', seedText = '1', trainMsText = '0'] = process.argv.slice(2);
const say = (event: object) => process.stdout.write(`${JSON.stringify(event)}\n`);
const data = noduleSet(60, Number(seedText));
const member = await serveSwarmMember(dir, {
  logger: silentLogger(),
  host: '127.0.0.1',
  timeoutMs: 10_000,
  // A slower trainer keeps each round open long enough for the spec to kill a member mid-round.
  train: async (global) => {
    await new Promise((resolve) => setTimeout(resolve, Number(trainMsText)));
    return trainNodule(global, data);
  },
  onEvent: say,
});
say({ type: 'started', id: member.node.id });
process.once('SIGTERM', () => {
  void member.stop().then(() => {
    say({ type: 'stopped' });
    process.exit(0);
  });
});
