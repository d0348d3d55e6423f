// Which folder holds this workstation's site: RADFED_SITE_DIR when set (tests, scripts), else the
// `site.folder` setting (hospital IT, docs/settings.md), else `site` under Electron's per-user data folder.
import { join, resolve } from 'node:path';

export function resolveSiteFolder(
  env: NodeJS.ProcessEnv,
  userDataDir: string,
  configured: string | null = null,
): string {
  const fromEnv = env.RADFED_SITE_DIR?.trim();
  if (fromEnv) return resolve(fromEnv);
  return configured ? resolve(configured) : join(userDataDir, 'site');
}
