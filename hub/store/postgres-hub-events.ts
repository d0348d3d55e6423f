// HubEvents for replicated hubs: a publish on one replica becomes a pg_notify, and every replica's
// listening connection (PostgresEvents) wakes the long-polls subscribed there. The services keep their
// synchronous publish/subscribe; the round trips to PostgreSQL happen behind them.
//
// A wake-up is a hint to look again (hub-events.ts), so the gaps this leaves are safe: a publish that
// fails while PostgreSQL is away is reported and the long-polls wake at their timeout instead; the
// listeners of a channel whose LISTEN is still on its way are woken once it is in place, so a change made
// in between is re-read rather than slept through. A channel stays listened to for a while after its last
// listener leaves: a long-poll re-subscribes at once after each look, and must not pay a LISTEN each time
// (nor be woken by it again).
import type { HubEvents } from '../hub-events.ts';
import { PostgresEvents, publishHubEvent } from './postgres-events.ts';
import type { SqlQueries } from './sql-engine.ts';

const LINGER_MS = 60_000;

interface Channel {
  readonly listeners: Set<() => void>;
  readonly unlisten: Promise<(() => Promise<void>) | undefined>;
  linger: NodeJS.Timeout | undefined;
}

export class PostgresHubEvents implements HubEvents {
  readonly #channels = new Map<string, Channel>();

  private constructor(
    private readonly queries: SqlQueries,
    private readonly listening: PostgresEvents,
    private readonly onFailure: (error: unknown) => void,
  ) {}

  static async open(
    url: string,
    queries: SqlQueries,
    onFailure: (error: unknown) => void = () => undefined,
  ): Promise<PostgresHubEvents> {
    return new PostgresHubEvents(queries, await PostgresEvents.open(url), onFailure);
  }

  publish(channel: string): void {
    publishHubEvent(this.queries, channel).catch(this.onFailure);
  }

  subscribe(channel: string, listener: () => void): () => void {
    const held = this.#channels.get(channel) ?? this.listen(channel);
    clearTimeout(held.linger);
    held.linger = undefined;
    held.listeners.add(listener);
    return () => {
      if (!held.listeners.delete(listener) || held.listeners.size > 0) return;
      held.linger = setTimeout(() => {
        if (held.listeners.size > 0 || this.#channels.get(channel) !== held) return;
        this.#channels.delete(channel);
        void held.unlisten.then((unlisten) => unlisten?.()).catch(this.onFailure);
      }, LINGER_MS);
      held.linger.unref();
    };
  }

  subscribers(channel: string): number {
    return this.#channels.get(channel)?.listeners.size ?? 0;
  }

  async close(): Promise<void> {
    for (const held of this.#channels.values()) clearTimeout(held.linger);
    this.#channels.clear();
    await this.listening.close();
  }

  private listen(channel: string): Channel {
    const listeners = new Set<() => void>();
    const wakeAll = (): void => {
      for (const listener of [...listeners]) listener();
    };
    const unlisten = this.listening.subscribe(channel, wakeAll).then(
      (unlistenNow) => {
        wakeAll(); // whatever was published before LISTEN took effect was missed: look again
        return unlistenNow;
      },
      (error: unknown) => {
        this.onFailure(error);
        this.#channels.delete(channel); // the next subscriber tries again
        return undefined;
      },
    );
    const held: Channel = { listeners, unlisten, linger: undefined };
    this.#channels.set(channel, held);
    return held;
  }
}
