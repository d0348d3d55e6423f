// The hub's storage: its state behind one async query layer (SqlEngine: the embedded SQLite file by
// default, PostgreSQL for replicated hubs) and one content-addressed blob store, behind this door so
// a large federation can move to another database and object store without touching the protocol.
import { BlobStore } from './blob-store.ts';
import { FolderBlobs, type HubBlobs } from './hub-blobs.ts';
import { openHubDatabase } from './hub-database.ts';
import { ModelRows } from './model-rows.ts';
import { PrivacyRows } from './privacy-rows.ts';
import { SiteRows } from './site-rows.ts';
import type { SqlEngine, SqlQueries, SqlTransaction } from './sql-engine.ts';
import { SqliteEngine } from './sqlite-engine.ts';
import { TaskRows } from './task-rows.ts';
import { UploadRows } from './upload-rows.ts';
import { FolderUploadSpool, type UploadSpool } from './upload-spool.ts';

export { BlobStore, hashFile, syncFolder } from './blob-store.ts';
export { FolderBlobs, type ByteRange, type HubBlobs } from './hub-blobs.ts';
export { FolderUploadSpool, type UploadSpool } from './upload-spool.ts';
export { openHubDatabase, type HubDatabase } from './hub-database.ts';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
export {
  checkPostgresReachable,
  migratePostgresHub,
  openPostgresHubStore,
  type OpenedPostgresStore,
  type PostgresStoreOptions,
} from './open-postgres-store.ts';
export type { EvaluationRow, ModelRow } from './model-rows.ts';
export type { ClipNormRow, PrivacyLedgerRow } from './privacy-rows.ts';
export type { SiteRow, SiteTaskDecisionRow, TaskSiteRow, TokenRow } from './site-rows.ts';
export type {
  LockLease,
  SqlEngine,
  SqlParams,
  SqlQueries,
  SqlRunResult,
  SqlTransaction,
  SqlValue,
} from './sql-engine.ts';
export { SqliteEngine, TransactionMisuseError } from './sqlite-engine.ts';
export type { RoundRow, TaskRow } from './task-rows.ts';
export type { SubmissionRow, UploadRow } from './upload-rows.ts';

/** The hub's row classes over one set of queries: the store's own, or one transaction's. */
export class HubRows {
  readonly sites: SiteRows;
  readonly tasks: TaskRows;
  readonly uploads: UploadRows;
  readonly models: ModelRows;
  readonly privacy: PrivacyRows;

  constructor(readonly sql: SqlQueries) {
    this.sites = new SiteRows(sql);
    this.tasks = new TaskRows(sql);
    this.uploads = new UploadRows(sql);
    this.models = new ModelRows(sql);
    this.privacy = new PrivacyRows(sql);
  }
}

/** The rows bound to one open transaction, and its per-key lock (see SqlTransaction.lock). */
export class HubTransaction extends HubRows {
  constructor(override readonly sql: SqlTransaction) {
    super(sql);
  }

  /**
   * Takes the lock of a decision that must happen once across replicas (a round's transition and
   * aggregation, a privacy charge, a secure-aggregation phase move), held until the transaction ends.
   */
  lock(key: string): Promise<void> {
    return this.sql.lock(key);
  }
}

export class HubStore extends HubRows {
  constructor(
    override readonly sql: SqlEngine,
    readonly blobs: HubBlobs,
    /** Where uploads wait between their chunks and their completion. */
    readonly spool: UploadSpool,
    /** What else closes with the store (a replica's LISTEN connection). */
    private readonly closeAlso: () => Promise<void> = () => Promise.resolve(),
  ) {
    super(sql);
  }

  /** The embedded store: the SQLite file at databasePath (created and migrated when needed). */
  static open(databasePath: string, folders: { blobs: string; uploads: string }): HubStore {
    return new HubStore(
      new SqliteEngine(openHubDatabase(databasePath)),
      new FolderBlobs(new BlobStore(folders.blobs)),
      new FolderUploadSpool(folders.uploads),
    );
  }

  /**
   * Runs fn in one transaction: committed (and on disk) before the promise resolves, or rolled back
   * when fn throws. Inside fn, query through tx (its rows and tx.sql), never through the store.
   */
  transaction<T>(fn: (tx: HubTransaction) => Promise<T>): Promise<T> {
    return this.sql.transaction((sqlTx) => fn(new HubTransaction(sqlTx)));
  }

  /** Runs fn's reads on one snapshot of the database (SqlEngine.snapshot), through the rows it is given. */
  snapshot<T>(fn: (rows: HubRows) => Promise<T>): Promise<T> {
    return this.sql.snapshot((queries) => fn(new HubRows(queries)));
  }

  async close(): Promise<void> {
    await this.closeAlso();
    await this.sql.close();
  }
}

/** Lock keys of the decisions taken once across replicas (tx.lock). */
export const lockKeys = {
  round: (taskId: string, round: number) => `round:${taskId}:${round}`,
  task: (taskId: string) => `task:${taskId}`,
  secureRound: (taskId: string, round: number) => `secagg:${taskId}:${round}`,
  /** Not a transaction lock: the key of a round's aggregation, run once at a time (SqlEngine.exclusively). */
  aggregation: (taskId: string, round: number) => `aggregation:${taskId}:${round}`,
  /** A site's unfinished uploads of one round, counted against MAX_OPEN_UPLOADS. */
  siteUploads: (taskId: string, round: number, siteId: string) => `uploads:${taskId}:${round}:${siteId}`,
  enrollment: () => 'enrollment',
} as const;
