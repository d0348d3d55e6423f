// The handler map and the one wrapper every IPC call goes through, shared by the Electron main process
// (ipcMain.handle) and the local web UI (POST /api/invoke). Plain Node: nothing here imports Electron.
import {
  ipcFail,
  ipcOk,
  ipcContract,
  isIpcChannelName,
  type IpcChannelName,
  type IpcError,
  type IpcRequest,
  type IpcResponse,
  type IpcResult,
  type SiteStatus,
} from '../../../shared/ipc/index.ts';
import { RadfedError } from '../../../shared/errors.ts';
import { safeMessage } from '../../../shared/log-safety.ts';
import { issuePath, issueText } from '../../../shared/schema-issues.ts';
import { createSettingsHandlers, type SettingsPort } from './handlers-settings.ts';
import { createSetupHandlers, type FederationPort, type SetupPort } from './handlers-setup.ts';
import { createAuditHandlers, type AuditAgentPort } from './handlers-audit.ts';
import { createCohortHandlers, type CohortAgentPort } from './handlers-cohort.ts';
import { createConsentHandlers, type ConsentAgentPort } from './handlers-consent.ts';
import { createStudiesHandlers, type StudiesAgentPort } from './handlers-studies.ts';
import { createFirstDayHandlers } from './handlers-first-day.ts';
import { createFolderHandlers, type FolderDialogPort } from './handlers-folders.ts';
import { createHeldHandlers, type HeldAgentPort } from './handlers-held.ts';
import { createSplitLimitsHandlers } from './handlers-split-limits.ts';
import { createSwarmHandlers } from './handlers-swarm.ts';

/** What the handlers need from the site agent; `SiteAgent` satisfies it. */
export interface SiteAgentPort
  extends StudiesAgentPort, ConsentAgentPort, AuditAgentPort, CohortAgentPort, HeldAgentPort {
  status(): SiteStatus | Promise<SiteStatus>;
}

/** Where failures the agent did not describe are logged (a pino logger fits). */
export interface IpcLogger {
  error(details: object, message: string): void;
}

export type IpcHandlers = {
  readonly [C in IpcChannelName]: (payload: IpcRequest<C>) => IpcResponse<C> | Promise<IpcResponse<C>>;
};

/** Validates, calls the handler, and answers an envelope; never throws, never returns a stack trace. */
export type IpcDispatch = (channel: unknown, payload: unknown) => Promise<IpcResult<unknown>>;

/** Services beside the agent; without `settings`, settings:get and settings:set answer settings-unavailable. */
export interface IpcServicePorts {
  settings?: SettingsPort;
  /** setup:* (the setup wizard); without it they answer service-unavailable. */
  setup?: SetupPort;
  /** federation:* (Training page); without it they answer service-unavailable. */
  federation?: FederationPort;
  /** The system's folder dialog (the app); without it the Browse button uses the agent's folder browser. */
  folderDialog?: FolderDialogPort;
}

export function createIpcHandlers(agent: SiteAgentPort, ports: IpcServicePorts = {}): IpcHandlers {
  return Object.freeze({
    'site:status': () => agent.status(),
    ...createSettingsHandlers(ports.settings),
    ...createSetupHandlers(ports.setup, ports.federation, ports.settings),
    ...createStudiesHandlers(agent),
    ...createConsentHandlers(agent),
    ...createAuditHandlers(agent),
    ...createCohortHandlers(agent),
    ...createFirstDayHandlers(agent),
    ...createFolderHandlers(ports.folderDialog),
    ...createHeldHandlers(agent, ports.settings),
    ...createSwarmHandlers(agent),
    ...createSplitLimitsHandlers(agent, ports.settings),
  });
}

export function createIpcDispatcher(
  handlers: IpcHandlers,
  options: { logger?: IpcLogger } = {},
): IpcDispatch {
  return async (channel, payload) => {
    if (!isIpcChannelName(channel)) {
      return ipcFail(
        'unknown-channel',
        `RadFed has no request called "${String(channel).slice(0, 60)}". The screen and the agent may be different versions: restart RadFed.`,
      );
    }
    const parsed = ipcContract[channel].request.safeParse(payload);
    if (!parsed.success) {
      // By path and expected type: zod's own words quote an unknown key or a record's key, which a
      // payload (a consent form, a label) may have filled with a value (shared/schema-issues.ts).
      const issue = parsed.error.issues[0];
      const where = (issue && issuePath(issue.path)) || 'payload';
      return ipcFail(
        'invalid-payload',
        `The request "${channel}" was not valid (${where}: ${issue ? issueText(issue) : 'rejected'}). This is a fault in the screen that sent it: restart RadFed.`,
      );
    }
    try {
      const handler = handlers[channel] as (payload: unknown) => unknown;
      return ipcOk(await handler(parsed.data));
    } catch (error) {
      const described = describeAgentError(error);
      if (described) return { ok: false, error: described };
      options.logger?.error({ err: error, channel }, 'IPC handler failed');
      return ipcFail(
        'internal',
        'The site agent hit an unexpected problem and could not answer. The details are in its log; try again, and restart RadFed if it keeps happening.',
      );
    }
  };
}

/**
 * Our errors (RadfedError) carry a sentence written for a person, so it is passed on. Anything else
 * (Node's ENOENT, SQLite's SQLITE_BUSY, a TypeError) may quote a path or a value in its message and is
 * reported only as `internal`. shared/log-safety.ts decides which is which.
 */
function describeAgentError(error: unknown): IpcError | null {
  const message = safeMessage(error);
  return message === null || !(error instanceof RadfedError) ? null : { code: error.code, message };
}
