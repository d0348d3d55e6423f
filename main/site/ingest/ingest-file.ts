// One file through ingest: copied into quarantine, de-identified (PS3.15 Annex E, with the site's
// options) from as few of its bytes as will do, stored in the research store and indexed; the
// identified copy is then deleted. A file held back (burned-in text, a verification hit) stays in
// quarantine; a file that is not DICOM is recorded as rejected; a file whose patient is not in by
// consent (main/site/consent) is recorded as excluded and its identified copy deleted. The operator's
// source files are only ever read. Memory stays bounded whatever a file's size: files are hashed and
// copied in pieces, and an image whose pixel data comes last is de-identified from its header.
//
// Privacy: nothing derived from the input's names reaches the database, the audit log, the logs or a
// file name here: inputs are known by their SHA-256, quarantine copies by a random name.
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { errorCode, safeMessage } from '../../../shared/log-safety.ts';
import { ConsentGate, SiteConsent } from '../consent/index.ts';
import { DeidSettingsError, parseDeidOptions, type DeidSettings } from '../deid/index.ts';
import type { ResearchIndex, Site } from '../store/index.ts';
import { deidentifyFromFile, type FileDeidentification } from './deidentify-file.ts';
import { heldNameOfInput } from './ingest-runs.ts';
import {
  copyIntoQuarantine,
  hashFile,
  keepAsHeld,
  removeFromQuarantine,
  SourceReadError,
} from './quarantine.ts';
import { researchRelativePath, writeResearchFile } from './research-files.ts';

// What of an error may be logged is decided once for every room (shared/log-safety.ts); the ingest
// room's callers keep importing it from here.
export { errorCode };

export type IngestFileStatus =
  'deidentified' | 'held' | 'rejected' | 'excluded' | 'already-ingested' | 'failed';

/** What ingest needs of a site (an open `Site` has all of it). */
export type IngestSite = Pick<Site, 'directory' | 'paths' | 'config' | 'secret' | 'database'>;

export interface FileResult {
  status: IngestFileStatus;
  /** Why a file was held, rejected, excluded or failed; null otherwise. Never holds a patient value. */
  reason: string | null;
  /** The input's SHA-256 when it could be read: how the operator is told which file (never its path). */
  inputSha256?: string;
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

const cannotRead = (error: unknown): FileResult => ({
  status: 'failed',
  reason: `the file could not be read (${errorCode(error)}); check that it exists and that this user may read it, then run again`,
});

/** Ingests a file from outside the site. Throws only for a failure of the site itself (disk, database). */
export async function ingestFile(ctx: FileContext, file: string): Promise<FileResult> {
  let inputSha256: string;
  try {
    ({ sha256: inputSha256 } = await hashFile(file));
  } catch (error) {
    ctx.log?.warn({ error: errorCode(error) }, 'input file unreadable');
    return cannotRead(error);
  }
  return { ...(await ingestHashedFile(ctx, file, inputSha256)), inputSha256 };
}

async function ingestHashedFile(ctx: FileContext, file: string, inputSha256: string): Promise<FileResult> {
  const { site, index, log } = ctx;
  if (index.outcomeOfInput(inputSha256) !== null) return { status: 'already-ingested', reason: null };

  // The identified copy lives only here until its de-identified copy is stored; it stays only when
  // the file is held back. Whatever else happens, even an error, it is deleted.
  let copy;
  try {
    copy = await copyIntoQuarantine(site.paths.quarantine, file);
  } catch (error) {
    if (!(error instanceof SourceReadError)) throw error;
    log?.warn({ error: errorCode(error) }, 'input file unreadable');
    return cannotRead(error);
  }
  let held = false;
  try {
    if (copy.sha256 !== inputSha256) {
      return {
        status: 'failed',
        reason: 'the file changed while it was read; run again once it is complete',
      };
    }
    const path = join(site.paths.quarantine, copy.name);
    const result = await processQuarantined(ctx, { path, size: copy.size }, inputSha256, copy.heldName);
    if (result.status === 'held') {
      await keepAsHeld(site.paths.quarantine, copy);
      held = true;
    }
    log?.debug({ status: result.status }, 'file processed');
    return result;
  } finally {
    if (!held) await removeFromQuarantine(site.paths.quarantine, copy.name);
  }
}

/**
 * Processes a quarantined file (`file.path`), recording it as held under `heldName` if held back.
 * The file is neither moved nor deleted here: the caller does that from the outcome.
 */
export async function processQuarantined(
  ctx: FileContext,
  file: { path: string; size: number },
  inputSha256: string,
  heldName: string,
): Promise<FileResult> {
  const { site, index, runId, log } = ctx;
  let deidentified: FileDeidentification;
  try {
    deidentified = await deidentifyFromFile(file.path, file.size, ctx.settings);
  } catch (error) {
    // Bad settings (a short secret, conflicting options) fail every file alike: stop the run.
    if (error instanceof DeidSettingsError) throw error;
    // An engine fault, not a verdict on the file: leave no record, so a later run retries it.
    log?.error({ error: errorCode(error) }, 'de-identification engine failed');
    return {
      status: 'failed',
      reason: `the de-identification engine failed on this file (${errorCode(error)}); run again, and report it if it fails again`,
    };
  }
  const { outcome, tail } = deidentified;

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
      quarantineName: heldName,
      patientPseudonym: outcome.instance?.patientPseudonym ?? null,
      studyUid: outcome.instance?.studyInstanceUid ?? null,
      runId,
    });
    // Another ingest of the same file (another process, at the same moment) held it first: its copy
    // is the one the entry names, so this one must go, or it would stay in quarantine with no entry.
    if (heldNameOfInput(site.database, inputSha256) !== heldName)
      return { status: 'already-ingested', reason: null };
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
    return {
      status: 'failed',
      reason: 'the de-identification engine returned no output for this file; report it',
    };
  }
  if (!instance.studyInstanceUid || !instance.seriesInstanceUid) {
    const reason =
      'Study Instance UID (0020,000D) or Series Instance UID (0020,000E) is missing, so the image cannot be filed in a study; re-export it from the source';
    index.recordRejected({ inputSha256, reason, runId });
    return { status: 'rejected', reason };
  }
  let relativePath: string;
  try {
    relativePath = researchRelativePath(instance);
  } catch (error) {
    log?.error({ error: errorCode(error) }, 'unusable identifier from the engine');
    return { status: 'failed', reason: safeMessage(error) ?? errorCode(error) };
  }
  const previousPath = index.instancePath(instance.sopInstanceUid);
  const written = await writeResearchFile(site.paths.research, relativePath, output, tail);
  index.storeInstance({ instance, path: relativePath, ...written, inputSha256, runId });
  ctx.gate.admitted(inputSha256, instance.patientPseudonym);
  if (previousPath !== null && previousPath !== relativePath) {
    // The same instance was filed elsewhere before (its series moved): keep one copy only.
    await unlink(join(site.paths.research, ...previousPath.split('/'))).catch(() => undefined);
  }
  return { status: 'deidentified', reason: null };
}
