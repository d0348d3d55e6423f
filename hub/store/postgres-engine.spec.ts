import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HubError } from '../hub-errors.ts';
import { freeLoopbackPort, startPostgresServer, type PostgresServer } from '../testing/postgres-server.ts';
import { advisoryLockKey, PostgresEngine } from './postgres-engine.ts';
import { positionalValues, toPositional } from './postgres-parameters.ts';

describe('@name parameters rewritten to $n', () => {
  it('numbers each name once, in order of first use', () => {
    const statement = toPositional('UPDATE t SET a = @a, b = @b WHERE a = @a OR c = @c_2');
    expect(statement.text).toBe('UPDATE t SET a = $1, b = $2 WHERE a = $1 OR c = $3');
    expect(statement.names).toEqual(['a', 'b', 'c_2']);
    expect(positionalValues(statement, { c_2: 3, b: null, a: 'x', unused: 9 })).toEqual(['x', null, 3]);
  });

  it('leaves @ alone inside string literals, quoted identifiers, comments and dollar quotes', () => {
    const sql = [
      "SELECT 'mail@host', 'it''s @not', \"@col\", @real -- @comment",
      '/* @block */ $$ @body $$, $fn$ @tagged $fn$, @second',
    ].join('\n');
    const statement = toPositional(sql);
    expect(statement.names).toEqual(['real', 'second']);
    expect(statement.text).toBe(
      [
        "SELECT 'mail@host', 'it''s @not', \"@col\", $1 -- @comment",
        '/* @block */ $$ @body $$, $fn$ @tagged $fn$, $2',
      ].join('\n'),
    );
  });

  it('an @ not followed by a name, and $1 already positional, pass through', () => {
    expect(toPositional('SELECT @ 1, $1, a@@b').text).toBe('SELECT @ 1, $1, a@@b');
  });

  it('a parameter the statement uses but the caller left out is a clear error, not NULL', () => {
    expect(() => positionalValues(toPositional('SELECT @site_id'), {})).toThrow(
      'A database query uses the parameter @site_id but was given no value for it.',
    );
  });
});

