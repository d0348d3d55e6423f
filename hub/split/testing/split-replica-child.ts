// One replica of a replicated hub serving split learning, for the split-replicas kill -9 test: the same
// startHub as `radfed hub serve --database …`, and a trunk keeper's loop for one task (the test's
// trunk, as trunk-hub-child.ts builds it): it asks for the task's trunk lock every 200 ms and serves
// the trunk, restored from the checkpoint in the database, once it holds the lock. Prints the listening
// line, then "serving the trunk with N steps applied" when it takes the trunk; runs until killed.
import { startHub } from '../../server/start-hub.ts';
import { parseBlobsChoice } from '../../store-choice.ts';
import { BALANCER_ADDRESS } from '../../testing/haproxy-server.ts';
import { selectBackend } from '../../../main/site/train/backend/index.ts';
import { createModel } from '../../../main/site/train/models/index.ts';
import { adamOptimizer, HubTrunk } from '../../../main/site/train/split/index.ts';
import { SPLIT_TEST_MODEL } from './split-test-site.ts';

const [dir, database, taskId] = process.argv.slice(2);
if (!dir || !database || !taskId)
  throw new Error('usage: split-replica-child.ts <hub dir> <database url> <task id>');
await selectBackend({ choice: 'wasm' });
const hub = await startHub({
  dir,
  port: 0,
  logger: false,
  tickMs: 100,
  store: { database, blobs: parseBlobsChoice('postgres') },
  // Behind the test's HAProxy, which sends each client's address in a PROXY v2 header.
  proxyFrom: [BALANCER_ADDRESS],
});
process.stdout.write(`RadFed hub listening on ${hub.url}\n`);

let looking = false;
const look = async (): Promise<void> => {
  if (looking || hub.split.servesTrunk(taskId)) return;
  looking = true;
  try {
    if (!(await hub.split.claimTrunk(taskId))) return;
    const { architecture, config } = SPLIT_TEST_MODEL;
    const trunk = new HubTrunk(createModel(architecture, config), {
      dtype: 'float16',
      optimizer: adamOptimizer(0.01),
    });
    const applied = await hub.split.serveTrunk(taskId, trunk);
    process.stdout.write(`serving the trunk with ${applied} steps applied\n`);
  } finally {
    looking = false;
  }
};
await look();
setInterval(() => void look(), 200);
