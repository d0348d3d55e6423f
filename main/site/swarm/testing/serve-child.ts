// Test support: a member served as its own process (serve-process.ts), its JSON-line events
// collected, for specs that kill it (SIGKILL), start it again, or stop it (SIGTERM).
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const repoRoot = fileURLToPath(new URL('../../../..', import.meta.url));

export interface ServeEvent {
  readonly type: string;
  readonly [field: string]: unknown;
}

export class ServeChild {
  readonly events: ServeEvent[] = [];
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  #output = '';

  constructor(
    readonly name: string,
    dir: string,
    seed: number,
    trainMs: number,
  ) {
    this.child = spawn(
      process.execPath,
      ['--import', 'tsx', 'main/site/swarm/testing/serve-process.ts', dir, String(seed), String(trainMs)],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.exited = new Promise((resolve) => this.child.once('exit', (code) => resolve(code)));
    this.child.stdout?.on('data', (part: Buffer) => {
      this.#output += part.toString();
      const lines = this.#output.split('\n');
      this.#output = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) this.events.push(JSON.parse(line) as ServeEvent);
    });
    this.child.stderr?.on('data', (part: Buffer) => process.stderr.write(`[${name}] ${part.toString()}`));
  }

  /** The first event of `type` that `match` accepts, waiting up to `timeoutMs`. */
  async next(
    type: string,
    match: (e: ServeEvent) => boolean = () => true,
    timeoutMs = 90_000,
  ): Promise<ServeEvent> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.events.find((e) => e.type === type && match(e));
      if (found) return found;
      if (this.child.exitCode !== null)
        throw new Error(`${this.name} exited (${this.child.exitCode}) before '${type}'`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no '${type}' within ${timeoutMs / 1000} s`);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
  }
}
