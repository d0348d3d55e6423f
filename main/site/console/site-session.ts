// One site folder as the UI sees it, from first launch on: before the setup wizard has run there is no
// site to open, so the session holds the agent once it exists, answers setup:* itself, runs the
// federation for an enrolled site, and forwards everything else to the agent.
import type { Logger } from 'pino';
import type {
  DeviceReport,
  HubCheckRequest,
  HubCheckResult,
  SetupRequest,
  SetupResult,
  SetupState,
  StudySourcesView,
} from '../../../shared/ipc/index.ts';
import { SiteAgent } from '../agent.ts';
import { actorFor } from '../audit/index.ts';
import { isEnrolled, type SyncEvent } from '../federation/index.ts';
import type { BackendChoice } from '../train/index.ts';
import { FederationService } from './federation-service.ts';
import type { SetupPort } from './handlers-setup.ts';
import { applySetup, checkHubConnection, detectTrainingDevice, readSetupState } from './site-setup.ts';
import { existsSync } from 'node:fs';
import { readSiteConfig, sitePaths } from '../store/index.ts';
import { StudySources } from '../study-sources/index.ts';
import { safeMessage } from '../../../shared/log-safety.ts';
import { RadfedError } from '../../../shared/errors.ts';

export class SiteNotSetUpError extends RadfedError<'site-not-set-up'> {
  override readonly name = 'SiteNotSetUpError';
  constructor() {
    super(
      'site-not-set-up',
      'This site is not set up yet. Finish the setup wizard first; it opens when you reload RadFed.',
    );
  }
}

export interface SiteSessionOptions {
  logger?: Logger;
  /** Take part in approved tasks as soon as the site is enrolled (default true). */
  autoStartFederation?: boolean;
  threads?: number;
  backend?: BackendChoice;
  /** Seconds a long-poll waits at the hub (tests use a short one). */
  waitSeconds?: number;
  /** IT preset the setup (docs/settings.md): the wizard is skipped. */
  preset?: SetupRequest;
  /**
   * Where the session runs: the desktop app names the operator and the signed-in OS user, `site ui` the
   * operator (audit-actor.ts). Default 'site-ui'.
   */
  origin?: 'desktop' | 'site-ui';
  /** Recorded as the actor of audit entries made from the UI, instead of the name from `origin` (tests). */
  actor?: string;
  /** Every event of the federation loop, after the progress tracker has it (the desktop tray listens). */
  onEvent?: (event: SyncEvent) => void;
  /** Run the DICOM receiver and watched folder that site.json names, as `radfed site run` does (default true). */
  runStudySources?: boolean;
}

export class SiteSession implements SetupPort {
  readonly directory: string;
  readonly federation: FederationService;
  readonly #options: SiteSessionOptions;
  #agent: SiteAgent | null = null;
  #device: Promise<DeviceReport> | null = null;
  #sources: StudySources | null = null;
  #sourcesStarting: Promise<void> | null = null;
  #sourcesProblem: string | null = null;

