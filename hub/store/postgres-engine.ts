// The SqlEngine on PostgreSQL (replicated hubs): a pool of connections, the row classes' @name
// parameters rewritten to $n, integers back as numbers, BYTEA as Buffers. A transaction holds one
// connection from BEGIN to COMMIT; its locks are transaction-scoped advisory locks, released by
// PostgreSQL itself when the transaction ends or its replica dies.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type {
  LockLease,
  SqlEngine,
  SqlParams,
  SqlQueries,
  SqlRunResult,
  SqlTransaction,
} from './sql-engine.ts';
import {
  CONNECT_TIMEOUT_MS,
  connectionErrorFor,
  hubTypeParsers,
  postgresTarget,
  type PostgresTarget,
} from './postgres-connection.ts';
import { ExclusiveWork } from './exclusive-work.ts';
import { positionalValues, toPositional, type PositionalStatement } from './postgres-parameters.ts';

export interface PostgresEngineOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
}

/** The signed 64-bit number pg_advisory_xact_lock takes, from the first 8 bytes of SHA-256(key). */
export function advisoryLockKey(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString();
}

/** Session locks (exclusively, holdLock) share one key space, apart from tx.lock's in PostgreSQL's. */
function sessionLockKey(key: string): string {
  return advisoryLockKey(`exclusively:${key}`);
}

type Queryable = Pick<pg.PoolClient, 'query'>;

class PostgresQueries implements SqlQueries {
  readonly engine = 'postgres' as const;
  // The rewrite is pure, and the rows run a few dozen statements many times over.
  private static readonly rewritten = new Map<string, PositionalStatement>();

  constructor(
    protected readonly target: PostgresTarget,
    private readonly connection: () => Queryable,
  ) {}

  protected async query<Row>(
    sql: string,
    params?: SqlParams,
  ): Promise<pg.QueryResult<Row & pg.QueryResultRow>> {
    let statement = PostgresQueries.rewritten.get(sql);
    if (statement === undefined) {
      statement = toPositional(sql);
      // SQL built at run time (an IN list of varying length) must not grow the cache without end.
      if (PostgresQueries.rewritten.size >= 1000) PostgresQueries.rewritten.clear();
      PostgresQueries.rewritten.set(sql, statement);
    }
    const values = positionalValues(statement, params);
    try {
      return await this.connection().query<Row & pg.QueryResultRow>(statement.text, values);
    } catch (error) {
      throw connectionErrorFor(error, this.target);
    }
  }

  async get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return (await this.query<Row>(sql, params)).rows[0];
  }

  async all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return (await this.query<Row>(sql, params)).rows;
  }

  async run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return { changes: (await this.query(sql, params)).rowCount ?? 0 };
  }
}

class PostgresTransaction extends PostgresQueries implements SqlTransaction {
  async lock(key: string): Promise<void> {
    await this.run('SELECT pg_advisory_xact_lock(CAST(@key AS BIGINT))', { key: advisoryLockKey(key) });
  }
}

export class PostgresEngine extends PostgresQueries implements SqlEngine {
  readonly #exclusive = new ExclusiveWork();
  #locks: pg.Client | undefined;
  #lockQueue: Promise<unknown> = Promise.resolve();
  #lockOpening: Promise<pg.Client> | undefined;
  /** The locks holdLock gave out and not yet released, each told when its session dies. */
  readonly #leases = new Map<string, { session: pg.Client; lost: AbortController }>();

  private constructor(
    target: PostgresTarget,
    private readonly pool: pg.Pool,
  ) {
    super(target, () => pool);
  }

  /**
   * Connects to the database at url and checks it answers, so a wrong URL or a stopped server is one
   * clear HubError at start-up ("Cannot reach PostgreSQL at host:port …") rather than at the first request.
   */
  static async open(url: string, options: PostgresEngineOptions = {}): Promise<PostgresEngine> {
    const target = postgresTarget(url);
    const pool = new pg.Pool({
      connectionString: target.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      types: hubTypeParsers,
    });
    // An idle connection that the server drops (a restart, a failover) is reported here; the pool has
    // already discarded it and the next query opens a new one, so there is nothing more to do.
    pool.on('error', () => undefined);
    const engine = new PostgresEngine(target, pool);
    try {
      await engine.get('SELECT 1 AS ok');
    } catch (error) {
      await pool.end();
      throw error;
    }
    return engine;
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.#inTransaction('BEGIN', fn);
  }

  snapshot<T>(fn: (queries: SqlQueries) => Promise<T>): Promise<T> {
    return this.#inTransaction('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY', fn);
  }

