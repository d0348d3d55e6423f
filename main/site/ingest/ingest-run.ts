// An ingest run fed one file at a time, for sources that hand files over as they come (the DICOM
// receiver, the watched folder) rather than a path walked up front (ingest-path.ts). Each file goes
// through the same processing as `radfed site ingest`; the run is recorded, and audited, the same way.
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AuditLog, commandActor } from '../audit/index.ts';
import { applyHeldFilePolicy, countsAfterPolicy } from '../held/index.ts';
import { ResearchIndex, type IngestRunCounts } from '../store/index.ts';
import {
  createFileContext,
  errorCode,
  ingestFile,
  processQuarantined,
  type FileContext,
  type FileResult,
  type IngestSite,
} from './ingest-file.ts';
import type { IngestFileOutcome, IngestSummary } from './ingest-path.ts';
import { startOwnedRun } from './ingest-runs.ts';
import { hashFile, removeFromQuarantine } from './quarantine.ts';
import { SerialQueue } from '../../../shared/serial-queue.ts';

export interface IngestRunOptions {
  /** What feeds the run, recorded in its audit entry: `dicom-receiver`, `watched-folder`. */
  source: string;
  clock?: () => Date;
  logger?: Logger;
  /** Recorded as the actor of the audit entry. */
  actor?: string;
}

