// Every entry point that ingests starts by recovering from a killed ingest: the agent (the app, every
// `radfed site` command that opens it), a folder ingest, the watched folder, and the study sources
// that `site run`, `site receive`, `site watch` and the UI session start. The state a kill leaves is
// made here by hand (as the SIGKILL spec shows it to be): a run 'running' whose process is gone, its
// identified in-flight copy, and an identified copy no entry names.
import { randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { workFolder, writeCtFile } from '../batch/test-files.ts';
import { writeExport } from '../consent/consent-test-support.ts';
import { SiteAgent } from '../agent.ts';
import { initSite, openSite, ResearchIndex, type Site } from '../store/index.ts';
import { StudySources } from '../study-sources/index.ts';
import { FolderWatcher } from '../watch/index.ts';
import { createFileContext, processQuarantined } from './ingest-file.ts';
import { ingestPath } from './index.ts';
import { startOwnedRun } from './ingest-runs.ts';
import { copyIntoQuarantine } from './quarantine.ts';
import { FAKE_PATIENT, filesContaining, goneOwner } from './test-ingest-support.ts';

const work = workFolder('ingest-recovery');
let sites = 0;

/** A site as a SIGKILL during an ingest leaves it. */
function killedSite(): Site {
  const dir = join(work, `site-${(sites += 1)}`);
  initSite(dir, { name: 'recovery', deidOptions: [], consentPolicy: 'opt-out' });
  const site = openSite(dir);
  const gone = goneOwner();
  site.database
    .prepare("INSERT INTO ingest_runs (started_at, status, owner) VALUES (?, 'running', ?)")
    .run('2026-12-06T10:00:00.000Z', gone);
  const identified = writeCtFile(join(work, `source-${sites}.dcm`), sites, 5_000);
  writeFileSync(join(site.paths.quarantine, `${randomUUID()}.${gone}.ingesting`), identified);
  writeFileSync(join(site.paths.quarantine, `${randomUUID()}.dcm`), identified);
  return site;
}

function expectRecovered(site: Site): void {
  expect(filesContaining(site.paths.quarantine, FAKE_PATIENT)).toEqual([]);
  expect(site.database.prepare('SELECT status FROM ingest_runs WHERE id = 1').pluck().get()).toBe(
    'interrupted',
  );
  const audit = new AuditLog(site.database);
  expect(audit.list({ type: 'ingest.interrupted' })).toHaveLength(1);
  expect(audit.list({ type: 'quarantine.cleaned' }).map((e) => e.detail)).toEqual([
    { removedUnrecordedCopies: 2, restoredHeldCopies: 0 },
  ]);
}

describe('recovery at start', () => {
  it('by the agent', () => {
    const site = killedSite();
    SiteAgent.open(site.directory).close();
    expectRecovered(site);
    site.database.close();
  });

  it('by a folder ingest', async () => {
    const site = killedSite();
    mkdirSync(join(work, 'empty'), { recursive: true });
    await ingestPath(site, join(work, 'empty'));
    expectRecovered(site);
    site.database.close();
  });

  it('by the watched folder', async () => {
    const site = killedSite();
    const folder = join(work, `watched-${sites}`);
    mkdirSync(folder);
    const watcher = new FolderWatcher({ site, folder, settleMs: 100 });
    await watcher.start();
    await watcher.stop();
    expectRecovered(site);
    site.database.close();
  });

  it('by the study sources (site run, receive, watch, the UI session)', async () => {
    const site = killedSite();
    const folder = join(work, `sources-${sites}`);
    mkdirSync(folder);
    const sources = await StudySources.start(site.directory, { watch: { folder, settleSeconds: 1 } });
    await sources.stop();
    expectRecovered(site);
    site.database.close();
  });

  it('leaves a run of a live process, and its copies, alone', async () => {
    const site = killedSite();
    const live = startOwnedRun(site.database, new ResearchIndex(site.database));
    const copy = await copyIntoQuarantine(site.paths.quarantine, join(work, `source-${sites}.dcm`));
    SiteAgent.open(site.directory).close();
    expect(site.database.prepare('SELECT status FROM ingest_runs WHERE id = ?').pluck().get(live)).toBe(
      'running',
    );
    expect(readdirSync(site.paths.quarantine)).toEqual([copy.name]);
    site.database.close();
  });
});

describe('two ingests holding the same file at once', () => {
  it("keeps one copy: the second finds the first one's entry and lets its own copy go", async () => {
    const dir = join(work, 'held-race');
    initSite(dir, { name: 'held race', deidOptions: [], consentPolicy: 'opt-out' });
    const site = openSite(dir);
    const input = writeExport([
      { id: 'HELD77', name: 'Heldback^Harriet', source: 'MR_small.dcm', burnedIn: true },
    ]);
    const file = join(input, 'Heldback^Harriet', 'HELD77-1.dcm');
    // Both have checked "already ingested?" (no) and copied the file, as two processes would.
    const index = new ResearchIndex(site.database);
    const copies = [
      await copyIntoQuarantine(site.paths.quarantine, file),
      await copyIntoQuarantine(site.paths.quarantine, file),
    ];
    const results = [];
    for (const copy of copies) {
      const ctx = createFileContext(site, index, startOwnedRun(site.database, index), undefined);
      const path = join(site.paths.quarantine, copy.name);
      results.push(await processQuarantined(ctx, { path, size: copy.size }, copy.sha256, copy.heldName));
    }
    expect(results.map((r) => r.status)).toEqual(['held', 'already-ingested']);
    site.database.close();
  });
});
