// The demo's separate processes: the hub (`radfed hub serve`) and one `radfed site run` per hospital,
// started with the same command a user runs, talking HTTPS over loopback. Their output is read line by
// line: the hub's address, and the sites' federation events (JSON lines).
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { SyncEvent } from '../site/federation/index.ts';

/** How to run `radfed`: a program and the arguments before the subcommand. */
export interface RadfedLauncher {
  readonly command: string;
  readonly args: readonly string[];
}

/** `node <repo>/bin/radfed.js`, found from this file whether it runs from sources or the bundle. */
export function defaultLauncher(): RadfedLauncher {
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let depth = 0; depth < 6; depth++) {
    const candidate = join(folder, 'bin', 'radfed.js');
    if (existsSync(candidate)) return { command: process.execPath, args: [candidate] };
    folder = dirname(folder);
  }
  throw new Error('Cannot find bin/radfed.js above the demo; run the demo from a RadFed checkout.');
}

export interface ChildHandle {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or 1 when killed by a signal). */
  readonly exited: Promise<number>;
  /** The last lines it wrote to stderr, to explain a failure. */
  errorTail(): string;
  /** Whether stop() was asked for (an exit before that is unexpected). */
  stopping(): boolean;
  stop(): Promise<void>;
}

/** The demo's processes that are running now: stopped with the demo when it is stopped (stopDemoProcesses). */
const running = new Map<ChildProcess, string>();
/** Set once the demo is told to stop: a phase that starts its next process then fails instead. */
let demoStopping = false;

/**
 * Asks every process the demo started and that still runs to stop (SIGTERM) and resolves once they
 * have all exited (SIGKILL after `graceMs`): the demo's command calls it when the demo itself is told
 * to stop, so no hub or site agent is left behind, listening, training or writing into the demo's
 * folder when that folder is removed.
 */
export async function stopDemoProcesses(graceMs = 10_000): Promise<void> {
  demoStopping = true;
  // The site agents first, then the hub: a site that sees its hub go first reports a cut connection
  // and tries again, which reads as a failure in the demo's last lines.
  const all = [...running];
  const sites = all.filter(([, name]) => name !== 'hub').map(([child]) => child);
  await Promise.all(sites.map((child) => stopChild(child, graceMs)));
  const rest = [...running.keys()];
  await Promise.all(rest.map((child) => stopChild(child, graceMs)));
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  // Bounded even if the exit is never reported: a stop must not hang the demo.
  const giveUp = new Promise<void>((resolve) => setTimeout(resolve, graceMs + 5_000).unref());
  await Promise.race([exited, giveUp]);
  clearTimeout(killer);
}

export function spawnRadfed(
  launcher: RadfedLauncher,
  name: string,
  args: readonly string[],
  onLine: (line: string) => void,
): ChildHandle {
  if (demoStopping) throw new Error(`The demo is stopping: ${name} is not started.`);
  const child = spawn(launcher.command, [...launcher.args, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      // Loopback never goes through the operator's proxy.
      NO_PROXY: ['127.0.0.1', 'localhost', process.env.NO_PROXY ?? process.env.no_proxy ?? '']
        .filter(Boolean)
        .join(','),
      RADFED_LOG_LEVEL: 'error',
    },
  });
  running.set(child, name);
  child.once('exit', () => running.delete(child));
  const tail: string[] = [];
  let stopping = false;
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', (line) => {
    tail.push(line);
    if (tail.length > 20) tail.shift();
  });
  const exited = new Promise<number>((resolve) => {
    child.once('exit', (code) => resolve(code ?? 1));
    child.once('error', () => resolve(1));
  });
  return {
    name,
    child,
    exited,
    errorTail: () => tail.join('\n'),
    // Stopped with the demo, it did not stop on its own: no "stopped on its own" line for it.
    stopping: () => stopping || demoStopping,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      stopping = true;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Starts `radfed hub serve` and waits until it listens. If it stops before the demo stops it, `say` is
 * told so with its last lines: the sites' own errors then only say that the hub cut the connection.
 */
export async function startHubProcess(
  launcher: RadfedLauncher,
  dir: string,
  port: number,
  say: (line: string) => void = () => undefined,
): Promise<ChildHandle> {
  let listening: (url: string) => void = () => undefined;
  const ready = new Promise<string>((resolve) => {
    listening = resolve;
  });
  const handle = spawnRadfed(
    launcher,
    'hub',
    ['hub', 'serve', '--dir', dir, '--port', String(port), '--host', '127.0.0.1'],
    (line) => {
      const match = /listening on (https:\/\/\S+)/.exec(line);
      if (match) listening(match[1]!);
    },
  );
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    handle.exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), 60_000).unref()),
  ]);
  if (outcome !== 'ready') {
    await handle.stop();
    throw new Error(`The hub process did not start (${outcome}):\n${handle.errorTail()}`);
  }
  void handle.exited.then((code) => {
    if (!handle.stopping())
      say(`The hub process stopped on its own (exit code ${code}). Its last lines:\n${handle.errorTail()}`);
  });
  return handle;
}

/** Starts `radfed site run --until-done --json-events` for one site; events arrive through `onEvent`. */
export function startSiteProcess(
  launcher: RadfedLauncher,
  name: string,
  dir: string,
  threads: number,
  onEvent: (event: SyncEvent) => void,
): ChildHandle {
  return spawnRadfed(
    launcher,
    name,
    ['site', 'run', '--dir', dir, '--until-done', '--json-events', '--threads', String(threads)],
    (line) => {
      if (!line.startsWith('{')) return;
      try {
        onEvent(JSON.parse(line) as SyncEvent);
      } catch {
        // not an event line
      }
    },
  );
}
