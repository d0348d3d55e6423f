// The privacy ledger: for each round that counted against a task's differential-privacy budget, the
// ε spent after it, as stated when the round closed. Kept, not recomputed, so that what the hub told
// the sites and wrote on model cards stays on record even if the accountant improves later.
import type { HubDatabase } from './hub-database.ts';

export interface PrivacyLedgerRow {
  task_id: string;
  round: number;
  /** Rounds counted up to and including this one. */
  rounds_counted: number;
  epsilon: number;
  delta: number;
  rdp_order: number;
  recorded_at: string;
}

/** Adaptive clipping: the clip norm a round used, and the sites' noised mean bit once published. */
export interface ClipNormRow {
  task_id: string;
  round: number;
  clip_norm: number;
  bit_mean: number | null;
  bit_sites: number | null;
}

export class PrivacyRows {
  constructor(private readonly db: HubDatabase) {}

  ledger(taskId: string): PrivacyLedgerRow[] {
    return this.db
      .prepare('SELECT * FROM privacy_ledger WHERE task_id = ? ORDER BY round')
      .all(taskId) as PrivacyLedgerRow[];
  }

  /** Records a round once; a second call for the same round changes nothing. */
  record(row: PrivacyLedgerRow): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO privacy_ledger (task_id, round, rounds_counted, epsilon, delta, rdp_order, recorded_at)
         VALUES (@task_id, @round, @rounds_counted, @epsilon, @delta, @rdp_order, @recorded_at)`,
      )
      .run(row);
  }

  clipNorms(taskId: string): ClipNormRow[] {
    return this.db
      .prepare('SELECT * FROM clip_norms WHERE task_id = ? ORDER BY round')
      .all(taskId) as ClipNormRow[];
  }

  clipNorm(taskId: string, round: number): ClipNormRow | null {
    return (
      (this.db.prepare('SELECT * FROM clip_norms WHERE task_id = ? AND round = ?').get(taskId, round) as
        ClipNormRow | undefined) ?? null
    );
  }

  /** The round's clip norm, set once when the round opens. */
  setClipNorm(taskId: string, round: number, clipNorm: number): void {
    this.db
      .prepare('INSERT OR IGNORE INTO clip_norms (task_id, round, clip_norm) VALUES (?, ?, ?)')
      .run(taskId, round, clipNorm);
  }

  recordClipBits(taskId: string, round: number, bitMean: number, sites: number): void {
    this.db
      .prepare('UPDATE clip_norms SET bit_mean = ?, bit_sites = ? WHERE task_id = ? AND round = ?')
      .run(bitMean, sites, taskId, round);
  }
}
