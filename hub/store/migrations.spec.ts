import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchemaNewerThanCodeError } from '../../shared/node/index.ts';
import { HubError } from '../hub-errors.ts';
import { openHubDatabase } from './hub-database.ts';
import { applyMigrations, LATEST_SCHEMA_VERSION, MIGRATIONS } from './migrations.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-hub-migrations-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** Runs hub/testing/migrate-child.ts; resolves with its output once `until` appears in it. */
function child(args: string[], until: string): { reached: Promise<void>; exited: Promise<string> } {
  const started = spawn(process.execPath, ['--import', 'tsx', 'hub/testing/migrate-child.ts', ...args], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let reach: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  started.stdout.on('data', (part: Buffer) => {
    output += part.toString();
    if (output.includes(until)) reach();
  });
  started.stderr.on('data', (part: Buffer) => (output += part.toString()));
  const exited = new Promise<string>((resolve, reject) =>
    started.on('exit', (code) =>
      code === 0 ? resolve(output) : reject(new Error(`child exited ${code}: ${output}`)),
    ),
  );
  return { reached: Promise.race([reached, exited.then(() => undefined)]), exited };
}

function appliedVersions(path: string): number[] {
  const db = new Database(path, { readonly: true });
  try {
    return db.prepare<[], number>('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
  } finally {
    db.close();
  }
}

function schemaText(db: Database.Database): string[] {
  return db
    .prepare<[], string>(
      "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name",
    )
    .pluck()
    .all();
}

const allVersions = MIGRATIONS.map((m) => m.version).sort((a, b) => a - b);

describe('hub migrations', () => {
  it('waits for another process that is mid-migration and does not apply its migration again', async () => {
    const path = join(dir, 'hub.db');
    const holder = child([path, 'hold', '2000'], 'holding');
    await holder.reached;
    // This process reads the versions while the other holds the write lock with migration 1 applied but
    // not committed: it must wait, see 1 as applied, and go on from 2.
    const db = openHubDatabase(path);
    db.close();
    await holder.exited;
    expect(appliedVersions(path)).toEqual(allVersions);
  });

  it('two processes opening one fresh database at once both succeed, and each migration is applied once', async () => {
    const path = join(dir, 'hub.db');
    const [first, second] = [child([path, 'open'], 'migrated'), child([path, 'open'], 'migrated')];
    await Promise.all([first.exited, second.exited]);
    expect(appliedVersions(path)).toEqual(allVersions);
  });

  it('applies every migration to a fresh database once, and nothing on the next open', () => {
    const db = new Database(join(dir, 'hub.db'));
    expect(applyMigrations(db)).toEqual(allVersions);
    expect(applyMigrations(db)).toEqual([]);
    db.close();
  });

  it('a database made by the runner before it was shared migrates nothing and keeps working', () => {
    // What the earlier hub runner did: the table, then each migration in list order with its row.
    const path = join(dir, 'hub.db');
    const earlier = new Database(path);
    earlier.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
    for (const migration of MIGRATIONS) {
      earlier.exec(migration.sql);
      earlier
        .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
        .run(migration.version, migration.name, '2026-01-01T00:00:00.000Z');
    }
    const before = schemaText(earlier);
    earlier.close();

    const db = openHubDatabase(path);
    expect(applyMigrations(db)).toEqual([]);
    expect(schemaText(db)).toEqual(before);
    db.prepare(
      "INSERT INTO enrollment_tokens (id, secret_sha256, created_at, expires_at) VALUES ('t', 's', 'now', 'later')",
    ).run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM enrollment_tokens').get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a database newer than the code, in the runner itself and when the hub opens it', () => {
    const path = join(dir, 'hub.db');
    const db = new Database(path);
    applyMigrations(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from a newer RadFed',
      '2027-01-01T00:00:00.000Z',
    );
    expect(() => applyMigrations(db)).toThrow(SchemaNewerThanCodeError);
    expect(() => applyMigrations(db)).toThrow(/update RadFed/);
    db.close();
    expect(() => openHubDatabase(path)).toThrow(HubError);
    // The sentence the hub's operator has always seen, now worded from the runner's refusal.
    expect(() => openHubDatabase(path)).toThrow(
      `The hub database has schema version ${LATEST_SCHEMA_VERSION + 1}, newer than this RadFed knows (${LATEST_SCHEMA_VERSION}); update RadFed.`,
    );
  });
});
