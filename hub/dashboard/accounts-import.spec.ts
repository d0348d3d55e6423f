// An upgrade from a hub that kept dashboard accounts in coordinators.json, on the embedded SQLite hub:
// the first start (or the first `radfed hub coordinator` command) moves them into the database and
// renames the file, so the coordinator signs in as before; a stale copy of the file never brings back
// an account removed since; an unreadable file does not stop the hub.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startHub } from '../server/start-hub.ts';
import { initHub } from '../setup/index.ts';
import { hashPassword, type CoordinatorAccount } from './coordinator-accounts.ts';
import { findAccount, listCoordinators, removeCoordinator } from './coordinator-admin.ts';
import { DashboardClient, TEST_SCRYPT_COST } from './testing/dashboard-client.ts';

const PASSWORD = 'correct horse battery staple';

let root: string;
let dir: string;

async function olderAccountsFile(users: string[]): Promise<CoordinatorAccount[]> {
  const accounts = await Promise.all(
    users.map(async (user) => ({
      user,
      scrypt: await hashPassword(PASSWORD, TEST_SCRYPT_COST),
      changedAt: '2026-11-30T09:00:00.000Z',
    })),
  );
  writeFileSync(join(dir, 'coordinators.json'), JSON.stringify({ format: 1, accounts }, null, 2), {
    mode: 0o600,
  });
  return accounts;
}

beforeEach(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-accounts-import-'));
  dir = join(root, 'hub');
  await initHub({ dir, name: 'upgraded hub' });
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

describe('coordinators.json from an older hub', () => {
  it('is moved into the database at the first start, and the coordinator signs in as before', async () => {
    const [account] = await olderAccountsFile(['coordinator', 'deputy']);
    const hub = await startHub({ dir, port: 0, logger: false });
    try {
      expect(existsSync(join(dir, 'coordinators.json'))).toBe(false);
      expect(JSON.parse(readFileSync(join(dir, 'coordinators.json.imported'), 'utf8')).accounts).toHaveLength(
        2,
      );
      const client = new DashboardClient(hub.url, hub.ctx.keys.caCertPem);
      expect((await client.login('coordinator', PASSWORD)).status).toBe(303);
      expect((await client.get('/dashboard/')).status).toBe(200);
    } finally {
      await hub.close();
    }
    expect(await findAccount(dir, 'coordinator')).toEqual(account);
  });

  it('is moved by the first coordinator command too', async () => {
    await olderAccountsFile(['coordinator']);
    expect((await listCoordinators(dir)).map((row) => row.user)).toEqual(['coordinator']);
    expect(existsSync(join(dir, 'coordinators.json'))).toBe(false);
  });

  it('from a stale copy does not bring back an account removed since', async () => {
    await olderAccountsFile(['coordinator', 'deputy']);
    await removeCoordinator(dir, 'deputy');
    // Another replica's copy of the folder, made before the removal, starting later.
    await olderAccountsFile(['coordinator', 'deputy']);
    expect((await listCoordinators(dir)).map((row) => row.user)).toEqual(['coordinator']);
    expect(existsSync(join(dir, 'coordinators.json'))).toBe(false);
  });

  it('that cannot be read does not stop the hub; it stays for the command to report', async () => {
    writeFileSync(join(dir, 'coordinators.json'), '{ not json', { mode: 0o600 });
    const hub = await startHub({ dir, port: 0, logger: false });
    try {
      const login = await new DashboardClient(hub.url, hub.ctx.keys.caCertPem).get('/dashboard/login');
      expect(login.status).toBe(200);
    } finally {
      await hub.close();
    }
    expect(existsSync(join(dir, 'coordinators.json'))).toBe(true);
    await expect(listCoordinators(dir)).rejects.toThrow(
      /cannot be read as JSON, so its accounts were not moved into the hub database; remove it and set the passwords again/,
    );
  });
});
