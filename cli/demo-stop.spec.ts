// `radfed demo` told to stop while its federation runs (SIGTERM, as `kill` or a service manager sends)
// stops the hub and the site agents it started: none is left listening or training after it exits.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'radfed-demo-stop-'));
const bin = fileURLToPath(new URL('../bin/radfed.js', import.meta.url));

/** The processes whose command line names this spec's folder (the demo's hub and site agents). */
function leftBehind(): string[] {
  const found = spawnSync('pgrep', ['-f', root], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

afterAll(() => {
  for (const pid of leftBehind()) process.kill(Number(pid), 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

it('stops its hub and site agents when it is stopped mid-federation', async () => {
  const work = join(root, 'demo');
  const demo = spawn(
    process.execPath,
    [bin, 'demo', '--no-secagg', '--patients', '16', '--rounds', '200', '--size', '32', '--dir', work],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    demo.stdout.on('data', (part: Buffer) => {
      output += part.toString();
      if (/Round 1: /.test(output)) resolve();
    });
    demo.stderr.on('data', (part: Buffer) => (output += part.toString()));
    void exited.then(() => reject(new Error(`the demo ended before its first round: ${output}`)));
  });
  expect(leftBehind().length).toBeGreaterThanOrEqual(4); // the hub and three site agents
  demo.kill('SIGTERM');
  expect(await exited).toBe(143);
  const deadline = Date.now() + 20_000;
  while (leftBehind().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
  expect(leftBehind()).toEqual([]);
}, 300_000);
