// Slows password guessing at the dashboard's sign-in: after a few failures from one address, or
// against one account, further attempts are refused (HTTP 429) until the window has passed. Checked
// before the password hash is computed, so a flood of guesses costs the hub nothing.

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

const MAX_TRACKED = 10_000;

export class LoginLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(
    private readonly now: () => number,
    readonly policy: LimiterPolicy = DEFAULT_LIMITER_POLICY,
  ) {}

  /** Milliseconds until this address may try this account again; 0 when it may now. */
  waitMs(address: string, user: string): number {
    return Math.max(
      this.wait(`address:${address}`, this.policy.perAddress),
      this.wait(`account:${user}`, this.policy.perAccount),
    );
  }

  recordFailure(address: string, user: string): void {
    if (this.failures.size > MAX_TRACKED) this.forgetOld();
    for (const key of [`address:${address}`, `account:${user}`]) {
      const times = this.recent(key);
      times.push(this.now());
      this.failures.set(key, times);
    }
  }

  /** A successful sign-in clears that address's failures (not the account's: others may be guessing). */
  recordSuccess(address: string): void {
    this.failures.delete(`address:${address}`);
  }

  private wait(key: string, allowed: number): number {
    const times = this.recent(key);
    if (times.length < allowed) return 0;
    const oldestCounted = times[times.length - allowed] as number;
    return Math.max(1, oldestCounted + this.policy.windowMs - this.now());
  }

  private recent(key: string): number[] {
    const since = this.now() - this.policy.windowMs;
    return (this.failures.get(key) ?? []).filter((time) => time > since);
  }

  private forgetOld(): void {
    for (const key of [...this.failures.keys()]) {
      if (this.recent(key).length === 0) this.failures.delete(key);
    }
  }
}
