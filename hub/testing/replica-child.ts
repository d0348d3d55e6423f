// One hub replica as a child process, for the replicated kill -9 test: the same startHub that
// `radfed hub serve --database … --blobs folder:…` runs. Prints the serve line once it listens, then
// runs until killed.
import { createLogger } from '../../shared/node/index.ts';
import { startHub } from '../server/start-hub.ts';
import { BALANCER_ADDRESS } from './haproxy-server.ts';
import { parseBlobsChoice } from '../store-choice.ts';

const [dir, database, blobs] = process.argv.slice(2);
if (!dir || !database || !blobs) throw new Error('usage: replica-child.ts <hub dir> <database url> <blobs>');
const hub = await startHub({
  dir,
  port: 0,
  // RADFED_TEST_TRACE: the replica's request log on stderr, which the spec prints.
  logger: process.env.RADFED_TEST_TRACE ? createLogger({ room: 'hub', destination: 'stderr' }) : false,
  tickMs: 100,
  store: { database, blobs: parseBlobsChoice(blobs) },
  // Behind the test's HAProxy, which sends each client's address in a PROXY v2 header.
  proxyFrom: [BALANCER_ADDRESS],
});
process.stdout.write(`RadFed hub listening on ${hub.url}\n`);
