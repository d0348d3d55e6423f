// Where the user's own RadFed configuration lives when no site folder is named.
import { homedir } from 'node:os';
import { join } from 'node:path';

export function userConfigDirectory(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RADFED_HOME) return env.RADFED_HOME;
  if (process.platform === 'win32' && env.APPDATA) return join(env.APPDATA, 'RadFed');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'RadFed');
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'radfed');
}

/** The default site key for `radfed deid` without --key. */
export function defaultKeyPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(userConfigDirectory(env), 'site.key');
}