describe('PostgresEngine on a real PostgreSQL', () => {
  let server: PostgresServer;
  let engine: PostgresEngine;

  beforeAll(async () => {
    server = await startPostgresServer();
    engine = await PostgresEngine.open(server.url);
    await engine.run(
      `CREATE TABLE things (id TEXT PRIMARY KEY, size BIGINT, price NUMERIC, body BYTEA, note TEXT)`,
    );
  });
  afterAll(async () => {
    await engine.close();
    await server.stop();
  });

  it('get, all and run with named parameters; BIGINT, NUMERIC and COUNT(*) come back as numbers', async () => {
    const inserted = await engine.run(
      'INSERT INTO things (id, size, price, body, note) VALUES (@id, @size, @price, @body, @note)',
      { id: 'a', size: 2 ** 40, price: 12.5, body: Buffer.from([0, 1, 255]), note: "it's @home" },
    );
    expect(inserted.changes).toBe(1);
    const row = await engine.get<{ size: unknown; price: unknown; body: unknown; note: string }>(
      'SELECT size, price, body, note FROM things WHERE id = @id',
      { id: 'a' },
    );
    expect(row?.size).toBe(2 ** 40);
    expect(row?.price).toBe(12.5);
    expect(Buffer.isBuffer(row?.body)).toBe(true);
    expect([...(row?.body as Buffer)]).toEqual([0, 1, 255]);
    expect(row?.note).toBe("it's @home");
    expect(await engine.get('SELECT COUNT(*) AS n, SUM(size) AS total FROM things')).toEqual({
      n: 1,
      total: 2 ** 40,
    });
    expect(await engine.all('SELECT id FROM things WHERE id = @id', { id: 'none' })).toEqual([]);
    expect(await engine.get('SELECT id FROM things WHERE id = @id', { id: 'none' })).toBeUndefined();
  });

  it('a transaction commits what fn did, and rolls all of it back when fn throws', async () => {
    await engine.transaction(async (tx) => {
      await tx.run("INSERT INTO things (id) VALUES ('kept')");
    });
    await expect(
      engine.transaction(async (tx) => {
        await tx.run("INSERT INTO things (id) VALUES ('undone')");
        throw new Error('the step failed');
      }),
    ).rejects.toThrow('the step failed');
    const ids = await engine.all<{ id: string }>("SELECT id FROM things WHERE id IN ('kept', 'undone')");
    expect(ids.map((row) => row.id)).toEqual(['kept']);
  });

  it('a snapshot reads one state: a commit made between its reads is not half seen, and it writes nothing', async () => {
    await engine.run("INSERT INTO things (id, size) VALUES ('snap-a', 1), ('snap-b', 1)");
    const seen = await engine.snapshot(async (q) => {
      const a = await q.get<{ size: number }>("SELECT size FROM things WHERE id = 'snap-a'");
      // Another replica moves both on in one transaction, between this snapshot's two reads.
      await engine.transaction(async (tx) => {
        await tx.run("UPDATE things SET size = 2 WHERE id IN ('snap-a', 'snap-b')");
      });
      const b = await q.get<{ size: number }>("SELECT size FROM things WHERE id = 'snap-b'");
      return [a?.size, b?.size];
    });
    expect(seen).toEqual([1, 1]);
    expect(await engine.get("SELECT size FROM things WHERE id = 'snap-b'")).toEqual({ size: 2 });
    await expect(
      engine.snapshot((q) => q.run("UPDATE things SET size = 3 WHERE id = 'snap-a'")),
    ).rejects.toThrow(/read-only/);
  });

  it('tx.lock(key) makes a second transaction on the same key wait until the first ends; another key does not wait', async () => {
    let releaseFirst: () => void = () => undefined;
    const firstMayEnd = new Promise<void>((resolve) => (releaseFirst = resolve));
    let firstLocked: () => void = () => undefined;
    const firstHasLock = new Promise<void>((resolve) => (firstLocked = resolve));
    const order: string[] = [];
    const first = engine.transaction(async (tx) => {
      await tx.lock('round:task-1:3');
      firstLocked();
      await firstMayEnd;
      order.push('first ends');
    });
    await firstHasLock;
    const second = engine.transaction(async (tx) => {
      await tx.lock('round:task-1:3');
      order.push('second has the lock');
    });
    // Another key is free at once, while the first still holds its lock.
    await engine.transaction((tx) => tx.lock('round:task-1:4'));
    // The second is seen by the server waiting on an advisory lock before the first is let go.
    await waitFor(async () => {
      const waiting = await engine.get<{ n: number }>(
        "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted",
      );
      return waiting?.n === 1;
    });
    expect(order).toEqual([]);
    releaseFirst();
    await Promise.all([first, second]);
    expect(order).toEqual(['first ends', 'second has the lock']);
  });

  it('exclusively: one replica runs the work, another is told at once; a killed holder lets go', async () => {
    const other = await PostgresEngine.open(server.url);
    try {
      let finish: () => void = () => undefined;
      const held = engine.exclusively('aggregation:task-x:1', async () => {
        // The work opens its own transactions, under the round's transaction lock, while it holds the key.
        await engine.transaction((tx) => tx.lock('round:task-x:1'));
        await new Promise<void>((resolve) => (finish = resolve));
        return 'first';
      });
      await waitFor(async () => {
        const rows = await other.get<{ n: number }>(
          "SELECT COUNT(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND granted",
        );
        return (rows?.n ?? 0) >= 1;
      });
      // Another replica: not run, and not kept waiting.
      expect(
        await other.exclusively('aggregation:task-x:1', () => Promise.resolve('second')),
      ).toBeUndefined();
      // The same process asks again: it waits for the running work, then is told it was not its own.
      const again = engine.exclusively('aggregation:task-x:1', () => Promise.resolve('again'));
      finish();
      expect(await held).toBe('first');
      expect(await again).toBeUndefined();
      expect(await other.exclusively('aggregation:task-x:1', () => Promise.resolve('now'))).toBe('now');

      // The holder's connection dies (its replica killed): the server lets go, and the other takes it up.
      let stuck: () => void = () => undefined;
      const orphaned = engine
        .exclusively(
          'aggregation:task-x:2',
          () => new Promise<string>((resolve) => (stuck = () => resolve('late'))),
        )
        .catch((error: Error) => error);
      let holder: { pid: number } | undefined;
      await waitFor(async () => {
        holder = await other.get<{ pid: number }>(
          "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted LIMIT 1",
        );
        return holder !== undefined;
      });
      await other.run('SELECT pg_terminate_backend(@pid)', { pid: holder!.pid });
      await waitFor(async () => {
        const taken = await other.exclusively('aggregation:task-x:2', () => Promise.resolve('taken over'));
        return taken === 'taken over';
      });
      stuck();
      await orphaned;
    } finally {
      await other.close();
    }
  });

  it('exclusively: more works at once than the pool has connections, each with its own transaction, all finish', async () => {
    const small = await PostgresEngine.open(server.url, { maxConnections: 2 });
    try {
      let release: () => void = () => undefined;
      const allStarted = new Promise<void>((resolve) => (release = resolve));
      let started = 0;
      const works = [1, 2, 3, 4].map((round) =>
        small.exclusively(`aggregation:task-pool:${round}`, async () => {
          started += 1;
          if (started === 4) release();
          await allStarted;
          return small.transaction(async (tx) => {
            await tx.lock(`round:task-pool:${round}`);
            return round;
          });
        }),
      );
      expect(await Promise.all(works)).toEqual([1, 2, 3, 4]);
    } finally {
      await small.close();
    }
  });

  it('two replicas moving one round on under tx.lock: the step happens exactly once', async () => {
    await engine.run('CREATE TABLE round_state (id TEXT PRIMARY KEY, state TEXT NOT NULL, moved_by TEXT)');
    await engine.run("INSERT INTO round_state (id, state) VALUES ('task-1:3', 'collecting')");
    const other = await PostgresEngine.open(server.url);
    try {
      // Each replica reads the state only once it holds the round's lock: under READ COMMITTED that
      // read sees what the replica before it committed, so the second finds the round already moved.
      const moveOn = (replica: PostgresEngine, name: string) =>
        replica.transaction(async (tx) => {
          await tx.lock('round:task-1:3');
          const round = await tx.get<{ state: string }>(
            "SELECT state FROM round_state WHERE id = 'task-1:3'",
          );
          if (round?.state !== 'collecting') return false;
          await tx.run(
            "UPDATE round_state SET state = 'aggregating', moved_by = @name WHERE id = 'task-1:3'",
            {
              name,
            },
          );
          return true;
        });
      const outcomes = await Promise.all(
        Array.from({ length: 6 }, (_, index) =>
          moveOn(index % 2 === 0 ? engine : other, `replica-${index % 2}`),
        ),
      );
      expect(outcomes.filter(Boolean)).toHaveLength(1);
    } finally {
      await other.close();
    }
  });

  it('while PostgreSQL is down a query fails in plain words; once it is back the same engine works again', async () => {
    await server.pause();
    try {
      await expect(engine.get('SELECT 1 AS ok')).rejects.toThrow(
        `Cannot reach PostgreSQL at 127.0.0.1:${server.port}: connection refused. Check --database and that the server is running.`,
      );
      await expect(engine.transaction((tx) => tx.get('SELECT 1 AS ok'))).rejects.toThrow(HubError);
    } finally {
      await server.startAgain();
    }
    expect(await engine.get('SELECT 1 AS ok')).toEqual({ ok: 1 });
  });

  it('lock keys are 64-bit signed numbers, stable for a key and different between keys', () => {
    expect(advisoryLockKey('a')).toBe(advisoryLockKey('a'));
    expect(advisoryLockKey('a')).not.toBe(advisoryLockKey('b'));
    expect(BigInt(advisoryLockKey('a')) < 2n ** 63n && BigInt(advisoryLockKey('a')) >= -(2n ** 63n)).toBe(
      true,
    );
  });

  it('a wrong password is refused in plain words, without the password', async () => {
    const wrong = server.url.replace(server.password, 'not-the-password');
    const error = await PostgresEngine.open(wrong).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(HubError);
    expect((error as HubError).message).toBe(
      `PostgreSQL at 127.0.0.1:${server.port} refused the user name or password in --database. Check them with the database's administrator.`,
    );
    expect(JSON.stringify(error) + String((error as Error).stack)).not.toContain('not-the-password');
  });
});

