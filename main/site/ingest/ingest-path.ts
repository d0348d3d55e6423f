// Ingest: every file under the input is copied into quarantine, de-identified (PS3.15 Annex E, with the
// site's options), stored in the research store and indexed; the identified copy is then deleted.
// A file held back (burned-in text, a verification hit) stays in quarantine; a file that is not DICOM
// is recorded as rejected; a file whose patient is not in by consent (main/site/consent) is recorded
// as excluded and its identified copy deleted. The operator's source files are only ever read.
//
// Privacy: nothing derived from the input's names reaches the database, the audit log, the logs or a
// file name here: inputs are known by their SHA-256, quarantine copies by a random name.
import { createHash } from 'node:crypto';
import { readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { AuditLog } from '../audit/index.ts';
import { ConsentGate, SiteConsent } from '../consent/index.ts';
import {
  DeidSettingsError,
  deidentifyInstance,
  parseDeidOptions,
  type DeidSettings,
  type InstanceOutcome,
} from '../deid/index.ts';
import { ResearchIndex, type IngestRunCounts, type Site } from '../store/index.ts';
import { listInputFiles } from './input-walk.ts';
import { putInQuarantine, removeFromQuarantine, sweepQuarantine } from './quarantine.ts';
import { researchRelativePath, writeResearchFile } from './research-files.ts';

// A quarantine copy no held entry accounts for, this old, was left by an interrupted run.
const ORPHAN_AGE_MS = 60 * 60 * 1000;

export type IngestFileStatus =
  'deidentified' | 'held' | 'rejected' | 'excluded' | 'already-ingested' | 'failed';

export interface IngestFileOutcome {
  status: IngestFileStatus;
  /** Why a file was held, rejected or failed; null otherwise. Never holds a patient value. */
  reason: string | null;
  /** The input path, for the operator's own terminal only: it is never logged or stored. */
  input: string;
}

export interface IngestOptions {
  onProgress?(done: number, total: number, outcome: IngestFileOutcome): void;
  clock?: () => Date;
  logger?: Logger;
  /** Recorded as the actor of the audit entry. */
  actor?: string;
}

export interface IngestSummary extends IngestRunCounts {
  /** Files whose patient is not in by consent: not stored, identified copy deleted. */
  excluded?: number;
  durationMs: number;
}

/** What ingest needs of a site (an open `Site` has all of it). */
export type IngestSite = Pick<Site, 'directory' | 'paths' | 'config' | 'secret' | 'database'>;

export async function ingestPath(
  site: IngestSite,
  inputPath: string,
  options: IngestOptions = {},
): Promise<IngestSummary> {
  const started = performance.now();
  const clock = options.clock ?? (() => new Date());
  const files = await listInputFiles(inputPath, [site.directory]);
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
  const runId = index.startRun();
  const log = options.logger?.child({ component: 'ingest', runId });
  const actor = options.actor ?? 'site-agent';
  const ctx = createFileContext(site, index, runId, log, { clock, actor });
  let excluded = 0;
  let swept: number;
  try {
    // Compared with file times, so the machine's time, not the injected clock.
    const held = new Set(index.listHeld().map((entry) => entry.quarantineName));
    swept = await sweepQuarantine(site.paths.quarantine, held, new Date(Date.now() - ORPHAN_AGE_MS));
    log?.info({ files: files.length, sweptFromQuarantine: swept }, 'ingest started');
    for (const [i, file] of files.entries()) {
      const { status, reason } = await ingestFile(ctx, file);
      if (status === 'excluded') excluded += 1;
      else counts[status === 'already-ingested' ? 'alreadyIngested' : status] += 1;
      options.onProgress?.(i + 1, files.length, { status, reason, input: file });
    }
  } catch (error) {
    // A failure of the site itself (disk full, database locked too long): stop, and say so in the log.
    index.finishRun(runId, counts, 'failed');
    audit.append({
      type: 'ingest.failed',
      actor: options.actor ?? 'site-agent',
      detail: { runId, ...counts, excluded, error: errorCode(error) },
    });
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
      runId,
      ...counts,
      excluded,
      purgedByConsent: purged.length,
      sweptFromQuarantine: swept,
      deidOptions: [...ctx.settings.options],
      durationMs,
    },
  });
  log?.info({ ...counts, excluded, durationMs }, 'ingest completed');
  return { ...counts, excluded, durationMs };
}

export interface FileResult {
  status: IngestFileStatus;
  reason: string | null;
}

export interface FileContext {
  site: IngestSite;
  settings: DeidSettings;
  index: ResearchIndex;
  runId: number;
  log: Logger | undefined;
  /** Consent at ingest: call `gate.finish` when the run ends. */
  gate: ConsentGate;
}

