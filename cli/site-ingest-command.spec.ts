// `radfed site ingest` and `site status` as a person runs them: the real command in a child process
// (its own stdout and stderr, as a terminal gets them), on a folder with good files and every kind of
// file that used to go missing from the summary. When run as root, the child drops the capabilities
// that let root read anything, so a mode-000 file and folder are unreadable to it as to a user.
import { chmodSync, mkdirSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workFolder, writeCtFile } from '../main/site/batch/test-files.ts';
import { initSite } from '../main/site/store/index.ts';
import { runRadfedChild } from '../main/site/ingest/test-ingest-support.ts';
import { siteLogFile } from './site-log.ts';

const work = workFolder('site-ingest-command');
const input = join(work, 'export HOLLOWAY');
const site = join(work, 'site');

beforeAll(() => {
  mkdirSync(join(input, 'locked folder'), { recursive: true });
  for (const i of [1, 2]) writeCtFile(join(input, `slice-${i}.dcm`), i, 2_000);
  writeFileSync(join(input, 'locked folder', 'inside.dcm'), 'never listed');
  chmodSync(join(input, 'locked folder'), 0o000);
  writeFileSync(join(input, 'unreadable.dcm'), 'cannot be read');
  chmodSync(join(input, 'unreadable.dcm'), 0o000);
  // Exactly 2 GiB, all a hole on disk: more than Node reads whole, and not an image.
  writeFileSync(join(input, 'two-gib.dcm'), '');
  truncateSync(join(input, 'two-gib.dcm'), 2 ** 31);
  // No Study or Series Instance UID: cannot be filed in the research store.
  const noStudy = writeCtFile(join(input, 'no-study.dcm'), 3, 2_000);
  writeFileSync(join(input, 'no-study.dcm'), withoutUid(noStudy, '1.2.826.0.1.3680043.2.1125.9.1000'));
  initSite(site, { name: 'CLI ingest', deidOptions: [], consentPolicy: 'opt-out' });
});

/** The same file with one UID value blanked (spaces of the same length keep every offset right). */
function withoutUid(bytes: Buffer, uid: string): Buffer {
  const at = bytes.indexOf(uid);
  const copy = Buffer.from(bytes);
  copy.fill(0, at, at + uid.length);
  return copy;
}

describe('radfed site ingest', () => {
  let run: Awaited<ReturnType<typeof runRadfedChild>>;
  beforeAll(async () => {
    run = await runRadfedChild(work, ['site', 'ingest', '--dir', site, input], { asUnprivileged: true });
  }, 120_000);

  it('counts every file in one outcome, names each failure with its reason, and exits non-zero', () => {
    expect(run.err).toContain(
      '5 files: 2 stored, 0 already stored, 0 held for review, 0 left out by consent, 2 rejected, 1 failed.',
    );
    // By number in path order (no-study, slice-1, slice-2, two-gib, unreadable) and SHA-256 where
    // the file could be read; never by path (cli/patient-named-input.spec.ts).
    expect(run.err).toContain('failed: file 5 of 5: the file could not be read (EACCES)');
    expect(run.err).toMatch(/rejected: file 4 of 5 \(SHA-256 [0-9a-f]{12}\): the file is 2 GiB or larger/);
    expect(run.err).toMatch(
      /rejected: file 1 of 5 \(SHA-256 [0-9a-f]{12}\): Study Instance UID \(0020,000D\) or Series/,
    );
    expect(run.err).toContain('folder not read (EACCES): its files were not ingested.');
    expect(run.err).not.toMatch(/HOLLOWAY|unreadable\.dcm|locked folder/);
    expect(run.err).toContain('radfed: 1 file could not be ingested and 1 folder could not be read');
    expect(run.status).toBe(1);
  });

  it('prints sentences only; the structured log goes to the site log file, without paths or names', () => {
    const printed = `${run.out}\n${run.err}`.split('\n');
    expect(printed.filter((line) => line.trim().startsWith('{'))).toEqual([]);
    const log = readFileSync(siteLogFile(site), 'utf8').trim().split('\n');
    const entries = log.map((line) => JSON.parse(line) as { level: number; msg: string });
    expect(entries.some((e) => e.level === 40 && e.msg === 'input file unreadable')).toBe(true);
    expect(entries.some((e) => e.msg === 'ingest completed')).toBe(true);
    expect(log.join('\n')).not.toMatch(/HOLLOWAY|unreadable\.dcm|two-gib/);
  });

  it('shows the failures in site status', async () => {
    const status = await runRadfedChild(work, ['site', 'status', '--dir', site]);
    expect(status.status).toBe(0);
    expect(status.out).toContain('could not be read: 2 files');
    expect(status.out).toContain('Last ingest run: completed, 5 files, could not be ingested: 1 file');
    const json = await runRadfedChild(work, ['site', 'status', '--dir', site, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({
      lastIngestRun: { status: 'completed', files: 5, failed: 1 },
    });
  }, 60_000);

  it('exits 0 when every file was ingested or was already', async () => {
    const clean = join(work, 'clean');
    mkdirSync(clean);
    writeCtFile(join(clean, 'slice-1.dcm'), 1, 2_000);
    const again = await runRadfedChild(work, ['site', 'ingest', '--dir', site, clean]);
    expect(again.err).toContain('1 file: 0 stored, 1 already stored');
    expect(again.status).toBe(0);
  }, 60_000);
});
