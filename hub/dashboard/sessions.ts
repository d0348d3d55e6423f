// Coordinator sessions in the hub's database (migration 8), so a coordinator signed in through one
// replica is known to every replica behind the balancer, and a restart signs no one out. The browser
// holds a random token in an HttpOnly cookie; the database keeps only its SHA-256, so a copy of it (a
// backup) signs no one in. What needs the token itself is derived from it per request and never
// stored: the CSRF token every form posts back, and the key that seals what one page leaves for the
// next (session-carry.ts). A session ends after a quiet spell (idle) or a fixed time after sign-in
// (absolute), whichever comes first, judged from the row's times by whichever replica reads it.
import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlEngine } from '../store/index.ts';

export interface SessionPolicy {
  readonly idleMs: number;
  readonly absoluteMs: number;
  /** Oldest sessions are dropped beyond this many (all coordinators together). */
  readonly maxSessions: number;
}

export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleMs: 30 * 60_000,
  absoluteMs: 8 * 3600_000,
  maxSessions: 200,
};

export interface Session {
  readonly user: string;
  /** Sent in every form and checked on every POST (a second line of defence behind SameSite=Strict). */
  readonly csrfToken: string;
  readonly createdAt: number;
  readonly lastSeenAt: number;
  /** The account's changed_at when this session began: another value now means a new password. */
  readonly accountChangedAt: string;
  /** The row's key: the SHA-256 of the cookie token. */
  readonly tokenSha256: string;
  /** Seals and opens what this session carries between pages; derived from the cookie token. */
  readonly carryKey: Buffer;
  /** The sealed carry as read with the session (null: nothing waiting). */
  readonly carried: string | null;
}

export type SessionLookup =
  | { readonly state: 'active'; readonly session: Session; readonly accountChangedAt: string | null }
  | { readonly state: 'none' | 'expired' };

interface SessionRow {
  user_name: string;
  account_changed_at: string;
  created_at: number;
  last_seen_at: number;
  carried: string | null;
  /** The account's changed_at now; null when the account was removed. */
  changed_at: string | null;
}

const digest = (token: string) => createHash('sha256').update(token).digest('hex');
const derived = (token: string, purpose: string) => createHmac('sha256', token).update(purpose).digest();

export function randomToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Compares two secrets in constant time (their digests, so lengths do not leak either). */
export function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

function sessionOf(token: string, row: SessionRow, lastSeenAt: number): Session {
  return {
    user: row.user_name,
    csrfToken: derived(token, 'radfed dashboard: CSRF token').toString('base64url'),
    createdAt: row.created_at,
    lastSeenAt,
    accountChangedAt: row.account_changed_at,
    tokenSha256: digest(token),
    carryKey: derived(token, 'radfed dashboard: carried between pages'),
    carried: row.carried,
  };
}

export class SessionStore {
  constructor(
    private readonly sql: SqlEngine,
    private readonly now: () => number,
    readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  /** A new session for an account whose password was just checked; sweeps ended ones first. */
  async create(user: string, accountChangedAt: string): Promise<{ token: string; session: Session }> {
    await this.sweep();
    const token = randomToken();
    const at = this.now();
    const row: SessionRow = {
      user_name: user,
      account_changed_at: accountChangedAt,
      created_at: at,
      last_seen_at: at,
      carried: null,
      changed_at: accountChangedAt,
    };
    await this.sql.run(
      `INSERT INTO coordinator_sessions (token_sha256, user_name, account_changed_at, created_at, last_seen_at)
       VALUES (@token_sha256, @user, @account_changed_at, @at, @at)`,
      { token_sha256: digest(token), user, account_changed_at: accountChangedAt, at },
    );
    return { token, session: sessionOf(token, row, at) };
  }

  /**
   * Finds the session and, when it is still within its times, counts this as activity. accountChangedAt
   * says what the account's changed_at is now (null: removed), for the caller to compare.
   */
  async touch(token: string | undefined): Promise<SessionLookup> {
    if (!token) return { state: 'none' };
    const key = digest(token);
    const row = await this.sql.get<SessionRow>(
      `SELECT s.user_name, s.account_changed_at, s.created_at, s.last_seen_at, s.carried, a.changed_at
       FROM coordinator_sessions s LEFT JOIN coordinator_accounts a ON a.user_name = s.user_name
       WHERE s.token_sha256 = @key`,
      { key },
    );
    if (!row) return { state: 'none' };
    const now = this.now();
    if (this.expired(row, now)) {
      await this.sql.run('DELETE FROM coordinator_sessions WHERE token_sha256 = @key', { key });
      return { state: 'expired' };
    }
    // Recorded only when it moved on by a step: a page view is then a read, not a durable write (an
    // fsync on SQLite), at the price of a session ending up to one step (5% of the idle time) early.
    // Never moved back: another replica's clock may be a little ahead of this one.
    let lastSeenAt = row.last_seen_at;
    if (now - row.last_seen_at >= this.activityStepMs) {
      await this.sql.run(
        'UPDATE coordinator_sessions SET last_seen_at = @now WHERE token_sha256 = @key AND last_seen_at < @now',
        { key, now },
      );
      lastSeenAt = now;
    }
    return { state: 'active', session: sessionOf(token, row, lastSeenAt), accountChangedAt: row.changed_at };
  }

  /** Ends the session on every replica (sign-out, or a password changed since it began). */
  async end(token: string | undefined): Promise<void> {
    if (token)
      await this.sql.run('DELETE FROM coordinator_sessions WHERE token_sha256 = @key', {
        key: digest(token),
      });
  }

  async count(): Promise<number> {
    const row = await this.sql.get<{ n: number }>('SELECT COUNT(*) AS n FROM coordinator_sessions');
    return Number(row?.n ?? 0);
  }

  /**
   * Deletes the rows of ended sessions (idle or past their absolute time), and the oldest beyond
   * maxSessions. Runs at each sign-in; a session found ended at a request is deleted there too.
   */
  async sweep(): Promise<void> {
    const now = this.now();
    await this.sql.run(
      `DELETE FROM coordinator_sessions WHERE last_seen_at < @idle_since OR created_at < @absolute_since`,
      { idle_since: now - this.policy.idleMs, absolute_since: now - this.policy.absoluteMs },
    );
    // Room for the one about to be made: the newest maxSessions - 1 stay.
    await this.sql.run(
      `DELETE FROM coordinator_sessions WHERE token_sha256 IN (
         SELECT token_sha256 FROM coordinator_sessions ORDER BY created_at DESC, token_sha256
         LIMIT @all OFFSET @keep)`,
      { all: Number.MAX_SAFE_INTEGER, keep: Math.max(0, this.policy.maxSessions - 1) },
    );
  }

  /** How far activity must move on before it is written: 5% of the idle time, at most a minute. */
  private get activityStepMs(): number {
    return Math.min(60_000, this.policy.idleMs / 20);
  }

  private expired(row: Pick<SessionRow, 'created_at' | 'last_seen_at'>, now: number): boolean {
    return now - row.last_seen_at > this.policy.idleMs || now - row.created_at > this.policy.absoluteMs;
  }
}
