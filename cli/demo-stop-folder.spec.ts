// `radfed demo` told to stop (SIGTERM, as `timeout`, `kill` or a service manager sends) removes its
// temporary folder (synthetic studies with fake patient names, site databases, the hub) once its hub
// and site agents have exited, for every variant; with --keep it keeps the folder and says where.
// Each demo runs with TMPDIR pointed at a fresh folder, so the spec sees what it leaves there.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const root = mkdtempSync(join(tmpdir(), 'radfed-demo-stop-folder-'));
const bin = fileURLToPath(new URL('../bin/radfed.js', import.meta.url));

/** The processes whose command line names this folder (a demo's hub and site agents work under it). */
function processesUnder(folder: string): string[] {
  const found = spawnSync('pgrep', ['-f', folder], { encoding: 'utf8' });
  return found.stdout.split('\n').filter(Boolean);
}

afterAll(() => {
  for (const pid of processesUnder(root)) process.kill(Number(pid), 'SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

interface StoppedDemo {
  readonly code: number | null;
  readonly output: string;
  readonly stderr: string;
  readonly tmp: string;
}

/** Starts `radfed demo <args>` with its own TMPDIR, sends SIGTERM once `ready` matches its output. */
async function stopDemoWhen(name: string, args: readonly string[], ready: RegExp): Promise<StoppedDemo> {
  const tmp = join(root, name);
  mkdirSync(tmp);
  const demo = spawn(process.execPath, [bin, 'demo', ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, TMPDIR: tmp },
  });
  let output = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    demo.stdout.on('data', (part: Buffer) => {
      output += part.toString();
      if (ready.test(output)) resolve();
    });
    demo.stderr.on('data', (part: Buffer) => {
      stderr += part.toString();
      output += part.toString();
    });
    void exited.then(() => reject(new Error(`the demo ended before it was stopped: ${output}`)));
  });
  demo.kill('SIGTERM');
  const code = await exited;
  return { code, output, stderr, tmp };
}

/**
 * What a demo left in its TMPDIR under a radfed- name, but for the wasm backend's thread scripts
 * (radfed-tfjs-wasm-<hash>, wasm-threads.ts): a cache of tfjs's own code, shared by every run, no data.
 */
const leftIn = (tmp: string) =>
  readdirSync(tmp).filter((name) => name.startsWith('radfed-') && !name.startsWith('radfed-tfjs-wasm-'));

it('removes its temporary folder after its hub and site agents exit when it is stopped mid-federation', async () => {
  const stopped = await stopDemoWhen(
    'plain',
    ['--no-secagg', '--patients', '16', '--rounds', '200', '--size', '32'],
    /Round 1: /,
  );
  expect(stopped.code).toBe(143);
  expect(processesUnder(stopped.tmp)).toEqual([]);
  expect(leftIn(stopped.tmp)).toEqual([]);
  expect(stopped.stderr).toMatch(
    /The demo was stopped \(SIGTERM\): its hub and site agents stopped, its temporary folder \S+radfed-demo-\S+ removed\./,
  );
  // The agents it stopped did not stop "on their own": the stop reads as one line, not as a failure.
  expect(stopped.output).not.toContain('stopped on its own');
  // The site agents stop before the hub, so none reports its hub cutting the connection.
  expect(stopped.output).not.toContain('cut the connection');
}, 300_000);

it('keeps its folder with --keep when it is stopped, and says where', async () => {
  const stopped = await stopDemoWhen(
    'keep',
    ['--no-secagg', '--patients', '16', '--rounds', '200', '--size', '32', '--keep'],
    /Round 1: /,
  );
  expect(stopped.code).toBe(143);
  expect(processesUnder(stopped.tmp)).toEqual([]);
  const kept = leftIn(stopped.tmp);
  expect(kept).toHaveLength(1);
  expect(kept[0]).toMatch(/^radfed-demo-/);
  expect(stopped.stderr).toContain(`its folder kept in ${join(stopped.tmp, kept[0]!)}.`);
}, 300_000);

// Each variant makes its folder through the same register (main/demo/demo-folder.ts): stopped once
// it has announced its folder, none leaves it behind.
it.each([
  ['compare', ['--compare', '--patients', '16', '--rounds', '1', '--size', '32']],
  ['swarm', ['--method', 'swarm', '--patients', '16', '--rounds', '200', '--size', '32']],
  ['dp', ['--dp', '--patients', '16', '--rounds', '200', '--size', '32']],
])(
  'removes the %s demo\u2019s temporary folder when it is stopped',
  async (name, args) => {
    const stopped = await stopDemoWhen(name, args, /in \S*radfed-[^\s:]+/);
    expect(stopped.code).toBe(143);
    expect(processesUnder(stopped.tmp)).toEqual([]);
    expect(leftIn(stopped.tmp)).toEqual([]);
    expect(stopped.stderr).toMatch(/The demo was stopped \(SIGTERM\): .*temporary folder \S+ removed\./);
  },
  300_000,
);
