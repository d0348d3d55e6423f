// The receiver's and the watched folder's events in words, for `radfed site run` and the site UI.
// They name AE titles, counts, reasons and the site's own set-aside file names; never a dropped file's
// name or anything from a data set (this text often ends up in a service log).
import type { IngestSummary } from '../ingest/index.ts';
import type { ReceiverEvent } from '../receiver/index.ts';
import type { ReceiverSettings, WatchSettings } from '../store/index.ts';
import type { WatchEvent } from '../watch/index.ts';

const REFUSALS = {
  'calling-ae-not-allowed': 'its calling AE title is not on the allow-list',
  'called-ae-not-recognized': 'it called another AE title than ours',
  'too-busy': 'too many associations are open; it may try again',
} as const;

export function describeReceiverEvent(event: ReceiverEvent, settings: ReceiverSettings): string | null {
  switch (event.type) {
    case 'listening':
      return (
        `Receiving DICOM as AE "${settings.aeTitle}" on ${event.host}:${event.port}, from ${settings.allowedCallingAeTitles.join(', ')}.` +
        (event.queuedFromBefore > 0
          ? ` ${event.queuedFromBefore} files received before the last stop are ingested first.`
          : '')
      );
    case 'association-refused':
      return (
        `Refused an association from "${event.callingAeTitle}" (${event.remoteAddress}): ${REFUSALS[event.refusal]}.` +
        (event.refusal === 'calling-ae-not-allowed' ? ` To allow it: --allow ${event.callingAeTitle}` : '')
      );
    case 'instance-answered':
      return event.verdict.reason === null
        ? null
        : // The sender gets the DICOM status code (0xA700…) and logs it; here the sentence says why in words.
          `Refused an instance from "${event.callingAeTitle}": ${event.verdict.reason}.`;
    case 'association-closed': {
      const total = event.stored + event.refused;
      if (total === 0) return null;
      const ending =
        event.how === 'released'
          ? ''
          : ` (the association was ${event.how === 'aborted' ? 'aborted' : 'cut'})`;
      return `"${event.callingAeTitle}" sent ${plural(total, 'instance')}: ${event.stored} stored, ${event.refused} refused${ending}.`;
    }
    case 'instance-ingested':
      return event.setAsideAs === null
        ? null
        : `A received instance could not be ingested (${event.outcome.reason ?? event.outcome.status}); kept as receive-failed/${event.setAsideAs} with the reason.`;
    case 'run-finished':
      return `Ingested ${plural(event.summary.files, 'received file')}: ${describeSummary(event.summary)}.`;
    case 'stalled':
      return `Warning: ${event.reason}.`;
    case 'warning':
      return event.reason === null ? 'The earlier warning is over.' : `Warning: ${event.reason}.`;
    case 'connection-cut':
      return `Closed a connection from ${event.remoteAddress}${event.callingAeTitle ? ` ("${event.callingAeTitle}")` : ''}: ${event.reason}.`;
    case 'association-accepted':
    case 'echo':
      return null;
  }
}

export function describeWatchEvent(event: WatchEvent, settings: WatchSettings): string | null {
  switch (event.type) {
    case 'watching':
      return (
        `Watching ${settings.folder}: a file is taken once unchanged for ${settings.settleSeconds} s (names ending .partial are left alone), ` +
        'ingested, then removed; one that cannot be ingested is moved to watch-failed/ with the reason.'
      );
    case 'file-ingested':
      return event.setAsideAs === null
        ? null
        : `A file from the watched folder could not be ingested (${event.outcome.reason ?? event.outcome.status}); moved to watch-failed/${event.setAsideAs}.`;
    case 'run-finished':
      return `Ingested ${plural(event.summary.files, 'file')} from the watched folder: ${describeSummary(event.summary)}.`;
    case 'stalled':
      return `Warning: ${event.reason}.`;
  }
}

function describeSummary(summary: IngestSummary): string {
  const parts = [`${summary.deidentified} de-identified`];
  if (summary.held > 0) parts.push(`${summary.held} held for review`);
  if ((summary.excluded ?? 0) > 0) parts.push(`${summary.excluded} excluded by consent`);
  if (summary.alreadyIngested > 0) parts.push(`${summary.alreadyIngested} already ingested`);
  if (summary.rejected > 0) parts.push(`${summary.rejected} not DICOM`);
  if (summary.failed > 0) parts.push(`${summary.failed} failed`);
  return parts.join(', ');
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