  /**
   * A connection of the pool for this caller alone. While it is checked out, the pool does not listen
   * for its errors: a server that ends the connection (a restart, pg_terminate_backend) would then be
   * an uncaught 'error' event that stops the replica. The failure reaches the caller through its next
   * query instead, and the connection is dropped from the pool when released with that error.
   */
  async #checkOut(): Promise<pg.PoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw connectionErrorFor(error, this.target);
    }
    const ignore = () => undefined;
    client.on('error', ignore);
    const release = client.release.bind(client);
    client.release = (error?: Error | boolean) => {
      client.off('error', ignore);
      release(error);
    };
    return client;
  }

  exclusively<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.#exclusive.run(key, () => this.#underSessionLock(key, fn));
  }

  /**
   * fn under a session-level advisory lock, or undefined at once when another replica holds it. The
   * locks are taken on one connection of their own, not the pool's: fn's transactions need the pool,
   * and work holding pool connections while it waits for more would deadlock once as many rounds
   * aggregate at once as the pool has connections. The key is prefixed so it never meets a
   * transaction lock's (tx.lock) key: the two share PostgreSQL's lock space.
   */
  async #underSessionLock<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    const lockKey = sessionLockKey(key);
    const session = await this.#lockSession();
    if (!(await this.#trySessionLock(session, lockKey))) return undefined;
    try {
      return await fn();
    } finally {
      // A session that died has lost its locks already (the server let go of them with it).
      if (this.#locks === session)
        await this.#lockQuery(session, 'SELECT pg_advisory_unlock($1::bigint)', [lockKey]).catch(
          () => undefined,
        );
    }
  }

  async holdLock(key: string): Promise<LockLease | undefined> {
    // Session locks stack within one session: this process holding it already must be told no here.
    if (this.#leases.has(key)) return undefined;
    const lost = new AbortController();
    const lockKey = sessionLockKey(key);
    const session = await this.#lockSession();
    if (this.#leases.has(key)) return undefined;
    this.#leases.set(key, { session, lost });
    let taken = false;
    try {
      taken = await this.#trySessionLock(session, lockKey);
    } finally {
      if (!taken) this.#leases.delete(key);
    }
    if (!taken) return undefined;
    return {
      lost: lost.signal,
      release: async () => {
        if (this.#leases.get(key)?.lost !== lost) return;
        this.#leases.delete(key);
        if (this.#locks === session)
          await this.#lockQuery(session, 'SELECT pg_advisory_unlock($1::bigint)', [lockKey]).catch(
            () => undefined,
          );
      },
    };
  }

  async #trySessionLock(session: pg.Client, lockKey: string): Promise<boolean> {
    try {
      const taken = await this.#lockQuery<{ held: boolean }>(
        session,
        'SELECT pg_try_advisory_lock($1::bigint) AS held',
        [lockKey],
      );
      return taken.rows[0]?.held === true;
    } catch (error) {
      throw connectionErrorFor(error, this.target);
    }
  }

  /**
   * One query at a time on the lock connection: aggregations and trunk keepers take and let go of
   * their locks concurrently, and pg queues concurrent queries on one client only with a deprecation
   * warning (pg 9 will refuse them).
   */
  #lockQuery<Row extends pg.QueryResultRow>(
    session: pg.Client,
    text: string,
    values: readonly string[],
  ): Promise<pg.QueryResult<Row>> {
    const run = this.#lockQueue.then(() => session.query<Row>(text, [...values]));
    this.#lockQueue = run.catch(() => undefined);
    return run;
  }

  /** The session died: the server let go of its locks, so every lease taken on it is lost. */
  #loseLeases(session: pg.Client): void {
    if (this.#locks === session) this.#locks = undefined;
    for (const [key, lease] of this.#leases) {
      if (lease.session !== session) continue;
      this.#leases.delete(key);
      lease.lost.abort(new Error('the connection holding this lock to PostgreSQL was lost'));
    }
  }

  /** The connection session locks are taken on, opened at first use and again after it fails. */
  async #lockSession(): Promise<pg.Client> {
    if (this.#locks !== undefined) return this.#locks;
    this.#lockOpening ??= (async () => {
      const session = new pg.Client({
        connectionString: this.target.connectionString,
        connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
        types: hubTypeParsers,
        // A held lock outlives any query: keepalives notice a peer gone silent (a cut network).
        keepAlive: true,
      });
      session.on('error', () => this.#loseLeases(session));
      session.on('end', () => this.#loseLeases(session));
      try {
        await session.connect();
      } catch (error) {
        throw connectionErrorFor(error, this.target);
      }
      this.#locks = session;
      return session;
    })().finally(() => {
      this.#lockOpening = undefined;
    });
    return this.#lockOpening;
  }

  async #inTransaction<T>(begin: string, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const client = await this.#checkOut();
    const tx = new PostgresTransaction(this.target, () => client);
    let broken: Error | undefined;
    try {
      await tx.run(begin);
      const result = await fn(tx);
      await tx.run('COMMIT');
      return result;
    } catch (error) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackError) {
        // The connection itself failed: it must not go back into the pool.
        broken = rollbackError instanceof Error ? rollbackError : new Error('rollback failed');
      }
      throw error;
    } finally {
      client.release(broken);
    }
  }

  async close(): Promise<void> {
    const locks = this.#locks;
    this.#locks = undefined;
    // Closing is letting go, not losing: the holders are stopping with the engine.
    this.#leases.clear();
    await locks?.end().catch(() => undefined);
    await this.pool.end();
  }
}