  private constructor(directory: string, options: SiteSessionOptions) {
    this.directory = sitePaths(directory).directory;
    this.#options = options;
    this.federation = new FederationService({
      siteDir: this.directory,
      actor: () => this.actor(),
      ...(options.threads ? { threads: options.threads } : {}),
      ...(options.backend ? { backend: options.backend } : {}),
      ...(options.waitSeconds ? { waitSeconds: options.waitSeconds } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  /** Opens the folder: the site when it exists (applying IT's preset first when there is none yet). */
  static async open(directory: string, options: SiteSessionOptions = {}): Promise<SiteSession> {
    const session = new SiteSession(directory, options);
    if (options.preset && !existsSync(sitePaths(directory).config)) {
      // IT's preset is applied by the account the app runs as; no operator has given a name yet.
      await applySetup(directory, options.preset, { actor: actorFor('command', null) });
    }
    session.#openAgentIfReady();
    await session.#sourcesStarting;
    return session;
  }

  /**
   * The person the audit log names for this session's actions: the operator's name from setup (or
   * `operatorName`, while the wizard is applying it), with the OS user on the desktop.
   */
  actor(operatorName?: string): string {
    if (this.#options.actor) return this.#options.actor;
    let name = operatorName;
    if (name === undefined && existsSync(sitePaths(this.directory).config)) {
      try {
        name = readSiteConfig(sitePaths(this.directory)).operatorName;
      } catch {
        name = undefined; // a damaged site.json is reported where it is opened
      }
    }
    return actorFor(this.#options.origin ?? 'site-ui', name);
  }

  /** The agent, for handlers that need a site; throws site-not-set-up before the wizard has run. */
  get agent(): SiteAgent {
    if (!this.#agent) throw new SiteNotSetUpError();
    return this.#agent;
  }

  /**
   * A stand-in for the agent that forwards to the real one once it exists, so the web UI can start on an
   * empty folder: until the wizard has run, every use of it throws site-not-set-up.
   */
  agentPort(): SiteAgent {
    return lazyMember(() => this.#agent, []) as SiteAgent;
  }

  state(): SetupState {
    return readSetupState(this.directory, Boolean(this.#options.preset));
  }

  checkHub(request: HubCheckRequest): Promise<HubCheckResult> {
    return checkHubConnection(request);
  }

  /** Detected once per session: picking a backend loads it, and the answer does not change. */
  device(): Promise<DeviceReport> {
    this.#device ??= detectTrainingDevice(this.#options.threads).catch((error: unknown) => {
      this.#device = null;
      throw error;
    });
    return this.#device;
  }

  async finish(request: SetupRequest): Promise<SetupResult> {
    // The agent holds site.json as it was opened: close it while the wizard rewrites the settings.
    // The receiver and watched folder restart with the new settings.
    await this.#stopSources();
    this.#agent?.close();
    this.#agent = null;
    try {
      return await applySetup(this.directory, request, { actor: this.actor(request.operatorName) });
    } finally {
      this.#openAgentIfReady();
      await this.#sourcesStarting;
    }
  }

  /** The receiver and watched folder this session runs, with counts since they started. */
  studySources(): StudySourcesView {
    const state = this.#sources?.state() ?? null;
    return {
      receiver: state?.receiver ?? null,
      watch: state?.watch ?? null,
      running: this.#sources !== null,
      lastEvent: state?.lastEvent ?? null,
      problem: this.#sourcesProblem,
    };
  }

  async close(): Promise<void> {
    await this.federation.stop();
    await this.#stopSources();
    this.#agent?.close();
    this.#agent = null;
  }

  async #stopSources(): Promise<void> {
    await this.#sourcesStarting;
    const sources = this.#sources;
    this.#sources = null;
    await sources?.stop();
  }

  #startSources(): void {
    if (this.#options.runStudySources === false || this.#sources || this.#sourcesStarting) return;
    const plan = StudySources.planOf(readSiteConfig(sitePaths(this.directory)));
    this.#sourcesProblem = null;
    if (!plan) return;
    this.#sourcesStarting = StudySources.start(this.directory, plan, {
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
    })
      .then(
        (sources) => {
          this.#sources = sources;
        },
        (error: unknown) => {
          // Our errors (port in use, folder missing) say what to do; anything else may quote a path in
          // its message (shared/log-safety.ts), so it is logged and the screen gets a general sentence.
          const sentence = safeMessage(error);
          this.#sourcesProblem =
            sentence ??
            'The DICOM receiver or the watched folder could not start; the details are in the log.';
          if (sentence === null) this.#options.logger?.error({ err: error }, 'study sources failed');
        },
      )
      .finally(() => {
        this.#sourcesStarting = null;
      });
  }

  #openAgentIfReady(): void {
    if (!existsSync(sitePaths(this.directory).config)) return;
    this.#agent ??= SiteAgent.open(this.directory, {
      actor: this.actor(),
      ...(this.#options.logger ? { logger: this.#options.logger } : {}),
    });
    this.#startSources();
    if (this.#options.autoStartFederation !== false && isEnrolled(this.directory)) this.federation.start();
  }
}

/**
 * A member of the agent found by its path when used, not when taken: handlers may keep `agent.consent`
 * from before the site existed. Once the agent exists, values are the agent's own (methods bound).
 */
function lazyMember(current: () => SiteAgent | null, path: readonly PropertyKey[]): unknown {
  const resolve = (keys: readonly PropertyKey[]): { owner: unknown; value: unknown } => {
    const agent = current();
    if (!agent) throw new SiteNotSetUpError();
    let owner: unknown = undefined;
    let value: unknown = agent;
    for (const key of keys) {
      owner = value;
      value = Reflect.get(owner as object, key);
    }
    return { owner, value };
  };
  return new Proxy(function member() {}, {
    get: (_target, key) => {
      if (current() === null) return lazyMember(current, [...path, key]);
      const { owner, value } = resolve([...path, key]);
      return typeof value === 'function' ? (value as () => unknown).bind(owner) : value;
    },
    apply: (_target, _this, args: unknown[]) => {
      const { owner, value } = resolve(path);
      if (typeof value !== 'function') throw new SiteNotSetUpError();
      return (value as (...a: unknown[]) => unknown).apply(owner, args);
    },
  });
}
