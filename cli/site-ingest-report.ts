// What `radfed site ingest` tells the operator: each file that could not be ingested and why, each
// folder that could not be read, and one summary in which every file is counted once. A run that left
// anything out ends with a sentence saying what to do, and a non-zero exit status.
//
// No input path is printed, here or anywhere (folders and files are often named after the patient):
// a file is "file 3 of 340" with the start of its SHA-256 (input-file-label.ts), a folder by its code.
import type { SiteAgent } from '../main/site/index.ts';
import type { IngestSummary, LastIngestRun } from '../main/site/ingest/index.ts';
import { CliError } from './failure.ts';
import { FIND_BY_SHA256, inputFileLabel } from './input-file-label.ts';
import { terminalProgress } from './progress.ts';

export async function ingestWithReport(agent: SiteAgent, input: string): Promise<IngestSummary> {
  const progress = terminalProgress('Ingesting', 0);
  let named = false;
  const summary = await agent.ingest(
    input,
    (done, total, outcome) => {
      if (outcome.status === 'failed' || outcome.status === 'rejected') {
        // Sequential: `done` is the file's number in the run's (path) order.
        progress.note(`${outcome.status}: ${inputFileLabel(done, total, outcome.sha256)}: ${outcome.reason}`);
        named = true;
      }
      progress.update(done, undefined, total);
    },
    (_path, code) =>
      progress.note(
        `folder not read (${code}): its files were not ingested. find <the folder you gave> -type d ! -readable lists such folders.`,
      ),
  );
  progress.finish(describeSummary(summary));
  if (named) process.stderr.write(`${FIND_BY_SHA256}\n`);
  const folders = summary.unreadableFolders ?? 0;
  if (summary.failed > 0 || folders > 0) {
    const what = [
      summary.failed > 0 ? `${plural(summary.failed, 'file')} could not be ingested` : null,
      folders > 0 ? `${plural(folders, 'folder')} could not be read` : null,
    ].filter((part) => part !== null);
    throw new CliError(
      `${what.join(' and ')} (the reasons are above). Fix what they say, or check that this user may ` +
        'read them, and run the same command again: files already stored are skipped.',
    );
  }
  return summary;
}

/** Every file once: stored, already stored, held, left out by consent, rejected or failed. */
export function describeSummary(summary: IngestSummary): string {
  return (
    `${plural(summary.files, 'file')}: ${summary.deidentified} stored, ${summary.alreadyIngested} already stored, ` +
    `${summary.held} held for review, ${summary.excluded ?? 0} left out by consent, ` +
    `${summary.rejected} rejected, ${summary.failed} failed.`
  );
}

/** `site status` lines about the latest finished run: its failures, or that it was interrupted. */
export function describeLastRun(run: LastIngestRun | null): string[] {
  if (run === null) return [];
  if (run.status === 'interrupted') {
    return [
      `  The last ingest run was interrupted (its process stopped) at ${run.finishedAt ?? run.startedAt}: ` +
        `${plural(run.files, 'file')} recorded; run the same ingest again to finish it.`,
    ];
  }
  const lines = [
    `  Last ingest run: ${run.status}, ${plural(run.files, 'file')}, could not be ingested: ${plural(run.failed, 'file')}`,
  ];
  if (run.failed > 0) lines.push('  Run the same ingest again once the reasons it gave are fixed.');
  return lines;
}

function plural(n: number, one: string): string {
  return `${n} ${n === 1 ? one : `${one}s`}`;
}
