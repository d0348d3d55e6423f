// settings:split-limits and settings:set-split-limits: split learning's leakage limits on the Settings page
// (split-limits.ts). IT's locks come through the same settings port as settings:get; each change is
// audited under the session's person.
import { commandActor } from '../audit/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import type { SettingsPort } from './handlers-settings.ts';
import type { IpcHandlers } from './ipc-handlers.ts';
import { setSplitLimits, splitLimitsView, type SplitLimitsContext } from './split-limits.ts';

/** What the handlers need of the site agent; `SiteAgent` has it. */
export interface SplitLimitsAgentPort {
  readonly site: IngestSite;
  /** The person audit entries name (the session's operator); default: the account running the agent. */
  readonly actor?: string;
}

export type SplitLimitsHandlers = Pick<IpcHandlers, 'settings:split-limits' | 'settings:set-split-limits'>;

export function createSplitLimitsHandlers(
  agent: SplitLimitsAgentPort,
  settings?: SettingsPort,
): SplitLimitsHandlers {
  const context = (): SplitLimitsContext => ({
    site: agent.site,
    settings: settings?.view() ?? null,
    actor: agent.actor ?? commandActor(),
  });
  return {
    'settings:split-limits': () => splitLimitsView(context()),
    'settings:set-split-limits': (change) => setSplitLimits(context(), change),
  };
}
