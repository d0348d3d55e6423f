// The structured log of a command working on a site: pino's JSON lines go to the site's log file
// (D/logs/radfed.log, private to the site's user), never to the terminal, which shows people sentences.
// RADFED_LOG_LEVEL sets the level (default info).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { createLogger, silentLogger, type LogRoom } from '../shared/node/index.ts';

/** D/logs/radfed.log: one file per site, appended to by every command and service. */
export function siteLogFile(siteDirectory: string): string {
  return join(siteDirectory, 'logs', 'radfed.log');
}

/**
 * The logger for a command on the site in `siteDirectory`. A folder that is not a site gets a silent
 * one (and no logs folder): opening it fails with its own sentence right after.
 */
export function siteLogger(siteDirectory: string, room: LogRoom = 'site'): Logger {
  if (!existsSync(join(siteDirectory, 'site.json'))) return silentLogger();
  // The factory makes the logs folder (0700) and the file (0600) and writes synchronously, so a
  // command's last lines are in the file when it exits, even on an error.
  return createLogger({ room, destination: { file: siteLogFile(siteDirectory) } });
}
