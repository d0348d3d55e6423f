// Clean and release: the text in a held file's picture is blanked and the cleaned image read again by
// main/site/burned-in; what reads clean is then released through de-identification and verification
// like any file (held-actions.ts). What does not stays held, with the engine's words for why.
import type { HeldActionResult } from '../../../shared/ipc/index.ts';
import { AuditLog } from '../audit/index.ts';
import { cleanBurnedInText, type BurnedInPolicy } from '../burned-in/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { releasePrepared, type HeldActionOptions } from './held-actions.ts';
import { checkAction, heldFileView, heldRow, readHeldCopy } from './held-files.ts';

export interface CleanHeldOptions extends HeldActionOptions {
  /** Which text is blanked: what matches the file's own identifying values (default), or all of it. */
  policy?: BurnedInPolicy;
}

/** Said before the engine's reason, so the entry stays one a person may still check and release. */
const NOT_CLEANED = 'not released: burned-in text: cleaning could not make it safe';

export async function cleanAndRelease(
  site: IngestSite,
  id: number,
  options: CleanHeldOptions,
): Promise<HeldActionResult> {
  const row = heldRow(site, id);
  checkAction(heldFileView(site, row), 'clean');
  const policy = options.policy ?? 'identifying';
  const cleaning = await cleanBurnedInText(await readHeldCopy(site, row), { policy });
  if (cleaning.outcome === 'still-held') {
    const reason = `${NOT_CLEANED} (${cleaning.reason})`;
    site.database.prepare('UPDATE held SET reason = ? WHERE id = ?').run(reason, row.id);
    new AuditLog(site.database, options.clock).append({
      type: 'held.still-held',
      actor: options.actor,
      detail: { heldId: row.id, how: 'cleaned', policy, boxes: cleaning.boxes.length, reason },
    });
    return {
      outcome: 'still-held',
      id: row.id,
      plainReason: `The text could not be removed safely: ${cleaning.reason}`,
      technicalReason: reason,
    };
  }
  return releasePrepared(
    site,
    row,
    cleaning.dicom,
    { how: 'cleaned', detail: { policy, boxes: cleaning.boxes.length, summary: cleaning.summary } },
    options,
  );
}
