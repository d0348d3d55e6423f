// The privacy ledger: for each round that counted against a task's differential-privacy budget, the
// ε spent after it, as stated when the round closed. Kept, not recomputed, so that what the hub told
// the sites and wrote on model cards stays on record even if the accountant improves later.
import type { SqlQueries } from './sql-engine.ts';

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
  constructor(private readonly sql: SqlQueries) {}

  ledger(taskId: string): Promise<PrivacyLedgerRow[]> {
    return this.sql.all<PrivacyLedgerRow>(
      'SELECT * FROM privacy_ledger WHERE task_id = @taskId ORDER BY round',
      { taskId },
    );
  }

  /** Records a round once; a second call for the same round changes nothing (false). */
  async record(row: PrivacyLedgerRow): Promise<boolean> {
    const result = await this.sql.run(
      `INSERT INTO privacy_ledger (task_id, round, rounds_counted, epsilon, delta, rdp_order, recorded_at)
       VALUES (@task_id, @round, @rounds_counted, @epsilon, @delta, @rdp_order, @recorded_at)
       ON CONFLICT (task_id, round) DO NOTHING`,
      { ...row },
    );
    return result.changes === 1;
  }

  clipNorms(taskId: string): Promise<ClipNormRow[]> {
    return this.sql.all<ClipNormRow>('SELECT * FROM clip_norms WHERE task_id = @taskId ORDER BY round', {
      taskId,
    });
  }

  async clipNorm(taskId: string, round: number): Promise<ClipNormRow | null> {
    const row = await this.sql.get<ClipNormRow>(
      'SELECT * FROM clip_norms WHERE task_id = @taskId AND round = @round',
      { taskId, round },
    );
    return row ?? null;
  }

  /** The round's clip norm, set once when the round opens. */
  async setClipNorm(taskId: string, round: number, clipNorm: number): Promise<void> {
    await this.sql.run(
      `INSERT INTO clip_norms (task_id, round, clip_norm) VALUES (@taskId, @round, @clipNorm)
       ON CONFLICT (task_id, round) DO NOTHING`,
      { taskId, round, clipNorm },
    );
  }

  async recordClipBits(taskId: string, round: number, bitMean: number, sites: number): Promise<void> {
    await this.sql.run(
      'UPDATE clip_norms SET bit_mean = @bitMean, bit_sites = @sites WHERE task_id = @taskId AND round = @round',
      { bitMean, sites, taskId, round },
    );
  }
}