/** What processing one file needs; also used by ingest-run.ts (the receiver and the watched folder). */
export function createFileContext(
  site: IngestSite,
  index: ResearchIndex,
  runId: number,
  log: Logger | undefined,
  options: { clock?: () => Date; actor?: string } = {},
): FileContext {
  const settings: DeidSettings = { secret: site.secret, options: parseDeidOptions(site.config.deidOptions) };
  const gate = new ConsentGate(new SiteConsent(site, { ...options, ...(log ? { logger: log } : {}) }));
  return { site, settings, index, runId, log, gate };
}

export async function ingestFile(ctx: FileContext, file: string): Promise<FileResult> {
  const { site, index, log } = ctx;
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    log?.warn({ error: errorCode(error) }, 'input file unreadable');
    return { status: 'failed', reason: `the file could not be read (${errorCode(error)})` };
  }
  const inputSha256 = createHash('sha256').update(bytes).digest('hex');
  if (index.outcomeOfInput(inputSha256) !== null) return { status: 'already-ingested', reason: null };

  // The identified copy lives only here until its de-identified copy is stored; it stays only when
  // the file is held back. Whatever else happens, even an error, it is deleted.
  const quarantineName = await putInQuarantine(site.paths.quarantine, bytes);
  let keepInQuarantine = false;
  try {
    const result = await processQuarantined(ctx, bytes, inputSha256, quarantineName);
    keepInQuarantine = result.status === 'held';
    log?.debug({ status: result.status }, 'file processed');
    return result;
  } finally {
    if (!keepInQuarantine) await removeFromQuarantine(site.paths.quarantine, quarantineName);
  }
}

export async function processQuarantined(
  ctx: FileContext,
  bytes: Uint8Array,
  inputSha256: string,
  quarantineName: string,
): Promise<FileResult> {
  const { site, index, runId, log } = ctx;
  let outcome: InstanceOutcome;
  try {
    outcome = deidentifyInstance(bytes, ctx.settings);
  } catch (error) {
    // Bad settings (a short secret, conflicting options) fail every file alike: stop the run.
    if (error instanceof DeidSettingsError) throw error;
    // An engine fault, not a verdict on the file: leave no record, so a later run retries it.
    log?.error({ error: errorCode(error) }, 'de-identification engine failed');
    return {
      status: 'failed',
      reason: `the de-identification engine failed on this file (${errorCode(error)})`,
    };
  }

  // Consent first: a patient who is not in is neither stored nor held back; the caller deletes the
  // identified copy.
  if (outcome.instance !== null && outcome.status !== 'rejected') {
    const excludedFor = ctx.gate.check({
      inputSha256,
      pseudonym: outcome.instance.patientPseudonym,
      studyUid: outcome.instance.studyInstanceUid,
      runId,
    });
    if (excludedFor !== null) return { status: 'excluded', reason: excludedFor };
  }

  if (outcome.status === 'held') {
    const reason = outcome.reason ?? 'held back by de-identification';
    index.recordHeld({
      inputSha256,
      reason,
      quarantineName,
      patientPseudonym: outcome.instance?.patientPseudonym ?? null,
      studyUid: outcome.instance?.studyInstanceUid ?? null,
      runId,
    });
    return { status: 'held', reason };
  }
  if (outcome.status === 'rejected') {
    const reason = outcome.reason ?? 'not a DICOM file';
    index.recordRejected({ inputSha256, reason, runId });
    return { status: 'rejected', reason };
  }

  const { instance, output } = outcome;
  if (instance === null || output === null) {
    log?.error('de-identification engine returned no output');
    return { status: 'failed', reason: 'the de-identification engine returned no output for this file' };
  }
  let relativePath: string;
  try {
    relativePath = researchRelativePath(instance);
  } catch (error) {
    log?.error({ error: errorCode(error) }, 'unusable identifier from the engine');
    return { status: 'failed', reason: (error as Error).message };
  }
  const previousPath = index.instancePath(instance.sopInstanceUid);
  const written = await writeResearchFile(site.paths.research, relativePath, output);
  index.storeInstance({ instance, path: relativePath, ...written, inputSha256, runId });
  ctx.gate.admitted(inputSha256, instance.patientPseudonym);
  if (previousPath !== null && previousPath !== relativePath) {
    // The same instance was filed elsewhere before (its series moved): keep one copy only.
    await removeResearchFile(site.paths.research, previousPath);
  }
  return { status: 'deidentified', reason: null };
}

async function removeResearchFile(root: string, relativePath: string): Promise<void> {
  await unlink(join(root, ...relativePath.split('/'))).catch(() => undefined);
}

/** A short, PHI-free name for an error: its code or class, never its message (which may quote a path). */
export function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(code)) return code;
  return error instanceof Error ? error.name : 'unknown error';
}
