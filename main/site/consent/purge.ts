// Purging a patient who is out (withdrawn, or refused after being in): their de-identified files and
// index rows, any identified copies held in quarantine, and their tensor cache (D/cache/<pseudonym>/,
// the trainer's layout) all go. Identified copies are found by their content too (identified-copies.ts):
// one no held entry names (left by a killed ingest, queued by the receiver) goes with the rest. Files first, then rows with the audit entry in one transaction: a
// crash between the two leaves rows pointing at missing files, which the next purge finishes, never
// unindexed files nobody would find. The register keeps them out of every later ingest and cohort.
import { existsSync, readdirSync } from 'node:fs';
import { rm, unlink } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import type { Database } from 'better-sqlite3';
import type { AuditLog, AuditDetail } from '../audit/index.ts';
import { eraseFreedPages } from '../store/index.ts';
import { ConsentError } from './consent-error.ts';
import type { IdentifiedCopies } from './identified-copies.ts';
import { ConsentRegister } from './consent-register.ts';

export interface PurgeSite {
  directory: string;
  paths: { research: string; quarantine: string };
  database: Database;
}

/** A completed federated round that used the patient's data (from round_participation). */
export interface RoundUse {
  taskId: string;
  roundId: string;
  completedAt: string;
}

export interface PurgeResult {
  pseudonym: string;
  studies: number;
  instances: number;
  /** Identified copies of this patient's files that were in quarantine (held, or found by content). */
  heldFiles: number;
  /** Of those, copies no held entry named, found by the Patient ID in their header. */
  unrecordedCopies: number;
  cacheRemoved: boolean;
  rounds: RoundUse[];
}

/** The tensor cache of one patient: D/cache/<pseudonym>/. */
export function patientCacheDir(siteDirectory: string, pseudonym: string): string {
  return join(siteDirectory, 'cache', pseudonym);
}

/**
 * Whether the site holds anything of this patient: index rows, held files, a cache folder, or an
 * identified copy in quarantine found by content (`copies`, from findIdentifiedCopies).
 */
export function holdsDataOf(site: PurgeSite, pseudonym: string, copies?: IdentifiedCopies): boolean {
  const db = site.database;
  return (
    (copies?.byPseudonym.get(pseudonym)?.length ?? 0) > 0 ||
    db.prepare('SELECT 1 FROM patients WHERE pseudonym = ?').get(pseudonym) !== undefined ||
    db.prepare('SELECT 1 FROM held WHERE patient_pseudonym = ?').get(pseudonym) !== undefined ||
    existsSync(join(site.paths.research, pseudonym)) ||
    existsSync(patientCacheDir(site.directory, pseudonym))
  );
}

/** Every patient the site holds something of: index rows, held files, research or cache folders. */
export function pseudonymsWithData(site: PurgeSite): string[] {
  const db = site.database;
  const found = new Set([
    ...db.prepare<[], string>('SELECT pseudonym FROM patients').pluck().all(),
    ...db
      .prepare<[], string>('SELECT patient_pseudonym FROM held WHERE patient_pseudonym IS NOT NULL')
      .pluck()
      .all(),
  ]);
  for (const folder of [site.paths.research, join(site.directory, 'cache')]) {
    for (const name of listFolder(folder)) if (ConsentRegister.isPseudonym(name)) found.add(name);
  }
  return [...found];
}

export function roundsThatUsed(db: Database, pseudonym: string): RoundUse[] {
  return db
    .prepare<[string], RoundUse>(
      `SELECT task_id AS taskId, round_id AS roundId, completed_at AS completedAt
       FROM round_participation WHERE pseudonym = ? ORDER BY completed_at, task_id, round_id`,
    )
    .all(pseudonym);
}

/**
 * Removes everything the site holds of one patient and appends the audit entry (type `consent.purged`,
 * with `why` merged into its detail) in the same transaction as the row deletions.
 */
export async function purgePatientData(
  site: PurgeSite,
  pseudonym: string,
  audit: { log: AuditLog; actor: string; why: AuditDetail },
  copies?: IdentifiedCopies,
): Promise<PurgeResult> {
  // It becomes a path component below: only a well-formed pseudonym may.
  if (!ConsentRegister.isPseudonym(pseudonym)) {
    throw new ConsentError('bad-entry', 'Only a patient pseudonym (RF and 16 hex digits) can be purged.');
  }
  const db = site.database;
  const paths = db
    .prepare<[string], string>(
      `SELECT i.path FROM instances i JOIN series s USING (series_uid) JOIN studies t USING (study_uid)
       WHERE t.patient_pseudonym = ?`,
    )
    .pluck()
    .all(pseudonym);
  const studies = db
    .prepare<[string], number>('SELECT COUNT(*) FROM studies WHERE patient_pseudonym = ?')
    .pluck()
    .get(pseudonym);
  const held = db
    .prepare<[string], string>('SELECT quarantine_name FROM held WHERE patient_pseudonym = ?')
    .pluck()
    .all(pseudonym);

  for (const path of paths) await removeInside(site.paths.research, path);
  await rm(join(site.paths.research, pseudonym), { recursive: true, force: true });
  const unrecorded = (copies?.byPseudonym.get(pseudonym) ?? []).filter((name) => !held.includes(name));
  for (const name of [...held, ...unrecorded]) await removeInside(site.paths.quarantine, name);
  const cache = patientCacheDir(site.directory, pseudonym);
  const cacheRemoved = existsSync(cache);
  await rm(cache, { recursive: true, force: true });

  const result: PurgeResult = {
    pseudonym,
    studies: studies ?? 0,
    instances: paths.length,
    heldFiles: held.length + unrecorded.length,
    unrecordedCopies: unrecorded.length,
    cacheRemoved,
    rounds: roundsThatUsed(db, pseudonym),
  };
  db.transaction(() => {
    // Studies, series, instances and their sources go with the patient (ON DELETE CASCADE).
    db.prepare('DELETE FROM patients WHERE pseudonym = ?').run(pseudonym);
    db.prepare('DELETE FROM held WHERE patient_pseudonym = ?').run(pseudonym);
    audit.log.append({
      type: 'consent.purged',
      actor: audit.actor,
      detail: {
        ...audit.why,
        pseudonym,
        studies: result.studies,
        instances: result.instances,
        heldFiles: result.heldFiles,
        unrecordedCopies: result.unrecordedCopies,
        cacheRemoved,
        roundsThatUsedTheirData: result.rounds.map((r) => ({ ...r })),
      },
    });
  }).immediate();
  // The deleted rows' older page copies in the write-ahead log go too (secure_delete zeroed site.db's).
  eraseFreedPages(db);
  return result;
}

/** Deletes root/relativePath, refusing any path that would leave root. */
async function removeInside(root: string, relativePath: string): Promise<void> {
  const target = resolve(root, ...relativePath.split('/'));
  const rel = relative(root, target);
  if (rel === '' || rel.startsWith('..') || rel.includes(`..${sep}`)) return;
  await unlink(target).catch(() => undefined);
}

function listFolder(folder: string): string[] {
  try {
    return readdirSync(folder);
  } catch {
    return [];
  }
}
