// The SqlEngine over the hub's one better-sqlite3 connection (opened by openHubDatabase: WAL,
// synchronous=FULL, migrations). better-sqlite3 is synchronous, so a query never interleaves with
// another by itself; what needs care is a transaction whose function awaits between its queries.
// Every query and every transaction therefore goes through one serial queue: while a transaction is
// open nothing else touches the connection, and a query from outside waits for its COMMIT.
//
// A transaction's own work is recognised through AsyncLocalStorage (the async context its function
// runs in): a nested store.transaction() inside it becomes a SAVEPOINT of the open transaction (it
// would otherwise wait in the queue behind itself forever), and a plain engine query made inside it
// is refused with a clear error, because on PostgreSQL that query would run on another connection,
// outside the transaction, and could wait on the transaction's own locks.
import { AsyncLocalStorage } from 'node:async_hooks';
import type { Database as SqliteDatabase, Statement } from 'better-sqlite3';
import { SerialQueue } from '../../shared/serial-queue.ts';
import { HubError } from '../hub-errors.ts';
import { ExclusiveWork } from './exclusive-work.ts';
import type {
  LockLease,
  SqlEngine,
  SqlParams,
  SqlQueries,
  SqlRunResult,
  SqlTransaction,
} from './sql-engine.ts';

interface OpenTransaction {
  readonly engine: SqliteEngine;
  readonly tx: SqliteTransaction;
  savepoints: number;
}

const current = new AsyncLocalStorage<OpenTransaction>();

/** A query sent to the engine from inside one of its transactions, or a transaction used after it ended. */
export class TransactionMisuseError extends HubError {
  constructor(message: string) {
    super('transaction-misuse', 500, message);
  }
}

/** Prepared statements by SQL text: the rows send the same few dozen statements over and over. */
class StatementCache {
  readonly #statements = new Map<string, Statement>();
  constructor(private readonly db: SqliteDatabase) {}

  get(sql: string): Statement {
    let statement = this.#statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.#statements.set(sql, statement);
    }
    return statement;
  }
}

function bind(statement: Statement, params: SqlParams | undefined): unknown[] {
  // A statement without parameters refuses an (empty) object; one with @names takes the object.
  return params === undefined || statement.source.indexOf('@') === -1 ? [] : [params];
}

function getRow<Row>(cache: StatementCache, sql: string, params?: SqlParams): Row | undefined {
  const statement = cache.get(sql);
  return statement.get(...bind(statement, params)) as Row | undefined;
}

function allRows<Row>(cache: StatementCache, sql: string, params?: SqlParams): Row[] {
  const statement = cache.get(sql);
  return statement.all(...bind(statement, params)) as Row[];
}

function runStatement(cache: StatementCache, sql: string, params?: SqlParams): SqlRunResult {
  const statement = cache.get(sql);
  return { changes: statement.run(...bind(statement, params)).changes };
}

class SqliteTransaction implements SqlTransaction {
  readonly engine = 'sqlite' as const;
  #ended = false;
  readonly #locks = new Set<string>();

  constructor(private readonly cache: StatementCache) {}

  get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return this.#use(() => getRow<Row>(this.cache, sql, params));
  }

  all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return this.#use(() => allRows<Row>(this.cache, sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return this.#use(() => runStatement(this.cache, sql, params));
  }

  /** BEGIN IMMEDIATE already holds the database's one write lock: the key is only recorded. */
  lock(key: string): Promise<void> {
    return this.#use(() => {
      this.#locks.add(key);
    });
  }

  /** Keys locked so far (tests check that a decision step asked for its lock). */
  get locks(): ReadonlySet<string> {
    return this.#locks;
  }

  end(): void {
    this.#ended = true;
  }

  get ended(): boolean {
    return this.#ended;
  }

  #use<T>(work: () => T): Promise<T> {
    if (this.#ended) {
      return Promise.reject(
        new TransactionMisuseError(
          'A query used a transaction that had already ended; run it inside store.transaction(…) or on the store.',
        ),
      );
    }
    try {
      return Promise.resolve(work());
    } catch (error) {
      return Promise.reject(error as Error);
    }
  }
}

