// Coordinator accounts managed from the hub machine by hub folder (`radfed hub coordinator …`, tests,
// benchmarks): each call opens the store the folder records (its SQLite file, or the PostgreSQL database
// in its store.json), moves an older hub's coordinators.json into it first, does one thing and closes.
// The running hub (every replica) sees the change at its next request.
import { openHubContextFor } from '../hub-context.ts';
import { importAccountsFile } from './accounts-import.ts';
import {
  checkPasswordStrength,
  checkUserName,
  hashPassword,
  type CoordinatorAccount,
  type ScryptCost,
} from './coordinator-accounts.ts';
import { CoordinatorRows } from './coordinator-rows.ts';
import { DashboardError } from './dashboard-errors.ts';

async function withAccounts<T>(hubDir: string, fn: (rows: CoordinatorRows) => Promise<T>): Promise<T> {
  const ctx = await openHubContextFor(hubDir);
  try {
    await importAccountsFile(hubDir, ctx.store.sql);
    return await fn(new CoordinatorRows(ctx.store.sql));
  } finally {
    await ctx.store.close();
  }
}

/** Creates the account or replaces its password (its open sessions end); returns whether it was new. */
export async function setCoordinatorPassword(
  hubDir: string,
  user: string,
  password: string,
  options: { now?: Date; cost?: ScryptCost } = {},
): Promise<{ created: boolean }> {
  checkUserName(user);
  checkPasswordStrength(password);
  const scrypt = await hashPassword(password, options.cost);
  const changedAt = (options.now ?? new Date()).toISOString();
  return withAccounts(hubDir, (rows) => rows.set({ user, scrypt, changedAt }));
}

export async function removeCoordinator(hubDir: string, user: string): Promise<void> {
  const removed = await withAccounts(hubDir, (rows) => rows.remove(user));
  if (!removed) {
    throw new DashboardError('no-such-coordinator', `There is no coordinator named "${user}" at this hub.`);
  }
}

export function listCoordinators(hubDir: string): Promise<{ user: string; changedAt: string }[]> {
  return withAccounts(hubDir, (rows) => rows.list());
}

export function findAccount(hubDir: string, user: string): Promise<CoordinatorAccount | undefined> {
  return withAccounts(hubDir, (rows) => rows.find(user));
}
