import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { PostgresEvents, publishHubEvent, type HubEvent } from './postgres-events.ts';

let server: PostgresServer;
// Two replicas: one publishes through its engine, the other listens.
let publisher: PostgresEngine;
let listener: PostgresEvents;

beforeAll(async () => {
  server = await startPostgresServer();
  publisher = await PostgresEngine.open(server.url);
  listener = await PostgresEvents.open(server.url, { retryMs: 50, maxRetryMs: 500 });
});
afterAll(async () => {
  await listener.close();
  await publisher.close();
  await server.stop();
});

/** Events on channel, with a way to wait for the next one that matches. */
async function record(channel: string): Promise<{
  events: HubEvent[];
  next(match: (event: HubEvent) => boolean): Promise<HubEvent>;
  stop(): Promise<void>;
}> {
  const events: HubEvent[] = [];
  const waiters: { match: (event: HubEvent) => boolean; resolve: (event: HubEvent) => void }[] = [];
  const stop = await listener.subscribe(channel, (event) => {
    events.push(event);
    for (const waiter of [...waiters])
      if (waiter.match(event)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(event);
      }
  });
  return {
    events,
    next: (match) => new Promise((resolve) => waiters.push({ match, resolve })),
    stop,
  };
}

const payloadIs = (payload: string) => (event: HubEvent) =>
  event.kind === 'notify' && event.payload === payload;

describe('hub events over LISTEN/NOTIFY on a real PostgreSQL', () => {
  it('one replica publishes, the other wakes with the payload; other channels do not wake it', async () => {
    const round = await record('round:task-1');
    const woke = round.next(payloadIs('3'));
    await publishHubEvent(publisher, 'round:task-2', 'not for this one');
    await publishHubEvent(publisher, 'round:task-1', '3');
    expect(await woke).toEqual({ kind: 'notify', payload: '3' });
    expect(round.events).toEqual([{ kind: 'notify', payload: '3' }]);
    await round.stop();
  });

  it('an event published inside a transaction arrives only when it commits, and never when it rolls back', async () => {
    const round = await record('round:task-tx');
    const committed = round.next(payloadIs('committed'));
    await publisher
      .transaction(async (tx) => {
        await publishHubEvent(tx, 'round:task-tx', 'rolled back');
        throw new Error('the transition failed');
      })
      .catch(() => undefined);
    await publisher.transaction((tx) => publishHubEvent(tx, 'round:task-tx', 'committed'));
    await committed;
    expect(round.events).toEqual([{ kind: 'notify', payload: 'committed' }]);
    await round.stop();
  });

  it('after PostgreSQL restarts, the listener reconnects, says it may have missed events, and wakes again', async () => {
    const round = await record('round:task-restart');
    // Asked before the restart: the listener can be back (and say so) before restart() returns.
    const missed = round.next((event) => event.kind === 'may-have-missed');
    await server.restart();
    await missed;
    expect(listener.connected).toBe(true);
    const woke = round.next(payloadIs('after restart'));
    // The publisher's pooled connections died with the server; its pool opens new ones.
    await publishHubEvent(publisher, 'round:task-restart', 'after restart');
    expect(await woke).toEqual({ kind: 'notify', payload: 'after restart' });
    await round.stop();
  });

  it('refuses a channel PostgreSQL could not name and a payload over its limit, in plain words', async () => {
    await expect(publishHubEvent(publisher, 'Round; DROP TABLE x', '')).rejects.toThrow(HubError);
    await expect(listener.subscribe('', () => undefined)).rejects.toThrow('An event channel is 1 to 63');
    await expect(publishHubEvent(publisher, 'round:x', 'x'.repeat(8000))).rejects.toThrow(
      "An event's payload is at most 7999 bytes",
    );
  });
});
