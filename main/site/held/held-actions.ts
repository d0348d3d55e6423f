// What a person (or the site's held-file policy) does with a held file: release it as is, once a
// person has checked there is no text in the picture; release it cleaned; or delete it. Releasing goes
// through the same de-identification and verification as ingest (an ingest run of its own, source
// `held-review`): "as is" lifts only the burned-in hold, nothing else. Once released or deleted, the
// identified copy leaves quarantine and the held entry is closed; every action is audited with the
// person who did it.
import { randomUUID } from 'node:crypto';
import { unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { HeldActionResult } from '../../../shared/ipc/index.ts';
import { AuditLog } from '../audit/index.ts';
import { DicomParseError, parseDicom, setString, Tags, writeDicom } from '../dicom/index.ts';
import { currentOwner, IngestRun, type IngestSite } from '../ingest/index.ts';
import {
  checkAction,
  HeldFileError,
  heldFileView,
  heldRow,
  plainReason,
  quarantinePath,
  readHeldCopy,
  type HeldRow,
} from './held-files.ts';

export interface HeldActionOptions {
  /** The person the audit entry names (the operator of `site ui`, the account that ran a command). */
  actor: string;
  clock?: () => Date;
  logger?: Logger;
}

/**
 * Releases a held file as it is, on a person's word that its picture shows no identifying text
 * (`confirmedBy`, recorded). Its Burned In Annotation becomes NO, and it then goes through
 * de-identification and verification like any file: anything else that held it still holds it.
 */
export async function releaseAsIs(
  site: IngestSite,
  id: number,
  confirmedBy: string,
  options: HeldActionOptions,
): Promise<HeldActionResult> {
  const name = confirmedBy.trim();
  if (name === '') {
    throw new HeldFileError(
      'held-name-required',
      'Write the name of the person who checked the picture for text before releasing it as is.',
    );
  }
  const row = heldRow(site, id);
  checkAction(heldFileView(site, row), 'release-as-is');
  const file = parseHeld(await readHeldCopy(site, row), id);
  // The person's check stands for the flag the modality did not set (PS3.3 C.7.6.1.1.3: NO means the
  // image carries no burned-in identifying text).
  setString(file.dataset, Tags.BurnedInAnnotation, 'CS', 'NO');
  const bytes = Buffer.concat(writeDicom(file));
  return releasePrepared(site, row, bytes, { how: 'as-is', confirmedBy: name }, options);
}

/**
 * Releases a held file from a prepared copy of it (cleaned pixels, or the hold lifted): the copy is
 * de-identified and verified as the held input; released or excluded by consent, the identified copy
 * and the held entry go; still held, the entry keeps the new reason.
 */
export async function releasePrepared(
  site: IngestSite,
  row: HeldRow,
  bytes: Uint8Array,
  how: { how: 'as-is'; confirmedBy: string } | { how: 'cleaned'; detail: Record<string, string | number> },
  options: HeldActionOptions,
): Promise<HeldActionResult> {
  const audit = new AuditLog(site.database, options.clock);
  // An in-flight name of this process: a crash leaves it to the start-up clean-up, never for ever.
  const preparedName = `${randomUUID()}.${currentOwner()}.ingesting`;
  const preparedPath = join(site.paths.quarantine, preparedName);
  await writeFile(preparedPath, bytes, { mode: 0o600, flag: 'wx' });
  const run = IngestRun.start(site, {
    source: 'held-review',
    actor: options.actor,
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  let outcome;
  try {
    outcome = await run.ingestHeldCopy(preparedName, row);
    await run.finish();
  } catch (error) {
    await run.finish(error).catch(() => undefined);
    throw error;
  } finally {
    await unlink(preparedPath).catch(() => undefined);
  }
  const detail = {
    heldId: row.id,
    runId: run.id,
    how: how.how,
    ...(how.how === 'as-is' ? { confirmedBy: how.confirmedBy } : how.detail),
    patientPseudonym: row.patientPseudonym,
    heldFor: row.reason,
  };
  if (outcome.status === 'deidentified' || outcome.status === 'excluded') {
    await closeHeld(site, row);
    audit.append({
      type: outcome.status === 'deidentified' ? 'held.released' : 'held.excluded',
      actor: options.actor,
      detail: { ...detail, ...(outcome.reason ? { consent: outcome.reason } : {}) },
    });
    return outcome.status === 'deidentified'
      ? { outcome: 'released', id: row.id, how: how.how }
      : { outcome: 'excluded', id: row.id, reason: outcome.reason ?? 'not in by consent' };
  }
  const reason = outcome.reason ?? 'held back by de-identification';
  site.database.prepare('UPDATE held SET reason = ? WHERE id = ?').run(reason, row.id);
  audit.append({ type: 'held.still-held', actor: options.actor, detail: { ...detail, reason } });
  return { outcome: 'still-held', id: row.id, plainReason: plainReason(reason), technicalReason: reason };
}

/** Deletes a held file: its identified copy leaves quarantine and its entry is closed, audited. */
export async function deleteHeld(
  site: IngestSite,
  id: number,
  options: HeldActionOptions,
): Promise<HeldActionResult> {
  const row = heldRow(site, id);
  await closeHeld(site, row);
  new AuditLog(site.database, options.clock).append({
    type: 'held.deleted',
    actor: options.actor,
    detail: { heldId: row.id, patientPseudonym: row.patientPseudonym, heldFor: row.reason },
  });
  return { outcome: 'deleted', id: row.id };
}

/** The identified copy first, then the entry: a crash between leaves an entry with no copy, never the reverse. */
async function closeHeld(site: IngestSite, row: HeldRow): Promise<void> {
  try {
    await unlink(quarantinePath(site, row));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  site.database.prepare('DELETE FROM held WHERE id = ?').run(row.id);
}

function parseHeld(bytes: Uint8Array, id: number) {
  try {
    return parseDicom(bytes);
  } catch (error) {
    if (!(error instanceof DicomParseError)) throw error;
    throw new HeldFileError(
      'held-action-not-allowed',
      `Held file number ${id} can no longer be read as DICOM (${error.code}), so it cannot be released; delete it.`,
    );
  }
}
