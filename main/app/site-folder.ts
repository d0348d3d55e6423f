// Which folder holds this workstation's site: RADFED_SITE_DIR when set (hospital IT, tests), else
// `site` under Electron's per-user data folder.
import { join, resolve } from 'node:path';

export function resolveSiteFolder(env: NodeJS.ProcessEnv, userDataDir: string): string {
  const configured = env.RADFED_SITE_DIR?.trim();
  return configured ? resolve(configured) : join(userDataDir, 'site');
}
