// Which patients' data a published round used (table round_participation, store migration 3). Written
// when the round this site sent an update for is published, read when a patient withdraws: the
// operator can then tell which models their data went into.
import type { Database } from 'better-sqlite3';

export function recordParticipation(
  db: Database,
  entry: { taskId: string; round: number; patients: readonly string[]; completedAt: string },
): number {
  const insert = db.prepare(
    'INSERT OR IGNORE INTO round_participation (round_id, task_id, pseudonym, completed_at) VALUES (?, ?, ?, ?)',
  );
  return db.transaction(() => {
    let added = 0;
    for (const pseudonym of new Set(entry.patients)) {
      added += insert.run(String(entry.round), entry.taskId, pseudonym, entry.completedAt).changes;
    }
    return added;
  })();
}
