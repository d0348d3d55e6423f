// Imports started from the Studies page, followed by polling: the agent runs the import in the
// background and keeps its progress here, in memory, for this session only. The source paths are
// kept (so that the page can show a file's header before de-identification) but never sent to the
// screen, logged or stored: files are known to the page by their number in the run.
import { randomUUID } from 'node:crypto';
import { stat } from 'node:fs/promises';
import type { ImportCounts, ImportFileStatus, ImportProgress } from '../../../shared/ipc/index.ts';
import type { IngestFileOutcome, IngestSummary } from '../ingest/index.ts';
import { safeCode, safeMessage } from '../../../shared/log-safety.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** What an import needs of the agent: `SiteAgent.ingest`. */
export type IngestFolder = (
  folder: string,
  onProgress: (done: number, total: number, outcome: IngestFileOutcome) => void,
) => Promise<IngestSummary>;

export class StudiesViewError extends RadfedError<
  'folder-not-found' | 'not-a-folder' | 'unknown-import' | 'unknown-file' | 'unknown-held-file'
> {
  override readonly name = 'StudiesViewError';
}

interface ImportJob {
  id: string;
  state: ImportProgress['state'];
  done: number;
  total: number;
  counts: ImportCounts;
  files: { status: ImportFileStatus; reason: string | null; source: string }[];
  error: string | null;
}

// Enough for the page to come back to recent imports; older ones are forgotten (memory stays small).
const KEPT_IMPORTS = 5;

export class ImportJobs {
  readonly #jobs = new Map<string, ImportJob>();

  /** Checks the folder, starts importing it and returns at once with the import's id. */
  async start(folder: string, ingest: IngestFolder): Promise<string> {
    const info = await stat(folder).catch(() => null);
    // The path is not repeated in the message: folder names can carry patient names.
    if (info === null) {
      throw new StudiesViewError(
        'folder-not-found',
        'That folder does not exist on the computer running the RadFed agent, or RadFed may not read it. Check the path (it is the agent’s computer, not necessarily yours).',
      );
    }
    if (!info.isDirectory()) {
      throw new StudiesViewError(
        'not-a-folder',
        'That path is a file, not a folder. Give the folder that holds the studies.',
      );
    }
    const job: ImportJob = {
      id: randomUUID(),
      state: 'running',
      done: 0,
      total: 0,
      counts: { deidentified: 0, held: 0, rejected: 0, excluded: 0, alreadyIngested: 0, failed: 0 },
      files: [],
      error: null,
    };
    this.#remember(job);
    ingest(folder, (done, total, outcome) => {
      job.done = done;
      job.total = total;
      job.files.push({ status: outcome.status, reason: outcome.reason, source: outcome.input });
      job.counts[outcome.status === 'already-ingested' ? 'alreadyIngested' : outcome.status] += 1;
    }).then(
      (summary) => {
        job.total = summary.files;
        job.done = summary.files;
        job.state = 'completed';
      },
      (error: unknown) => {
        job.state = 'failed';
        job.error = sentenceOf(error);
      },
    );
    return job.id;
  }

  progress(importId: string): ImportProgress {
    const job = this.#job(importId);
    return {
      importId: job.id,
      state: job.state,
      done: job.done,
      total: job.total,
      counts: { ...job.counts },
      files: job.files.map(({ status, reason }, i) => ({ number: i + 1, status, reason })),
      error: job.error,
    };
  }

  /** A file of an import: where it was read from (for the agent only) and what became of it. */
  file(
    importId: string,
    number: number,
  ): { source: string; status: ImportFileStatus; reason: string | null } {
    const file = this.#job(importId).files[number - 1];
    if (file === undefined) {
      throw new StudiesViewError(
        'unknown-file',
        `This import has no file number ${number}. Reload the page.`,
      );
    }
    return file;
  }

  #job(importId: string): ImportJob {
    const job = this.#jobs.get(importId);
    if (job === undefined) {
      throw new StudiesViewError(
        'unknown-import',
        'This import is no longer known to the agent (it was restarted, or the import is too old). Its results are in the report below.',
      );
    }
    return job;
  }

  #remember(job: ImportJob): void {
    this.#jobs.set(job.id, job);
    for (const id of this.#jobs.keys()) {
      if (this.#jobs.size <= KEPT_IMPORTS) break;
      if (this.#jobs.get(id)?.state !== 'running') this.#jobs.delete(id);
    }
  }
}

/** Our error's own sentence; anything else as a code only (its message could quote a path). */
function sentenceOf(error: unknown): string {
  const sentence = safeMessage(error);
  if (sentence !== null) return sentence;
  const name = safeCode(error) ?? 'unexpected error';
  return `The import stopped (${name}). Files processed before that are kept; see the agent’s log, then import the folder again: files already done are skipped.`;
}
