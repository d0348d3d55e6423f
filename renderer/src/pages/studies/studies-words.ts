// Words for the Studies page: outcomes and counts as a radiographer would say them.
import type {
  HeaderAction,
  ImportCounts,
  ImportFileStatus,
  ImportProgress,
} from '../../../../shared/ipc/index.ts';

const plural = (n: number, one: string, many = `${one}s`) =>
  `${n.toLocaleString('en')} ${n === 1 ? one : many}`;

export const STATUS_WORDS: Readonly<Record<ImportFileStatus, string>> = {
  deidentified: 'De-identified and stored',
  held: 'Held for review',
  rejected: 'Not DICOM',
  excluded: 'Left out (consent)',
  'already-ingested': 'Already imported',
  failed: 'Failed',
};

/** An import run's state as the Imports table says it. */
export const RUN_WORDS: Readonly<Record<string, string>> = {
  running: 'Running',
  completed: 'Finished',
  failed: 'Stopped by an error',
  interrupted: 'Cut short (RadFed was closed)',
};

export const ACTION_WORDS: Readonly<Record<HeaderAction, string>> = {
  kept: 'Kept',
  replaced: 'Replaced',
  emptied: 'Emptied',
  removed: 'Removed',
  added: 'Added',
};

/** "Importing: 12 of 40 files" / "Listing the folder…" / "Import finished: 40 files". */
export function progressHeadline(progress: ImportProgress): string {
  if (progress.state === 'failed') return `Import stopped after ${plural(progress.done, 'file')}`;
  if (progress.state === 'completed') return `Import finished: ${plural(progress.total, 'file')}`;
  if (progress.total === 0) return 'Looking through the folder…';
  return `Importing: ${progress.done.toLocaleString('en')} of ${plural(progress.total, 'file')}`;
}

/** "2 de-identified, 1 held for review, 1 not DICOM" (zero counts left out). */
export function describeImportCounts(counts: ImportCounts): string {
  const parts: string[] = [];
  if (counts.deidentified) parts.push(`${counts.deidentified.toLocaleString('en')} de-identified`);
  if (counts.held) parts.push(`${counts.held.toLocaleString('en')} held for review`);
  if (counts.rejected) parts.push(`${counts.rejected.toLocaleString('en')} not DICOM`);
  if (counts.excluded) parts.push(`${counts.excluded.toLocaleString('en')} left out by consent`);
  if (counts.alreadyIngested) parts.push(`${counts.alreadyIngested.toLocaleString('en')} already imported`);
  if (counts.failed) parts.push(`${counts.failed.toLocaleString('en')} failed`);
  return parts.length === 0 ? 'No files yet.' : `${parts.join(', ')}.`;
}

/** Whether the page can show a header for a file with this outcome. */
export const hasHeader = (status: ImportFileStatus): boolean =>
  status === 'deidentified' || status === 'held' || status === 'already-ingested';

export function formatTime(iso: string | null): string {
  if (!iso) return '—';
  const time = new Date(iso);
  return Number.isNaN(time.getTime())
    ? iso
    : time.toLocaleString('en-GB', { dateStyle: 'medium', timeStyle: 'short' });
}

export { plural };
