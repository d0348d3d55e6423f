// `radfed deid IN OUT` through the real entry: a folder with good, broken and non-DICOM files, and
// output folders it cannot write to. Bad files are reported and skipped; a bad output stops the run
// with what to do about it.
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RUN_MARKER } from '../main/site/batch/index.ts';
import { filesUnder, workFolder, writeCtFile } from '../main/site/batch/test-files.ts';
import { runRadfed } from './test-cli.ts';

const work = workFolder('deid-command');
const input = join(work, 'in');
mkdirSync(input);
const good = [0, 1, 2].map((i) => writeCtFile(join(input, `slice-${i}.dcm`), i, 100_000, 1, 2_000));
writeFileSync(join(input, 'cut.dcm'), (good[0] as Buffer).subarray(0, 50_000));
writeFileSync(join(input, 'notes.dcm'), 'not an image\n');
const key = join(work, 'site.key');

describe('radfed deid', () => {
  it('de-identifies the good files, rejects the broken ones with a reason, and exits 0', async () => {
    const out = join(work, 'out');
    const run = await runRadfed('deid', input, out, '--key', key);
    expect(run.status).toBe(0);
    expect(run.err).toContain('5 files: 3 de-identified, 0 held for review, 2 rejected');
    // By number in path order (cut, notes, slice-0..2) and SHA-256, never by path.
    expect(run.err).toMatch(/rejected: file 1 of 5 \(SHA-256 [0-9a-f]{12}\): not a readable DICOM file/);
    expect(run.err).toMatch(
      /rejected: file 2 of 5 \(SHA-256 [0-9a-f]{12}\): not a readable DICOM file \(not-dicom\)/,
    );
    expect(run.err).not.toContain(input);
    const report = JSON.parse(readFileSync(join(out, 'deid-report.json'), 'utf8')) as {
      totals: { deidentified: number; rejected: number };
    };
    expect(report.totals).toMatchObject({ deidentified: 3, rejected: 2 });
    const written = filesUnder(out).filter((f) => f.endsWith('.dcm'));
    expect(written).toHaveLength(3);
    for (const file of written) expect(readFileSync(file).includes('HOLLOWAY')).toBe(false);
    expect(filesUnder(out).some((f) => f.endsWith('.partial') || f.endsWith(RUN_MARKER))).toBe(false);
  });

  it('stops with what to do when the output folder cannot be made or written to', async () => {
    const aFile = join(work, 'a-file');
    writeFileSync(aFile, '');
    const underAFile = await runRadfed('deid', input, join(aFile, 'out'), '--key', key);
    expect(underAFile.status).not.toBe(0);
    expect(underAFile.err).toContain(
      'Cannot create the output folder (OUT): that path, or a part of it, is a file, not a folder.',
    );

    const blocked = join(work, 'blocked');
    mkdirSync(join(blocked, RUN_MARKER), { recursive: true }); // where the run's mark must go
    const run = await runRadfed('deid', input, blocked, '--key', key);
    expect(run.status).not.toBe(0);
    expect(run.err).toContain('Cannot write to the output folder (EISDIR)');
  });

  it('refuses an unknown option and lists the valid ones', async () => {
    const run = await runRadfed('deid', input, join(work, 'out-x'), '--option', 'keep-everything');
    expect(run.status).not.toBe(0);
    expect(run.err).toContain('Unknown de-identification option "keep-everything"');
    expect(run.err).toContain('retain-safe-private');
  });

  it('refuses a --report that is not a file (a pipe, a folder) before it reads anything, and leaves it as it was', async () => {
    const pipe = join(work, 'report-pipe');
    execFileSync('mkfifo', [pipe]);
    const out = join(work, 'out-pipe');
    const run = await runRadfed('deid', input, out, '--key', key, '--report', pipe);
    expect(run.status).toBe(1);
    expect(run.err).toBe(
      'radfed: --report names a device or pipe, not a file: give the path of a file to write the report to (an existing file is replaced).\n',
    );
    expect(lstatSync(pipe).isFIFO()).toBe(true);
    expect(existsSync(out)).toBe(false);
    const folder = join(work, 'report-folder');
    mkdirSync(folder);
    const again = await runRadfed('deid', input, join(work, 'out-folder'), '--key', key, '--report', folder);
    expect(again.err).toContain('--report names a folder, not a file');
  });
});
