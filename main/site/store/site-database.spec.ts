import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  applyMigrations,
  LATEST_SCHEMA_VERSION,
  MIGRATIONS,
  openSiteDatabase,
  schemaVersion,
  SiteDatabaseError,
  type SiteDatabase,
} from './index.ts';

const dbPath = () => join(mkdtempSync(join(tmpdir(), 'radfed-db-')), 'site.db');

const tables = (db: SiteDatabase) =>
  db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

describe('site database', () => {
  it('opens in WAL mode with foreign keys and a busy timeout, at the latest schema', () => {
    const db = openSiteDatabase(dbPath());
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(tables(db)).toEqual(
      expect.arrayContaining([
        'audit_log',
        'held',
        'ingest_runs',
        'instance_sources',
        'instances',
        'patients',
        'rejected',
        'schema_migrations',
        'series',
        'studies',
      ]),
    );
    db.close();
  });

  it('applies each migration once: reopening applies nothing and keeps the data', () => {
    const path = dbPath();
    const first = openSiteDatabase(path);
    first.prepare("INSERT INTO patients (pseudonym, created_at) VALUES ('P1', 't')").run();
    const recorded = first.prepare('SELECT version, name, applied_at FROM schema_migrations').all();
    first.close();

    const again = openSiteDatabase(path);
    expect(applyMigrations(again)).toEqual([]);
    expect(again.prepare('SELECT version, name, applied_at FROM schema_migrations').all()).toEqual(recorded);
    expect(again.prepare('SELECT COUNT(*) AS n FROM patients').get()).toEqual({ n: 1 });
    again.close();
  });

  it('applies only the migrations that are new since the last open', () => {
    const db = openSiteDatabase(dbPath());
    const extra = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'test extra',
      sql: 'CREATE TABLE extra (x INTEGER)',
    };
    expect(applyMigrations(db, [...MIGRATIONS, extra])).toEqual([extra.version]);
    expect(applyMigrations(db, [...MIGRATIONS, extra])).toEqual([]);
    expect(schemaVersion(db)).toBe(extra.version);
    db.close();
  });

  it('rolls a failing migration back whole and records nothing for it', () => {
    const db = openSiteDatabase(dbPath());
    const broken = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'broken',
      sql: 'CREATE TABLE half_done (x INTEGER); CREATE TABLE oops (',
    };
    expect(() => applyMigrations(db, [...MIGRATIONS, broken])).toThrow();
    expect(tables(db)).not.toContain('half_done');
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    db.close();
  });

  it('refuses a database written by a newer RadFed', () => {
    const path = dbPath();
    const db = openSiteDatabase(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', 't')").run();
    db.close();
    expect(() => openSiteDatabase(path)).toThrow(SiteDatabaseError);
    expect(() => openSiteDatabase(path)).toThrow(
      `The site database at ${path} has schema version 999, newer than this RadFed knows (${LATEST_SCHEMA_VERSION}). Update RadFed before opening this site.`,
    );
  });

  it('enforces foreign keys: a study needs its patient', () => {
    const db = openSiteDatabase(dbPath());
    expect(() =>
      db
        .prepare(
          "INSERT INTO studies (study_uid, patient_pseudonym, created_at) VALUES ('2.25.1', 'nobody', 't')",
        )
        .run(),
    ).toThrow(/FOREIGN KEY/);
    db.close();
  });
});
