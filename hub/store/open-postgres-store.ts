// Opens the hub's store on PostgreSQL, the way every replica starts: connect (a clear error when the
// server cannot be reached), bring the schema up to date under the migration lock (refused when the
// database is newer than the code), record or check the hub's identity (refused when this replica's
// keys are not the ones the database belongs to), then the blob store and the LISTEN connection that
// wakes long-polls when another replica moves a task on. (HubStore comes from index.ts, which re-exports
// this file: it is only used inside the functions, once both modules have loaded.)
import type { HubEvents } from '../hub-events.ts';
import { BlobStore } from './blob-store.ts';
import { FolderBlobs } from './hub-blobs.ts';
import { HubStore } from './index.ts';
import { PostgresBlobStore } from './postgres-blob-store.ts';
import { PostgresEngine } from './postgres-engine.ts';
import { PostgresHubEvents } from './postgres-hub-events.ts';
import { claimHubIdentity, type HubIdentity } from './postgres-hub-identity.ts';
import { applyPostgresMigrations } from './postgres-migrations.ts';
import { PostgresUploadSpool } from './postgres-upload-spool.ts';
import { FolderUploadSpool } from './upload-spool.ts';

export interface PostgresStoreOptions {
  readonly url: string;
  /** This replica's keys: the database must belong to the hub they name. */
  readonly identity: HubIdentity;
  /**
   * Where blobs and upload spools live: in the database (nothing shared but PostgreSQL), or in folders
   * every replica mounts.
   */
  readonly blobs: { readonly kind: 'postgres' } | { readonly kind: 'folder'; blobs: string; uploads: string };
  /** Told when a wake-up could not be sent or listened for (the long-polls then wake at their timeout). */
  readonly onEventFailure?: (error: unknown) => void;
  readonly maxConnections?: number;
}

export interface OpenedPostgresStore {
  readonly store: HubStore;
  readonly events: HubEvents;
  /** Versions this start applied (empty when the schema was already current). */
  readonly migrated: readonly number[];
}

export async function openPostgresHubStore(options: PostgresStoreOptions): Promise<OpenedPostgresStore> {
  const engine = await PostgresEngine.open(
    options.url,
    options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections },
  );
  let events: PostgresHubEvents | undefined;
  try {
    const migrated = await applyPostgresMigrations(engine);
    await claimHubIdentity(engine, options.identity);
    events = await PostgresHubEvents.open(options.url, engine, options.onEventFailure);
    const listening = events;
    const { blobs } = options;
    const store =
      blobs.kind === 'postgres'
        ? new HubStore(
            engine,
            await PostgresBlobStore.open(engine),
            await PostgresUploadSpool.open(engine),
            () => listening.close(),
          )
        : new HubStore(
            engine,
            new FolderBlobs(new BlobStore(blobs.blobs)),
            new FolderUploadSpool(blobs.uploads),
            () => listening.close(),
          );
    return { store, events, migrated };
  } catch (error) {
    await events?.close();
    await engine.close();
    throw error;
  }
}

/** Brings a PostgreSQL hub schema up to date (`radfed hub migrate`) without starting anything else. */
export async function migratePostgresHub(url: string, identity: HubIdentity): Promise<readonly number[]> {
  const engine = await PostgresEngine.open(url, { maxConnections: 1 });
  try {
    const migrated = await applyPostgresMigrations(engine);
    await claimHubIdentity(engine, identity);
    return migrated;
  } finally {
    await engine.close();
  }
}

/** Connects to PostgreSQL and lets go: a wrong URL or a stopped server is refused before anything is made. */
export async function checkPostgresReachable(url: string): Promise<void> {
  const engine = await PostgresEngine.open(url, { maxConnections: 1 });
  await engine.close();
}
