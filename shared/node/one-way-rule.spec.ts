// Keeps "one SQLite opener" and "one folder walker": outside the files named here,
// no source file opens a better-sqlite3 database itself (it calls openSqliteDatabase,
// shared/node/sqlite-database.ts, which sets WAL, foreign keys and the busy timeout and lets the
// migration runner alone refuse a newer schema), and none lists a folder recursively with readdir (it
// calls walkFolder, shared/node/folder-walk.ts, whose errors never name a path). Specs may do either:
// they inspect what the code wrote. A planted violation shows each rule can fail.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..', '..');
const ROOMS = ['main', 'hub', 'cli', 'shared', 'scripts'];

const OPENS_DATABASE = /\bnew\s+Database\s*\(/;
const OPENER_ALLOWED: Readonly<Record<string, string>> = {
  'shared/node/sqlite-database.ts': 'the one opener',
};

const RECURSIVE_READDIR = /\breaddir(Sync)?\s*\([^)]*\brecursive\s*:\s*true/;
const WALK_ALLOWED: Readonly<Record<string, string>> = {
  'main/site/batch/test-files.ts': 'test helper: lists the files a spec wrote into its own temporary folder',
  'main/site/ingest/test-ingest-support.ts': 'test helper: searches a spec’s own site folder for a value',
};

function productFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...productFiles(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') && !entry.name.endsWith('.d.ts'))
      out.push(relative(ROOT, path).split('\\').join('/'));
  }
  return out;
}

const breaking = (rule: RegExp, allowed: Readonly<Record<string, string>>): string[] =>
  ROOMS.flatMap((room) => productFiles(join(ROOT, room))).filter(
    (path) => !(path in allowed) && rule.test(readFileSync(join(ROOT, path), 'utf8')),
  );

describe('one SQLite opener and one folder walker', () => {
  it('no source file outside the opener opens a database (use openSqliteDatabase)', () => {
    expect(breaking(OPENS_DATABASE, OPENER_ALLOWED)).toEqual([]);
  });

  it('no source file outside the walker lists a folder recursively (use walkFolder)', () => {
    expect(breaking(RECURSIVE_READDIR, WALK_ALLOWED)).toEqual([]);
  });

  it('every allowed file still does what it is allowed to (a stale entry is removed)', () => {
    const stale = [
      ...Object.keys(OPENER_ALLOWED).filter((p) => !OPENS_DATABASE.test(readFileSync(join(ROOT, p), 'utf8'))),
      ...Object.keys(WALK_ALLOWED).filter(
        (p) => !RECURSIVE_READDIR.test(readFileSync(join(ROOT, p), 'utf8')),
      ),
    ];
    expect(stale).toEqual([]);
  });

  it('the rules catch a planted violation', () => {
    expect(OPENS_DATABASE.test('const db = new Database(path, { readonly: true });')).toBe(true);
    expect(OPENS_DATABASE.test('openSqliteDatabase(path, options)')).toBe(false);
    expect(RECURSIVE_READDIR.test('readdirSync(dir, { recursive: true, withFileTypes: true })')).toBe(true);
    expect(RECURSIVE_READDIR.test('await readdir(dir, { withFileTypes: true })')).toBe(false);
  });
});
