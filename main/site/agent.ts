// The site agent: one object that holds a site's services, for Electron's main process, the headless
// `radfed site …` commands and tests alike. Plain Node, constructed with its dependencies; nothing
// here reaches for globals. It logs counts and codes, never a patient value or an input file path.
import type { Logger } from 'pino';
import type { SiteStatus } from '../../shared/ipc/index.ts';
import { SerialQueue } from '../../shared/serial-queue.ts';
import { createLogger } from '../../shared/node/index.ts';
import { AuditLog, commandActor } from './audit/index.ts';
import { SiteConsent } from './consent/index.ts';
import { parseDeidOptions } from './deid/index.ts';
import {
  ingestPath,
  recoverInterruptedIngest,
  type IngestFileOutcome,
  type IngestSite,
  type IngestSummary,
} from './ingest/index.ts';
import { openSite, ResearchIndex, sitePaths, type SiteConfig, type SiteDatabase } from './store/index.ts';

export interface SiteAgentDependencies {
  directory: string;
  database: SiteDatabase;
  config: SiteConfig;
  secret: Uint8Array;
  clock: () => Date;
  logger: Logger;
  /** The person the audit log names for what this agent does (default: the OS user, as for commands). */
  actor?: string;
}

export interface OpenSiteAgentOptions {
  logger?: Logger;
  clock?: () => Date;
  actor?: string;
}

export type IngestProgress = (done: number, total: number, outcome: IngestFileOutcome) => void;

export class SiteAgent {
  readonly audit: AuditLog;
  /** The consent register: import, set, withdraw, list, show, and "is this patient in?". */
  readonly consent: SiteConsent;
  readonly #deps: SiteAgentDependencies;
  readonly #index: ResearchIndex;
  readonly #logger: Logger;
  // One ingest at a time: two runs over the same files would race on "already ingested?".
  readonly #ingests = new SerialQueue();

  constructor(deps: SiteAgentDependencies) {
    // Fail at open, not at the first ingest, when site.json names an option this RadFed does not know.
    parseDeidOptions(deps.config.deidOptions);
    this.#deps = deps;
    this.#logger = deps.logger.child({ component: 'site-agent' });
    this.#index = new ResearchIndex(deps.database, deps.clock);
    this.audit = new AuditLog(deps.database, deps.clock);
    const { directory, database, config, secret, clock } = deps;
    this.consent = new SiteConsent(
      { directory, paths: sitePaths(directory), database, config, secret },
      { clock, logger: this.#logger, actor: this.actor },
    );
  }

  /** Opens the site in `directory` (made by `radfed site init`). Close the agent when done. */
  static open(directory: string, options: OpenSiteAgentOptions = {}): SiteAgent {
    const site = openSite(directory);
    try {
      const clock = options.clock ?? (() => new Date());
      const logger =
        options.logger ?? createLogger({ room: 'site', defaultLevel: 'warn', destination: 'stderr' });
      const agent = new SiteAgent({
        directory: site.directory,
        database: site.database,
        config: site.config,
        secret: site.secret,
        clock,
        logger,
        ...(options.actor ? { actor: options.actor } : {}),
      });
      // A killed ingest's run is marked interrupted, and its identified copies go, before anything else.
      recoverInterruptedIngest(site, { clock, logger, actor: agent.actor });
      return agent;
    } catch (error) {
      site.database.close();
      throw error;
    }
  }

  get directory(): string {
    return this.#deps.directory;
  }

  /** Who the audit log names for what this agent does: a person, never a role. */
  get actor(): string {
    return this.#deps.actor ?? commandActor();
  }

  get config(): SiteConfig {
    return this.#deps.config;
  }

  /** The open site (store, paths, secret), for the app's own views of it: Studies, Consent, Audit. */
  get site(): IngestSite {
    const { directory, database, config, secret } = this.#deps;
    return { directory, paths: sitePaths(directory), database, config, secret };
  }

  status(): SiteStatus {
    const { config, directory } = this.#deps;
    return {
      siteName: config.name,
      directory,
      consentPolicy: config.consentPolicy,
      deidOptions: [...config.deidOptions],
      counts: this.#index.counts(),
      lastIngestAt: this.#index.lastCompletedIngestAt(),
    };
  }

  /**
   * Ingests a file or folder (see main/site/ingest). Runs after any ingest already in progress.
   * `onUnreadableFolder` hears of each folder under the input that could not be listed.
   */
  ingest(
    inputPath: string,
    onProgress?: IngestProgress,
    onUnreadableFolder?: (path: string, code: string) => void,
  ): Promise<IngestSummary> {
    const { directory, database, config, secret, clock } = this.#deps;
    return this.#ingests.run(() =>
      ingestPath({ directory, paths: sitePaths(directory), database, config, secret }, inputPath, {
        onProgress,
        ...(onUnreadableFolder ? { onUnreadableFolder } : {}),
        clock,
        logger: this.#logger,
        actor: this.actor,
      }),
    );
  }

  close(): void {
    if (this.#deps.database.open) this.#deps.database.close();
  }
}
