// The structured log of a command working on a site: pino's JSON lines go to the site's log file
// (D/logs/radfed.log, private to the site's user), never to the terminal, which shows people sentences.
// RADFED_LOG_LEVEL sets the level (default info).
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import pino, { type Logger } from 'pino';

/** D/logs/radfed.log: one file per site, appended to by every command and service. */
export function siteLogFile(siteDirectory: string): string {
  return join(siteDirectory, 'logs', 'radfed.log');
}

/**
 * The logger for a command on the site in `siteDirectory`. A folder that is not a site gets a silent
 * one (and no logs folder): opening it fails with its own sentence right after.
 */
export function siteLogger(siteDirectory: string, name = 'radfed-site'): Logger {
  if (!existsSync(join(siteDirectory, 'site.json'))) return pino({ level: 'silent' });
  const folder = join(siteDirectory, 'logs');
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const file = siteLogFile(siteDirectory);
  // Synchronous writes: a command's last lines are in the file when it exits, even on an error.
  const destination = pino.destination({ dest: file, sync: true, mode: 0o600 });
  chmodSync(file, 0o600);
  return pino({ name, level: process.env.RADFED_LOG_LEVEL ?? 'info' }, destination);
}
