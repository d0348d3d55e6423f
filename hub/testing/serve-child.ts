// The hub as a child process, for the kill -9 test: the same startHub that `radfed hub serve` runs.
// Prints the same line as `radfed hub serve` once it listens, then runs until killed.
import { startHub } from '../server/start-hub.ts';

const dir = process.argv[2];
const port = Number(process.argv[3] ?? 0);
if (!dir) throw new Error('usage: serve-child.ts <hub dir> [port]');
const hub = await startHub({ dir, port, logger: false, tickMs: 100 });
process.stdout.write(`RadFed hub listening on ${hub.url}\n`);
