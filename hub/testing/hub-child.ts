// A hub in a child process for the kill -9 specs: started with the same startHub that `radfed hub serve`
// runs (serve-child.ts, or a script of the spec's own that prints a line once it listens), killed with
// SIGKILL, and started again on the same folder and port. One harness, so every kill spec starts, waits
// and kills the same way.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export interface HubChildOptions {
  /** The script to run with tsx, relative to the repository root (default: hub/testing/serve-child.ts). */
  readonly script?: string;
  /** The hub folder: the script's first argument. */
  readonly dir: string;
  /** Arguments after the folder and port. */
  readonly extraArgs?: () => readonly string[];
  /** The line the script prints once it listens; group 1 is the URL and group 2 the port. */
  readonly listening?: RegExp;
}

export class HubChild {
  private child: ChildProcess | undefined;

  constructor(private readonly options: HubChildOptions) {}

  /** Starts the hub (port 0: any free one) and resolves with the line it printed once listening. */
  start(port = 0): Promise<{ url: string; port: number; match: RegExpExecArray }> {
    const { dir, script = 'hub/testing/serve-child.ts', extraArgs = () => [], listening } = this.options;
    const pattern = listening ?? /listening on (https:\/\/\S+:(\d+))/;
    const started = spawn(process.execPath, ['--import', 'tsx', script, dir, String(port), ...extraArgs()], {
      cwd: repoRoot,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = started;
    return new Promise((resolve, reject) => {
      let output = '';
      let listened = false;
      started.stdout?.on('data', (part: Buffer) => {
        output += part.toString();
        const match = listened ? null : pattern.exec(output);
        if (match) {
          listened = true;
          resolve({ url: match[1]!, port: Number(match[2]), match });
        }
      });
      started.stderr?.on('data', (part: Buffer) => (output += part.toString()));
      started.on('exit', (code, signal) => {
        if (!listened) reject(new Error(`hub exited (${code ?? signal}) before listening: ${output}`));
      });
    });
  }

  /** kill -9, resolved once the process is gone (at once when none runs). */
  kill(): Promise<void> {
    const victim = this.child;
    this.child = undefined;
    if (!victim || victim.exitCode !== null || victim.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      victim.once('exit', () => resolve());
      victim.kill('SIGKILL');
    });
  }
}

/** Polls `check` every 100 ms until it returns something truthy (returned), or fails after 30 s. */
export async function until<T>(
  check: () => Promise<T | false>,
  what: string,
  timeoutMs = 30_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
