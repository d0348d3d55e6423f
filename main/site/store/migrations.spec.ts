import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SchemaNewerThanCodeError } from '../../../shared/node/index.ts';
import { applyMigrations, LATEST_SCHEMA_VERSION, MIGRATIONS, schemaVersion } from './migrations.ts';
import { openSiteDatabase } from './site-database.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'radfed-site-migrations-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function schemaText(db: Database.Database): string[] {
  return db
    .prepare<[], string>(
      "SELECT type || ' ' || name || ' ' || COALESCE(sql, '') FROM sqlite_master ORDER BY name",
    )
    .pluck()
    .all();
}

describe('site migrations (the shared runner)', () => {
  it('a database made by the runner before it was shared migrates nothing and keeps working', () => {
    // What the earlier site runner did: the table, then each migration in version order with its row.
    const path = join(dir, 'site.db');
    const earlier = new Database(path);
    earlier.pragma('foreign_keys = ON');
    earlier.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TEXT NOT NULL
    ) STRICT`);
    for (const migration of [...MIGRATIONS].sort((a, b) => a.version - b.version)) {
      earlier.transaction(() => {
        earlier.exec(migration.sql);
        earlier
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(migration.version, migration.name, '2026-01-01T00:00:00.000Z');
      })();
    }
    const before = schemaText(earlier);
    earlier.close();

    const db = openSiteDatabase(path);
    expect(applyMigrations(db)).toEqual([]);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(schemaText(db)).toEqual(before);
    db.prepare("INSERT INTO patients (pseudonym, created_at) VALUES ('RF0123456789ABCDEF', 'now')").run();
    expect(db.prepare('SELECT COUNT(*) AS n FROM patients').get()).toEqual({ n: 1 });
    db.close();
  });

  it('refuses a database newer than the code with an error that says to update RadFed', () => {
    const db = new Database(join(dir, 'site.db'));
    applyMigrations(db);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from a newer RadFed',
      '2027-01-01T00:00:00.000Z',
    );
    expect(() => applyMigrations(db)).toThrow(SchemaNewerThanCodeError);
    expect(() => applyMigrations(db)).toThrow(/update RadFed/);
    db.close();
  });
});
