// Wake-ups between hub replicas through PostgreSQL's LISTEN/NOTIFY, so a long-poll answered by one
// replica wakes when another replica publishes a round (no sticky sessions, no extra broker).
//
// One dedicated connection per replica listens (a pooled connection cannot: LISTEN belongs to a
// session). When the server restarts or the connection drops, it reconnects with a growing pause and
// listens again on every channel. Notifications sent while it was away are lost, as PostgreSQL does not
// queue them for a session that is gone, so each subscriber is then told it may have missed some and
// should read the state again: a wake-up is a hint, the database is the truth.
import pg from 'pg';
import { HubError } from '../hub-errors.ts';
import type { SqlQueries } from './sql-engine.ts';
import {
  CONNECT_TIMEOUT_MS,
  connectionErrorFor,
  postgresTarget,
  type PostgresTarget,
} from './postgres-connection.ts';

export type HubEvent =
  { readonly kind: 'notify'; readonly payload: string } | { readonly kind: 'may-have-missed' };
export type HubEventListener = (event: HubEvent) => void;

// PostgreSQL names are at most 63 bytes; a payload at most 8000 bytes.
const CHANNEL = /^[a-z0-9][a-z0-9:._-]{0,62}$/;
export const MAX_PAYLOAD_BYTES = 7999;

function checkChannel(channel: string): void {
  if (!CHANNEL.test(channel))
    throw new HubError(
      'bad-event-channel',
      500,
      'An event channel is 1 to 63 lower-case letters, digits and : . _ - (e.g. round:task-id).',
    );
}

/**
 * Sends payload to every replica listening on channel. Inside a transaction (pass the tx), it is
 * delivered only if that transaction commits, and only then: a replica never wakes to a state it
 * cannot read yet.
 */
export async function publishHubEvent(queries: SqlQueries, channel: string, payload = ''): Promise<void> {
  checkChannel(channel);
  if (Buffer.byteLength(payload) > MAX_PAYLOAD_BYTES)
    throw new HubError(
      'event-too-large',
      500,
      `An event's payload is at most ${MAX_PAYLOAD_BYTES} bytes: send an id, and let the listener read the rest.`,
    );
  await queries.run('SELECT pg_notify(@channel, @payload)', { channel, payload });
}

export interface PostgresEventsOptions {
  /** The first pause before reconnecting, doubled each failed try up to maxRetryMs (default 100 ms, 5 s). */
  readonly retryMs?: number;
  readonly maxRetryMs?: number;
}

export class PostgresEvents {
  private readonly listeners = new Map<string, Set<HubEventListener>>();
  private client: pg.Client | undefined;
  private closed = false;
  private reconnecting: NodeJS.Timeout | undefined;

  private constructor(
    private readonly target: PostgresTarget,
    private readonly retryMs: number,
    private readonly maxRetryMs: number,
  ) {}

  /** Opens the listening connection; a server that cannot be reached now is a HubError now. */
  static async open(url: string, options: PostgresEventsOptions = {}): Promise<PostgresEvents> {
    const events = new PostgresEvents(
      postgresTarget(url),
      options.retryMs ?? 100,
      options.maxRetryMs ?? 5000,
    );
    await events.connect();
    return events;
  }

  /** Calls listener for each event on channel until the returned function is called. */
  async subscribe(channel: string, listener: HubEventListener): Promise<() => Promise<void>> {
    checkChannel(channel);
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      // While reconnecting, the new connection listens to every channel in the map, this one included.
      if (this.client) await this.query(this.client, `LISTEN ${pg.escapeIdentifier(channel)}`);
    }
    set.add(listener);
    return async () => {
      const current = this.listeners.get(channel);
      if (!current?.delete(listener) || current.size > 0) return;
      this.listeners.delete(channel);
      if (this.client) await this.query(this.client, `UNLISTEN ${pg.escapeIdentifier(channel)}`);
    };
  }

  /** True while the listening connection is up. */
  get connected(): boolean {
    return this.client !== undefined;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.reconnecting);
    const client = this.client;
    this.client = undefined;
    await client?.end();
  }

  private async query(client: pg.Client, sql: string): Promise<void> {
    try {
      await client.query(sql);
    } catch (error) {
      throw connectionErrorFor(error, this.target);
    }
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({
      connectionString: this.target.connectionString,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      keepAlive: true,
    });
    let lost = false;
    const onLost = (): void => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined); // already broken: nothing to report
      this.scheduleReconnect(this.retryMs);
    };
    try {
      await client.connect();
      if (this.closed) {
        await client.end();
        return;
      }
      client.on('notification', (message) =>
        this.deliver(message.channel, { kind: 'notify', payload: message.payload ?? '' }),
      );
      client.on('error', onLost);
      client.on('end', onLost);
      // Set before listening, so a channel subscribed meanwhile is listened to by subscribe (twice is harmless).
      this.client = client;
      for (const channel of [...this.listeners.keys()])
        await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    } catch (error) {
      if (this.client === client) this.client = undefined;
      client.removeAllListeners();
      await client.end().catch(() => undefined);
      throw connectionErrorFor(error, this.target);
    }
  }

  private scheduleReconnect(pauseMs: number): void {
    if (this.closed || this.reconnecting !== undefined) return;
    this.reconnecting = setTimeout(() => {
      this.reconnecting = undefined;
      this.connect().then(
        () => {
          for (const channel of this.listeners.keys()) this.deliver(channel, { kind: 'may-have-missed' });
        },
        () => this.scheduleReconnect(Math.min(pauseMs * 2, this.maxRetryMs)),
      );
    }, pauseMs);
    // A replica shutting down must not wait for a reconnect that nobody needs any more.
    this.reconnecting.unref();
  }

  private deliver(channel: string, event: HubEvent): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(event);
      } catch {
        // One listener's failure must not keep the event from the others; each logs its own.
      }
    }
  }
}
