// The de-identification report of the Studies page: what the research store holds, what was held
// back or rejected and why (reasons name tags and kinds of values, never a value), and the runs.
import type { DeidReport, IngestRunView, ReasonCount } from '../../../shared/ipc/index.ts';
import { PROFILE_EDITION } from '../deid/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import { ResearchIndex } from '../store/index.ts';

const SHOWN_RUNS = 20;
const SHOWN_REASONS = 20;

export function deidReport(site: IngestSite): DeidReport {
  const db = site.database;
  const index = new ResearchIndex(db);
  const reasons = (table: 'held' | 'rejected'): ReasonCount[] =>
    db
      .prepare<[number], ReasonCount>(
        `SELECT reason, COUNT(*) AS files FROM ${table} GROUP BY reason ORDER BY files DESC, reason LIMIT ?`,
      )
      .all(SHOWN_REASONS);
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
    held: index.listHeld().map(({ id, reason, heldAt }) => ({ id, reason, heldAt })),
    runs,
  };
}
