// Enrollment tokens, enrolled sites, request nonces and which sites joined which task.
import type { SiteActivityState, SiteTaskDecision } from '../../shared/federation/index.ts';
import type { HubDatabase } from './hub-database.ts';

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
  constructor(private readonly db: HubDatabase) {}

  insertToken(row: Omit<TokenRow, 'used_at' | 'used_by_site' | 'revoked_at'>): void {
    this.db
      .prepare(
        `INSERT INTO enrollment_tokens (id, secret_sha256, site_name, created_at, expires_at)
         VALUES (@id, @secret_sha256, @site_name, @created_at, @expires_at)`,
      )
      .run(row);
  }

  tokenBySecretHash(secretSha256: string): TokenRow | undefined {
    return this.db.prepare('SELECT * FROM enrollment_tokens WHERE secret_sha256 = ?').get(secretSha256) as
      TokenRow | undefined;
  }

  listTokens(): TokenRow[] {
    return this.db.prepare('SELECT * FROM enrollment_tokens ORDER BY created_at').all() as TokenRow[];
  }

  token(id: string): TokenRow | undefined {
    return this.db.prepare('SELECT * FROM enrollment_tokens WHERE id = ?').get(id) as TokenRow | undefined;
  }

  /** Revokes a token not used yet; false when it was used (or revoked) first. */
  revokeToken(id: string, at: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE enrollment_tokens SET revoked_at = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
        )
        .run(at, id).changes === 1
    );
  }

  /** Revokes every unused token made for this site name; how many. */
  revokeTokensForSiteName(name: string, at: string): number {
    return this.db
      .prepare(
        'UPDATE enrollment_tokens SET revoked_at = ? WHERE site_name = ? AND used_at IS NULL AND revoked_at IS NULL',
      )
      .run(at, name).changes;
  }

  /** Marks a token used; false when another request used it first (or it was revoked). */
  useToken(id: string, siteId: string, at: string): boolean {
    return (
      this.db
        .prepare(
          'UPDATE enrollment_tokens SET used_at = ?, used_by_site = ? WHERE id = ? AND used_at IS NULL AND revoked_at IS NULL',
        )
        .run(at, siteId, id).changes === 1
    );
  }

  insertSite(row: Omit<SiteRow, 'last_seen_at' | 'removed_at' | 'heartbeat_at' | 'heartbeat_state'>): void {
    this.db
      .prepare(
        `INSERT INTO sites (id, name, signing_public_key, exchange_public_key, token_id, enrolled_at)
         VALUES (@id, @name, @signing_public_key, @exchange_public_key, @token_id, @enrolled_at)`,
      )
      .run(row);
  }

  site(id: string): SiteRow | undefined {
    return this.db.prepare('SELECT * FROM sites WHERE id = ?').get(id) as SiteRow | undefined;
  }

  siteByName(name: string): SiteRow | undefined {
    return this.db.prepare('SELECT * FROM sites WHERE name = ?').get(name) as SiteRow | undefined;
  }

  siteBySigningKey(key: string): SiteRow | undefined {
    return this.db.prepare('SELECT * FROM sites WHERE signing_public_key = ?').get(key) as
      SiteRow | undefined;
  }

  listSites(): SiteRow[] {
    return this.db.prepare('SELECT * FROM sites ORDER BY enrolled_at, id').all() as SiteRow[];
  }

  touchSite(id: string, at: string): void {
    this.db.prepare('UPDATE sites SET last_seen_at = ? WHERE id = ?').run(at, id);
  }

  /** Marks a site removed; false when it was already. */
  removeSite(id: string, at: string): boolean {
    return (
      this.db.prepare('UPDATE sites SET removed_at = ? WHERE id = ? AND removed_at IS NULL').run(at, id)
        .changes === 1
    );
  }

  /** Records a heartbeat, and replaces the site's task decisions when it reports them. */
  recordHeartbeat(
    id: string,
    at: string,
    state: SiteActivityState,
    decisions?: readonly { taskId: string; decision: SiteTaskDecision }[],
  ): void {
    this.db
      .prepare('UPDATE sites SET heartbeat_at = ?, heartbeat_state = ?, last_seen_at = ? WHERE id = ?')
      .run(at, state, at, id);
    if (!decisions) return;
    this.db.prepare('DELETE FROM site_task_decisions WHERE site_id = ?').run(id);
    const insert = this.db.prepare(
      'INSERT OR REPLACE INTO site_task_decisions (site_id, task_id, decision, reported_at) VALUES (?, ?, ?, ?)',
    );
    for (const item of decisions) insert.run(id, item.taskId, item.decision, at);
  }

  taskDecisions(taskId: string): SiteTaskDecisionRow[] {
    return this.db
      .prepare('SELECT * FROM site_task_decisions WHERE task_id = ?')
      .all(taskId) as SiteTaskDecisionRow[];
  }

  /** Records a nonce; false when this site already used it (a replayed request). */
  rememberNonce(siteId: string, nonce: string, seenAt: number): boolean {
    const result = this.db
      .prepare('INSERT OR IGNORE INTO request_nonces (site_id, nonce, seen_at) VALUES (?, ?, ?)')
      .run(siteId, nonce, seenAt);
    return result.changes === 1;
  }

  forgetNoncesBefore(time: number): number {
    return this.db.prepare('DELETE FROM request_nonces WHERE seen_at < ?').run(time).changes;
  }

  /** Joins (once; joined_at stays the first) and records the cohort sizes when the site declares them. */
  joinTask(
    taskId: string,
    siteId: string,
    at: string,
    cohort: { train: number; validation: number } | null = null,
  ): TaskSiteRow {
    this.db
      .prepare('INSERT OR IGNORE INTO task_sites (task_id, site_id, joined_at) VALUES (?, ?, ?)')
      .run(taskId, siteId, at);
    if (cohort) {
      this.db
        .prepare(
          'UPDATE task_sites SET train_examples = ?, validation_examples = ? WHERE task_id = ? AND site_id = ?',
        )
        .run(cohort.train, cohort.validation, taskId, siteId);
    }
    return this.joined(taskId, siteId) as TaskSiteRow;
  }

  joined(taskId: string, siteId: string): TaskSiteRow | undefined {
    return this.db
      .prepare('SELECT * FROM task_sites WHERE task_id = ? AND site_id = ?')
      .get(taskId, siteId) as TaskSiteRow | undefined;
  }

  /**
   * Joined sites of a task in the order they joined, without removed sites: the rounds wait for these
   * (cyclic weight transfer visits them in this order).
   */
  joinedSites(taskId: string): TaskSiteRow[] {
    return this.db
      .prepare(
        `SELECT t.* FROM task_sites t JOIN sites s ON s.id = t.site_id
         WHERE t.task_id = ? AND s.removed_at IS NULL ORDER BY t.joined_at, t.site_id`,
      )
      .all(taskId) as TaskSiteRow[];
  }

  /** Every site that ever joined the task, removed ones too: its history (participation, model card). */
  joinedSitesWithRemoved(taskId: string): TaskSiteRow[] {
    return this.db
      .prepare('SELECT * FROM task_sites WHERE task_id = ? ORDER BY joined_at, site_id')
      .all(taskId) as TaskSiteRow[];
  }

  hasJoined(taskId: string, siteId: string): boolean {
    return (
      this.db.prepare('SELECT 1 FROM task_sites WHERE task_id = ? AND site_id = ?').get(taskId, siteId) !==
      undefined
    );
  }
}
