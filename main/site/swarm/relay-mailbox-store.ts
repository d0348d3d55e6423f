// The one mailbox implementation behind both relays: a member that relays for members naming it
// (relay-mailbox.ts, `relay://<id>`) and the relay process that is no member (relay/relay-server.ts,
// `relay+https://…`). It holds sealed messages per recipient (keyed by member id) until the recipient
// collects them, keeps each sender waiting for the recipient's sealed answer, and forgets a message
// whose recipient did not answer in time (its TTL). It only ever holds ciphertext (relay-sealing.ts).
// Memory is bounded: a queue per recipient, a total of bytes held (messages queued plus bodies still
// being read, which a server reserves first), and a smaller lane for senders the relay cannot place in
// the recipient's swarm (a joiner, which is no member yet): past any of these a sender is told to try
// later, with a Retry-After, rather than the relay holding more. One sender (a key) holds at most its
// share of the bytes, so a hostile member cannot fill the relay and turn every other member away; every
// caller the relay does not know as a member shares one such share (STRANGERS_SHARE), as anyone can make
// a key.
import { randomUUID } from 'node:crypto';
import { RadfedError } from '../../../shared/errors.ts';

export type RelayErrorCode =
  | 'relay-full'
  | 'sender-full'
  | 'queue-full'
  | 'too-large'
  | 'not-member'
  | 'expired'
  | 'bad-request'
  | 'unknown-member';

/** A relay's refusal; `retryAfterS` is set when the sender should simply try again later. */
export class RelayError extends RadfedError<RelayErrorCode> {
  override readonly name = 'RelayError';
  constructor(
    code: RelayErrorCode,
    message: string,
    readonly retryAfterS?: number,
  ) {
    super(code, message);
  }
}

export interface RelayedItem {
  readonly id: string;
  /** The sender's member id as the relay authenticated it (the sealed message is bound to it). */
  readonly from: string;
  readonly sealed: string;
}

export interface MailboxLimits {
  /** How long a message waits for its recipient's answer before it is dropped (its TTL). */
  readonly answerTimeoutMs: number;
  /** How long a poll waits for a message before it answers with none. */
  readonly pollWaitMs: number;
  /** Messages held for one recipient at most. */
  readonly maxQueued: number;
  /** Bytes held at once, all recipients together, including bodies a server is still reading. */
  readonly maxHeldBytes: number;
  /** Messages held for one recipient from senders not known as members of its swarm (joiners). */
  readonly maxStrangerQueued: number;
  /** The largest message such a sender may leave (a join request is a few KiB). */
  readonly maxStrangerBytes: number;
  /**
   * Bytes one sender may have held at once (queued for recipients not yet collecting, plus its bodies
   * being read). Recipients collect as messages come, so an honest sender's share stays small.
   */
  readonly maxSenderBytes: number;
}

export const DEFAULT_MAILBOX_LIMITS: MailboxLimits = {
  answerTimeoutMs: 60_000,
  pollWaitMs: 5_000,
  maxQueued: 256,
  maxHeldBytes: 256 * 1024 * 1024,
  maxStrangerQueued: 4,
  maxStrangerBytes: 64 * 1024,
  maxSenderBytes: 64 * 1024 * 1024,
};

/** The share every caller the relay cannot place in a served swarm counts against, together. */
export const STRANGERS_SHARE = 'strangers';

/** An answer to a poll stays under this many bytes (a member reads at most 8 MiB). */
const POLL_ANSWER_BYTES = 6 * 1024 * 1024;
const RETRY_AFTER_S = 5;

interface Held extends RelayedItem {
  readonly to: string;
  readonly stranger: boolean;
  /** The share its bytes count against: its sender's, or STRANGERS_SHARE. */
  readonly share: string;
  answer?: (sealed: string) => void;
}

export class MailboxStore {
  readonly #queues = new Map<string, Held[]>();
  readonly #waiting = new Map<string, Held>();
  readonly #wake = new Map<string, () => void>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Bytes each sender holds here, queued and reserved together. */
  readonly #bySender = new Map<string, number>();
  #held = 0;
  #reserved = 0;
  /** The most bytes held (queued plus reserved) at any moment, for the bound's tests and figures. */
  peakHeldBytes = 0;
  /** Sealed bytes taken in and passed on (messages and answers), for the traffic figures. */
  bytesForwarded = 0;
  /** Told of every sealed message queued and answer passed on (tests check that it is ciphertext). */
  onSealed: ((sealed: string, what: 'message' | 'answer') => void) | null = null;

  constructor(readonly limits: MailboxLimits = DEFAULT_MAILBOX_LIMITS) {}

  get heldBytes(): number {
    return this.#held + this.#reserved;
  }

  /**
   * Room for `bytes` of `sender`'s body about to be read; throws RelayError 'relay-full' or
   * 'sender-full' (with Retry-After) when the relay, or that sender's share, holds as much as it may.
   * Give it back with `release` once the body is queued or dropped.
   */
  reserve(bytes: number, sender: string): void {
    const own = this.#bySender.get(sender) ?? 0;
    const share = `${Math.round(this.limits.maxSenderBytes / 1024 / 1024)} MiB`;
    if (own + bytes > this.limits.maxSenderBytes)
      throw new RelayError(
        'sender-full',
        sender === STRANGERS_SHARE
          ? `The relay holds as much as it takes from callers it does not know as members (${share} together); ` +
              `if you joined just now, try again in ${RETRY_AFTER_S} s.`
          : `The relay holds as much from you as it holds from one sender (${share} ` +
              `not yet collected by its recipients); try again in ${RETRY_AFTER_S} s.`,
        RETRY_AFTER_S,
      );
    if (this.heldBytes + bytes > this.limits.maxHeldBytes)
      throw new RelayError(
        'relay-full',
        `The relay holds as much as it may now (${Math.round(this.limits.maxHeldBytes / 1024 / 1024)} MiB of messages ` +
          `waiting to be collected); try again in ${RETRY_AFTER_S} s.`,
        RETRY_AFTER_S,
      );
    this.#reserved += bytes;
    this.#count(sender, bytes);
    this.#peak();
  }

