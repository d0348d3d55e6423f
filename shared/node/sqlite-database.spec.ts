// The one SQLite opener: the connection settings each store asks for, the migrations applied once,
// and every refusal left to the one migration runner.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaNewerThanCodeError, type Migration } from './schema-migrations.ts';
import { openSqliteDatabase, SQLITE_BUSY_TIMEOUT_MS, SqliteOpenError } from './sqlite-database.ts';

const MIGRATIONS: Migration[] = [
  { version: 1, name: 'notes', sql: 'CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)' },
  {
    version: 2,
    name: 'tags',
    sql: 'CREATE TABLE tags (note INTEGER NOT NULL REFERENCES notes(id), tag TEXT NOT NULL)',
  },
];
const dbPath = () => join(mkdtempSync(join(tmpdir(), 'radfed-sqlite-open-')), 'x.db');

const thrownBy = (run: () => unknown): unknown => {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error('expected the opener to throw');
};

describe('openSqliteDatabase', () => {
  it.each([
    ['FULL', false, 2, 0],
    ['NORMAL', true, 1, 1],
  ] as const)(
    'synchronous=%s, secure_delete %s: WAL, foreign keys and the busy timeout too',
    (sync, secure, syncValue, secureValue) => {
      const db = openSqliteDatabase(dbPath(), { synchronous: sync, secureDelete: secure });
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(SQLITE_BUSY_TIMEOUT_MS);
      expect(db.pragma('synchronous', { simple: true })).toBe(syncValue);
      expect(db.pragma('secure_delete', { simple: true })).toBe(secureValue);
      db.close();
    },
  );

  it('applies the migrations once, and enforces foreign keys in what they made', () => {
    const path = dbPath();
    openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'FULL' }).close();
    const db = openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'FULL' });
    expect(db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all()).toEqual([
      1, 2,
    ]);
    expect(() => db.prepare("INSERT INTO tags (note, tag) VALUES (7, 'x')").run()).toThrow(/FOREIGN KEY/);
    db.close();
  });

  it('leaves the refusal of a newer database to the runner, whose error reaches the caller', () => {
    const path = dbPath();
    const db = openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'FULL' });
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9, 'future', 't')").run();
    db.close();
    const error = thrownBy(() => openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'FULL' }));
    expect(error).toBeInstanceOf(SchemaNewerThanCodeError);
    expect(error).toMatchObject({ databaseVersion: 9, codeVersion: 2 });
  });

  it('names a failed migration, rolled back, with SQLite error as its cause', () => {
    const path = dbPath();
    const broken = [...MIGRATIONS, { version: 3, name: 'broken', sql: 'ALTER TABLE nowhere ADD x' }];
    const error = thrownBy(() => openSqliteDatabase(path, { migrations: broken, synchronous: 'FULL' }));
    expect(error).toBeInstanceOf(SqliteOpenError);
    expect((error as SqliteOpenError).code).toBe('migration-failed');
    expect(((error as SqliteOpenError).cause as Error).message).toMatch(/no such table: nowhere/);
    const db = openSqliteDatabase(path, { migrations: MIGRATIONS, synchronous: 'FULL' });
    expect(db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get()).toBe(2);
    db.close();
  });

  it('refuses a missing file when it must exist', () => {
    const error = thrownBy(() => openSqliteDatabase(dbPath(), { synchronous: 'FULL', mustExist: true }));
    expect(error).toBeInstanceOf(SqliteOpenError);
    expect((error as SqliteOpenError).code).toBe('cannot-open');
  });

  it('opens a reader that cannot write, refuses a missing file, and refuses migrations', () => {
    const path = dbPath();
    openSqliteDatabase(path, { synchronous: 'FULL', migrations: MIGRATIONS }).close();
    const reader = openSqliteDatabase(path, { synchronous: 'NORMAL', readOnly: true });
    expect(reader.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: 0 });
    expect(() => reader.prepare("INSERT INTO notes (text) VALUES ('x')").run()).toThrow(/readonly/);
    reader.close();
    const missing = thrownBy(() => openSqliteDatabase(dbPath(), { synchronous: 'NORMAL', readOnly: true }));
    expect((missing as SqliteOpenError).code).toBe('cannot-open');
    expect(() =>
      openSqliteDatabase(path, { synchronous: 'NORMAL', readOnly: true, migrations: MIGRATIONS }),
    ).toThrow(/cannot be migrated/);
  });
});
