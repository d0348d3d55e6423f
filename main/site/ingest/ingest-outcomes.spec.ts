// Every file ingest lists ends in exactly one outcome, with a reason for each one not stored: files
// without a Study or Series Instance UID are rejected (they were lost as failures the summary left
// out), and a file that cannot be read is a failure that the next run tries again.
import { mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { workFolder, writeCtFile } from '../batch/test-files.ts';
import { initSite, openSite } from '../store/index.ts';
import { ingestPath, type IngestFileOutcome } from './index.ts';

const work = workFolder('ingest-outcomes');

/** The file with one UID value blanked in place (NUL bytes: every offset stays as it was). */
function blank(path: string, bytes: Buffer, uid: string): void {
  const copy = Buffer.from(bytes);
  const at = copy.indexOf(uid);
  copy.fill(0, at, at + uid.length);
  writeFileSync(path, copy);
}

describe('ingest outcomes', () => {
  it('counts each file once, rejects files without a study or series, and fails an unreadable one', async () => {
    const input = join(work, 'in');
    mkdirSync(input);
    writeCtFile(join(input, 'a-good.dcm'), 1, 2_000);
    blank(
      join(input, 'b-no-study.dcm'),
      writeCtFile(join(work, 's.dcm'), 2, 2_000),
      '1.2.826.0.1.3680043.2.1125.9.1000',
    );
    blank(
      join(input, 'c-no-series.dcm'),
      writeCtFile(join(work, 't.dcm'), 3, 2_000),
      '1.2.826.0.1.3680043.2.1125.9.20001',
    );
    writeFileSync(join(input, 'd-notes.txt'), 'not DICOM');
    writeCtFile(join(input, 'e-gone.dcm'), 5, 2_000);
    const dir = join(work, 'site');
    initSite(dir, { name: 'outcomes', deidOptions: [], consentPolicy: 'opt-out' });
    const site = openSite(dir);
    const outcomes: IngestFileOutcome[] = [];
    const summary = await ingestPath(site, input, {
      onProgress: (done, _total, outcome) => {
        outcomes.push(outcome);
        // Listed, then gone before it is read: as a file on a share that went away.
        if (done === 1) unlinkSync(join(input, 'e-gone.dcm'));
      },
    });
    expect(summary).toMatchObject({
      files: 5,
      deidentified: 1,
      rejected: 3,
      failed: 1,
      held: 0,
      alreadyIngested: 0,
    });
    const { files, deidentified, rejected, failed, held, alreadyIngested, excluded } = summary;
    expect(deidentified + rejected + failed + held + alreadyIngested + (excluded ?? 0)).toBe(files);
    expect(outcomes.map((o) => [o.status, o.reason?.slice(0, 40) ?? null])).toEqual([
      ['deidentified', null],
      ['rejected', 'Study Instance UID (0020,000D) or Series'],
      ['rejected', 'Study Instance UID (0020,000D) or Series'],
      ['rejected', expect.stringContaining('not a readable DICOM file')],
      ['failed', 'the file could not be read (ENOENT); che'],
    ]);
    expect(site.database.prepare('SELECT failed FROM ingest_runs').pluck().get()).toBe(1);

    // Not recorded, so tried again: back in place, it is stored; the rest are known.
    writeCtFile(join(input, 'e-gone.dcm'), 5, 2_000);
    const again = await ingestPath(site, input);
    expect(again).toMatchObject({ files: 5, deidentified: 1, alreadyIngested: 4, failed: 0 });
    site.database.close();
  });
});