  release(bytes: number, sender: string): void {
    this.#reserved = Math.max(0, this.#reserved - bytes);
    this.#count(sender, -bytes);
  }

  /** Bytes `sender` holds here now (queued and reserved), for the bound's tests. */
  senderBytes(sender: string): number {
    return this.#bySender.get(sender) ?? 0;
  }

  /**
   * Queues a sealed message for `to` and resolves with the recipient's sealed answer. `stranger`: the
   * relay could not place the sender in the recipient's swarm, so only the small lane is open to it.
   * `share`: the share its bytes count against (its sender's by default).
   */
  post(
    to: string,
    from: string,
    sealed: string,
    options: { stranger?: boolean; share?: string } = {},
  ): Promise<string> {
    const stranger = options.stranger ?? false;
    const share = options.share ?? from;
    const queue = this.#queues.get(to) ?? [];
    if (stranger && sealed.length > this.limits.maxStrangerBytes)
      throw new RelayError(
        'not-member',
        'The relay does not know your key as a member of the recipient\u2019s swarm, and takes only a join request ' +
          'from such a sender. If you joined just now, try again in a few seconds.',
      );
    const strangers = stranger ? queue.filter((item) => item.stranger).length : 0;
    if (queue.length >= this.limits.maxQueued || strangers >= this.limits.maxStrangerQueued)
      throw new RelayError(
        'queue-full',
        `Member ${to.slice(0, 8)} has not collected its relayed messages; try again in ${RETRY_AFTER_S} s.`,
        RETRY_AFTER_S,
      );
    this.reserve(sealed.length, share);
    this.release(sealed.length, share);
    const item: Held = { id: randomUUID(), to, from, sealed, stranger, share };
    queue.push(item);
    this.#queues.set(to, queue);
    this.#held += sealed.length;
    this.#count(share, sealed.length);
    this.#peak();
    this.bytesForwarded += sealed.length;
    this.onSealed?.(sealed, 'message');
    this.#wake.get(to)?.();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        this.#waiting.delete(item.id);
        this.#drop(item);
        reject(
          new RelayError(
            'expired',
            `Member ${to.slice(0, 8)} did not answer through the relay within ${this.limits.answerTimeoutMs / 1000} s; ` +
              'it may be offline.',
          ),
        );
      }, this.limits.answerTimeoutMs);
      this.#timers.add(timer);
      item.answer = (answer) => {
        clearTimeout(timer);
        this.#timers.delete(timer);
        this.bytesForwarded += answer.length;
        this.onSealed?.(answer, 'answer');
        resolve(answer);
      };
      this.#waiting.set(item.id, item);
    });
  }

  /** The messages waiting for `to` (waiting up to the poll time for one), at most ~6 MiB of them. */
  async collect(to: string): Promise<RelayedItem[]> {
    if ((this.#queues.get(to) ?? []).length === 0)
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.#timers.delete(timer);
          resolve();
        };
        const timer = setTimeout(done, this.limits.pollWaitMs);
        this.#timers.add(timer);
        this.#wake.get(to)?.();
        this.#wake.set(to, done);
      });
    this.#wake.delete(to);
    const items: RelayedItem[] = [];
    let size = 0;
    const queue = this.#queues.get(to) ?? [];
    while (queue.length > 0 && (items.length === 0 || size + queue[0]!.sealed.length < POLL_ANSWER_BYTES)) {
      const item = queue.shift()!;
      size += item.sealed.length;
      // Handed over: no longer held here (the sender still waits for the answer, which is small to track).
      this.#held -= item.sealed.length;
      this.#count(item.share, -item.sealed.length);
      items.push({ id: item.id, from: item.from, sealed: item.sealed });
    }
    return items;
  }

  /** Hands `sealed` to the sender waiting on message `id`; only its recipient `from` may answer it. */
  answer(id: string, from: string, sealed: string): boolean {
    const waiting = this.#waiting.get(id);
    if (waiting === undefined || waiting.to !== from) return false;
    this.#waiting.delete(id);
    waiting.answer?.(sealed);
    return true;
  }

  /** Stops every timer (a relay shutting down); senders still waiting see their connection close. */
  close(): void {
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const wake of this.#wake.values()) wake();
  }

  #drop(item: Held): void {
    const queue = this.#queues.get(item.to);
    const index = queue?.indexOf(item) ?? -1;
    if (queue && index >= 0) {
      queue.splice(index, 1);
      this.#held -= item.sealed.length;
      this.#count(item.share, -item.sealed.length);
      if (queue.length === 0) this.#queues.delete(item.to);
    }
  }

  #count(sender: string, bytes: number): void {
    const now = (this.#bySender.get(sender) ?? 0) + bytes;
    if (now > 0) this.#bySender.set(sender, now);
    else this.#bySender.delete(sender);
  }

  #peak(): void {
    this.peakHeldBytes = Math.max(this.peakHeldBytes, this.heldBytes);
  }
}
