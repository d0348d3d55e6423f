// `radfed hub migrate`: brings a hub's schema up to the code's version, on whichever engine the hub
// uses, and says where it stands. On SQLite, opening the file already migrates it (hub-database.ts);
// on PostgreSQL it runs the same numbered migrations under the migration lock, so running it while
// replicas start is safe, and records (or checks) the hub's identity.
import { existsSync } from 'node:fs';
import { openSqliteDatabase, schemaVersion } from '../shared/node/index.ts';
import { HubError } from './hub-errors.ts';
import { hubLayout, loadHubKeys } from './setup/index.ts';
import { storeChoiceFor, type StoreChoice } from './store-choice.ts';
import { LATEST_SCHEMA_VERSION, migratePostgresHub, MIGRATIONS, openHubDatabase } from './store/index.ts';

export interface MigrationReport {
  readonly engine: 'sqlite' | 'postgres';
  /** The schema version after the command. */
  readonly version: number;
  /** Versions applied by this run (SQLite: those the file lacked before). */
  readonly applied: readonly number[];
}

export async function migrateHubSchema(dir: string, flags: StoreChoice = {}): Promise<MigrationReport> {
  const layout = hubLayout(dir);
  if (!existsSync(layout.config))
    throw new HubError(
      'not-a-hub',
      404,
      `${dir} is not a RadFed hub folder; create one with \`radfed hub init --dir ${dir}\`.`,
    );
  const choice = storeChoiceFor(dir, flags);
  if (choice.database !== undefined) {
    const applied = await migratePostgresHub(choice.database, loadHubKeys(layout));
    return { engine: 'postgres', version: LATEST_SCHEMA_VERSION, applied };
  }
  // Read before opening: opening the file migrates it (and refuses one newer than the code).
  const before = existsSync(layout.database) ? sqliteVersionOf(layout.database) : 0;
  const database = openHubDatabase(layout.database, { mustExist: true });
  const after = schemaVersion(database);
  database.close();
  const applied = MIGRATIONS.map((m) => m.version).filter((v) => v > before && v <= after);
  return { engine: 'sqlite', version: after, applied };
}

function sqliteVersionOf(path: string): number {
  // Through the one opener, with no migrations: it reads the version and changes no table.
  const database = openSqliteDatabase(path, { synchronous: 'FULL', mustExist: true });
  try {
    return schemaVersion(database);
  } finally {
    database.close();
  }
}
