// How many bytes of request bodies the hub holds before it knows they are genuine. A body is read
// only after its headers name an enrolled site with a fresh timestamp and an unused nonce, but
// whoever learnt a site's id can still send such headers with a junk signature, and the signature
// covers the body, so it is checked only once the body is in. So bodies take room from a budget per
// sender and from one for the whole hub before they are read: a sender past its room waits (its
// socket is not read, so TCP holds the bytes on its side), a few wait at most, and the rest are
// turned away with 503 at once. Room is given back when the answer has gone.
import { HubError } from '../hub-errors.ts';

export interface BodyBudgetPolicy {
  /**
   * Body bytes one sender (a site on one machine, body-admission.ts) may have in flight at once: room
   * for one upload chunk and a JSON request.
   */
  readonly perSiteBytes: number;
  /** Body bytes of requests with no site (enrollment, the dashboard), all together. */
  readonly anonymousBytes: number;
  /** Body bytes in flight at once, all senders together. */
  readonly totalBytes: number;
  /** Requests of one sender waiting for room; more are refused. */
  readonly waitingPerSender: number;
  /** Requests waiting for room, all senders together. */
  readonly waitingTotal: number;
  /** How long a request waits for room before it is refused. */
  readonly waitMs: number;
}

export function defaultBodyBudget(limits: { maxChunkBytes: number; maxJsonBytes: number }): BodyBudgetPolicy {
  const perSiteBytes = limits.maxChunkBytes + limits.maxJsonBytes;
  return {
    perSiteBytes,
    anonymousBytes: 4 * limits.maxJsonBytes,
    totalBytes: Math.max(64 * 1024 * 1024, perSiteBytes),
    waitingPerSender: 4,
    waitingTotal: 64,
    waitMs: 30_000,
  };
}

/** The sender of requests that name no site. */
export const ANONYMOUS = Symbol('anonymous sender');
export type BodySender = string | typeof ANONYMOUS;

interface Waiter {
  readonly sender: BodySender;
  readonly bytes: number;
  readonly admit: (release: () => void) => void;
}

export class BodyBudget {
  private total = 0;
  private peak = 0;
  private readonly held = new Map<BodySender, number>();
  private readonly queue: Waiter[] = [];

  constructor(readonly policy: BodyBudgetPolicy) {}

  /** Bytes held now, all senders together (for tests and benchmarks). */
  get heldBytes(): number {
    return this.total;
  }

  /** The most bytes held at once since the hub started. */
  get peakHeldBytes(): number {
    return this.peak;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Room for a body of `bytes` from `sender`; resolves to the function that gives it back (safe to
   * call more than once). Rejects with 503 when the sender or the hub has too many waiting, or when
   * room does not come within waitMs; rejects if `gone` aborts while it waits.
   */
  reserve(sender: BodySender, bytes: number, gone: AbortSignal): Promise<() => void> {
    const size = Math.min(bytes, this.capOf(sender), this.policy.totalBytes);
    const waitingHere = this.queue.filter((waiter) => waiter.sender === sender).length;
    // One sender's requests keep their order; another sender's waiting does not hold this one up.
    if (waitingHere === 0 && this.fits(sender, size)) return Promise.resolve(this.take(sender, size));
    if (waitingHere >= this.policy.waitingPerSender || this.queue.length >= this.policy.waitingTotal) {
      return Promise.reject(busy());
    }
    return new Promise((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        gone.removeEventListener('abort', onGone);
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
      };
      const waiter: Waiter = {
        sender,
        bytes: size,
        admit: (release) => {
          settle();
          resolve(release);
        },
      };
      const timer = setTimeout(() => {
        settle();
        reject(busy());
      }, this.policy.waitMs);
      const onGone = () => {
        settle();
        reject(new Error('The request was closed while it waited.'));
      };
      gone.addEventListener('abort', onGone);
      this.queue.push(waiter);
    });
  }

  private capOf(sender: BodySender): number {
    return sender === ANONYMOUS ? this.policy.anonymousBytes : this.policy.perSiteBytes;
  }

  private fits(sender: BodySender, bytes: number): boolean {
    return (
      this.total + bytes <= this.policy.totalBytes &&
      (this.held.get(sender) ?? 0) + bytes <= this.capOf(sender)
    );
  }

  private take(sender: BodySender, bytes: number): () => void {
    this.total += bytes;
    this.peak = Math.max(this.peak, this.total);
    this.held.set(sender, (this.held.get(sender) ?? 0) + bytes);
    let given = false;
    return () => {
      if (given) return;
      given = true;
      this.total -= bytes;
      const left = (this.held.get(sender) ?? 0) - bytes;
      if (left > 0) this.held.set(sender, left);
      else this.held.delete(sender);
      this.admitWaiting();
    };
  }

  /** Lets in, oldest first, the first waiting request of each sender that now fits. */
  private admitWaiting(): void {
    const passed = new Set<BodySender>();
    for (const waiter of [...this.queue]) {
      if (passed.has(waiter.sender)) continue;
      if (this.fits(waiter.sender, waiter.bytes)) waiter.admit(this.take(waiter.sender, waiter.bytes));
      else passed.add(waiter.sender);
    }
  }
}

function busy(): HubError {
  return new HubError(
    'busy',
    503,
    'The hub is receiving as much as it holds at once (from this site or from all); it was not processed. Try again in a few seconds.',
  );
}
