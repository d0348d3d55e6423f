// Two ingests of one file at the same moment through different entry points (the agent's ingest of
// a path, and the watched folder's run), each on its own database connection as in a running site:
// they share no lane, so the database is the guard, and the file is stored as one instance.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workFolder, writeCtFile } from '../batch/test-files.ts';
import { initSite, openSite } from '../store/index.ts';
import { IngestRun, ingestPath } from './index.ts';

const work = workFolder('ingest-concurrent');

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => entry.name);
}

describe('concurrent ingests of one file', () => {
  it('through the agent and the watched folder at once store one instance', async () => {
    const input = join(work, 'in');
    mkdirSync(input);
    const file = join(input, 'ct.dcm');
    writeCtFile(file, 1, 2_000);
    const dir = join(work, 'site');
    initSite(dir, { name: 'concurrent', deidOptions: [], consentPolicy: 'opt-out' });
    const agentSite = openSite(dir);
    const watcherSite = openSite(dir);

    const watched = IngestRun.start(watcherSite, { source: 'watched-folder' });
    const [agentSummary, watchedOutcome] = await Promise.all([
      ingestPath(agentSite, file),
      watched.ingestFile(file),
    ]);
    await watched.finish();

    const statuses = [
      agentSummary.deidentified === 1 ? 'deidentified' : 'already-ingested',
      watchedOutcome.status,
    ];
    expect(statuses).toContain('deidentified');
    for (const status of statuses) expect(['deidentified', 'already-ingested']).toContain(status);
    const db = agentSite.database;
    expect(db.prepare('SELECT COUNT(*) AS n FROM instances').get()).toEqual({ n: 1 });
    expect(db.prepare('SELECT COUNT(*) AS n FROM instance_sources').get()).toEqual({ n: 1 });
    expect(filesUnder(join(dir, 'research')).filter((name) => name.endsWith('.dcm'))).toHaveLength(1);
    expect(filesUnder(join(dir, 'quarantine'))).toEqual([]);
    agentSite.database.close();
    watcherSite.database.close();
  });
});
