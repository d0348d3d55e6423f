// The store flags of `radfed hub init|serve|migrate`: --database postgres://… puts the hub's state in
// PostgreSQL (replicas share it), --blobs says where its blobs and upload spools live. Without them a
// hub keeps everything in its own folder (SQLite), as it always has.
import { resolve } from 'node:path';
import type { Command } from 'commander';
import {
  checkPostgresReachable,
  HubError,
  migrateHubSchema,
  parseBlobsChoice,
  writeStoreChoice,
  type BlobsChoice,
  type StoreChoice,
} from '../hub/index.ts';

export interface StoreFlags {
  database?: string;
  blobs?: BlobsChoice;
}

export function addStoreOptions(command: Command): Command {
  return command
    .option(
      '--database <url>',
      'PostgreSQL for the hub state, postgres://user:password@host:5432/db (default: the SQLite file in --dir)',
    )
    .option(
      '--blobs <where>',
      'with --database: postgres (blobs and upload spools in the database: replicas share no disk) or folder:/path every replica mounts (default: the hub folder)',
      (value) => parseBlobsChoice(value),
    );
}

export function storeOf(flags: StoreFlags): StoreChoice {
  return {
    ...(flags.database !== undefined ? { database: flags.database } : {}),
    ...(flags.blobs !== undefined ? { blobs: flags.blobs } : {}),
  };
}

/** Before `hub init` makes the folder: refuses --blobs alone, and a PostgreSQL it cannot reach. */
export async function checkStoreFlags(flags: StoreFlags): Promise<void> {
  if (flags.database === undefined) {
    if (flags.blobs !== undefined)
      throw new HubError(
        'blobs-without-database',
        400,
        '--blobs goes with --database: a hub on its SQLite file keeps its blobs in its own folder.',
      );
    return;
  }
  await checkPostgresReachable(flags.database);
}

/** After `hub init`: records the PostgreSQL choice in the new folder and migrates and claims the database. */
export async function initHubStore(dir: string, flags: StoreFlags): Promise<string | null> {
  const choice = storeOf(flags);
  if (choice.database === undefined) return null;
  writeStoreChoice(dir, { ...choice, database: choice.database });
  const report = await migrateHubSchema(dir);
  const blobs =
    choice.blobs === undefined
      ? 'blobs in this folder (one replica only)'
      : choice.blobs.kind === 'postgres'
        ? 'blobs in PostgreSQL'
        : `blobs in ${choice.blobs.path} (mount it on every replica)`;
  return `  state in PostgreSQL (schema version ${report.version}), ${blobs}; replicas: copy this folder to each machine\n`;
}

export function registerHubMigrateCommand(hub: Command): void {
  addStoreOptions(
    hub
      .command('migrate')
      .summary("bring the hub's database schema up to this RadFed's version")
      .description(
        'Applies the numbered migrations the database lacks, one per transaction, on SQLite or PostgreSQL.\n' +
          'Safe while replicas start: they take the same lock. Refuses a database newer than this RadFed.',
      )
      .requiredOption('--dir <folder>', 'the hub folder'),
  ).action(async (flags: StoreFlags & { dir: string }) => {
    const report = await migrateHubSchema(resolve(flags.dir), storeOf(flags));
    const applied = report.applied.length > 0 ? `applied ${report.applied.join(', ')}` : 'already current';
    process.stdout.write(`Hub schema on ${report.engine} at version ${report.version} (${applied}).\n`);
  });
}
