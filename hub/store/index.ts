// The hub's storage: one SQLite database and one content-addressed blob folder, behind this door so
// a large federation can move to another database and object store without touching the protocol.
import type { HubDatabase } from './hub-database.ts';
import { BlobStore } from './blob-store.ts';
import { openHubDatabase } from './hub-database.ts';
import { ModelRows } from './model-rows.ts';
import { PrivacyRows } from './privacy-rows.ts';
import { SiteRows } from './site-rows.ts';
import { TaskRows } from './task-rows.ts';
import { UploadRows } from './upload-rows.ts';

export { BlobStore, hashFile, syncFolder } from './blob-store.ts';
export { openHubDatabase, type HubDatabase } from './hub-database.ts';
export { LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';
export type { EvaluationRow, ModelRow } from './model-rows.ts';
export type { ClipNormRow, PrivacyLedgerRow } from './privacy-rows.ts';
export type { SiteRow, SiteTaskDecisionRow, TaskSiteRow, TokenRow } from './site-rows.ts';
export type { RoundRow, TaskRow } from './task-rows.ts';
export type { SubmissionRow, UploadRow } from './upload-rows.ts';

export class HubStore {
  readonly sites: SiteRows;
  readonly tasks: TaskRows;
  readonly uploads: UploadRows;
  readonly models: ModelRows;
  readonly privacy: PrivacyRows;

  constructor(
    readonly db: HubDatabase,
    readonly blobs: BlobStore,
  ) {
    this.sites = new SiteRows(db);
    this.tasks = new TaskRows(db);
    this.uploads = new UploadRows(db);
    this.models = new ModelRows(db);
    this.privacy = new PrivacyRows(db);
  }

  static open(databasePath: string, blobRoot: string): HubStore {
    return new HubStore(openHubDatabase(databasePath), new BlobStore(blobRoot));
  }

  /** Runs fn in one SQLite transaction: committed (and on disk) before it returns, or not at all. */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
