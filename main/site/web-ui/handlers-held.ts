// IPC handlers of the Review page: the files de-identification held back (main/site/held), each with
// its reason in plain words and a preview rendered here from the quarantined original, and the
// actions on them. Every action is audited under the session's person (`agent.actor`), and nothing
// sent back carries a value from a file's header.
import { userInfo } from 'node:os';
import type { IngestSite } from '../ingest/index.ts';
import {
  deleteHeld,
  currentHeldFilePolicy,
  heldPreviewView,
  listHeldFiles,
  releaseAsIs,
  cleanAndRelease,
} from '../held/index.ts';
import type { IpcHandlers } from './ipc-handlers.ts';

/** What the Review handlers need of the site agent; `SiteAgent` has it. */
export interface HeldAgentPort {
  readonly site: IngestSite;
  /** The person audit entries name (the session's operator); default: the account running the agent. */
  readonly actor?: string;
}

export type HeldHandlers = Pick<
  IpcHandlers,
  'held:list' | 'held:preview' | 'held:release-as-is' | 'held:clean' | 'held:delete'
>;

function accountName(): string {
  try {
    return userInfo().username.trim() || 'unknown account';
  } catch {
    return 'unknown account';
  }
}

export function createHeldHandlers(agent: HeldAgentPort): HeldHandlers {
  const options = () => ({ actor: agent.actor ?? accountName() });
  return {
    'held:list': () => ({ files: listHeldFiles(agent.site), policy: currentHeldFilePolicy(agent.site) }),
    'held:preview': ({ id }) => heldPreviewView(agent.site, id),
    'held:release-as-is': ({ id, confirmedBy }) => releaseAsIs(agent.site, id, confirmedBy, options()),
    'held:clean': ({ id }) => cleanAndRelease(agent.site, id, options()),
    'held:delete': ({ id }) => deleteHeld(agent.site, id, options()),
  };
}
