// The ingest bookkeeping that the research index (main/site/store) leaves to ingest: which process
// owns a run, what a run that process left behind had done, the names of held copies, and the last
// run's failures for `site status`. Rows hold counts, pseudonyms and random names only.
import type { Database } from 'better-sqlite3';
import type { AuditLog } from '../audit/index.ts';
import type { ResearchIndex } from '../store/index.ts';
import { currentOwner, isOwnerAlive } from './ingest-owner.ts';

/** Starts a run owned by this process (one transaction: no other start sees it without an owner). */
export function startOwnedRun(db: Database, index: ResearchIndex): number {
  return db
    .transaction(() => {
      const id = index.startRun();
      db.prepare('UPDATE ingest_runs SET owner = ? WHERE id = ?').run(currentOwner(), id);
      return id;
    })
    .immediate();
}

export interface InterruptedRun {
  runId: number;
  startedAt: string;
  /** What the run had recorded when its process went: stored, held and rejected inputs. */
  deidentified: number;
  held: number;
  rejected: number;
}

/**
 * Marks each run still 'running' whose process is gone as 'interrupted', with its counts taken from
 * what it recorded and an `ingest.interrupted` audit entry, in one transaction.
 */
export function markInterruptedRuns(
  db: Database,
  audit: AuditLog,
  now: () => Date,
  actor: string,
): InterruptedRun[] {
  const count = (table: string) =>
    db.prepare<[number], number>(`SELECT COUNT(*) FROM ${table} WHERE ingest_run_id = ?`).pluck();
  const counts = { deidentified: count('instances'), held: count('held'), rejected: count('rejected') };
  return db
    .transaction(() => {
      const running = db
        .prepare<[], { id: number; startedAt: string; owner: string | null }>(
          "SELECT id, started_at AS startedAt, owner FROM ingest_runs WHERE status = 'running' ORDER BY id",
        )
        .all()
        .filter((run) => !isOwnerAlive(run.owner));
      return running.map((run): InterruptedRun => {
        const found: InterruptedRun = {
          runId: run.id,
          startedAt: run.startedAt,
          deidentified: counts.deidentified.get(run.id) ?? 0,
          held: counts.held.get(run.id) ?? 0,
          rejected: counts.rejected.get(run.id) ?? 0,
        };
        db.prepare(
          `UPDATE ingest_runs SET status = 'interrupted', finished_at = ?, deidentified = ?, held = ?,
             rejected = ?, files = ? WHERE id = ?`,
        ).run(
          now().toISOString(),
          found.deidentified,
          found.held,
          found.rejected,
          found.deidentified + found.held + found.rejected,
          run.id,
        );
        audit.append({
          type: 'ingest.interrupted',
          actor,
          detail: {
            runId: run.id,
            startedAt: run.startedAt,
            deidentified: found.deidentified,
            held: found.held,
            rejected: found.rejected,
            note: 'the process stopped before the run finished; the files it had not reached are ingested by running it again',
          },
        });
        return found;
      });
    })
    .immediate();
}

/** The quarantine names of every held entry (top-level names and the receiver's `incoming/...`). */
export function heldQuarantineNames(db: Database): Set<string> {
  return new Set(db.prepare<[], string>('SELECT quarantine_name FROM held').pluck().all());
}

/** The quarantine name the held entry of an input gives, or null when it has none. */
export function heldNameOfInput(db: Database, inputSha256: string): string | null {
  return (
    db
      .prepare<[string], string>('SELECT quarantine_name FROM held WHERE input_sha256 = ?')
      .pluck()
      .get(inputSha256) ?? null
  );
}

export interface LastIngestRun {
  id: number;
  status: 'completed' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  files: number;
  failed: number;
}

/** The latest finished ingest run, for `site status`: its failures and how it ended. */
export function lastIngestRun(db: Database): LastIngestRun | null {
  return (
    db
      .prepare<[], LastIngestRun>(
        `SELECT id, status, started_at AS startedAt, finished_at AS finishedAt, files, failed
         FROM ingest_runs WHERE status != 'running' ORDER BY id DESC LIMIT 1`,
      )
      .get() ?? null
  );
}
