// Wake-ups for long-polling requests: a service publishes on a channel when something a waiting site
// can see changed (a task's round moved, a model was published), and the waiting requests subscribed
// to that channel answer. In one process an EventEmitter carries them; a replicated hub on PostgreSQL
// carries them with LISTEN/NOTIFY instead, so a change on one replica wakes the sites waiting on any.
// A wake-up is a hint to look again, never the state itself: subscribers re-read the store.
import { EventEmitter } from 'node:events';

export interface HubEvents {
  publish(channel: string): void;
  /** Calls listener on each publish to channel until the returned function is called. */
  subscribe(channel: string, listener: () => void): () => void;
  /** Listeners on a channel in this process (tests see a long-poll start waiting). */
  subscribers(channel: string): number;
}

/** The channel of everything a site can see about one task. */
export const taskChannel = (taskId: string): string => `task:${taskId}`;

export class InProcessHubEvents implements HubEvents {
  readonly #emitter = new EventEmitter();

  constructor() {
    this.#emitter.setMaxListeners(0); // one listener per waiting site
  }

  publish(channel: string): void {
    this.#emitter.emit(channel);
  }

  subscribe(channel: string, listener: () => void): () => void {
    this.#emitter.on(channel, listener);
    return () => {
      this.#emitter.off(channel, listener);
    };
  }

  subscribers(channel: string): number {
    return this.#emitter.listenerCount(channel);
  }
}
