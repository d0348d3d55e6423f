// The demo's working folder, in one place for every variant (run-demo, --compare, --dp, the swarm, the
// rounds bench): a new temporary folder removed at the end, unless the operator named one (--dir) or
// asked to keep it (--keep). It holds synthetic studies with fake patient names before
// de-identification, so a demo that is stopped (SIGTERM, SIGINT, SIGHUP) removes it too: the demo's
// command stops the child processes first, then calls removeOpenDemoFolders.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export interface DemoFolderOptions {
  /** The operator's folder: used as it is and kept. */
  readonly dir?: string;
  /** Keep the temporary folder for a look afterwards. */
  readonly keep?: boolean;
}

export interface DemoFolder {
  readonly path: string;
  /** Whether it is removed at the end (a temporary folder, without --keep). */
  readonly temporary: boolean;
  /** The end of the demo: removes the folder unless it is kept. Safe to call twice. */
  close(): void;
}

/**
 * The folders this process's demos made, for removal when the demo is stopped: closed ones too, since
 * a variant's `finally` may have removed its folder while a site agent that was being stopped still
 * wrote into it.
 */
const demoFolders = new Set<DemoFolder>();

/** Makes (or takes, with `dir`) the demo's folder; `prefix` names the variant, e.g. `radfed-demo-`. */
export function openDemoFolder(prefix: `radfed-${string}`, options: DemoFolderOptions): DemoFolder {
  const path = options.dir ? resolve(options.dir) : mkdtempSync(join(tmpdir(), prefix));
  mkdirSync(path, { recursive: true });
  const temporary = !options.dir && !options.keep;
  const folder: DemoFolder = {
    path,
    temporary,
    close() {
      if (temporary) removeFolder(path);
    },
  };
  demoFolders.add(folder);
  return folder;
}

export interface StoppedDemoFolders {
  readonly removed: readonly string[];
  readonly kept: readonly string[];
}

/**
 * A stopped demo's folders: the temporary ones removed, the others (--dir, --keep) kept and named.
 * Call it after the demo's child processes have exited, so that no site agent writes into a folder
 * being removed.
 */
export function removeOpenDemoFolders(): StoppedDemoFolders {
  const removed: string[] = [];
  const kept: string[] = [];
  for (const folder of demoFolders) {
    demoFolders.delete(folder);
    if (folder.temporary) {
      removeFolder(folder.path);
      removed.push(folder.path);
    } else kept.push(folder.path);
  }
  return { removed, kept };
}

function removeFolder(path: string): void {
  // Retries: a file closed a moment ago (a child that just exited) can leave a directory briefly non-empty.
  rmSync(path, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
}