export class IngestRun {
  readonly id: number;
  readonly #ctx: FileContext;
  readonly #audit: AuditLog;
  readonly #options: IngestRunOptions;
  readonly #started = performance.now();
  readonly #counts: IngestRunCounts = {
    files: 0,
    deidentified: 0,
    held: 0,
    rejected: 0,
    alreadyIngested: 0,
    failed: 0,
  };
  /** Files whose patient is not in by consent (main/site/consent): not stored, nor kept. */
  #excluded = 0;
  #finished = false;

  private constructor(site: IngestSite, options: IngestRunOptions) {
    const clock = options.clock ?? (() => new Date());
    const index = new ResearchIndex(site.database, clock);
    this.#audit = new AuditLog(site.database, clock);
    this.#options = options;
    this.id = startOwnedRun(site.database, index);
    const log = options.logger?.child({ component: 'ingest', runId: this.id, source: options.source });
    this.#ctx = createFileContext(site, index, this.id, log, {
      clock,
      actor: options.actor ?? commandActor(),
    });
  }

  static start(site: IngestSite, options: IngestRunOptions): IngestRun {
    return new IngestRun(site, options);
  }

  get counts(): Readonly<IngestRunCounts & { excluded: number }> {
    return { ...this.#counts, excluded: this.#excluded };
  }

  /**
   * Ingests a file from outside the site (the watched folder): it is copied into quarantine and
   * processed; the file itself is only read. `input` is returned in the outcome, never logged.
   */
  async ingestFile(input: string): Promise<IngestFileOutcome> {
    this.#checkOpen();
    return this.#count(input, await ingestFile(this.#ctx, input));
  }

  /**
   * Processes a file already in the site's quarantine, named relative to it (`incoming/<uuid>.dcm`:
   * a received instance, written and flushed before it was acknowledged). Unlike `ingestFile`, the
   * file is left where it is whatever the outcome: the caller deletes it, keeps it (held: the held
   * entry names it), or sets it aside (rejected, failed), since it may be the only copy there is.
   */
  async ingestQuarantined(quarantineName: string): Promise<IngestFileOutcome> {
    this.#checkOpen();
    const { site, index, log } = this.#ctx;
    const path = join(site.paths.quarantine, quarantineName);
    let file: { sha256: string; size: number };
    try {
      file = await hashFile(path);
    } catch (error) {
      log?.warn({ error: errorCode(error) }, 'quarantined file unreadable');
      return this.#count(quarantineName, {
        status: 'failed',
        reason: `the received file could not be read (${errorCode(error)})`,
      });
    }
    if (index.outcomeOfInput(file.sha256) !== null) {
      return this.#count(quarantineName, { status: 'already-ingested', reason: null });
    }
    return this.#count(
      quarantineName,
      await processQuarantined(this.#ctx, { path, size: file.size }, file.sha256, quarantineName),
    );
  }

  /**
   * Processes a prepared copy of a held file (main/site/held: its pixels cleaned, or its burned-in
   * hold lifted by a person), in quarantine as `preparedName`, as that held input: recorded under the
   * held input's SHA-256, so the original is known as ingested, and kept under its held entry when
   * held again. The caller removes both copies as the outcome says.
   */
  async ingestHeldCopy(
    preparedName: string,
    held: { inputSha256: string; quarantineName: string },
  ): Promise<IngestFileOutcome> {
    this.#checkOpen();
    const path = join(this.#ctx.site.paths.quarantine, preparedName);
    const { size } = await hashFile(path);
    return this.#count(
      held.quarantineName,
      await processQuarantined(this.#ctx, { path, size }, held.inputSha256, held.quarantineName),
    );
  }

  /** Records the run and its audit entries (`ingest.completed`, or `ingest.failed` with `error`). */
  async finish(error?: unknown): Promise<IngestSummary> {
    this.#checkOpen();
    this.#finished = true;
    const { index, log, settings, gate } = this.#ctx;
    const actor = this.#options.actor ?? commandActor();
    const failed = error !== undefined;
    const { purged } = failed ? { purged: [] } : await gate.finish(this.id, this.#audit, actor);
    const durationMs = Math.round(performance.now() - this.#started);
    const counts = { ...this.#counts, excluded: this.#excluded };
    index.finishRun(this.id, this.#counts, failed ? 'failed' : 'completed');
    this.#audit.append({
      type: failed ? 'ingest.failed' : 'ingest.completed',
      actor,
      detail: {
        runId: this.id,
        source: this.#options.source,
        ...counts,
        purgedByConsent: purged.length,
        deidOptions: [...settings.options],
        durationMs,
        ...(failed ? { error: errorCode(error) } : {}),
      },
    });
    log?.info({ ...counts, durationMs }, failed ? 'ingest stopped' : 'ingest completed');
    // The site's held-file policy (main/site/held) may clean, and release, what this run held; a
    // release is a run of its own (source held-review), which has nothing of its own to clean.
    if (failed || this.#options.source === 'held-review') return { ...counts, durationMs };
    const policy = await applyHeldFilePolicy(this.#ctx.site, this.id, {
      actor,
      ...(this.#options.clock ? { clock: this.#options.clock } : {}),
      ...(log ? { logger: log } : {}),
    });
    return countsAfterPolicy({ ...counts, durationMs }, policy);
  }

  #count(input: string, result: FileResult): IngestFileOutcome {
    this.#counts.files += 1;
    if (result.status === 'excluded') this.#excluded += 1;
    else this.#counts[result.status === 'already-ingested' ? 'alreadyIngested' : result.status] += 1;
    return { status: result.status, reason: result.reason, input, sha256: result.inputSha256 ?? null };
  }

  #checkOpen(): void {
    if (this.#finished) throw new Error('This ingest run has finished; start a new one.');
  }
}

/** Deletes a quarantined file once it is no longer needed (stored, or already ingested before). */
export async function releaseQuarantined(site: IngestSite, quarantineName: string): Promise<void> {
  await removeFromQuarantine(site.paths.quarantine, quarantineName);
}

/**
 * One file at a time for the sources that share a lane: the DICOM receiver and the watched folder of
 * one running site (main/site/study-sources) take turns on theirs. It keeps their runs' work and
 * counts in order; it is not what keeps the index right. The agent's ingest of a path (the app's
 * import, `radfed site ingest`, often another process) runs beside them on its own queue, so two
 * ingests of one file can meet: the database is the guard. Instances are upserted by SOP Instance
 * UID, inputs recorded by SHA-256 with INSERT OR IGNORE (held and rejected too), and the research file
 * is written atomically to a path named by the UIDs, so the file is stored once however many ingests
 * saw it as new (ingest-concurrent.spec.ts).
 */
export class IngestLane extends SerialQueue {}
