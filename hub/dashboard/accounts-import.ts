// The move of dashboard accounts from the hub folder into the hub's database (migration 8). Hubs before
// it kept them in coordinators.json; the first start after the upgrade (or the first `radfed hub
// coordinator …` command) copies them into the database and renames the file to
// coordinators.json.imported, so the file is read once and an upgrade loses no account.
//
// Only into a database that has no account yet: replicas start from copies of one hub folder, and a
// later replica's stale copy must not bring back an account the coordinator removed since (or an old
// password). Names a later file holds that the database lacks are reported, not added.
import { renameSync } from 'node:fs';
import { join } from 'node:path';
import type { SqlEngine } from '../store/index.ts';
import { accountsFilePath, IMPORTED_ACCOUNTS_FILE, readAccountsFile } from './coordinator-accounts.ts';
import { CoordinatorRows } from './coordinator-rows.ts';

/** The lock that lets one of several replicas starting at once do the import. */
const IMPORT_LOCK = 'dashboard:accounts-import';

export interface AccountsImport {
  /** Accounts copied into the database. */
  readonly imported: number;
  /** Names in the file the database already had accounts without: not copied (set them again if wanted). */
  readonly skipped: readonly string[];
}

/** Imports the hub folder's coordinators.json once; undefined when the folder has none. */
export async function importAccountsFile(
  hubDir: string,
  sql: SqlEngine,
): Promise<AccountsImport | undefined> {
  const accounts = readAccountsFile(hubDir);
  if (accounts === undefined) return undefined;
  const report = await sql.transaction(async (tx) => {
    await tx.lock(IMPORT_LOCK);
    const rows = new CoordinatorRows(tx);
    if (await rows.any()) {
      const skipped: string[] = [];
      for (const account of accounts) if (!(await rows.find(account.user))) skipped.push(account.user);
      return { imported: 0, skipped };
    }
    for (const account of accounts) await rows.addIfAbsent(account);
    return { imported: accounts.length, skipped: [] };
  });
  try {
    renameSync(accountsFilePath(hubDir), join(hubDir, IMPORTED_ACCOUNTS_FILE));
  } catch (error) {
    // Another process of this folder (the CLI beside the server) renamed it first.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  return report;
}
