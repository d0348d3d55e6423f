// A real `radfed site ingest` killed with SIGKILL mid-run, and two run at once on one site: what they
// leave in quarantine and in the run records, checked by scanning the quarantine's bytes for the fake
// patient's name. The big file of each input (a sparse CT) keeps an ingest busy long enough to be
// caught mid-file; the waits below wait for a state, they assert nothing about speed.
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { workFolder, writeCtFile } from '../batch/test-files.ts';
import { writeExport } from '../consent/consent-test-support.ts';
import { initSite, openSite, sitePaths } from '../store/index.ts';
import { recoverInterruptedIngest } from './index.ts';
import {
  FAKE_PATIENT,
  filesContaining,
  runRadfedChild,
  startRadfed,
  waitFor,
  writeSparseCt,
} from './test-ingest-support.ts';

const work = workFolder('ingest-crash');
const BIG = 300_000_000;

function newSite(name: string): string {
  const dir = join(work, name);
  initSite(dir, { name, deidOptions: [], consentPolicy: 'opt-out' });
  return dir;
}

/** Three small slices, then a big one (sorted last), all of the fake patient. */
function writeInput(name: string): string {
  const input = join(work, name);
  mkdirSync(input);
  for (const i of [1, 2, 3]) writeCtFile(join(input, `a-${i}.dcm`), i, 100_000);
  writeSparseCt(join(input, 'z-big.dcm'), 9, BIG);
  return input;
}

function readOnly<T>(site: string, read: (db: Database.Database) => T): T {
  const db = new Database(sitePaths(site).database, { readonly: true, fileMustExist: true });
  try {
    db.pragma('busy_timeout = 5000');
    return read(db);
  } finally {
    db.close();
  }
}

const storedCount = (site: string) =>
  readOnly(site, (db) => db.prepare<[], number>('SELECT COUNT(*) FROM instances').pluck().get() ?? 0);
/** In-flight copies with their first bytes written. */
const inFlight = (site: string) =>
  readdirSync(sitePaths(site).quarantine).filter(
    (n) =>
      n.endsWith('.ingesting') &&
      (statSync(join(sitePaths(site).quarantine, n), { throwIfNoEntry: false })?.size ?? 0) > 0,
  );

describe('an ingest killed with SIGKILL', () => {
  it('leaves nothing identified and no run "running" once any entry point has started', async () => {
    const site = newSite('killed');
    const input = writeInput('killed-in');
    const run = startRadfed(work, ['site', 'ingest', '--dir', site, input]);
    await waitFor(
      () => storedCount(site) >= 3 && filesContaining(sitePaths(site).quarantine, FAKE_PATIENT).length > 0,
      'the big file in flight',
    );
    run.child.kill('SIGKILL');
    expect((await run.done).signal).toBe('SIGKILL');
    // What the kill left: an identified copy with no record, and a run that never finished.
    expect(filesContaining(sitePaths(site).quarantine, FAKE_PATIENT)).not.toEqual([]);

    // The next start of anything (here `site status`, which opens the agent) cleans up.
    const status = await runRadfedChild(work, ['site', 'status', '--dir', site]);
    expect(status.status).toBe(0);
    expect(filesContaining(sitePaths(site).quarantine, FAKE_PATIENT)).toEqual([]);
    expect(readdirSync(sitePaths(site).quarantine)).toEqual([]);
    expect(status.out).toContain('The last ingest run was interrupted');
    const opened = openSite(site);
    try {
      const runs = opened.database.prepare('SELECT status, deidentified FROM ingest_runs').all();
      expect(runs).toEqual([{ status: 'interrupted', deidentified: 3 }]);
      const audit = new AuditLog(opened.database);
      expect(audit.list({ type: 'ingest.interrupted' }).map((e) => e.detail)).toMatchObject([
        { runId: 1, deidentified: 3, held: 0, rejected: 0 },
      ]);
      expect(audit.list({ type: 'quarantine.cleaned' })).toHaveLength(1);
      expect(audit.verify()).toMatchObject({ ok: true });
      // Running it again finishes the work: the three already stored, the big one stored now.
      const again = await runRadfedChild(work, ['site', 'ingest', '--dir', site, input]);
      expect(again.err).toContain('4 files: 1 stored, 3 already stored');
      expect(again.status).toBe(0);
    } finally {
      opened.database.close();
    }
  }, 180_000);
});

describe('two ingests at once', () => {
  it("both finish; neither removes the other one's copies; quarantine holds only recorded files", async () => {
    const site = newSite('concurrent');
    const input = writeInput('concurrent-in');
    // A held file too (burned-in text): both runs try to hold it.
    const held = writeExport([
      { id: 'HELD77', name: 'Heldback^Harriet', source: 'MR_small.dcm', burnedIn: true },
    ]);
    const first = startRadfed(work, ['site', 'ingest', '--dir', site, input]);
    await waitFor(() => inFlight(site).length > 0, 'the first ingest in flight');
    // Another start while the first one works: its in-flight copy is a live process's, and stays.
    const opened = openSite(site);
    expect(recoverInterruptedIngest(opened)).toMatchObject({ interruptedRuns: [], removedFromQuarantine: 0 });
    const second = startRadfed(work, ['site', 'ingest', '--dir', site, input]);
    const [a, b] = await Promise.all([first.done, second.done]);
    expect([a.status, b.status]).toEqual([0, 0]);
    for (const done of [a, b]) expect(done.err).toMatch(/4 files: \d stored, \d already stored, 0 held/);

    const [c, d] = await Promise.all([
      runRadfedChild(work, ['site', 'ingest', '--dir', site, held]),
      runRadfedChild(work, ['site', 'ingest', '--dir', site, held]),
    ]);
    expect([c.status, d.status]).toEqual([0, 0]);
    try {
      const names = opened.database.prepare('SELECT quarantine_name FROM held').pluck().all();
      expect(names).toHaveLength(1);
      expect(readdirSync(sitePaths(site).quarantine)).toEqual(names);
      expect(opened.database.prepare('SELECT COUNT(*) FROM instances').pluck().get()).toBe(4);
      const runs = opened.database.prepare('SELECT status FROM ingest_runs').pluck().all();
      expect(runs).toEqual(['completed', 'completed', 'completed', 'completed']);
    } finally {
      opened.database.close();
    }
  }, 180_000);
});
