// IPC handlers of the Review page: the files de-identification held back (main/site/held), each with
// its reason in plain words and a preview rendered here from the quarantined original, the actions on
// them, and the site's held-file policy (IT may lock it: `studies.heldFilePolicy`). Every action is
// audited under the session's person (`agent.actor`); nothing sent back carries a header value.
import { userInfo } from 'node:os';
import type { HeldFilePolicy, HeldQueueView } from '../../../shared/ipc/index.ts';
import {
  cleanAndRelease,
  currentHeldFilePolicy,
  deleteHeld,
  HeldPolicyLockedError,
  heldPreviewView,
  listHeldFiles,
  releaseAsIs,
  setHeldFilePolicy,
} from '../held/index.ts';
import type { IngestSite } from '../ingest/index.ts';
import type { SettingsPort } from './handlers-settings.ts';
import type { IpcHandlers } from './ipc-handlers.ts';

/** What the Review handlers need of the site agent; `SiteAgent` has it. */
export interface HeldAgentPort {
  readonly site: IngestSite;
  /** The person audit entries name (the session's operator); default: the account running the agent. */
  readonly actor?: string;
}

export type HeldHandlers = Pick<
  IpcHandlers,
  'held:list' | 'held:preview' | 'held:release-as-is' | 'held:clean' | 'held:delete' | 'held:set-policy'
>;

const LOCKED_KEY = 'studies.heldFilePolicy';
/** Named in the audit entry when IT's locked value is written into site.json. */
const IT_LOCK_ACTOR = 'IT department (locked setting)';

function accountName(): string {
  try {
    return userInfo().username.trim() || 'unknown account';
  } catch {
    return 'unknown account';
  }
}

export function createHeldHandlers(agent: HeldAgentPort, settings?: SettingsPort): HeldHandlers {
  const options = () => ({ actor: agent.actor ?? accountName() });
  const lockedPolicy = (): HeldFilePolicy | null => {
    const entry = settings?.view().settings[LOCKED_KEY];
    return entry?.locked ? (entry.value as HeldFilePolicy) : null;
  };
  /** IT's lock is what the site follows, headless commands included: they read site.json. */
  const followLock = (): HeldFilePolicy | null => {
    const locked = lockedPolicy();
    if (locked !== null) setHeldFilePolicy(agent.site, locked, { actor: IT_LOCK_ACTOR });
    return locked;
  };
  // Once when the screens start, so the lock holds before anyone opens the Review page (a site not
  // set up yet has nothing to follow it: the next list does it).
  try {
    followLock();
  } catch {
    // No site yet (site-not-set-up), or settings unreadable: nothing to write now.
  }
  const queue = (): HeldQueueView => {
    const locked = followLock();
    return {
      files: listHeldFiles(agent.site),
      policy: currentHeldFilePolicy(agent.site),
      policyLocked: locked !== null,
    };
  };
  return {
    'held:list': queue,
    'held:preview': ({ id }) => heldPreviewView(agent.site, id),
    'held:release-as-is': ({ id, confirmedBy }) => releaseAsIs(agent.site, id, confirmedBy, options()),
    'held:clean': ({ id }) => cleanAndRelease(agent.site, id, options()),
    'held:delete': ({ id }) => deleteHeld(agent.site, id, options()),
    'held:set-policy': ({ policy }) => {
      if (lockedPolicy() !== null) throw new HeldPolicyLockedError();
      setHeldFilePolicy(agent.site, policy, options());
      return queue();
    },
  };
}
