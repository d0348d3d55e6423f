// Where studies arrive on their own: the DICOM receiver and the watched folder, as site.json configures
// them, started and stopped together on one ingest lane. `radfed site run` and the site UI session (the
// desktop app, `radfed site ui`) both run them through this, so they behave the same.
import type { Logger } from 'pino';
import { IngestLane, recoverInterruptedIngest } from '../ingest/index.ts';
import { DicomReceiver, type ReceiverEvent, type ReceiverLimits } from '../receiver/index.ts';
import { openSite, type ReceiverSettings, type Site, type WatchSettings } from '../store/index.ts';
import { FolderWatcher, type WatchEvent } from '../watch/index.ts';
import { describeReceiverEvent, describeWatchEvent } from './study-source-words.ts';

export interface StudySourcesPlan {
  receiver?: ReceiverSettings;
  watch?: WatchSettings;
}

export interface StudySourcesOptions {
  logger?: Logger;
  receiverLimits?: Partial<ReceiverLimits>;
  /** Each event in words (null events, too fine-grained, are not passed). */
  onLine?: (line: string) => void;
}

/** Counts since the start, and the last thing said in words, for a status line or the dashboard. */
export interface StudySourcesState {
  receiver: {
    aeTitle: string;
    port: number;
    allowedCallingAeTitles: string[];
    received: number;
    refused: number;
    ingested: number;
    waiting: number;
  } | null;
  watch: { folder: string; ingested: number } | null;
  /** The latest event in words (a refusal, a finished run, a warning), or null. */
  lastEvent: string | null;
}

export class StudySources {
  readonly #site: Site;
  readonly #plan: StudySourcesPlan;
  readonly #options: StudySourcesOptions;
  readonly #counts = { received: 0, refused: 0, ingested: 0, watched: 0 };
  #receiver: DicomReceiver | null = null;
  #watcher: FolderWatcher | null = null;
  #port: number | null = null;
  #lastEvent: string | null = null;

  private constructor(site: Site, plan: StudySourcesPlan, options: StudySourcesOptions) {
    this.#site = site;
    this.#plan = plan;
    this.#options = options;
  }

  /**
   * Starts what `plan` names (both share one ingest lane) in the site folder `directory`, on its own
   * database connection. Throws the receiver's or watcher's own error (port in use, folder missing).
   */
  static async start(
    directory: string,
    plan: StudySourcesPlan,
    options: StudySourcesOptions = {},
  ): Promise<StudySources> {
    const sources = new StudySources(openSite(directory), plan, options);
    try {
      await sources.#start();
      return sources;
    } catch (error) {
      await sources.stop();
      throw error;
    }
  }

  /** The plan in site.json (receiver, watched folder), or null when it names neither. */
  static planOf(config: { receiver?: ReceiverSettings; watch?: WatchSettings }): StudySourcesPlan | null {
    if (!config.receiver && !config.watch) return null;
    return {
      ...(config.receiver ? { receiver: config.receiver } : {}),
      ...(config.watch ? { watch: config.watch } : {}),
    };
  }

  get siteName(): string {
    return this.#site.config.name;
  }

  state(): StudySourcesState {
    const { receiver, watch } = this.#plan;
    return {
      receiver: receiver
        ? {
            aeTitle: receiver.aeTitle,
            port: this.#port ?? receiver.port,
            allowedCallingAeTitles: [...receiver.allowedCallingAeTitles],
            received: this.#counts.received,
            refused: this.#counts.refused,
            ingested: this.#counts.ingested,
            waiting: this.#receiver?.queued ?? 0,
          }
        : null,
      watch: watch ? { folder: watch.folder, ingested: this.#counts.watched } : null,
      lastEvent: this.#lastEvent,
    };
  }

  /** Stops both; the file being ingested is finished first. Received files left wait for the next start. */
  async stop(): Promise<void> {
    await Promise.all([this.#receiver?.stop(), this.#watcher?.stop()]);
    if (this.#site.database.open) this.#site.database.close();
  }

  async #start(): Promise<void> {
    const { receiver, watch } = this.#plan;
    const { logger, receiverLimits } = this.#options;
    const lane = new IngestLane();
    // What a killed ingest left (a run still 'running', identified copies in quarantine) goes first.
    recoverInterruptedIngest(this.#site, logger ? { logger } : {});
    if (receiver) {
      this.#receiver = new DicomReceiver({
        site: this.#site,
        settings: receiver,
        lane,
        ...(receiverLimits ? { limits: receiverLimits } : {}),
        ...(logger ? { logger } : {}),
        onEvent: (event) => this.#onReceiverEvent(event, receiver),
      });
    }
    if (watch) {
      this.#watcher = new FolderWatcher({
        site: this.#site,
        folder: watch.folder,
        settleMs: watch.settleSeconds * 1000,
        lane,
        ...(logger ? { logger } : {}),
        onEvent: (event) => this.#onWatchEvent(event, watch),
      });
      await this.#watcher.checkFolder();
    }
    if (this.#receiver) this.#port = (await this.#receiver.start()).port;
    if (this.#watcher) await this.#watcher.start();
  }

  #onReceiverEvent(event: ReceiverEvent, settings: ReceiverSettings): void {
    if (event.type === 'instance-answered')
      this.#counts[event.verdict.reason === null ? 'received' : 'refused'] += 1;
    if (event.type === 'instance-ingested') this.#counts.ingested += 1;
    this.#say(describeReceiverEvent(event, settings));
  }

  #onWatchEvent(event: WatchEvent, settings: WatchSettings): void {
    if (event.type === 'file-ingested') this.#counts.watched += 1;
    this.#say(describeWatchEvent(event, settings));
  }

  #say(line: string | null): void {
    if (line === null) return;
    this.#lastEvent = line;
    this.#options.onLine?.(line);
  }
}
