// Time limits on one connection to the receiver: until the association is negotiated, while nothing
// arrives, and in all. PS3.8 9.1.5 leaves them to the implementation (the ARTIM timer covers the
// first). They are ours, not the DIMSE library's: its association timer never runs for an accepted
// socket (it measures from `connectedTime`, which only its client side sets, so it compares NaN), its
// PDU timer counts whole PDUs (a sender trickling one byte at a time never trips it), and its socket
// timeout is a fixed 180 s of silence. store-scp.ts switches those off.
import type { Socket } from 'node:net';

export interface AssociationTimeLimits {
  /** From the connection to the association being accepted (or refused). */
  negotiationMs: number;
  /** Once associated: the longest spell with nothing received, while no answer is owed by us. */
  idleMs: number;
  /** From the connection to its end, whatever arrives. */
  totalMs: number;
}

export type TimeLimitCode = 'no-association-request' | 'idle' | 'too-long';

export interface AssociationTimerHooks {
  /** True while the silence is ours (an instance being stored and answered, the socket paused). */
  waitingOnUs(): boolean;
  expired(code: TimeLimitCode): void;
}

export class AssociationTimer {
  readonly #limits: AssociationTimeLimits;
  readonly #hooks: AssociationTimerHooks;
  readonly #total: NodeJS.Timeout;
  #negotiation: NodeJS.Timeout | null;
  #idle: NodeJS.Timeout | null = null;
  #lastActivity = Date.now();
  #stopped = false;

  constructor(socket: Socket, limits: AssociationTimeLimits, hooks: AssociationTimerHooks) {
    this.#limits = limits;
    this.#hooks = hooks;
    this.#total = later(limits.totalMs, () => this.#expire('too-long'));
    this.#negotiation = later(limits.negotiationMs, () => this.#expire('no-association-request'));
    socket.on('data', () => {
      this.#lastActivity = Date.now();
    });
    socket.once('close', () => this.stop());
  }

  /** The association was accepted: from now on, silence is what counts. */
  associated(): void {
    this.#clearNegotiation();
    this.#lastActivity = Date.now();
    this.#armIdle(this.#limits.idleMs);
  }

  /** The association was refused: only the total limit still applies until the socket goes. */
  refused(): void {
    this.#clearNegotiation();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#total);
    this.#clearNegotiation();
    if (this.#idle !== null) clearTimeout(this.#idle);
    this.#idle = null;
  }

  #armIdle(ms: number): void {
    this.#idle = later(ms, () => {
      this.#idle = null;
      if (this.#stopped) return;
      if (this.#hooks.waitingOnUs()) this.#lastActivity = Date.now();
      const quiet = Date.now() - this.#lastActivity;
      if (quiet >= this.#limits.idleMs) this.#expire('idle');
      else this.#armIdle(this.#limits.idleMs - quiet);
    });
  }

  #clearNegotiation(): void {
    if (this.#negotiation !== null) clearTimeout(this.#negotiation);
    this.#negotiation = null;
  }

  #expire(code: TimeLimitCode): void {
    if (this.#stopped) return;
    this.stop();
    this.#hooks.expired(code);
  }
}

/** A timer that does not keep the process alive (the server's socket does, while it should). */
function later(ms: number, run: () => void): NodeJS.Timeout {
  const timer = setTimeout(run, ms);
  timer.unref();
  return timer;
}
