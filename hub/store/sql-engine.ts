// The one query layer under the hub's state: the row classes (site-rows, task-rows, …) speak SQL through
// this interface and nothing else, so the same code runs on the embedded SQLite file (the default, one
// process) and on PostgreSQL (replicated hubs). The SQL the rows write is the portable subset both
// engines accept: named parameters as @name (the PostgreSQL engine rewrites them to $1, $2, …),
// INSERT … ON CONFLICT, RETURNING, no engine-specific functions; integers come back as JS numbers on
// both engines (BIGINT is parsed to a number: every integer the hub stores is far below 2^53).
export type SqlValue = string | number | Buffer | null;
export type SqlParams = Readonly<Record<string, SqlValue>>;

export interface SqlRunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
}

/** What a query can run on: the engine itself, or one transaction of it. */
export interface SqlQueries {
  readonly engine: 'sqlite' | 'postgres';
  get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined>;
  all<Row>(sql: string, params?: SqlParams): Promise<Row[]>;
  run(sql: string, params?: SqlParams): Promise<SqlRunResult>;
}

export interface SqlTransaction extends SqlQueries {
  /**
   * Holds a lock named by key until this transaction ends, so two replicas never run the same step at
   * once (a round's transition, its aggregation, a privacy charge). PostgreSQL: pg_advisory_xact_lock on
   * a 64-bit hash of the key. SQLite: already exclusive (BEGIN IMMEDIATE on the one connection), so
   * this only records that the caller asked.
   */
  lock(key: string): Promise<void>;
}

/** A lock held until released or until the connection that holds it dies (SqlEngine.holdLock). */
export interface LockLease {
  /** Aborted when the lock is lost without release() (its connection to the database died). */
  readonly lost: AbortSignal;
  release(): Promise<void>;
}

export interface SqlEngine extends SqlQueries {
  /**
   * Runs fn in one transaction: committed (and durable) before the promise resolves, or rolled back
   * when fn throws. Queries inside fn go through tx; other callers wait (SQLite) or are isolated by
   * the database (PostgreSQL, READ COMMITTED plus the locks taken with tx.lock).
   */
  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T>;
  /**
   * Runs fn's reads on one snapshot of the database, so what they return belongs together (a round and
   * its task read after another replica moved both on in one transaction, never one before and one
   * after). PostgreSQL: a READ ONLY transaction at REPEATABLE READ. SQLite: one transaction on the one
   * connection (nothing else writes meanwhile).
   */
  snapshot<T>(fn: (queries: SqlQueries) => Promise<T>): Promise<T>;
  /**
   * Runs fn unless the same key's work is running already: in this process (then waits for it to end)
   * or in another replica (PostgreSQL: a session advisory lock, which the server lets go of when that
   * replica's connection dies, so a kill -9 mid-work leaves it to the next one). Resolves with fn's
   * result, or undefined when the work was someone else's. Long work that must not run twice at once
   * (a round's aggregation) goes here; fn opens its own transactions.
   */
  exclusively<T>(key: string, fn: () => Promise<T>): Promise<T | undefined>;
  /**
   * Takes the lock named by key, if no one holds it, for as long as the caller wants it (a task's trunk,
   * served by one replica until it dies): a lease, or undefined at once when it is held elsewhere, in
   * another replica or already in this process. PostgreSQL: a session advisory lock on the connection
   * `exclusively` uses, let go of by the server when that connection (or its replica) dies, which aborts
   * the lease's `lost`. SQLite: one process holds the file, so granted unless held here already.
   */
  holdLock(key: string): Promise<LockLease | undefined>;
  close(): Promise<void>;
}
