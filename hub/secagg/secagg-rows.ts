// The SQL of secure aggregation at the hub: the round's sub-phase and plan, each site's round keys
// and progress, the encrypted shares being routed, and the shares revealed at unmasking.
import type { ListedParticipant, Participant, SecAggPlan } from '../../shared/federation/index.ts';
import type { SqlQueries } from '../store/index.ts';

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
  /** The site's signature over its round keys (migration 10); null in rows from before. */
  keys_signature: string | null;
  advertised_at: string;
  position: number | null;
  shared_at: string | null;
  survivor: number | null;
  revealed_at: string | null;
}

export type ShareKind = 'self-mask' | 'mask-key';

export class SecAggRows {
  constructor(private readonly sql: SqlQueries) {}

  async insertRound(row: Omit<SecAggRoundRow, 'plan'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO secagg_rounds (task_id, round, phase, seed, phase_started_at, deadline_at)
       VALUES (@task_id, @round, @phase, @seed, @phase_started_at, @deadline_at)
       ON CONFLICT (task_id, round) DO NOTHING`,
      { ...row },
    );
  }

  round(taskId: string, round: number): Promise<SecAggRoundRow | undefined> {
    return this.sql.get<SecAggRoundRow>(
      'SELECT * FROM secagg_rounds WHERE task_id = @taskId AND round = @round',
      { taskId, round },
    );
  }

  /** Moves the phase on, guarded by the phase it leaves; false when another call moved it first. */
  async movePhase(
    taskId: string,
    round: number,
    from: StoredPhase,
    to: StoredPhase,
    at: string,
    deadlineAt: string,
    plan?: SecAggPlan,
  ): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE secagg_rounds SET phase = @to, phase_started_at = @at, deadline_at = @deadlineAt,
         plan = COALESCE(@plan, plan)
       WHERE task_id = @taskId AND round = @round AND phase = @from`,
      { to, at, deadlineAt, plan: plan ? JSON.stringify(plan) : null, taskId, round, from },
    );
    return result.changes === 1;
  }

  async insertParticipant(
    row: Omit<ParticipantRow, 'position' | 'shared_at' | 'survivor' | 'revealed_at'>,
  ): Promise<boolean> {
    const result = await this.sql.run(
      `INSERT INTO secagg_participants (task_id, round, site_id, mask_public_key, share_public_key,
         self_mask_commitment, keys_signature, advertised_at)
       VALUES (@task_id, @round, @site_id, @mask_public_key, @share_public_key, @self_mask_commitment,
         @keys_signature, @advertised_at)
       ON CONFLICT (task_id, round, site_id) DO NOTHING`,
      { ...row },
    );
    return result.changes === 1;
  }

  participants(taskId: string, round: number): Promise<ParticipantRow[]> {
    return this.sql.all<ParticipantRow>(
      'SELECT * FROM secagg_participants WHERE task_id = @taskId AND round = @round ORDER BY position, site_id',
      { taskId, round },
    );
  }

  participant(taskId: string, round: number, siteId: string): Promise<ParticipantRow | undefined> {
    return this.sql.get<ParticipantRow>(
      'SELECT * FROM secagg_participants WHERE task_id = @taskId AND round = @round AND site_id = @siteId',
      { taskId, round, siteId },
    );
  }

  async setPosition(taskId: string, round: number, siteId: string, position: number): Promise<void> {
    await this.sql.run(
      `UPDATE secagg_participants SET position = @position
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId`,
      { position, taskId, round, siteId },
    );
  }

  async markShared(taskId: string, round: number, siteId: string, at: string): Promise<void> {
    await this.sql.run(
      `UPDATE secagg_participants SET shared_at = @at
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId AND shared_at IS NULL`,
      { at, taskId, round, siteId },
    );
  }

  async setSurvivor(taskId: string, round: number, siteId: string, survivor: boolean): Promise<void> {
    await this.sql.run(
      `UPDATE secagg_participants SET survivor = @survivor
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId`,
      { survivor: survivor ? 1 : 0, taskId, round, siteId },
    );
  }

  async markRevealed(taskId: string, round: number, siteId: string, at: string): Promise<void> {
    await this.sql.run(
      `UPDATE secagg_participants SET revealed_at = @at
       WHERE task_id = @taskId AND round = @round AND site_id = @siteId AND revealed_at IS NULL`,
      { at, taskId, round, siteId },
    );
  }

  async insertShare(
    taskId: string,
    round: number,
    from: string,
    to: string,
    ciphertext: string,
  ): Promise<void> {
    await this.sql.run(
      `INSERT INTO secagg_shares (task_id, round, from_site, to_site, ciphertext)
       VALUES (@taskId, @round, @from, @to, @ciphertext)
       ON CONFLICT (task_id, round, from_site, to_site) DO UPDATE SET ciphertext = excluded.ciphertext`,
      { taskId, round, from, to, ciphertext },
    );
  }

  sharesTo(taskId: string, round: number, to: string): Promise<{ from_site: string; ciphertext: string }[]> {
    return this.sql.all<{ from_site: string; ciphertext: string }>(
      `SELECT s.from_site, s.ciphertext FROM secagg_shares s
       JOIN secagg_participants p ON p.task_id = s.task_id AND p.round = s.round AND p.site_id = s.from_site
       WHERE s.task_id = @taskId AND s.round = @round AND s.to_site = @to AND p.shared_at IS NOT NULL
       ORDER BY s.from_site`,
      { taskId, round, to },
    );
  }

  async insertRevealed(
    taskId: string,
    round: number,
    holder: string,
    owner: string,
    kind: ShareKind,
    share: string,
  ): Promise<void> {
    await this.sql.run(
      `INSERT INTO secagg_revealed (task_id, round, holder_site, owner_site, kind, share)
       VALUES (@taskId, @round, @holder, @owner, @kind, @share)
       ON CONFLICT (task_id, round, holder_site, owner_site) DO NOTHING`,
      { taskId, round, holder, owner, kind, share },
    );
  }

  revealed(
    taskId: string,
    round: number,
  ): Promise<{ holder_site: string; owner_site: string; kind: ShareKind; share: string }[]> {
    return this.sql.all<{ holder_site: string; owner_site: string; kind: ShareKind; share: string }>(
      'SELECT holder_site, owner_site, kind, share FROM secagg_revealed WHERE task_id = @taskId AND round = @round',
      { taskId, round },
    );
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

/** A participant as its neighbours see it: with its signature and the signing key the site enrolled with. */
export function listedParticipantView(row: ParticipantRow, signingKey: string): ListedParticipant {
  return { ...participantView(row), signature: row.keys_signature, signingKey };
}
