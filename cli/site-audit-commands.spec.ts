// `radfed site audit verify` through the real entry (and once as a real process), on a real site's
// audit log: intact, then tampered with the way someone with the file could: bytes edited in site.db,
// and an entry deleted after dropping the trigger that forbids it.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog, initSite, openSiteDatabase, sitePaths } from '../main/site/index.ts';
import type { AuditVerifyReport } from './site-audit-commands.ts';
import { runRadfed } from './test-cli.ts';

const NOTES = ['round 1 used 40 studies', 'round 2 used 41 studies', 'round 3 used 42 studies'];

/** A site whose audit log has site.created and three more entries, its database closed (WAL merged). */
function siteWithAudit(): string {
  const dir = join(mkdtempSync(join(tmpdir(), 'radfed-audit-cli-')), 'site');
  initSite(dir, { name: 'Audit CLI Site', deidOptions: [], consentPolicy: 'opt-out' });
  const db = openSiteDatabase(sitePaths(dir).database);
  const log = new AuditLog(db);
  for (const note of NOTES) log.append({ type: 'test.noted', actor: 'cli', detail: { note } });
  db.close();
  return dir;
}

/** Edits site.db's bytes in place, as someone with the file and a hex editor could. */
function editDatabaseBytes(dir: string, from: string, to: string): void {
  const path = sitePaths(dir).database;
  const bytes = readFileSync(path).toString('latin1');
  expect(bytes.split(from)).toHaveLength(2);
  writeFileSync(path, Buffer.from(bytes.replace(from, to), 'latin1'));
}

describe('radfed site audit verify', () => {
  it('says how many entries it checked and that the chain is intact, and exits 0', async () => {
    const dir = siteWithAudit();
    const run = await runRadfed('site', 'audit', 'verify', '--dir', dir);
    expect(run.err).toBe('');
    expect(run.status).toBe(0);
    expect(run.out).toMatch(/^Checked 4 audit entries: the chain is intact/);
    expect(run.out).toMatch(/Newest entry's hash: [0-9a-f]{64}\.\n$/);
  });

  it('gives the result as JSON with --json', async () => {
    const dir = siteWithAudit();
    const run = await runRadfed('site', 'audit', 'verify', '--dir', dir, '--json');
    expect(run.status).toBe(0);
    expect(JSON.parse(run.out)).toEqual({
      ok: true,
      entries: 4,
      intact: 4,
      brokenAt: null,
      reason: null,
      lastHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    } satisfies Record<keyof AuditVerifyReport, unknown>);
  });

  it('names the first changed entry of a log edited in the file, says what to do, and exits 1', async () => {
    const dir = siteWithAudit();
    editDatabaseBytes(dir, NOTES[1] ?? '', 'round 2 used 14 studies');
    const run = await runRadfed('site', 'audit', 'verify', '--dir', dir);
    expect(run.status).toBe(1);
    expect(run.out).toBe('');
    expect(run.err).toMatch(
      /^radfed: Checked 4 audit entries: the chain is BROKEN at entry 3: entry 3 has been changed: its hash does not match its content\. The 2 entries before it are intact\. Keep a copy of site\.db/,
    );
  });

  it('names a deleted entry, in JSON too, and exits 1 as a real process', async () => {
    const dir = siteWithAudit();
    const db = new Database(sitePaths(dir).database);
    db.exec('DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 2;');
    db.close();
    const run = await promisify(execFile)(
      process.execPath,
      ['bin/radfed.js', 'site', 'audit', 'verify', '--dir', dir, '--json'],
      { cwd: join(import.meta.dirname, '..') },
    ).then(
      () => ({ code: 0, stdout: '', stderr: '' }),
      (error: { code: number; stdout: string; stderr: string }) => error,
    );
    expect(run.stderr).toBe('radfed: the audit chain is broken at entry 2.\n');
    expect(run.code).toBe(1);
    expect(JSON.parse(run.stdout)).toMatchObject({
      ok: false,
      entries: 3,
      intact: 1,
      brokenAt: 2,
      reason: 'entry 2 is missing (the next entry is 3)',
    });
  }, 30_000);

  it('says that a folder is not a site, and what to do', async () => {
    const run = await runRadfed('site', 'audit', 'verify', '--dir', mkdtempSync(join(tmpdir(), 'radfed-')));
    expect(run.status).toBe(1);
    expect(run.err).toMatch(/is not a RadFed site .* Run radfed site init/);
  });
});
