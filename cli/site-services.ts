// The long-running part of a site: the DICOM receiver and the watched folder, started together by
// `radfed site run` (or alone by `site receive`, `site watch`), telling the operator in plain words
// what happens, and stopping cleanly when asked (the file being ingested is finished first).
//
// What is printed names AE titles, counts, reasons and the site's own set-aside file names; never a
// dropped file's name or anything from a data set (this output often ends up in a service log).
import type { Writable } from 'node:stream';
import type { Logger } from 'pino';
import { readSiteConfig, sitePaths, type ReceiverSettings, type WatchSettings } from '../main/site/index.ts';
import type { ReceiverLimits } from '../main/site/receiver/index.ts';
import { StudySources } from '../main/site/study-sources/index.ts';
import { runFederationService, type FederationServicePlan } from './site-federation-commands.ts';

export { describeReceiverEvent, describeWatchEvent } from '../main/site/study-sources/index.ts';

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

export async function runSiteServices(
  directory: string,
  plan: SiteServicesPlan,
  options: RunSiteServicesOptions,
): Promise<void> {
  const out = options.out ?? process.stdout;
  const say = (line: string) => out.write(`${line}\n`);
  let sources: StudySources | null = null;
  let ticker: NodeJS.Timeout | null = null;
  const stopFederation = new AbortController();
  let federation: Promise<void> | null = null;
  try {
    const paths = sitePaths(directory);
    say(`Site "${readSiteConfig(paths).name}" (${paths.directory})`);
    const sourcesPlan = StudySources.planOf(plan);
    if (sourcesPlan) {
      sources = await StudySources.start(directory, sourcesPlan, {
        onLine: say,
        ...(options.logger ? { logger: options.logger } : {}),
        ...(options.receiverLimits ? { receiverLimits: options.receiverLimits } : {}),
      });
    }
    if (plan.federation) {
      federation = runFederationService(directory, plan.federation, { signal: stopFederation.signal, out });
    }
    say('Running. Press Ctrl+C to stop.');
    options.onReady?.({ receiverPort: sources?.state().receiver?.port ?? null });

    let last = '';
    ticker = setInterval(() => {
      const r = sources?.state().receiver;
      if (!r) return;
      const line = `Status: ${r.received} received, ${r.refused} refused, ${r.ingested} ingested, ${r.waiting} waiting for ingest.`;
      if (line !== last) say(line);
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
    await sources?.stop();
    const left = sources?.state().receiver?.waiting ?? 0;
    if (options.signal.aborted) {
      say(left > 0 ? `Stopped. ${left} received files wait in quarantine for the next start.` : 'Stopped.');
    }
  }
}
