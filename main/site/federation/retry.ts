// Trying again after a transient failure (network, a restarting or busy hub): exponential backoff
// with jitter, so a hundred sites cut off together do not all come back in the same second.
import { isTransient } from './explain.ts';
import { SyncError } from './sync-error.ts';

export interface RetryPolicy {
  /** Tries in all, the first included (default: unlimited). */
  readonly attempts?: number;
  readonly baseMs?: number;
  readonly maxMs?: number;
  readonly signal?: AbortSignal;
  readonly random?: () => number;
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
}

/** The wait before try `attempt + 1`: half of the capped exponential step, plus up to the other half at random. */
export function backoffDelay(
  attempt: number,
  baseMs = 500,
  maxMs = 30_000,
  random: () => number = Math.random,
): number {
  const step = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(step / 2 + random() * (step / 2));
}

export async function withRetries<T>(work: () => Promise<T>, policy: RetryPolicy = {}): Promise<T> {
  const attempts = policy.attempts ?? Infinity;
  for (let attempt = 1; ; attempt++) {
    throwIfAborted(policy.signal);
    try {
      return await work();
    } catch (error) {
      if (policy.signal?.aborted) throw cancelled();
      if (!isTransient(error) || attempt >= attempts) throw error;
      const delay = backoffDelay(attempt, policy.baseMs, policy.maxMs, policy.random);
      policy.onRetry?.(error, attempt, delay);
      await sleep(delay, policy.signal);
    }
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(cancelled());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(cancelled());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export function throwIfAborted(signal?: AbortSignal): void {
  if (signal?.aborted) throw cancelled();
}

function cancelled(): SyncError {
  return new SyncError('cancelled', 'Stopped on request; the site picks up where it was at the next start.');
}
