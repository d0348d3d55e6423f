// The hub as a child process serving one split-learning trunk, for the kill -9 test: the same
// startHub as `radfed hub serve`, plus a HubTrunk restored from the task's checkpoint if there is one
// (with the head too when the fourth argument is `label-sharing`).
// Prints the listening line and the trunk's applied steps, then runs until killed.
import { startHub } from '../../server/start-hub.ts';
import { selectBackend } from '../../../main/site/train/backend/index.ts';
import { createModel } from '../../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk } from '../../../main/site/train/split/index.ts';
import { SPLIT_TEST_MODEL } from './split-test-site.ts';

const [dir, port, taskId, mode] = process.argv.slice(2);
if (!dir || !port || !taskId)
  throw new Error('usage: trunk-hub-child.ts <hub dir> <port> <task id> [label-sharing]');
await selectBackend({ choice: 'wasm' });
const hub = await startHub({ dir, port: Number(port), logger: false, tickMs: 100 });
const { architecture, config } = SPLIT_TEST_MODEL;
const trunk = new HubTrunk(createModel(architecture, config), {
  dtype: 'float16',
  optimizer: adamOptimizer(0.01),
  headAtHub: mode === 'label-sharing',
});
const applied = await hub.split.serveTrunk(taskId, trunk);
process.stdout.write(`RadFed hub listening on ${hub.url} with ${applied} split steps applied\n`);
