// Slows password guessing at the dashboard's sign-in: after a few failures from one address, or
// against one account, further attempts are refused (HTTP 429) until the window has passed. An
// attempt is counted as a failure when it begins, before its password is checked, and taken back if
// it succeeds: otherwise parallel guesses all pass the check while none has failed yet.

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

/** One sign-in attempt, counted as failed until `succeeded` or `abandoned` says otherwise. */
export interface SignInAttempt {
  readonly address: string;
  readonly user: string;
  readonly at: number;
}

const keysOf = (address: string, user: string) => [`address:${address}`, `account:${user}`];

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

  /**
   * Starts an attempt: refused (the wait in ms) when the limit is reached, counting in-flight attempts;
   * otherwise counted as a failure now, and the handle says when, for `succeeded` or `abandoned`.
   */
  begin(address: string, user: string): { waitMs: number } | { attempt: SignInAttempt } {
    const waitMs = this.waitMs(address, user);
    if (waitMs > 0) return { waitMs };
    if (this.failures.size > MAX_TRACKED) this.forgetOld();
    const at = this.now();
    for (const key of keysOf(address, user)) this.failures.set(key, [...this.recent(key), at]);
    return { attempt: { address, user, at } };
  }

  /** The password was right: that address's failures are cleared (not the account's: others may be guessing). */
  succeeded(attempt: SignInAttempt): void {
    this.failures.delete(`address:${attempt.address}`);
    this.takeBack(`account:${attempt.user}`, attempt.at);
  }

  /** The password was never checked (the hub was too busy): the attempt does not count. */
  abandoned(attempt: SignInAttempt): void {
    for (const key of keysOf(attempt.address, attempt.user)) this.takeBack(key, attempt.at);
  }

  private takeBack(key: string, at: number): void {
    const times = this.failures.get(key);
    const index = times?.lastIndexOf(at) ?? -1;
    if (times && index >= 0) times.splice(index, 1);
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
