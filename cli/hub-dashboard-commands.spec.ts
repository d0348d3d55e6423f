// `radfed hub coordinator …` through commander against a real hub folder: the password on stdin or
// generated, and what ends up in the hub's database (a hash that verifies, never the password). On the
// hub's SQLite file by default; with RADFED_TEST_HUB_ENGINE=postgres, on a real PostgreSQL the folder's
// store.json names.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { findAccount, listCoordinators, verifyPassword } from '../hub/dashboard/index.ts';
import { initHub, writeStoreChoice } from '../hub/index.ts';
import { testDatabaseUrl } from '../hub/testing/test-engine.ts';
import { registerHubDashboardCommands } from './hub-dashboard-commands.ts';

let root: string;
let dir: string;

async function radfed(args: string[], stdin = '') {
  const program = new Command('radfed').exitOverride().configureOutput({ writeErr: () => undefined });
  const hub = program.command('hub').exitOverride();
  registerHubDashboardCommands(hub, { stdin: Readable.from([stdin]) });
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk);
    return true;
  });
  let error: Error | undefined;
  try {
    await program.parseAsync(['hub', 'coordinator', ...args, '--dir', dir], { from: 'user' });
  } catch (caught) {
    error = caught as Error;
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
  return { stdout, stderr, error };
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'radfed-coord-'));
  dir = join(root, 'hub');
  await initHub({ dir, name: 'cli hub' });
  const database = await testDatabaseUrl();
  if (database) writeStoreChoice(dir, { database });
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('radfed hub coordinator', () => {
  it('sets a password from stdin: the database holds a hash that verifies, not the password', async () => {
    const run = await radfed(['set-password', '--password-stdin'], 'a passphrase for the hub\n');
    expect(run.error).toBeUndefined();
    expect(run.stderr).toContain('Created the coordinator "coordinator"');
    expect(existsSync(join(dir, 'coordinators.json'))).toBe(false);
    for (const file of ['hub.db', 'hub.db-wal'].map((name) => join(dir, name))) {
      if (existsSync(file)) expect(readFileSync(file).includes('passphrase')).toBe(false);
    }
    const account = await findAccount(dir, 'coordinator');
    expect(await verifyPassword('a passphrase for the hub', account!.scrypt)).toBe(true);
    expect(await verifyPassword('a passphrase for the hub\n', account!.scrypt)).toBe(false);
  });

  it('generates a password, prints it once on stdout, and lists and removes accounts', async () => {
    const run = await radfed(['set-password', '--user', 'deputy', '--generate']);
    const password = run.stdout.trim();
    expect(password).toMatch(/^[A-Za-z0-9]{20}$/);
    expect(await verifyPassword(password, (await findAccount(dir, 'deputy'))!.scrypt)).toBe(true);
    expect((await radfed(['list'])).stdout).toMatch(/^coordinator\t.*\ndeputy\t/);
    expect((await radfed(['remove', '--user', 'deputy'])).error).toBeUndefined();
    expect(await findAccount(dir, 'deputy')).toBeUndefined();
  });

  it('refuses a short password or a missing terminal in words, changing nothing', async () => {
    const before = await listCoordinators(dir);
    const short = await radfed(['set-password', '--password-stdin'], 'short\n');
    expect(short.error?.message).toContain('too short: use at least 12 characters');
    const noTty = await radfed(['set-password']);
    expect(noTty.error?.message).toContain('pipe it with --password-stdin, or use --generate');
    const missing = await radfed(['remove', '--user', 'nobody']);
    expect(missing.error?.message).toBe('There is no coordinator named "nobody" at this hub.');
    expect(await listCoordinators(dir)).toEqual(before);
  });
});
