// The SqlEngine on PostgreSQL (replicated hubs): a pool of connections, the row classes' @name
// parameters rewritten to $n, integers back as numbers, BYTEA as Buffers. A transaction holds one
// connection from BEGIN to COMMIT; its locks are transaction-scoped advisory locks, released by
// PostgreSQL itself when the transaction ends or its replica dies.
import { createHash } from 'node:crypto';
import pg from 'pg';
import type { SqlEngine, SqlParams, SqlQueries, SqlRunResult, SqlTransaction } from './sql-engine.ts';
import {
  CONNECT_TIMEOUT_MS,
  connectionErrorFor,
  hubTypeParsers,
  postgresTarget,
  type PostgresTarget,
} from './postgres-connection.ts';
import { positionalValues, toPositional, type PositionalStatement } from './postgres-parameters.ts';

export interface PostgresEngineOptions {
  /** Connections in the pool (default 10). */
  readonly maxConnections?: number;
}

/** The signed 64-bit number pg_advisory_xact_lock takes, from the first 8 bytes of SHA-256(key). */
export function advisoryLockKey(key: string): string {
  return createHash('sha256').update(key).digest().readBigInt64BE(0).toString();
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

  async #inTransaction<T>(begin: string, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw connectionErrorFor(error, this.target);
    }
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
    await this.pool.end();
  }
}
