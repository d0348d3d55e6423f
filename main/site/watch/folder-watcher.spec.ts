// The watched folder against real files (pydicom's test set), a real site in a temp folder, and a
// writer that copies slowly.
import {
  appendFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { AuditLog } from '../audit/index.ts';
import { initSite, openSite, ResearchIndex, type Site } from '../store/index.ts';
import { FolderWatcher, WatchError, type WatchEvent } from './index.ts';

const TEST_FILES = '/usr/lib/python3/dist-packages/pydicom/data/test_files';
const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

function setUp(settleMs: number, pollMs?: number) {
  const root = mkdtempSync(join(tmpdir(), 'radfed-watch-'));
  initSite(join(root, 'site'), { name: 'watch test site', deidOptions: [] });
  const site: Site = openSite(join(root, 'site'));
  const folder = join(root, 'dropbox');
  mkdirSync(folder);
  const logs: string[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({ write: (chunk: Buffer, _e, done) => (logs.push(chunk.toString()), done()) }),
  );
  const events: WatchEvent[] = [];
  const watcher = new FolderWatcher({
    site,
    folder,
    settleMs,
    ...(pollMs ? { pollMs } : {}),
    logger,
    onEvent: (event) => events.push(event),
  });
  cleanups.push(async () => {
    await watcher.stop();
    site.database.close();
    rmSync(root, { recursive: true, force: true });
  });
  return { root, site, folder, watcher, events, logs };
}

const outcomes = (events: WatchEvent[]) =>
  events.flatMap((event) => (event.type === 'file-ingested' ? [event.outcome.status] : []));

describe('FolderWatcher', () => {
  it('ingests complete files, removes them, and sets aside what is not DICOM with its reason', async () => {
    const { site, folder, watcher, events, logs } = setUp(0);
    // Names carry a patient's name, as exports often do: it must go nowhere.
    mkdirSync(join(folder, 'Doe^John 778812'));
    writeFileSync(
      join(folder, 'Doe^John 778812', 'Doe^John CT.dcm'),
      readFileSync(join(TEST_FILES, 'CT_small.dcm')),
    );
    writeFileSync(join(folder, 'Doe^John MR.dcm'), readFileSync(join(TEST_FILES, 'MR_small.dcm')));
    writeFileSync(join(folder, 'notes for Doe^John.txt'), 'not an image\n');
    writeFileSync(join(folder, 'still coming.dcm.partial'), readFileSync(join(TEST_FILES, 'CT_small.dcm')));

    expect(await watcher.scanOnce()).toBe(0); // first sight: nothing has settled yet
    expect(await watcher.scanOnce()).toBe(3);

    expect(outcomes(events).sort()).toEqual(['deidentified', 'deidentified', 'rejected']);
    expect(readdirSync(folder)).toEqual(['still coming.dcm.partial']); // emptied sub-folder removed too
    expect(new ResearchIndex(site.database).counts().instances).toBe(2);

    const failedDir = join(site.directory, 'watch-failed');
    const failed = readdirSync(failedDir).sort();
    expect(failed).toHaveLength(2);
    const [kept, reasonFile] = failed as [string, string];
    expect(reasonFile).toBe(`${kept}.reason.txt`);
    expect(readFileSync(join(failedDir, kept), 'utf8')).toBe('not an image\n');
    expect(readFileSync(join(failedDir, reasonFile), 'utf8')).toMatch(
      /^reason: .+\nstatus: rejected\nsource: watched folder\n$/,
    );

    const [run] = new AuditLog(site.database).list({ type: 'ingest.completed' });
    expect(run?.detail).toMatchObject({ source: 'watched-folder', files: 3, deidentified: 2, rejected: 1 });
    const said = logs.join('') + JSON.stringify(new AuditLog(site.database).list()) + failed.join('');
    expect(said).not.toContain('Doe');
    expect(said).not.toContain('778812');
  });

  it('does not take a file while it is still being written', async () => {
    const { site, folder, watcher, events } = setUp(0);
    const bytes = readFileSync(join(TEST_FILES, 'CT_small.dcm'));
    const path = join(folder, 'slow.dcm');
    const third = Math.floor(bytes.length / 3);
    writeFileSync(path, bytes.subarray(0, third));
    expect(await watcher.scanOnce()).toBe(0);
    appendFileSync(path, bytes.subarray(third, 2 * third));
    expect(await watcher.scanOnce()).toBe(0); // it grew since the last look
    appendFileSync(path, bytes.subarray(2 * third));
    expect(await watcher.scanOnce()).toBe(0); // it grew again
    expect(existsSync(path)).toBe(true);
    expect(await watcher.scanOnce()).toBe(1); // unchanged since the last look: complete
    expect(outcomes(events)).toEqual(['deidentified']);
    expect(new ResearchIndex(site.database).counts()).toMatchObject({ instances: 1, rejected: 0 });
  });

  it('running on its own, waits out a slow copy and ingests the whole file once', async () => {
    const { site, folder, watcher, events } = setUp(1500, 100);
    await watcher.start();
    const bytes = readFileSync(join(TEST_FILES, 'MR_small.dcm'));
    const path = join(folder, 'slow copy.dcm');
    const step = Math.ceil(bytes.length / 20);
    for (let at = 0; at < bytes.length; at += step) {
      appendFileSync(path, bytes.subarray(at, at + step)); // a chunk every 50 ms, 1 s in all
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    while (!events.some((event) => event.type === 'run-finished')) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(outcomes(events)).toEqual(['deidentified']);
    expect(existsSync(path)).toBe(false);
    expect(new ResearchIndex(site.database).counts()).toMatchObject({ instances: 1, rejected: 0 });
  });

  it('refuses a folder that does not exist, or one inside the site', async () => {
    const { site, root } = setUp(0);
    for (const folder of [join(root, 'missing'), join(site.directory, 'research'), root]) {
      const watcher = new FolderWatcher({ site, folder, settleMs: 0 });
      await expect(watcher.start()).rejects.toBeInstanceOf(WatchError);
    }
  });
});
