// Coordinator accounts in the hub's database (migration 8), on either engine: every replica of a hub
// reads the same accounts, and `radfed hub coordinator …` changes them while the hub runs. A row holds
// the scrypt hash as JSON, never the password. Sessions remember the account's changed_at from sign-in,
// so a new password or a removed account ends them (sessions.ts).
import type { SqlQueries } from '../store/index.ts';
import { DashboardError } from './dashboard-errors.ts';
import { passwordHashSchema, type CoordinatorAccount, type PasswordHash } from './coordinator-accounts.ts';

interface AccountRow {
  user_name: string;
  password_scrypt: string;
  changed_at: string;
}

function accountOf(row: AccountRow): CoordinatorAccount {
  let scrypt: PasswordHash;
  try {
    scrypt = passwordHashSchema.parse(JSON.parse(row.password_scrypt));
  } catch (error) {
    throw new DashboardError(
      'bad-accounts-file',
      `The stored password of the coordinator "${row.user_name}" is not in the expected form; set it again with \`radfed hub coordinator set-password --user ${row.user_name}\`.`,
      { cause: error },
    );
  }
  return { user: row.user_name, scrypt, changedAt: row.changed_at };
}

export class CoordinatorRows {
  constructor(private readonly sql: SqlQueries) {}

  async find(user: string): Promise<CoordinatorAccount | undefined> {
    const row = await this.sql.get<AccountRow>(
      'SELECT user_name, password_scrypt, changed_at FROM coordinator_accounts WHERE user_name = @user',
      { user },
    );
    return row ? accountOf(row) : undefined;
  }

  async list(): Promise<{ user: string; changedAt: string }[]> {
    const rows = await this.sql.all<Pick<AccountRow, 'user_name' | 'changed_at'>>(
      'SELECT user_name, changed_at FROM coordinator_accounts ORDER BY user_name',
    );
    return rows.map((row) => ({ user: row.user_name, changedAt: row.changed_at }));
  }

  async any(): Promise<boolean> {
    return (await this.sql.get('SELECT 1 AS one FROM coordinator_accounts LIMIT 1')) !== undefined;
  }

  /** Creates the account or replaces its password; returns whether it was new. */
  async set(account: CoordinatorAccount): Promise<{ created: boolean }> {
    const params = {
      user: account.user,
      scrypt: JSON.stringify(account.scrypt),
      changed_at: account.changedAt,
    };
    const updated = await this.sql.run(
      `UPDATE coordinator_accounts SET password_scrypt = @scrypt, changed_at = @changed_at
       WHERE user_name = @user`,
      params,
    );
    if (updated.changes > 0) return { created: false };
    // Two commands creating one name at once: the second finds the row and replaces the password.
    const inserted = await this.sql.run(
      `INSERT INTO coordinator_accounts (user_name, password_scrypt, changed_at)
       VALUES (@user, @scrypt, @changed_at) ON CONFLICT (user_name) DO NOTHING`,
      params,
    );
    if (inserted.changes > 0) return { created: true };
    await this.set(account);
    return { created: false };
  }

  /** Adds an account only when the name is free (an import never overwrites a newer password). */
  async addIfAbsent(account: CoordinatorAccount): Promise<boolean> {
    const inserted = await this.sql.run(
      `INSERT INTO coordinator_accounts (user_name, password_scrypt, changed_at)
       VALUES (@user, @scrypt, @changed_at) ON CONFLICT (user_name) DO NOTHING`,
      { user: account.user, scrypt: JSON.stringify(account.scrypt), changed_at: account.changedAt },
    );
    return inserted.changes > 0;
  }

  /** Removes the account; its sessions end at their next request. False when there was none. */
  async remove(user: string): Promise<boolean> {
    const removed = await this.sql.run('DELETE FROM coordinator_accounts WHERE user_name = @user', { user });
    return removed.changes > 0;
  }
}
