// The SQLite engine under the hub's store, on a real database file in a temporary folder: a
// transaction that awaits between its queries is never interleaved with other queries, a nested
// transaction is a savepoint (no deadlock), a query sent to the store from inside a transaction is
// refused, and a failed transaction leaves nothing behind.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HubStore, TransactionMisuseError } from './index.ts';

let dir: string;
let store: HubStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-sqlite-engine-'));
  store = HubStore.open(join(dir, 'hub.db'), { blobs: join(dir, 'blobs'), uploads: join(dir, 'uploads') });
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

const tick = () => new Promise((resolve) => setImmediate(resolve));

const token = (id: string) => ({
  id,
  secret_sha256: id.padEnd(64, '0'),
  site_name: null,
  created_at: '2026-01-01T00:00:00.000Z',
  expires_at: '2026-01-02T00:00:00.000Z',
});

describe('the SQLite engine', () => {
  it('runs no other query while a transaction awaits between its own', async () => {
    const seen: string[] = [];
    const transaction = store.transaction(async (tx) => {
      await tx.sites.insertToken(token('tok_a'));
      seen.push('inserted');
      await tick(); // another request's query arrives now, and must wait for the COMMIT
      await tick();
      seen.push('committing');
    });
    const outside = store.sites.listTokens().then((rows) => {
      seen.push(`read ${rows.length}`);
    });
    await Promise.all([transaction, outside]);
    expect(seen).toEqual(['inserted', 'committing', 'read 1']);
  });

  it('rolls a failed transaction back, and the store goes on', async () => {
    await expect(
      store.transaction(async (tx) => {
        await tx.sites.insertToken(token('tok_b'));
        throw new Error('the step failed');
      }),
    ).rejects.toThrow('the step failed');
    expect(await store.sites.token('tok_b')).toBeUndefined();
    await store.sites.insertToken(token('tok_c'));
    expect(await store.sites.token('tok_c')).toBeDefined();
  });

  it('runs a nested transaction as a savepoint of the outer one, without deadlock', async () => {
    await store.transaction(async (tx) => {
      await tx.sites.insertToken(token('tok_outer'));
      await store.transaction(async (inner) => {
        await inner.sites.insertToken(token('tok_kept'));
      });
      // A failing inner transaction undoes its own part only.
      await expect(
        store.transaction(async (inner) => {
          await inner.sites.insertToken(token('tok_undone'));
          throw new Error('inner failed');
        }),
      ).rejects.toThrow('inner failed');
    });
    expect((await store.sites.listTokens()).map((row) => row.id).sort()).toEqual(['tok_kept', 'tok_outer']);
  });

  it('refuses a query sent to the store from inside a transaction (it would escape it on PostgreSQL)', async () => {
    await expect(
      store.transaction(async () => {
        await store.sites.listTokens();
      }),
    ).rejects.toBeInstanceOf(TransactionMisuseError);
    // Nothing is left locked: the store answers afterwards.
    expect(await store.sites.listTokens()).toEqual([]);
  });

  it('refuses a transaction used after it ended', async () => {
    let leaked: Parameters<Parameters<HubStore['transaction']>[0]>[0] | undefined;
    await store.transaction(async (tx) => {
      leaked = tx;
      await tx.lock('round:task_x:1');
    });
    await expect(leaked!.sites.listTokens()).rejects.toBeInstanceOf(TransactionMisuseError);
  });

  it('keeps each round decision once when many requests race for it', async () => {
    // Twenty "replica steps" each read the count and write count + 1 under the lock: none is lost.
    await store.sql.run('CREATE TABLE counter (n INTEGER NOT NULL)');
    await store.sql.run('INSERT INTO counter (n) VALUES (0)');
    await Promise.all(
      Array.from({ length: 20 }, () =>
        store.transaction(async (tx) => {
          await tx.lock('round:task_x:1');
          const row = await tx.sql.get<{ n: number }>('SELECT n FROM counter');
          await tick();
          await tx.sql.run('UPDATE counter SET n = @n', { n: (row?.n ?? 0) + 1 });
        }),
      ),
    );
    expect(await store.sql.get('SELECT n FROM counter')).toEqual({ n: 20 });
  });

  it("runs a key's exclusive work once at a time: a second caller waits for it and is told it was not its own", async () => {
    let runs = 0;
    let finish: () => void = () => undefined;
    const first = store.sql.exclusively('aggregation:t:1', async () => {
      runs += 1;
      await new Promise<void>((resolve) => (finish = resolve));
      return 'published';
    });
    const second = store.sql.exclusively('aggregation:t:1', async () => {
      runs += 1;
      return 'again';
    });
    const otherKey = await store.sql.exclusively('aggregation:t:2', () => Promise.resolve('other round'));
    expect(otherKey).toBe('other round');
    finish();
    expect(await first).toBe('published');
    expect(await second).toBeUndefined();
    expect(runs).toBe(1);
    // Once it has ended, the key is free again, and a failure frees it too.
    await expect(
      store.sql.exclusively('aggregation:t:1', () => Promise.reject(new Error('failed'))),
    ).rejects.toThrow('failed');
    expect(await store.sql.exclusively('aggregation:t:1', () => Promise.resolve('next'))).toBe('next');
  });

  it('closes only after the work queued before it', async () => {
    const pending = store.transaction(async (tx) => {
      await tick();
      await tx.sites.insertToken(token('tok_late'));
    });
    const closed = store.close();
    await pending;
    await closed;
    store = HubStore.open(join(dir, 'hub.db'), { blobs: join(dir, 'blobs'), uploads: join(dir, 'uploads') });
    expect(await store.sites.token('tok_late')).toBeDefined();
  });
});
