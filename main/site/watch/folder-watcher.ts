// The watched folder: files dropped into it are ingested once complete (settle-tracker.ts), then
// taken out of it. A file that was stored, held for review, excluded by consent or already ingested
// is deleted: the site has what it needs (the de-identified copy, or the identified one held in
// quarantine). A file that could not be ingested (not DICOM, or the engine failed) is moved to
// `D/watch-failed/` with a reason file: no dropped file is ever lost.
//
// Polling, not fs.watch: it works the same on network shares, where change events do not arrive.
// Privacy: dropped file names may carry patient names; they are never logged, audited or put in
// an event's words (the outcome's `input` is the path, for a caller's own use).
import { realpath, stat, unlink } from 'node:fs/promises';
import { join, relative, isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import {
  errorCode,
  IngestLane,
  IngestRun,
  recoverInterruptedIngest,
  setAsideFailed,
  type IngestFileOutcome,
  type IngestSite,
  type IngestSummary,
} from '../ingest/index.ts';
import { removeEmptyFolders, scanFolder } from './folder-scan.ts';
import { SettleTracker, type FileObservation } from './settle-tracker.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** After a failure of the site itself (disk full, database), wait this long before trying again. */
const STALL_PAUSE_MS = 30_000;

export type WatchEvent =
  | { type: 'watching'; folder: string }
  | { type: 'file-ingested'; outcome: IngestFileOutcome; setAsideAs: string | null }
  | { type: 'run-finished'; summary: IngestSummary }
  | { type: 'stalled'; reason: string };

export interface FolderWatcherOptions {
  site: IngestSite;
  folder: string;
  /** A file is taken once its size and time have not changed for this long. */
  settleMs: number;
  /** Time between scans (default: a quarter of the settle time, between 0.1 and 2 s). */
  pollMs?: number;
  lane?: IngestLane;
  logger?: Logger;
  clock?: () => Date;
  onEvent?(event: WatchEvent): void;
}

export class WatchError extends RadfedError<'folder-not-found' | 'folder-inside-site'> {
  override readonly name = 'WatchError';
}

export class FolderWatcher {
  readonly #options: FolderWatcherOptions;
  readonly #tracker: SettleTracker;
  readonly #lane: IngestLane;
  readonly #log: Logger | undefined;
  readonly #failedFolder: string;
  /** Files that could be neither ingested nor moved: skipped until they change. */
  readonly #stuck = new Map<string, FileObservation>();
  #stopping = false;
  #loop: Promise<void> | null = null;
  #wake: (() => void) | null = null;

  constructor(options: FolderWatcherOptions) {
    this.#options = options;
    this.#tracker = new SettleTracker(options.settleMs);
    this.#lane = options.lane ?? new IngestLane();
    this.#log = options.logger?.child({ component: 'watched-folder' });
    this.#failedFolder = join(options.site.paths.directory, 'watch-failed');
  }

  /** Checks the folder and starts scanning it. */
  async start(): Promise<void> {
    await this.checkFolder();
    const { site, clock, logger } = this.#options;
    recoverInterruptedIngest(site, { ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) });
    this.#log?.info({ settleMs: this.#options.settleMs }, 'watching folder');
    this.#options.onEvent?.({ type: 'watching', folder: this.#options.folder });
    this.#loop = this.#run();
  }

  /** Finishes the file being ingested, then stops. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
  }

  /** The folder must exist, and be neither inside the site nor hold it (the site would ingest itself). */
  async checkFolder(): Promise<void> {
    const folder = await realpath(this.#options.folder).catch(() => null);
    const info = folder === null ? null : await stat(folder).catch(() => null);
    if (folder === null || !info?.isDirectory()) {
      throw new WatchError(
        'folder-not-found',
        `The watched folder ${this.#options.folder} does not exist or is not a folder. Create it, or choose another.`,
      );
    }
    const site = await realpath(this.#options.site.paths.directory);
    if (isInside(folder, site) || isInside(site, folder)) {
      throw new WatchError(
        'folder-inside-site',
        'The watched folder must be outside the site folder, and must not contain it. Choose another folder.',
      );
    }
  }

  /** One scan: ingests the files that have settled. Returns how many were taken. */
  async scanOnce(): Promise<number> {
    const now = Date.now();
    const files = (await scanFolder(this.#options.folder)).filter((file) => !this.#isStuck(file));
    const ready = new Set(this.#tracker.observe(files, now));
    const settled = files.filter((file) => ready.has(file.path));
    if (settled.length === 0) return 0;
    const { site, clock, logger } = this.#options;
    const options = { source: 'watched-folder', ...(clock ? { clock } : {}), ...(logger ? { logger } : {}) };
    // Started with the first file, inside the lane (a closure: TypeScript cannot follow it there).
    const current: { run: IngestRun | null } = { run: null };
    let taken = 0;
    try {
      for (const file of settled) {
        if (this.#stopping) break;
        // Checked once more just before: a writer may have come back since the scan.
        const info = await stat(file.path).catch(() => null);
        if (
          info === null ||
          !this.#tracker.unchanged({ path: file.path, size: info.size, mtimeMs: info.mtimeMs })
        ) {
          continue;
        }
        const outcome = await this.#lane.run(() => {
          if (this.#stopping) return Promise.resolve(null);
          current.run ??= IngestRun.start(site, options);
          return current.run.ingestFile(file.path);
        });
        if (outcome === null) break;
        taken += 1;
        this.#tracker.forget(file.path);
        const setAsideAs = await this.#dispose(file, outcome);
        this.#options.onEvent?.({ type: 'file-ingested', outcome, setAsideAs });
      }
    } catch (error) {
      const failed = current.run;
      if (failed !== null) await this.#lane.run(() => failed.finish(error)).catch(() => undefined);
      throw error;
    }
    const finished = current.run;
    if (finished === null) return 0;
    const summary = await this.#lane.run(() => finished.finish());
    this.#options.onEvent?.({ type: 'run-finished', summary });
    await removeEmptyFolders(this.#options.folder, this.#options.settleMs, Date.now());
    return taken;
  }

  async #dispose(file: FileObservation, outcome: IngestFileOutcome): Promise<string | null> {
    try {
      if (outcome.status === 'rejected' || outcome.status === 'failed') {
        const moved = await setAsideFailed(file.path, this.#failedFolder, outcome.reason ?? outcome.status, {
          status: outcome.status,
          source: 'watched folder',
        });
        this.#log?.warn(
          { status: outcome.status, reason: outcome.reason, setAsideAs: moved.name },
          'file set aside',
        );
        return moved.name;
      }
      await unlink(file.path);
      return null;
    } catch (error) {
      // Left in the folder (nothing is lost); not tried again until it changes.
      this.#stuck.set(file.path, file);
      this.#log?.error({ error: errorCode(error) }, 'file could not be taken out of the watched folder');
      return null;
    }
  }

  #isStuck(file: FileObservation): boolean {
    const stuck = this.#stuck.get(file.path);
    if (stuck === undefined) return false;
    if (stuck.size === file.size && stuck.mtimeMs === file.mtimeMs) return true;
    this.#stuck.delete(file.path);
    return false;
  }

  async #run(): Promise<void> {
    const { settleMs } = this.#options;
    const pollMs = this.#options.pollMs ?? Math.min(2000, Math.max(100, settleMs / 4));
    while (!this.#stopping) {
      let pause = pollMs;
      try {
        await this.scanOnce();
      } catch (error) {
        pause = STALL_PAUSE_MS;
        this.#log?.error({ error: errorCode(error) }, 'watched folder scan failed');
        this.#options.onEvent?.({
          type: 'stalled',
          reason: `the site could not ingest from the watched folder (${errorCode(error)}); trying again in ${STALL_PAUSE_MS / 1000} s`,
        });
      }
      if (this.#stopping) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, pause);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = null;
    }
  }
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel));
}
