// Enrollment tokens, enrolled sites, request nonces and which sites joined which task.
import type { SiteActivityState, SiteTaskDecision } from '../../shared/federation/index.ts';
import type { SqlQueries } from './sql-engine.ts';

export interface TokenRow {
  id: string;
  secret_sha256: string;
  site_name: string | null;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  used_by_site: string | null;
  /** Set when the coordinator revoked the token before it was used. */
  revoked_at: string | null;
}

export interface SiteRow {
  id: string;
  name: string;
  signing_public_key: string;
  exchange_public_key: string;
  token_id: string;
  enrolled_at: string;
  last_seen_at: string | null;
  /** Set when the coordinator removed the site: its signed requests are refused from then on. */
  removed_at: string | null;
  heartbeat_at: string | null;
  heartbeat_state: SiteActivityState | null;
}

export interface SiteTaskDecisionRow {
  site_id: string;
  task_id: string;
  decision: SiteTaskDecision;
  reported_at: string;
}

export interface TaskSiteRow {
  task_id: string;
  site_id: string;
  joined_at: string;
  /** Cohort sizes the site declared when it (last) joined; null when it declared none. */
  train_examples: number | null;
  validation_examples: number | null;
}

export class SiteRows {
  constructor(private readonly sql: SqlQueries) {}

  async insertToken(row: Omit<TokenRow, 'used_at' | 'used_by_site' | 'revoked_at'>): Promise<void> {
    await this.sql.run(
      `INSERT INTO enrollment_tokens (id, secret_sha256, site_name, created_at, expires_at)
       VALUES (@id, @secret_sha256, @site_name, @created_at, @expires_at)`,
      {
        id: row.id,
        secret_sha256: row.secret_sha256,
        site_name: row.site_name,
        created_at: row.created_at,
        expires_at: row.expires_at,
      },
    );
  }

  tokenBySecretHash(secretSha256: string): Promise<TokenRow | undefined> {
    return this.sql.get<TokenRow>('SELECT * FROM enrollment_tokens WHERE secret_sha256 = @secretSha256', {
      secretSha256,
    });
  }

  listTokens(): Promise<TokenRow[]> {
    return this.sql.all<TokenRow>('SELECT * FROM enrollment_tokens ORDER BY created_at');
  }

  token(id: string): Promise<TokenRow | undefined> {
    return this.sql.get<TokenRow>('SELECT * FROM enrollment_tokens WHERE id = @id', { id });
  }

  /** Revokes a token not used yet; false when it was used (or revoked) first. */
  async revokeToken(id: string, at: string): Promise<boolean> {
    const result = await this.sql.run(
      'UPDATE enrollment_tokens SET revoked_at = @at WHERE id = @id AND used_at IS NULL AND revoked_at IS NULL',
      { at, id },
    );
    return result.changes === 1;
  }

  /** Revokes every unused token made for this site name; how many. */
  async revokeTokensForSiteName(name: string, at: string): Promise<number> {
    const result = await this.sql.run(
      'UPDATE enrollment_tokens SET revoked_at = @at WHERE site_name = @name AND used_at IS NULL AND revoked_at IS NULL',
      { at, name },
    );
    return result.changes;
  }

  /** Marks a token used; false when another request used it first (or it was revoked). */
  async useToken(id: string, siteId: string, at: string): Promise<boolean> {
    const result = await this.sql.run(
      `UPDATE enrollment_tokens SET used_at = @at, used_by_site = @siteId
       WHERE id = @id AND used_at IS NULL AND revoked_at IS NULL`,
      { at, siteId, id },
    );
    return result.changes === 1;
  }

  async insertSite(
    row: Omit<SiteRow, 'last_seen_at' | 'removed_at' | 'heartbeat_at' | 'heartbeat_state'>,
  ): Promise<void> {
    await this.sql.run(
      `INSERT INTO sites (id, name, signing_public_key, exchange_public_key, token_id, enrolled_at)
       VALUES (@id, @name, @signing_public_key, @exchange_public_key, @token_id, @enrolled_at)`,
      {
        id: row.id,
        name: row.name,
        signing_public_key: row.signing_public_key,
        exchange_public_key: row.exchange_public_key,
        token_id: row.token_id,
        enrolled_at: row.enrolled_at,
      },
    );
  }

  site(id: string): Promise<SiteRow | undefined> {
    return this.sql.get<SiteRow>('SELECT * FROM sites WHERE id = @id', { id });
  }

  siteByName(name: string): Promise<SiteRow | undefined> {
    return this.sql.get<SiteRow>('SELECT * FROM sites WHERE name = @name', { name });
  }

  siteBySigningKey(key: string): Promise<SiteRow | undefined> {
    return this.sql.get<SiteRow>('SELECT * FROM sites WHERE signing_public_key = @key', { key });
  }

  listSites(): Promise<SiteRow[]> {
    return this.sql.all<SiteRow>('SELECT * FROM sites ORDER BY enrolled_at, id');
  }

