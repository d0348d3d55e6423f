// Slows password guessing at the dashboard's sign-in: after a few failures from one address, or
// against one account, further attempts are refused (HTTP 429) until the window has passed. An
// attempt is counted as a failure when it begins, before its password is checked, and taken back if
// it succeeds: otherwise parallel guesses all pass the check while none has failed yet.
//
// The counts live in the hub's database (migration 8), not in each process: behind a round-robin
// balancer, guesses spread over three replicas would otherwise get three times the allowance. The
// account is counted by the SHA-256 of the name typed (a password typed into the name box is not kept).
import { createHash, randomBytes } from 'node:crypto';
import type { SqlEngine, SqlQueries } from '../store/index.ts';

export interface LimiterPolicy {
  /** Failed attempts allowed per client address within the window. */
  readonly perAddress: number;
  /** Failed attempts allowed per coordinator name within the window (all addresses together). */
  readonly perAccount: number;
  readonly windowMs: number;
}

export const DEFAULT_LIMITER_POLICY: LimiterPolicy = {
  perAddress: 5,
  perAccount: 10,
  windowMs: 15 * 60_000,
};

/** One sign-in attempt, counted as failed until `succeeded` or `abandoned` says otherwise. */
export interface SignInAttempt {
  readonly id: string;
  readonly address: string;
  readonly user: string;
}

/** Replicas counting one attempt at a time, so two cannot both take the last one allowed. */
const LIMIT_LOCK = 'dashboard:sign-in-limit';

const addressKey = (address: string) => `address:${address}`;
const accountKey = (user: string) => `account:${createHash('sha256').update(user).digest('hex')}`;

export class LoginLimiter {
  constructor(
    private readonly sql: SqlEngine,
    private readonly now: () => number,
    readonly policy: LimiterPolicy = DEFAULT_LIMITER_POLICY,
  ) {}

  /** Milliseconds until this address may try this account again; 0 when it may now. */
  waitMs(address: string, user: string): Promise<number> {
    return this.waitOn(this.sql, address, user);
  }

  /**
   * Starts an attempt: refused (the wait in ms) when the limit is reached, counting in-flight attempts;
   * otherwise counted as a failure now, and the handle says which, for `succeeded` or `abandoned`.
   */
  begin(address: string, user: string): Promise<{ waitMs: number } | { attempt: SignInAttempt }> {
    return this.sql.transaction(async (tx) => {
      await tx.lock(LIMIT_LOCK);
      const now = this.now();
      // The sweep: attempts out of the window count for nothing any more.
      await tx.run('DELETE FROM dashboard_sign_in_attempts WHERE started_at <= @since', {
        since: now - this.policy.windowMs,
      });
      const waitMs = await this.waitOn(tx, address, user);
      if (waitMs > 0) return { waitMs };
      const attempt: SignInAttempt = { id: randomBytes(12).toString('hex'), address, user };
      for (const key of [addressKey(address), accountKey(user)]) {
        await tx.run(
          `INSERT INTO dashboard_sign_in_attempts (attempt_id, limit_key, started_at)
           VALUES (@id, @key, @now)`,
          { id: attempt.id, key, now },
        );
      }
      return { attempt };
    });
  }

  /** The password was right: that address's failures are cleared (not the account's: others may be guessing). */
  async succeeded(attempt: SignInAttempt): Promise<void> {
    await this.sql.transaction(async (tx) => {
      await tx.run('DELETE FROM dashboard_sign_in_attempts WHERE limit_key = @key', {
        key: addressKey(attempt.address),
      });
      await tx.run('DELETE FROM dashboard_sign_in_attempts WHERE attempt_id = @id', { id: attempt.id });
    });
  }

  /** The password was never checked (the hub was too busy): the attempt does not count. */
  async abandoned(attempt: SignInAttempt): Promise<void> {
    await this.sql.run('DELETE FROM dashboard_sign_in_attempts WHERE attempt_id = @id', { id: attempt.id });
  }

  private async waitOn(sql: SqlQueries, address: string, user: string): Promise<number> {
    return Math.max(
      await this.wait(sql, addressKey(address), this.policy.perAddress),
      await this.wait(sql, accountKey(user), this.policy.perAccount),
    );
  }

  private async wait(sql: SqlQueries, key: string, allowed: number): Promise<number> {
    const now = this.now();
    const rows = await sql.all<{ started_at: number }>(
      `SELECT started_at FROM dashboard_sign_in_attempts WHERE limit_key = @key AND started_at > @since
       ORDER BY started_at`,
      { key, since: now - this.policy.windowMs },
    );
    if (rows.length < allowed) return 0;
    const oldestCounted = (rows[rows.length - allowed] as { started_at: number }).started_at;
    return Math.max(1, oldestCounted + this.policy.windowMs - now);
  }
}
