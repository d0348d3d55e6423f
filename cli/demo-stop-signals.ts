// A demo told to stop (SIGTERM from a service manager, `timeout` or `kill`, SIGHUP when its terminal
// goes, SIGINT) stops the hub and site agents it started, waits for them to exit (bounded), then
// removes its temporary folder (synthetic studies with fake patient names before de-identification,
// site databases, the hub) unless --keep or --dir kept it, says so in one line on stderr, and exits.
// `process.exit` skips the variants' `finally`, so the removal is done here, for every variant, from
// the one register of open demo folders (main/demo/demo-folder.ts).
import { tmpdir } from 'node:os';
import { removeOpenDemoFolders, stopDemoProcesses, type StoppedDemoFolders } from '../main/demo/index.ts';

const EXIT_CODES = { SIGINT: 130, SIGTERM: 143, SIGHUP: 129 } as const;
type StopSignal = keyof typeof EXIT_CODES;

/**
 * Installs the stop handlers for the demo, then runs it. A demo that is stopped ends in the handler
 * (process.exit): the demo's own failure that the stop caused (a site agent "stopped on its own") is
 * not reported, and this promise does not settle.
 */
export async function runStoppableDemo(demo: () => Promise<void>): Promise<void> {
  let stopping = false;
  const handlers = (Object.keys(EXIT_CODES) as StopSignal[]).map((signal) => {
    const onSignal = () => {
      // A second Ctrl-C while stopping: the stop is already under way, and bounded.
      if (stopping) return;
      stopping = true;
      void stopTheDemo(signal);
    };
    process.on(signal, onSignal);
    return { signal, onSignal };
  });
  try {
    await demo();
  } catch (error) {
    if (!stopping) throw error;
  } finally {
    // A demo run in-process (the CLI's specs) leaves no handler behind once it has ended on its own.
    if (!stopping) for (const { signal, onSignal } of handlers) process.off(signal, onSignal);
  }
  // Stopped: wait for the handler's exit (a timer keeps the process up until then).
  if (stopping) await new Promise<never>(() => setInterval(() => undefined, 1_000));
}

async function stopTheDemo(signal: StopSignal): Promise<void> {
  let line: string;
  try {
    await stopDemoProcesses();
    line = describeStop(signal, removeOpenDemoFolders());
  } catch (error) {
    // The error's code only: a foreign message may carry anything (foreign-message-rule.spec.ts).
    const code = (error as { code?: unknown }).code;
    const reason = typeof code === 'string' && /^[A-Z0-9_]{1,20}$/.test(code) ? code : 'an error';
    line =
      `The demo was stopped (${signal}), but its temporary folder could not be removed (${reason}): ` +
      `remove the radfed-demo-* folder in ${tmpdir()} by hand.`;
  }
  process.stderr.write(`${line}\n`);
  process.exit(EXIT_CODES[signal]);
}

/** The one line a stopped demo leaves on stderr: what became of its folder. */
export function describeStop(signal: StopSignal, folders: StoppedDemoFolders): string {
  if (folders.removed.length === 0 && folders.kept.length === 0)
    return `The demo was stopped (${signal}) before it made its folder.`;
  const parts: string[] = [];
  if (folders.removed.length > 0) parts.push(`its temporary folder ${folders.removed.join(', ')} removed`);
  if (folders.kept.length > 0) parts.push(`its folder kept in ${folders.kept.join(', ')}`);
  return `The demo was stopped (${signal}): its hub and site agents stopped, ${parts.join('; ')}.`;
}
