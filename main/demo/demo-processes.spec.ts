// The demo's hub process, when it dies under the demo: the demo says so, with the hub's last lines,
// instead of leaving only the sites' "the hub cut the connection". A stop the demo asked for is quiet.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { initHub } from '../../hub/index.ts';
import { defaultLauncher, startHubProcess } from './demo-processes.ts';

const root = mkdtempSync(join(tmpdir(), 'radfed-demo-processes-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

it('says when the hub process stops on its own, and not when the demo stops it', async () => {
  const dir = join(root, 'hub');
  await initHub({ dir });
  const said: string[] = [];
  const killed = await startHubProcess(defaultLauncher(), dir, 0, (line) => said.push(line));
  killed.child.kill('SIGKILL');
  await killed.exited;
  await new Promise((resolve) => setImmediate(resolve));
  expect(said).toHaveLength(1);
  expect(said[0]).toMatch(/^The hub process stopped on its own \(exit code 1\)/);

  const stopped = await startHubProcess(defaultLauncher(), dir, 0, (line) => said.push(line));
  await stopped.stop();
  await new Promise((resolve) => setImmediate(resolve));
  expect(said).toHaveLength(1);
}, 120_000);
