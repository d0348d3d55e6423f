// Received instances waiting for ingest. Each is a flushed file in `quarantine/incoming/`, already
// acknowledged to its sender, so the queue's truth is that folder: a file there is ingested on the
// next start if the process stops first. The queue is bounded (`maxFiles`): when full, new instances
// wait for room and are then refused as Out of Resources, so a fast sender cannot fill the disk.
//
// Files are ingested one at a time through the site's ingest lane, in runs: a run starts with the
// first file after an idle spell and finishes once the queue has stayed empty for `RUN_IDLE_MS`
// (a sender's push is one run, not one per instance), or after `RUN_MAX_FILES`.
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import {
  errorCode,
  IngestRun,
  releaseQuarantined,
  setAsideFailed,
  type IngestFileOutcome,
  type IngestLane,
  type IngestSite,
  type IngestSummary,
} from '../ingest/index.ts';
import { ResearchIndex } from '../store/index.ts';

export const INCOMING = 'incoming';
const RUN_MAX_FILES = 1000;
const RUN_IDLE_MS = 2000;
/** After the site itself failed (disk full, database), try again this much later. */
const STALL_RETRY_MS = 30_000;

export interface BacklogOptions {
  site: IngestSite;
  lane: IngestLane;
  /** Where received files that could not be ingested are set aside, with their reason. */
  failedFolder: string;
  maxFiles: number;
  clock?: () => Date;
  logger?: Logger;
  onIngested?(outcome: IngestFileOutcome, setAsideAs: string | null): void;
  onRunFinished?(summary: IngestSummary): void;
  /** The site could not ingest at all (disk full, database): files stay queued on disk. */
  onStalled?(error: unknown): void;
}

export class ReceivedBacklog {
  readonly #options: BacklogOptions;
  readonly #queue: string[] = [];
  #working: Promise<void> | null = null;
  #run: IngestRun | null = null;
  #stopping = false;
  #stalled = false;
  #idleTimer: NodeJS.Timeout | null = null;
  #waiters = new Set<() => void>();

  constructor(options: BacklogOptions) {
    this.#options = options;
  }

