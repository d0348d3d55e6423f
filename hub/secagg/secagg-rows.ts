// The SQL of secure aggregation at the hub: the round's sub-phase and plan, each site's round keys
// and progress, the encrypted shares being routed, and the shares revealed at unmasking.
import type { Participant, SecAggPlan } from '../../shared/federation/index.ts';
import type { HubDatabase } from '../store/index.ts';

export type StoredPhase = 'advertising' | 'sharing' | 'masking' | 'unmasking';

export interface SecAggRoundRow {
  task_id: string;
  round: number;
  phase: StoredPhase;
  seed: string;
  plan: string | null;
  phase_started_at: string;
  deadline_at: string;
}

export interface ParticipantRow {
  task_id: string;
  round: number;
  site_id: string;
  mask_public_key: string;
  share_public_key: string;
  self_mask_commitment: string;
  advertised_at: string;
  position: number | null;
  shared_at: string | null;
  survivor: number | null;
  revealed_at: string | null;
}

export type ShareKind = 'self-mask' | 'mask-key';

export class SecAggRows {
  constructor(private readonly db: HubDatabase) {}

  insertRound(row: Omit<SecAggRoundRow, 'plan'>): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO secagg_rounds (task_id, round, phase, seed, phase_started_at, deadline_at)
         VALUES (@task_id, @round, @phase, @seed, @phase_started_at, @deadline_at)`,
      )
      .run(row);
  }

  round(taskId: string, round: number): SecAggRoundRow | undefined {
    return this.db
      .prepare('SELECT * FROM secagg_rounds WHERE task_id = ? AND round = ?')
      .get(taskId, round) as SecAggRoundRow | undefined;
  }

  /** Moves the phase on, guarded by the phase it leaves; false when another call moved it first. */
  movePhase(
    taskId: string,
    round: number,
    from: StoredPhase,
    to: StoredPhase,
    at: string,
    deadlineAt: string,
    plan?: SecAggPlan,
  ): boolean {
    return (
      this.db
        .prepare(
          `UPDATE secagg_rounds SET phase = ?, phase_started_at = ?, deadline_at = ?, plan = COALESCE(?, plan)
           WHERE task_id = ? AND round = ? AND phase = ?`,
        )
        .run(to, at, deadlineAt, plan ? JSON.stringify(plan) : null, taskId, round, from).changes === 1
    );
  }

  insertParticipant(
    row: Omit<ParticipantRow, 'position' | 'shared_at' | 'survivor' | 'revealed_at'>,
  ): boolean {
    return (
      this.db
        .prepare(
          `INSERT OR IGNORE INTO secagg_participants (task_id, round, site_id, mask_public_key, share_public_key,
             self_mask_commitment, advertised_at)
           VALUES (@task_id, @round, @site_id, @mask_public_key, @share_public_key, @self_mask_commitment, @advertised_at)`,
        )
        .run(row).changes === 1
    );
  }

  participants(taskId: string, round: number): ParticipantRow[] {
    return this.db
      .prepare('SELECT * FROM secagg_participants WHERE task_id = ? AND round = ? ORDER BY position, site_id')
      .all(taskId, round) as ParticipantRow[];
  }

  participant(taskId: string, round: number, siteId: string): ParticipantRow | undefined {
    return this.db
      .prepare('SELECT * FROM secagg_participants WHERE task_id = ? AND round = ? AND site_id = ?')
      .get(taskId, round, siteId) as ParticipantRow | undefined;
  }

  setPosition(taskId: string, round: number, siteId: string, position: number): void {
    this.db
      .prepare('UPDATE secagg_participants SET position = ? WHERE task_id = ? AND round = ? AND site_id = ?')
      .run(position, taskId, round, siteId);
  }

  markShared(taskId: string, round: number, siteId: string, at: string): void {
    this.db
      .prepare(
        'UPDATE secagg_participants SET shared_at = ? WHERE task_id = ? AND round = ? AND site_id = ? AND shared_at IS NULL',
      )
      .run(at, taskId, round, siteId);
  }

  setSurvivor(taskId: string, round: number, siteId: string, survivor: boolean): void {
    this.db
      .prepare('UPDATE secagg_participants SET survivor = ? WHERE task_id = ? AND round = ? AND site_id = ?')
      .run(survivor ? 1 : 0, taskId, round, siteId);
  }

  markRevealed(taskId: string, round: number, siteId: string, at: string): void {
    this.db
      .prepare(
        'UPDATE secagg_participants SET revealed_at = ? WHERE task_id = ? AND round = ? AND site_id = ? AND revealed_at IS NULL',
      )
      .run(at, taskId, round, siteId);
  }

  insertShare(taskId: string, round: number, from: string, to: string, ciphertext: string): void {
    this.db
      .prepare(
        'INSERT OR REPLACE INTO secagg_shares (task_id, round, from_site, to_site, ciphertext) VALUES (?, ?, ?, ?, ?)',
      )
      .run(taskId, round, from, to, ciphertext);
  }

  sharesTo(taskId: string, round: number, to: string): { from_site: string; ciphertext: string }[] {
    return this.db
      .prepare(
        `SELECT s.from_site, s.ciphertext FROM secagg_shares s
         JOIN secagg_participants p ON p.task_id = s.task_id AND p.round = s.round AND p.site_id = s.from_site
         WHERE s.task_id = ? AND s.round = ? AND s.to_site = ? AND p.shared_at IS NOT NULL ORDER BY s.from_site`,
      )
      .all(taskId, round, to) as { from_site: string; ciphertext: string }[];
  }

  insertRevealed(
    taskId: string,
    round: number,
    holder: string,
    owner: string,
    kind: ShareKind,
    share: string,
  ): void {
    this.db
      .prepare(
        `INSERT OR IGNORE INTO secagg_revealed (task_id, round, holder_site, owner_site, kind, share)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(taskId, round, holder, owner, kind, share);
  }

  revealed(
    taskId: string,
    round: number,
  ): { holder_site: string; owner_site: string; kind: ShareKind; share: string }[] {
    return this.db
      .prepare(
        'SELECT holder_site, owner_site, kind, share FROM secagg_revealed WHERE task_id = ? AND round = ?',
      )
      .all(taskId, round) as { holder_site: string; owner_site: string; kind: ShareKind; share: string }[];
  }
}

export function planOf(row: SecAggRoundRow): SecAggPlan | null {
  return row.plan ? (JSON.parse(row.plan) as SecAggPlan) : null;
}

export function participantView(row: ParticipantRow): Participant {
  return {
    siteId: row.site_id,
    position: row.position ?? -1,
    maskPublicKey: row.mask_public_key,
    sharePublicKey: row.share_public_key,
    selfMaskCommitment: row.self_mask_commitment,
  };
}
