// The de-identification report of the Studies page: what the research store holds, what was held
// back or rejected and why (reasons name tags and kinds of values, never a value), and the runs.
import type { DeidReport, IngestRunView, ReasonCount } from '../../../shared/ipc/index.ts';
import { PROFILE_EDITION } from '../deid/index.ts';
import { plainReason } from '../held/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { ResearchIndex } from '../store/index.ts';

const SHOWN_RUNS = 20;
const SHOWN_REASONS = 20;
/** Every rejected file in words: the parser's reason (offsets, tags) is the technical detail. */
const NOT_READABLE =
  'RadFed could not read these files as DICOM images: they may be another kind of file (a report, a picture, a note) or damaged. Nothing was stored from them.';

export function deidReport(site: IngestSite): DeidReport {
  const db = site.database;
  const index = new ResearchIndex(db);
  const reasons = (table: 'held' | 'rejected'): ReasonCount[] =>
    db
      .prepare<[number], Omit<ReasonCount, 'plain'>>(
        `SELECT reason, COUNT(*) AS files FROM ${table} GROUP BY reason ORDER BY files DESC, reason LIMIT ?`,
      )
      .all(SHOWN_REASONS)
      .map((row) => ({
        ...row,
        plain: table === 'held' ? plainReason(row.reason) : NOT_READABLE,
      }));
  const runs = db
    .prepare<[number], IngestRunView>(
      `SELECT id, started_at AS startedAt, finished_at AS finishedAt, status, files, deidentified, held,
              rejected, already_ingested AS alreadyIngested, failed
         FROM ingest_runs ORDER BY id DESC LIMIT ?`,
    )
    .all(SHOWN_RUNS);
  return {
    deidOptions: [...site.config.deidOptions],
    profile: PROFILE_EDITION,
    counts: index.counts(),
    heldReasons: reasons('held'),
    rejectedReasons: reasons('rejected'),
    held: index
      .listHeld()
      .map(({ id, reason, heldAt }) => ({ id, reason, plain: plainReason(reason), heldAt })),
    runs,
  };
}
