// setup:* and federation:* channels. The work is done by a SiteSession (site-session.ts) in the local
// web UI, or whatever the desktop shell passes that has the same shape.
import type {
  DeviceReport,
  FederationProgress,
  FederationTaskItem,
  HubCheckRequest,
  HubCheckResult,
  SetupRequest,
  SetupResult,
  SetupState,
  StudySourcesView,
} from '../../../shared/ipc/index.ts';
import type { SettingsPort } from './handlers-settings.ts';
import { refuseLockedChanges } from './setup-locks.ts';
import { RadfedError } from '../../../shared/errors.ts';

/** What setup:* needs; SiteSession satisfies it. */
export interface SetupPort {
  state(): SetupState;
  checkHub(request: HubCheckRequest): Promise<HubCheckResult>;
  device(): Promise<DeviceReport>;
  finish(request: SetupRequest): Promise<SetupResult>;
  /** The receiver and watched folder the session runs; a shell without them answers "none". */
  studySources?(): StudySourcesView;
}

const NO_STUDY_SOURCES: StudySourcesView = {
  receiver: null,
  watch: null,
  running: false,
  lastEvent: null,
  problem: null,
};

/** What federation:* needs; SiteSession's FederationService satisfies it. */
export interface FederationPort {
  tasks(): Promise<FederationTaskItem[]>;
  approve(taskId: string): Promise<FederationTaskItem>;
  decline(taskId: string): Promise<FederationTaskItem>;
  withdraw(taskId: string): Promise<FederationTaskItem>;
  progress(): FederationProgress;
  setRunning(running: boolean): Promise<FederationProgress>;
}

export class ServiceUnavailableError extends RadfedError<'service-unavailable'> {
  override readonly name = 'ServiceUnavailableError';
  constructor(what: string) {
    super(
      'service-unavailable',
      `This RadFed agent was started without its ${what}, so this screen cannot work here. Open it from the app or \`radfed site ui\`.`,
    );
  }
}

export function createSetupHandlers(
  setup: SetupPort | undefined,
  federation: FederationPort | undefined,
  /** IT's locks: a locked key of the site cannot be changed through setup:finish (Settings, wizard). */
  settings?: Pick<SettingsPort, 'view'>,
) {
  const setupPort = (): SetupPort => {
    if (!setup) throw new ServiceUnavailableError('setup service');
    return setup;
  };
  const federationPort = (): FederationPort => {
    if (!federation) throw new ServiceUnavailableError('federation service');
    return federation;
  };
  return {
    'site:sources': () => setup?.studySources?.() ?? NO_STUDY_SOURCES,
    'setup:state': () => setupPort().state(),
    'setup:check-hub': (request: HubCheckRequest) => setupPort().checkHub(request),
    'setup:device': () => setupPort().device(),
    'setup:finish': (request: SetupRequest) => {
      const port = setupPort();
      if (settings) refuseLockedChanges(request, port.state(), settings.view());
      return port.finish(request);
    },
    'federation:tasks': () => federationPort().tasks(),
    'federation:approve': ({ taskId }: { taskId: string }) => federationPort().approve(taskId),
    'federation:decline': ({ taskId }: { taskId: string }) => federationPort().decline(taskId),
    'federation:withdraw': ({ taskId }: { taskId: string }) => federationPort().withdraw(taskId),
    'federation:progress': () => federationPort().progress(),
    'federation:set-running': ({ running }: { running: boolean }) => federationPort().setRunning(running),
  } as const;
}
