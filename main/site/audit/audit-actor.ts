// Who an audit entry names: always a person a privacy officer can ask, never a role like "operator".
// The desktop app names the operator (the name given at setup) and the account signed in to the
// workstation; `radfed site ui` names the operator (the account running it until a name is given);
// commands name the account that ran them. Unattended work (the DICOM receiver, a federated round
// sent in the background) is recorded under the account the service runs as.
import { userInfo } from 'node:os';

/** Where an action came from: it decides which names the actor carries. */
export type ActorOrigin = 'desktop' | 'site-ui' | 'command';

/** The operating-system account this process runs as (the signed-in user on a workstation). */
export function osUserName(env: NodeJS.ProcessEnv = process.env): string {
  try {
    const name = userInfo().username.trim();
    if (name !== '') return name;
  } catch {
    // No passwd entry for this uid (some containers): the environment's word is the best there is.
  }
  return (env.USER ?? env.USERNAME ?? env.LOGNAME ?? '').trim() || 'unknown account';
}

/** The actor of a command run from a terminal: the account that ran it. */
export function commandActor(): string {
  return osUserName();
}

/**
 * The actor for an entry point. `operatorName` is the name given at setup (site.json's operatorName),
 * null before setup or for a site made before the name was asked for.
 */
export function actorFor(
  origin: ActorOrigin,
  operatorName: string | null | undefined,
  osUser: string = osUserName(),
): string {
  const name = operatorName?.trim() ?? '';
  switch (origin) {
    case 'desktop':
      return name === '' ? osUser : `${name} (${osUser})`;
    case 'site-ui':
      return name === '' ? osUser : name;
    case 'command':
      return osUser;
  }
}
