// `radfed deid IN OUT`: de-identify a file or a folder of DICOM to PS3.15, with a report per file.
import { lstatSync, type Stats } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import type { Command } from 'commander';
import { makeFolder, writeFileAtomically } from '../shared/node/index.ts';
import { parsePositiveInt } from './arguments.ts';
import { CliError } from './failure.ts';
import { deidentifyBatch, type FileOutcome } from '../main/site/batch/index.ts';
import { listInputFiles } from '../main/site/ingest/index.ts';
import { DEID_OPTIONS, parseDeidOptions } from '../main/site/deid/index.ts';
import { loadOrCreateSiteSecret } from '../main/site/secret/index.ts';
import { FIND_BY_SHA256, inputFileLabel, sha256OfFile } from './input-file-label.ts';
import { terminalProgress } from './progress.ts';
import { defaultKeyPath } from './user-config.ts';

export interface DeidReport {
  tool: 'radfed deid';
  profile: 'PS3.15 Basic Application Level Confidentiality Profile';
  options: string[];
  startedAt: string;
  finishedAt: string;
  entries: DeidReportEntry[];
  totals: { files: number; deidentified: number; held: number; rejected: number };
}

/**
 * One input, known by its number in the run (1 = first in path order) and, when it was held or
 * rejected and could be read, its SHA-256: never by its path (input-file-label.ts says why; the
 * report is written among the de-identified files, which leave the site).
 */
export interface DeidReportEntry extends Pick<FileOutcome, 'status' | 'output' | 'reason'> {
  file: number;
  sha256?: string;
}

const collect = (value: string, previous: string[]) => [...previous, value];

export function registerDeidCommand(program: Command): void {
  program
    .command('deid')
    .summary('de-identify DICOM files to DICOM PS3.15 (Basic Profile plus options)')
    .description(
      'De-identify a DICOM file, or every file under a folder, into OUT.\n' +
        'Files are released only after a check that no removed value survives; images at risk of\n' +
        'burned-in text are held back. The report lists every input with what happened to it.\n\n' +
        `Options (repeat --option): ${DEID_OPTIONS.join(', ')}`,
    )
    .argument('<in>', 'a DICOM file or a folder (walked recursively)')
    .argument('<out>', 'folder for the de-identified files')
    .option('--option <name>', 'a PS3.15 option to apply (repeatable)', collect, [])
    .option('--key <file>', 'site key (32 bytes; created with mode 0600 if missing)', defaultKeyPath())
    .option('--report <file>', 'where to write the JSON report (default OUT/deid-report.json)')
    .option(
      '--jobs <n>',
      'threads that de-identify, this one included (default: the number of cores, one per 64 files at most)',
      (v) => parsePositiveInt(v, '--jobs'),
    )
    .action(async (input: string, out: string, flags: DeidFlags) => {
      await runDeidCommand(input, out, flags);
    });
}

interface DeidFlags {
  option: string[];
  key: string;
  report?: string;
  jobs?: number;
}

async function runDeidCommand(input: string, out: string, flags: DeidFlags): Promise<void> {
  const options = parseDeidOptions(flags.option);
  const secret = loadOrCreateSiteSecret(resolve(flags.key));
  const outDir = resolve(out);
  const reportPath = resolve(flags.report ?? join(outDir, 'deid-report.json'));
  checkReportPath(reportPath);
  const inputs = await listInputFiles(input);
  // Made before any file is read, one level at a time: mkdirSync's recursive mode never returns
  // under /proc (shared/node/make-folder.ts), and a report folder that cannot be made should not
  // wait for the whole run to say so.
  makeFolder(outDir, 'the output folder (OUT)');
  makeFolder(dirname(reportPath), 'the folder of the report (--report)');
  const startedAt = new Date().toISOString();
  const progress = terminalProgress('De-identifying', inputs.length);
  const outcomes = await deidentifyBatch({
    inputs,
    outDir,
    settings: { secret, options },
    jobs: flags.jobs,
    onOutcome: (_outcome, done) => progress.update(done),
  });
  const report = buildReport(outcomes, options, startedAt, await hashesOfUnreleased(outcomes));
  writeFileAtomically(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  progress.finish();
  // In input order once the run is over (the hashes are read after it), by number and hash only.
  const unreleased = report.entries.filter((entry) => entry.status !== 'deidentified');
  for (const entry of unreleased) {
    const label = inputFileLabel(entry.file, outcomes.length, entry.sha256 ?? null);
    process.stderr.write(`${entry.status}: ${label}: ${entry.reason ?? ''}\n`);
  }
  const { totals } = report;
  process.stderr.write(
    `${totals.files} files: ${totals.deidentified} de-identified, ${totals.held} held for review, ` +
      `${totals.rejected} rejected. Report: ${flags.report === undefined ? 'deid-report.json in OUT' : 'the file --report names'}.\n`,
  );
  if (unreleased.length > 0) process.stderr.write(`${FIND_BY_SHA256}\n`);
}

/** The SHA-256 of each input that was held or rejected (null when unreadable), by its index. */
async function hashesOfUnreleased(outcomes: readonly FileOutcome[]): Promise<Map<number, string | null>> {
  const hashes = new Map<number, string | null>();
  for (const [index, outcome] of outcomes.entries()) {
    if (outcome.status !== 'deidentified') hashes.set(index, await sha256OfFile(outcome.input));
  }
  return hashes;
}

/**
 * Refuses, before any file is read, a report path that names something other than a file: the report
 * is written beside it and renamed over it, so --report /dev/stdout (or any device, pipe or link) was
 * replaced by a plain file (as root, in /dev), and a folder failed only after the whole run.
 */
function checkReportPath(path: string): void {
  let stats: Stats;
  try {
    stats = lstatSync(path);
  } catch {
    return; // a new file
  }
  if (stats.isFile()) return;
  const kind = stats.isDirectory() ? 'a folder' : stats.isSymbolicLink() ? 'a link' : 'a device or pipe';
  throw new CliError(
    `--report names ${kind}, not a file: give the path of a file to write the report to (an existing file is replaced).`,
  );
}

export function buildReport(
  outcomes: readonly FileOutcome[],
  options: string[],
  startedAt: string,
  hashes: ReadonlyMap<number, string | null> = new Map(),
): DeidReport {
  const count = (status: FileOutcome['status']) => outcomes.filter((o) => o.status === status).length;
  return {
    tool: 'radfed deid',
    profile: 'PS3.15 Basic Application Level Confidentiality Profile',
    options,
    startedAt,
    finishedAt: new Date().toISOString(),
    entries: outcomes.map(({ status, output, reason }, index) => {
      const sha256 = hashes.get(index) ?? null;
      return { file: index + 1, ...(sha256 === null ? {} : { sha256 }), status, output, reason };
    }),
    totals: {
      files: outcomes.length,
      deidentified: count('deidentified'),
      held: count('held'),
      rejected: count('rejected'),
    },
  };
}
