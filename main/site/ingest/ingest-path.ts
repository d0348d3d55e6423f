// `radfed site ingest` and the app's import: every file under a path through ingest-file.ts, in one
// recorded and audited run. Every file listed ends in exactly one outcome, and a folder that cannot
// be listed is reported, so a summary's counts always add up to what was asked for.
//
// Privacy: input paths are handed to the caller (the agent, which may read the file again) only; they
// are never logged, stored, audited or shown: the operator is told a file's number and SHA-256.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AuditLog, commandActor } from '../audit/index.ts';
import { applyHeldFilePolicy, countsAfterPolicy } from '../held/index.ts';
import { ResearchIndex, type IngestRunCounts } from '../store/index.ts';
import {
  createFileContext,
  errorCode,
  ingestFile,
  type IngestFileStatus,
  type IngestSite,
} from './ingest-file.ts';
import { recoverInterruptedIngest } from './ingest-recovery.ts';
import { startOwnedRun } from './ingest-runs.ts';
import { walkInput } from './input-walk.ts';

export { errorCode, type IngestFileStatus, type IngestSite } from './ingest-file.ts';

export interface IngestFileOutcome {
  status: IngestFileStatus;
  /** Why a file was held, rejected or failed; null otherwise. Never holds a patient value. */
  reason: string | null;
  /**
   * The input path, for the agent only (the app reads the file again to show its header): never
   * logged, stored or shown, not even on the operator's terminal (cli/input-file-label.ts says why).
   */
  input: string;
  /** The input's SHA-256, null when it could not be read: what the operator is shown instead of a path. */
  sha256: string | null;
}

export interface IngestOptions {
  onProgress?(done: number, total: number, outcome: IngestFileOutcome): void;
  /** A folder under the input that could not be listed (path for the agent only, never shown; `code` e.g. EACCES). */
  onUnreadableFolder?(path: string, code: string): void;
  clock?: () => Date;
  logger?: Logger;
  /** Recorded as the actor of the audit entry. */
  actor?: string;
}

export interface IngestSummary extends IngestRunCounts {
  /** Files whose patient is not in by consent: not stored, identified copy deleted. */
  excluded?: number;
  /** Folders under the input that could not be listed: their files are in no count. */
  unreadableFolders?: number;
  durationMs: number;
}

export async function ingestPath(
  site: IngestSite,
  inputPath: string,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const clock = options.clock ?? (() => new Date());
  const actor = options.actor ?? commandActor();
  // What a killed run left (its run still 'running', identified copies in quarantine) goes first.
  recoverInterruptedIngest(site, { clock, actor, ...(options.logger ? { logger: options.logger } : {}) });
  const { files, unreadableFolders } = await walkInput(inputPath, [site.directory]);
  for (const folder of unreadableFolders) options.onUnreadableFolder?.(folder.path, folder.code);
  const index = new ResearchIndex(site.database, clock);
  const audit = new AuditLog(site.database, clock);
  const counts: IngestRunCounts = {
    files: files.length,
    deidentified: 0,
    held: 0,
    rejected: 0,
    alreadyIngested: 0,
    failed: 0,
  };
  const runId = startOwnedRun(site.database, index);
  const log = options.logger?.child({ component: 'ingest', runId });
  const ctx = createFileContext(site, index, runId, log, { clock, actor });
  let excluded = 0;
  const detail = () => ({ runId, ...counts, excluded, unreadableFolders: unreadableFolders.length });
  try {
    log?.info({ files: files.length, unreadableFolders: unreadableFolders.length }, 'ingest started');
    for (const [i, file] of files.entries()) {
      const { status, reason, inputSha256 } = await ingestFile(ctx, file);
      if (status === 'excluded') excluded += 1;
      else counts[status === 'already-ingested' ? 'alreadyIngested' : status] += 1;
      options.onProgress?.(i + 1, files.length, { status, reason, input: file, sha256: inputSha256 ?? null });
    }
  } catch (error) {
    // A failure of the site itself (disk full, database locked too long): stop, and say so in the log.
    index.finishRun(runId, counts, 'failed');
    audit.append({ type: 'ingest.failed', actor, detail: { ...detail(), error: errorCode(error) } });
    log?.error({ error: errorCode(error), ...counts }, 'ingest stopped');
    throw error;
  }
  const { purged } = await ctx.gate.finish(runId, audit, actor);
  const durationMs = Math.round(performance.now() - started);
  index.finishRun(runId, counts, 'completed');
  audit.append({
    type: 'ingest.completed',
    actor,
    detail: {
      ...detail(),
      purgedByConsent: purged.length,
      deidOptions: [...ctx.settings.options],
      durationMs,
    },
  });
  if (counts.failed > 0 || unreadableFolders.length > 0) {
    log?.warn({ failed: counts.failed, unreadableFolders: unreadableFolders.length }, 'ingest incomplete');
  }
  log?.info({ ...counts, excluded, durationMs }, 'ingest completed');
  // The site's held-file policy (main/site/held) may clean, and release, what this run held.
  const policy = await applyHeldFilePolicy(site, runId, { actor, clock, ...(log ? { logger: log } : {}) });
  return countsAfterPolicy(
    { ...counts, excluded, unreadableFolders: unreadableFolders.length, durationMs },
    policy,
  );
}