  get incomingFolder(): string {
    return join(this.#options.site.paths.quarantine, INCOMING);
  }

  /** Files acknowledged and not yet ingested (the one being ingested included). */
  get size(): number {
    return this.#queue.length;
  }

  hasRoom(): boolean {
    return !this.#stopping && !this.#stalled && this.#queue.length < this.#options.maxFiles;
  }

  /** Resolves true once there is room, or false after `timeoutMs`. */
  async waitForRoom(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.hasRoom()) {
      const left = deadline - Date.now();
      if (left <= 0 || this.#stopping || this.#stalled) return false;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        this.#waiters.add(done);
        function done() {
          clearTimeout(timer);
          resolve();
        }
      });
    }
    return true;
  }

  /** Queues a file of `incoming/` (by name) and starts ingesting if idle. */
  add(name: string): void {
    this.#queue.push(name);
    this.#kick();
  }

  /**
   * Queues what an earlier process left in `incoming/`: acknowledged files it had no time to ingest.
   * Unfinished writes (`.part`, never acknowledged) are deleted; held files stay where they are.
   */
  async recover(): Promise<number> {
    const folder = this.incomingFolder;
    const held = new Set(
      new ResearchIndex(this.#options.site.database).listHeld().map((entry) => entry.quarantineName),
    );
    let queued = 0;
    for (const name of (await readdir(folder)).sort()) {
      if (name.endsWith('.part')) await unlink(join(folder, name)).catch(() => undefined);
      else if (name.endsWith('.dcm') && !held.has(`${INCOMING}/${name}`)) {
        this.#queue.push(name);
        queued += 1;
      }
    }
    this.#kick();
    return queued;
  }

  /** Resolves when nothing is queued or being ingested, and the run so far is recorded. */
  async whenIdle(): Promise<void> {
    while (this.#working !== null) await this.#working;
    if (this.#run !== null && this.#queue.length === 0) {
      this.#clearIdleTimer();
      this.#launch(() => this.#finishQuietly());
      while (this.#working !== null) await this.#working;
    }
  }

  /** Finishes the file being ingested and the run; what is still queued stays on disk for next time. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.#notify();
    await this.whenIdle();
  }

  #kick(): void {
    if (this.#working !== null || this.#stopping || this.#stalled || this.#queue.length === 0) return;
    this.#clearIdleTimer();
    this.#launch(() => this.#work());
  }

  /** Runs `job` as the one piece of work in progress; then picks up what was added meanwhile. */
  #launch(job: () => Promise<void>): void {
    // Nobody may be awaiting this promise: a rejection left loose would end the process.
    const guarded = job().catch((error: unknown) =>
      this.#options.logger?.error({ error: errorCode(error) }, 'received files: ingest step failed'),
    );
    this.#working = guarded.finally(() => {
      this.#working = null;
      this.#notify();
      this.#kick();
    });
  }

  #clearIdleTimer(): void {
    if (this.#idleTimer !== null) clearTimeout(this.#idleTimer);
    this.#idleTimer = null;
  }

  async #work(): Promise<void> {
    const { lane, logger } = this.#options;
    try {
      while (!this.#stopping && this.#queue.length > 0) {
        const name = this.#queue[0] as string;
        // Stopping while waiting for the lane: this file is not started; it stays for next time.
        const done = await lane.run(() => (this.#stopping ? Promise.resolve(null) : this.#ingestOne(name)));
        if (done === null) break;
        const { outcome, setAsideAs } = done;
        this.#queue.shift();
        this.#notify();
        this.#options.onIngested?.(outcome, setAsideAs);
        if ((this.#run?.counts.files ?? 0) >= RUN_MAX_FILES) await this.#finishRun();
      }
      if (this.#stopping) await this.#finishRun();
      else if (this.#run !== null) {
        // More may come in a moment (the next instance of the same push): keep the run open a while.
        this.#idleTimer = setTimeout(() => {
          this.#idleTimer = null;
          if (this.#working === null) this.#launch(() => this.#finishQuietly());
        }, RUN_IDLE_MS);
        this.#idleTimer.unref();
      }
    } catch (error) {
      // Not a verdict on one file: the site cannot ingest now. Stop; the files wait on disk.
      this.#stalled = true;
      logger?.error(
        { error: errorCode(error), queued: this.#queue.length },
        'ingest of received files stopped',
      );
      await this.#finishRun(error).catch(() => undefined);
      this.#options.onStalled?.(error);
      setTimeout(() => {
        this.#stalled = false;
        this.#kick();
      }, STALL_RETRY_MS).unref();
    }
  }

  async #finishQuietly(): Promise<void> {
    await this.#finishRun().catch((error: unknown) =>
      this.#options.logger?.error({ error: errorCode(error) }, 'ingest run could not be recorded'),
    );
  }

  async #ingestOne(name: string): Promise<{ outcome: IngestFileOutcome; setAsideAs: string | null }> {
    const { site, clock, logger, failedFolder } = this.#options;
    this.#run ??= IngestRun.start(site, {
      source: 'dicom-receiver',
      ...(clock ? { clock } : {}),
      ...(logger ? { logger } : {}),
    });
    const quarantineName = `${INCOMING}/${name}`;
    const outcome = await this.#run.ingestQuarantined(quarantineName);
    let setAsideAs: string | null = null;
    if (outcome.status === 'rejected' || outcome.status === 'failed') {
      // It was acknowledged: never delete it. Kept aside, with why, for the operator.
      const moved = await setAsideFailed(
        join(site.paths.quarantine, quarantineName),
        failedFolder,
        outcome.reason ?? outcome.status,
        {
          status: outcome.status,
          source: 'DICOM receiver',
        },
      );
      setAsideAs = moved.name;
    } else if (outcome.status !== 'held') {
      await releaseQuarantined(site, quarantineName);
    }
    return { outcome, setAsideAs };
  }

  async #finishRun(error?: unknown): Promise<void> {
    const run = this.#run;
    if (run === null) return;
    this.#run = null;
    const summary = await this.#options.lane.run(() => run.finish(error));
    if (error === undefined) this.#options.onRunFinished?.(summary);
  }

  #notify(): void {
    const waiters = [...this.#waiters];
    this.#waiters.clear();
    for (const wake of waiters) wake();
  }
}
