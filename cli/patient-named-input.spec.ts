// A hospital export names its folders and files after the patient. `radfed deid` and `radfed site
// ingest`, run for real in child processes on such a folder with a malformed DICOM file among good
// ones, must say which file failed and why, and print, log, audit or report nothing of the name.
// Before, both printed the failed file's path ("rejected: /import/DOE^JOHN_19600101/…: not a
// readable DICOM file"), and the deid report, written among the de-identified files, listed every path.
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workFolder, writeCtFile } from '../main/site/batch/test-files.ts';
import { runRadfedChild } from '../main/site/ingest/test-ingest-support.ts';
import { siteLogFile } from './site-log.ts';

const NAME = 'DOE^JOHN_19600101';
/** Each part of the name on its own: none may show anywhere. */
const PARTS = ['DOE^JOHN', 'DOE', 'JOHN', '19600101'];

const work = workFolder('patient-named-input');
const input = join(work, NAME);
const malformed = join(input, `${NAME} CT`, `${NAME}_3.dcm`);
const files: string[] = [];
let malformedSha256 = '';
let malformedNumber = 0;

const savedLevel = process.env.RADFED_LOG_LEVEL;
beforeAll(() => {
  // The most the log will ever say: debug lines name each file's outcome.
  process.env.RADFED_LOG_LEVEL = 'debug';
  mkdirSync(join(input, `${NAME} CT`), { recursive: true });
  for (const i of [1, 2]) {
    const path = join(input, `${NAME} CT`, `${NAME}_${i}.dcm`);
    writeCtFile(path, i, 2_000);
    files.push(path);
  }
  // A good file cut short in its header: DICOM's preamble and prefix, then nothing usable.
  const good = readFileSync(files[0] as string);
  writeFileSync(malformed, good.subarray(0, 200));
  files.push(malformed);
  malformedSha256 = createHash('sha256').update(good.subarray(0, 200)).digest('hex');
  // The walker's order: full paths, sorted.
  malformedNumber = [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).indexOf(malformed) + 1;
});
afterAll(() => {
  if (savedLevel === undefined) delete process.env.RADFED_LOG_LEVEL;
  else process.env.RADFED_LOG_LEVEL = savedLevel;
});

/** In bytes that hold keys, hashes and pixels, only the long parts: a 3-letter one turns up by chance. */
const LONG_PARTS = ['DOE^JOHN', '19600101'];

function expectNoName(text: string, where: string, parts = PARTS): void {
  for (const part of parts) expect(text.includes(part), `${part} in ${where}`).toBe(false);
}

/** Every name and every byte under `dir`: the patient's name came in only through the input's path. */
function expectNoNameUnder(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    expectNoName(relative(dir, path), `a file name under ${dir}`);
    if (entry.isFile()) expectNoName(readFileSync(path).toString('latin1'), relative(dir, path), LONG_PARTS);
  }
}

describe('radfed deid on a folder named after the patient', () => {
  const out = join(work, 'deid-out');
  let run: Awaited<ReturnType<typeof runRadfedChild>>;
  beforeAll(async () => {
    run = await runRadfedChild(work, ['deid', input, out, '--key', join(work, 'deid.key')]);
  }, 120_000);

  it('names the malformed file by its number and SHA-256, with the reason and how to find it', () => {
    expect(run.status).toBe(0);
    expect(run.err).toContain(
      `rejected: file ${malformedNumber} of 3 (SHA-256 ${malformedSha256.slice(0, 12)}): not a readable DICOM file`,
    );
    expect(run.err).toContain('3 files: 2 de-identified, 0 held for review, 1 rejected.');
    expect(run.err).toContain('find <the folder you gave> -type f -exec sha256sum {} +');
  });

  it('prints no part of the name, and writes none into the report or the output folder', () => {
    expectNoName(run.out, 'stdout');
    expectNoName(run.err, 'stderr');
    expectNoNameUnder(out);
    const report = JSON.parse(readFileSync(join(out, 'deid-report.json'), 'utf8')) as {
      entries: Array<{ file: number; sha256?: string; status: string }>;
    };
    expect(report.entries.find((entry) => entry.status === 'rejected')).toMatchObject({
      file: malformedNumber,
      sha256: malformedSha256,
    });
  });
});

describe('radfed site ingest on a folder named after the patient', () => {
  const site = join(work, 'site');
  let run: Awaited<ReturnType<typeof runRadfedChild>>;
  beforeAll(async () => {
    const init = await runRadfedChild(work, [
      'site',
      'init',
      '--dir',
      site,
      '--name',
      'Named input',
      '--consent-policy',
      'opt-out',
    ]);
    expect(init.status).toBe(0);
    run = await runRadfedChild(work, ['site', 'ingest', '--dir', site, input]);
  }, 120_000);

  it('names the malformed file by its number and SHA-256, with the reason', () => {
    expect(run.status).toBe(0);
    expect(run.err).toContain(
      `rejected: file ${malformedNumber} of 3 (SHA-256 ${malformedSha256.slice(0, 12)}): not a readable DICOM file`,
    );
    expect(run.err).toContain('3 files: 2 stored, 0 already stored');
  });

  it('prints, logs and audits no part of the name; nothing in the site folder holds it', () => {
    expectNoName(run.out, 'stdout');
    expectNoName(run.err, 'stderr');
    const log = readFileSync(siteLogFile(site), 'utf8');
    expect(log).toContain('"msg":"file processed"'); // the debug lines were written
    expectNoName(log, 'the site log');
    const database = new Database(join(site, 'site.db'), { readonly: true });
    try {
      const audit = database.prepare('SELECT * FROM audit_log').all();
      expect(audit.length).toBeGreaterThan(0);
      expectNoName(JSON.stringify(audit), 'the audit log');
    } finally {
      database.close();
    }
    // The database, its WAL, the logs, the research store, quarantine: byte for byte.
    expectNoNameUnder(site);
  });
});
