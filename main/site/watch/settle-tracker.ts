// When is a dropped file complete? A copy in progress keeps growing or keeps being touched, so a file
// is taken once its size and modification time have stayed the same for a settle time, across at
// least two scans. A writer that pauses longer than that cannot be told from a finished one: such
// writers should use the `.partial` convention (write `name.partial`, rename when done), and names
// like that are never taken.

export interface FileObservation {
  path: string;
  size: number;
  mtimeMs: number;
}

/** Names a copy in progress goes by (browsers, rsync, scp, editors), or hidden files. */
const IN_PROGRESS = /(^\.|\.(partial|part|tmp|temp|crdownload|download|filepart|swp)$|~$)/i;

export function isInProgressName(name: string): boolean {
  return IN_PROGRESS.test(name);
}

export class SettleTracker {
  readonly #settleMs: number;
  readonly #seen = new Map<string, { size: number; mtimeMs: number; since: number }>();

  constructor(settleMs: number) {
    this.#settleMs = settleMs;
  }

  /**
   * Feeds one scan of the folder taken at `now` (ms); returns the paths that have not changed for the
   * settle time. Files no longer present are forgotten.
   */
  observe(files: readonly FileObservation[], now: number): string[] {
    const ready: string[] = [];
    const present = new Set<string>();
    for (const file of files) {
      present.add(file.path);
      const before = this.#seen.get(file.path);
      if (before === undefined || before.size !== file.size || before.mtimeMs !== file.mtimeMs) {
        this.#seen.set(file.path, { size: file.size, mtimeMs: file.mtimeMs, since: now });
      } else if (now - before.since >= this.#settleMs) {
        ready.push(file.path);
      }
    }
    for (const path of this.#seen.keys()) if (!present.has(path)) this.#seen.delete(path);
    return ready;
  }

  /** Whether `file` is still as it was when last observed. */
  unchanged(file: FileObservation): boolean {
    const seen = this.#seen.get(file.path);
    return seen !== undefined && seen.size === file.size && seen.mtimeMs === file.mtimeMs;
  }

  forget(path: string): void {
    this.#seen.delete(path);
  }
}