describe('PostgresEngine when PostgreSQL is not there', () => {
  it('says which host:port it could not reach and what to check, and never prints the password', async () => {
    const port = await freeLoopbackPort();
    const error = await PostgresEngine.open(`postgres://radfed:s3cret-pw@127.0.0.1:${port}/radfed`).catch(
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(HubError);
    const hubError = error as HubError;
    expect(hubError.code).toBe('database-unreachable');
    expect(hubError.message).toBe(
      `Cannot reach PostgreSQL at 127.0.0.1:${port}: connection refused. Check --database and that the server is running.`,
    );
    const everything = [
      hubError.message,
      hubError.stack,
      JSON.stringify(hubError),
      String(hubError.cause),
    ].join('\n');
    expect(everything).not.toContain('s3cret-pw');
  });

  it('a --database value that is not a postgres URL is refused without quoting it', async () => {
    await expect(PostgresEngine.open('mysql://root:hunter2@db/radfed')).rejects.toThrow(
      'The --database URL starts with mysql://, not postgres://. Give one like postgres://user:password@host:5432/radfed.',
    );
    const error = await PostgresEngine.open('not a url hunter2').catch((caught: unknown) => caught);
    expect((error as Error).message).not.toContain('hunter2');
  });
});

async function waitFor(check: () => Promise<boolean>): Promise<void> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error('the condition never held');
}
