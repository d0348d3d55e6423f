// The site's held-file policy, applied when an ingest run ends (ingest-path.ts, ingest-run.ts): the
// images that run held for text in the picture are cleaned by main/site/burned-in. Under
// "clean automatically" what reads clean is released through de-identification like any file; under
// "clean and still ask" the cleaned copy takes the identified one's place in quarantine and waits for
// a person. Whatever cannot be cleaned stays held with why. A failure of the cleaner (its model
// missing, say) leaves the file held and is logged: it never fails the ingest that held it.
import { randomUUID } from 'node:crypto';
import { rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuditLog } from '../audit/index.ts';
import { cleanBurnedInText } from '../burned-in/index.ts';
import { currentOwner, errorCode, type IngestSite } from '../ingest/index.ts';
import type { HeldActionOptions } from './held-actions.ts';
import { cleanAndRelease } from './held-clean.ts';
import {
  CLEANED_FOR_REVIEW,
  heldRows,
  kindOf,
  quarantinePath,
  readHeldCopy,
  type HeldRow,
} from './held-files.ts';
import { currentHeldFilePolicy } from './held-policy.ts';

export interface HeldPolicySummary {
  /** Cleaned and released into the research store. */
  released: number;
  /** Cleaned, then left out: the patient is not in by consent (the identified copy is gone). */
  excluded: number;
  /** Cleaned, waiting for a person ("clean and still ask"). */
  cleanedForReview: number;
  /** Still held: the cleaner could not make them safe, or failed. */
  stillHeld: number;
}

export async function applyHeldFilePolicy(
  site: IngestSite,
  runId: number,
  options: HeldActionOptions,
): Promise<HeldPolicySummary> {
  const summary: HeldPolicySummary = { released: 0, excluded: 0, cleanedForReview: 0, stillHeld: 0 };
  const policy = currentHeldFilePolicy(site);
  if (policy === 'hold') return summary;
  const rows = heldRows(site).filter(
    (row) => row.ingestRunId === runId && kindOf(row.reason) === 'burned-in-text',
  );
  for (const row of rows) {
    try {
      if (policy === 'clean-automatically') {
        const result = await cleanAndRelease(site, row.id, options);
        if (result.outcome === 'released') summary.released += 1;
        else if (result.outcome === 'excluded') summary.excluded += 1;
        else summary.stillHeld += 1;
      } else if (await cleanForReview(site, row, options)) summary.cleanedForReview += 1;
      else summary.stillHeld += 1;
    } catch (error) {
      summary.stillHeld += 1;
      options.logger?.warn({ error: errorCode(error), heldId: row.id }, 'held-file policy could not clean');
    }
  }
  return summary;
}

/** A run's counts once the policy has released or left out some of what it held. */
export function countsAfterPolicy<T extends { deidentified: number; held: number; excluded?: number }>(
  counts: T,
  policy: HeldPolicySummary,
): T {
  return {
    ...counts,
    deidentified: counts.deidentified + policy.released,
    held: counts.held - policy.released - policy.excluded,
    ...(counts.excluded === undefined ? {} : { excluded: counts.excluded + policy.excluded }),
  };
}

/** Cleans a held image and puts the cleaned copy in the identified one's place; false when still held. */
async function cleanForReview(site: IngestSite, row: HeldRow, options: HeldActionOptions): Promise<boolean> {
  const path = quarantinePath(site, row);
  const cleaning = await cleanBurnedInText(await readHeldCopy(site, row), { policy: 'identifying' });
  const audit = new AuditLog(site.database, options.clock);
  const detail = { heldId: row.id, how: 'cleaned', policy: 'identifying', boxes: cleaning.boxes.length };
  if (cleaning.outcome === 'still-held') {
    const reason = `not released: burned-in text: cleaning could not make it safe (${cleaning.reason})`;
    site.database.prepare('UPDATE held SET reason = ? WHERE id = ?').run(reason, row.id);
    audit.append({ type: 'held.still-held', actor: options.actor, detail: { ...detail, reason } });
    return false;
  }
  // Written beside it under an in-flight name, then renamed over it: never half a file under the held name.
  const temporary = join(site.paths.quarantine, `${randomUUID()}.${currentOwner()}.ingesting`);
  try {
    await writeFile(temporary, cleaning.dicom, { mode: 0o600, flag: 'wx' });
    await rename(temporary, path);
  } catch (error) {
    await unlink(temporary).catch(() => undefined);
    throw error;
  }
  const reason = `not released: burned-in text: ${CLEANED_FOR_REVIEW} (${cleaning.boxes.length} areas covered)`;
  site.database.prepare('UPDATE held SET reason = ? WHERE id = ?').run(reason, row.id);
  audit.append({
    type: 'held.cleaned',
    actor: options.actor,
    detail: { ...detail, summary: cleaning.summary },
  });
  return true;
}