export class SqliteEngine implements SqlEngine {
  readonly engine = 'sqlite' as const;
  readonly #queue = new SerialQueue();
  readonly #exclusive = new ExclusiveWork();
  readonly #held = new Set<string>();
  readonly #cache: StatementCache;

  constructor(readonly db: SqliteDatabase) {
    this.#cache = new StatementCache(db);
  }

  get<Row>(sql: string, params?: SqlParams): Promise<Row | undefined> {
    return this.#outside(() => getRow<Row>(this.#cache, sql, params));
  }

  all<Row>(sql: string, params?: SqlParams): Promise<Row[]> {
    return this.#outside(() => allRows<Row>(this.#cache, sql, params));
  }

  run(sql: string, params?: SqlParams): Promise<SqlRunResult> {
    return this.#outside(() => runStatement(this.#cache, sql, params));
  }

  transaction<T>(fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    return this.#inTransaction('BEGIN IMMEDIATE', fn);
  }

  /** A deferred transaction: only a shared lock, so another process may read meanwhile, as before. */
  snapshot<T>(fn: (queries: SqlQueries) => Promise<T>): Promise<T> {
    return this.#inTransaction('BEGIN', fn);
  }

  /** One process holds the file: running here is the only running there is. */
  exclusively<T>(key: string, fn: () => Promise<T>): Promise<T | undefined> {
    return this.#exclusive.run(key, fn);
  }

  /** One process holds the file: the lock is this process's to give, and is never lost. */
  holdLock(key: string): Promise<LockLease | undefined> {
    if (this.#held.has(key)) return Promise.resolve(undefined);
    this.#held.add(key);
    const lost = new AbortController().signal;
    return Promise.resolve({
      lost,
      release: () => {
        this.#held.delete(key);
        return Promise.resolve();
      },
    });
  }

  #inTransaction<T>(begin: string, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    const open = this.#openHere();
    if (open !== undefined) return this.#savepoint(open, fn);
    return this.#queue.run(async () => {
      const tx = new SqliteTransaction(this.#cache);
      this.db.exec(begin);
      try {
        const result = await current.run({ engine: this, tx, savepoints: 0 }, () => fn(tx));
        this.db.exec('COMMIT');
        return result;
      } catch (error) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw error;
      } finally {
        tx.end();
      }
    });
  }

  async close(): Promise<void> {
    await this.#queue.run(() => {
      if (this.db.open) this.db.close();
    });
  }

  /** A transaction inside an open one: a SAVEPOINT, so a failure undoes only the inner part. */
  async #savepoint<T>(open: OpenTransaction, fn: (tx: SqlTransaction) => Promise<T>): Promise<T> {
    open.savepoints += 1;
    const name = `nested_${open.savepoints}`;
    this.db.exec(`SAVEPOINT ${name}`);
    try {
      const result = await fn(open.tx);
      this.db.exec(`RELEASE ${name}`);
      return result;
    } catch (error) {
      if (this.db.inTransaction) this.db.exec(`ROLLBACK TO ${name}; RELEASE ${name}`);
      throw error;
    }
  }

  /** The transaction of this engine that the calling code runs inside, if one is still open. */
  #openHere(): OpenTransaction | undefined {
    const open = current.getStore();
    return open !== undefined && open.engine === this && !open.tx.ended ? open : undefined;
  }

  /** A query on the engine itself: waits for any open transaction, and is refused inside one. */
  #outside<T>(work: () => T): Promise<T> {
    if (this.#openHere() !== undefined) {
      return Promise.reject(
        new TransactionMisuseError(
          'A query went to the store while this request holds a transaction open; inside store.transaction(…) use the rows of tx.',
        ),
      );
    }
    return this.#queue.run(work);
  }
}