  async touchSite(id: string, at: string): Promise<void> {
    await this.sql.run('UPDATE sites SET last_seen_at = @at WHERE id = @id', { at, id });
  }

  /** Marks a site removed; false when it was already. */
  async removeSite(id: string, at: string): Promise<boolean> {
    const result = await this.sql.run(
      'UPDATE sites SET removed_at = @at WHERE id = @id AND removed_at IS NULL',
      { at, id },
    );
    return result.changes === 1;
  }

  /**
   * Records a heartbeat, and replaces the site's task decisions when it reports them. Several
   * statements: the caller runs it inside a transaction so a reader never sees half the decisions.
   */
  async recordHeartbeat(
    id: string,
    at: string,
    state: SiteActivityState,
    decisions?: readonly { taskId: string; decision: SiteTaskDecision }[],
  ): Promise<void> {
    await this.sql.run(
      'UPDATE sites SET heartbeat_at = @at, heartbeat_state = @state, last_seen_at = @at WHERE id = @id',
      { at, state, id },
    );
    if (!decisions) return;
    await this.sql.run('DELETE FROM site_task_decisions WHERE site_id = @id', { id });
    for (const item of decisions) {
      await this.sql.run(
        `INSERT INTO site_task_decisions (site_id, task_id, decision, reported_at)
         VALUES (@id, @taskId, @decision, @at)
         ON CONFLICT (site_id, task_id) DO UPDATE SET decision = excluded.decision, reported_at = excluded.reported_at`,
        { id, taskId: item.taskId, decision: item.decision, at },
      );
    }
  }

  taskDecisions(taskId: string): Promise<SiteTaskDecisionRow[]> {
    return this.sql.all<SiteTaskDecisionRow>('SELECT * FROM site_task_decisions WHERE task_id = @taskId', {
      taskId,
    });
  }

  /** Records a nonce; false when this site already used it (a replayed request). */
  async rememberNonce(siteId: string, nonce: string, seenAt: number): Promise<boolean> {
    const result = await this.sql.run(
      `INSERT INTO request_nonces (site_id, nonce, seen_at) VALUES (@siteId, @nonce, @seenAt)
       ON CONFLICT (site_id, nonce) DO NOTHING`,
      { siteId, nonce, seenAt },
    );
    return result.changes === 1;
  }

  /** Whether this site already used the nonce, without recording it. */
  async nonceSeen(siteId: string, nonce: string): Promise<boolean> {
    const row = await this.sql.get<{ one: number }>(
      'SELECT 1 AS one FROM request_nonces WHERE site_id = @siteId AND nonce = @nonce',
      { siteId, nonce },
    );
    return row !== undefined;
  }

  async forgetNoncesBefore(time: number): Promise<number> {
    const result = await this.sql.run('DELETE FROM request_nonces WHERE seen_at < @time', { time });
    return result.changes;
  }

  /** Joins (once; joined_at stays the first) and records the cohort sizes when the site declares them. */
  async joinTask(
    taskId: string,
    siteId: string,
    at: string,
    cohort: { train: number; validation: number } | null = null,
  ): Promise<TaskSiteRow> {
    await this.sql.run(
      `INSERT INTO task_sites (task_id, site_id, joined_at) VALUES (@taskId, @siteId, @at)
       ON CONFLICT (task_id, site_id) DO NOTHING`,
      { taskId, siteId, at },
    );
    if (cohort) {
      await this.sql.run(
        `UPDATE task_sites SET train_examples = @train, validation_examples = @validation
         WHERE task_id = @taskId AND site_id = @siteId`,
        { train: cohort.train, validation: cohort.validation, taskId, siteId },
      );
    }
    return (await this.joined(taskId, siteId)) as TaskSiteRow;
  }

  joined(taskId: string, siteId: string): Promise<TaskSiteRow | undefined> {
    return this.sql.get<TaskSiteRow>(
      'SELECT * FROM task_sites WHERE task_id = @taskId AND site_id = @siteId',
      {
        taskId,
        siteId,
      },
    );
  }

  /**
   * Joined sites of a task in the order they joined, without removed sites: the rounds wait for these
   * (cyclic weight transfer visits them in this order).
   */
  joinedSites(taskId: string): Promise<TaskSiteRow[]> {
    return this.sql.all<TaskSiteRow>(
      `SELECT t.* FROM task_sites t JOIN sites s ON s.id = t.site_id
       WHERE t.task_id = @taskId AND s.removed_at IS NULL ORDER BY t.joined_at, t.site_id`,
      { taskId },
    );
  }

  /** Every site that ever joined the task, removed ones too: its history (participation, model card). */
  joinedSitesWithRemoved(taskId: string): Promise<TaskSiteRow[]> {
    return this.sql.all<TaskSiteRow>(
      'SELECT * FROM task_sites WHERE task_id = @taskId ORDER BY joined_at, site_id',
      { taskId },
    );
  }

  async hasJoined(taskId: string, siteId: string): Promise<boolean> {
    return (await this.joined(taskId, siteId)) !== undefined;
  }
}
