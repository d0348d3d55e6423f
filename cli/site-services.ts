// The long-running part of a site: the DICOM receiver and the watched folder, started together by
// `radfed site run` (or alone by `site receive`, `site watch`), telling the operator in plain words
// what happens, and stopping cleanly when asked (the file being ingested is finished first).
//
// What is printed names AE titles, counts, reasons and the site's own set-aside file names; never a
// dropped file's name or anything from a data set (this output often ends up in a service log).
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import {
  IngestLane,
  openSite,
  type IngestSummary,
  type ReceiverSettings,
  type WatchSettings,
} from '../main/site/index.ts';
import { DicomReceiver, type ReceiverEvent, type ReceiverLimits } from '../main/site/receiver/index.ts';
import { FolderWatcher, type WatchEvent } from '../main/site/watch/index.ts';
import { runFederationService, type FederationServicePlan } from './site-federation-commands.ts';

export interface SiteServicesPlan {
  receiver?: ReceiverSettings;
  watch?: WatchSettings;
  /** For a site enrolled with a hub: take part in approved tasks (see site-federation-commands.ts). */
  federation?: FederationServicePlan;
}

export interface RunSiteServicesOptions {
  /** Aborted on SIGINT/SIGTERM by the command; by the test otherwise. */
  signal: AbortSignal;
  out?: Writable;
  logger?: Logger;
  receiverLimits?: Partial<ReceiverLimits>;
  /** How often a status line is printed while something changes (default 10 s). */
  statusEveryMs?: number;
  onReady?(started: { receiverPort: number | null }): void;
}

const REFUSALS = {
  'calling-ae-not-allowed': 'its calling AE title is not on the allow-list',
  'called-ae-not-recognized': 'it called another AE title than ours',
  'too-busy': 'too many associations are open; it may try again',
} as const;

export async function runSiteServices(
  directory: string,
  plan: SiteServicesPlan,
  options: RunSiteServicesOptions,
): Promise<void> {
  const out = options.out ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  const site = openSite(directory);
  const lane = new IngestLane();
  const counts = { received: 0, refused: 0, ingested: 0, queued: 0 };
  let receiver: DicomReceiver | null = null;
  let watcher: FolderWatcher | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const stopFederation = new AbortController();
  let federation: Promise<void> | null = null;
  try {
    say(`Site "${site.config.name}" (${site.directory})`);
    if (plan.receiver) {
      receiver = new DicomReceiver({
        site,
        settings: plan.receiver,
        lane,
        ...(options.receiverLimits ? { limits: options.receiverLimits } : {}),
        ...(options.logger ? { logger: options.logger } : {}),
        onEvent: (event) => {
          if (event.type === 'instance-answered')
            counts[event.verdict.reason === null ? 'received' : 'refused'] += 1;
          if (event.type === 'instance-ingested') counts.ingested += 1;
          const line = describeReceiverEvent(event, plan.receiver as ReceiverSettings);
          if (line !== null) say(line);
        },
      });
    }
    if (plan.watch) {
      watcher = new FolderWatcher({
        site,
        folder: plan.watch.folder,
        settleMs: plan.watch.settleSeconds * 1000,
        lane,
        ...(options.logger ? { logger: options.logger } : {}),
        onEvent: (event) => {
          const line = describeWatchEvent(event, plan.watch as WatchSettings);
          if (line !== null) say(line);
        },
      });
    }
    if (watcher) await watcher.checkFolder();
    const started = receiver ? await receiver.start() : null;
    if (watcher) await watcher.start();
    if (plan.federation) {
      federation = runFederationService(directory, plan.federation, { signal: stopFederation.signal, out });
    }
    say('Running. Press Ctrl+C to stop.');
    options.onReady?.({ receiverPort: started?.port ?? null });

    let last = '';
    ticker = setInterval(() => {
      counts.queued = receiver?.queued ?? 0;
      const line = `Status: ${counts.received} received, ${counts.refused} refused, ${counts.ingested} ingested, ${counts.queued} waiting for ingest.`;
      if (receiver && line !== last) say(line);
      last = line;
    }, options.statusEveryMs ?? 10_000);
    ticker.unref();

    await new Promise<void>((resolve, reject) => {
      if (options.signal.aborted) resolve();
      else options.signal.addEventListener('abort', () => resolve(), { once: true });
      // The federation ends the run when it fails, or when it was asked to stop once its tasks ended.
      federation?.then(() => (plan.federation?.untilDone ? resolve() : undefined), reject);
    });
    say('Stopping: finishing the file being ingested...');
  } finally {
    stopFederation.abort();
    await federation?.catch(() => undefined);
    if (ticker) clearInterval(ticker);
    await Promise.all([receiver?.stop(), watcher?.stop()]);
    const left = receiver?.queued ?? 0;
    site.database.close();
    if (options.signal.aborted) {
      say(left > 0 ? `Stopped. ${left} received files wait in quarantine for the next start.` : 'Stopped.');
    }
  }
}

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
        : `Refused an instance from "${event.callingAeTitle}" (status ${hex(event.verdict.status)}): ${event.verdict.reason}.`;
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
const hex = (status: number) => `0x${status.toString(16).toUpperCase().padStart(4, '0')}`;
