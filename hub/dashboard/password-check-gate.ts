// Password checks (scrypt) run on libuv's thread pool, the same four threads that write the sites'
// upload chunks and read the blobs. Unbounded, a flood of sign-ins fills the pool for seconds and the
// site API stalls behind it. So only a few checks run at once, a few more wait their turn, and the
// rest are turned away at once (the sign-in page answers 503 and asks to try again shortly).

export interface PasswordCheckPolicy {
  /** Checks running at once (each holds one pool thread for a few hundred ms). */
  readonly concurrent: number;
  /** Checks waiting for a turn; beyond that, sign-ins are refused until the queue drains. */
  readonly waiting: number;
}

export const DEFAULT_PASSWORD_CHECK_POLICY: PasswordCheckPolicy = { concurrent: 1, waiting: 8 };

export class PasswordCheckGate {
  private running = 0;
  private readonly queue: (() => void)[] = [];

  constructor(readonly policy: PasswordCheckPolicy = DEFAULT_PASSWORD_CHECK_POLICY) {}

  /** Runs `check` when a turn is free; `{ busy: true }` without running it when the queue is full. */
  async run<T>(check: () => Promise<T>): Promise<{ busy: false; value: T } | { busy: true }> {
    if (this.running >= this.policy.concurrent) {
      if (this.queue.length >= this.policy.waiting) return { busy: true };
      await new Promise<void>((resolve) => this.queue.push(resolve));
    } else {
      this.running += 1;
    }
    try {
      return { busy: false, value: await check() };
    } finally {
      // Hand the turn straight to the next in line (running stays the same), or give it back.
      const next = this.queue.shift();
      if (next) next();
      else this.running -= 1;
    }
  }
}
