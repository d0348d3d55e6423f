// A second process for hub/store/migrations.spec.ts: opens (and so migrates) a hub database, or holds
// the write lock in the middle of applying migration 1, the moment another process must wait out.
//   migrate-child.ts <db> open
//   migrate-child.ts <db> hold <milliseconds>
import { openSqliteDatabase } from '../../shared/node/index.ts';
import { MIGRATIONS, openHubDatabase } from '../store/index.ts';

const [path, mode, holdMs] = process.argv.slice(2);
if (path === undefined || (mode !== 'open' && mode !== 'hold')) {
  throw new Error('usage: migrate-child.ts <db> open | hold <milliseconds>');
}

if (mode === 'open') {
  openHubDatabase(path).close();
  process.stdout.write('migrated\n');
} else {
  // The hub's connection settings, without its migrations: this process applies migration 1 by hand.
  const db = openSqliteDatabase(path, { synchronous: 'FULL' });
  // The table exists and is committed, as it is once any runner has started: the other process then
  // reads "nothing applied yet" without waiting, which is the moment an unguarded runner goes wrong.
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL) STRICT`);
  const first = MIGRATIONS.find((m) => m.version === 1);
  if (first === undefined) throw new Error('hub migration 1 is missing');
  db.exec('BEGIN IMMEDIATE');
  db.exec(first.sql);
  db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
    first.version,
    first.name,
    new Date().toISOString(),
  );
  process.stdout.write('holding\n');
  // Hold the write lock (synchronously: this process has nothing else to do) so the other one waits.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(holdMs ?? '1500'));
  db.exec('COMMIT');
  db.close();
  process.stdout.write('committed\n');
}
