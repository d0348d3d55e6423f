// Reading the small settings file of a swarm member's or a relay's folder (swarm.json, relay.json): a
// folder without the file or its signing key was never set up; a file that is not JSON or not of the
// schema is damaged. Both are refused with a sentence that says what to do, never a parser's message
// (which could quote the file).
import { existsSync, readFileSync } from 'node:fs';
import type { z } from 'zod';
import { SwarmError } from './swarm-error.ts';

export function readFolderSettings<T>(
  paths: { readonly settings: string; readonly signingKey: string },
  schema: z.ZodType<T>,
  words: { readonly notSetUp: string; readonly damaged: string },
): T {
  if (!existsSync(paths.settings)) throw new SwarmError('not-founded', words.notSetUp);
  // The file is read before the key is looked for: a damaged file is said to be damaged even in a
  // folder whose keys are missing too (it was never set up, or its keys went), not "never set up".
  const settings = readSettingsFile(paths.settings, schema, words.damaged);
  if (!existsSync(paths.signingKey)) throw new SwarmError('not-founded', words.notSetUp);
  return settings;
}

/**
 * The settings file alone, whether or not the folder's key is there: what an init that keeps some of
 * the old settings reads (a relay's admitted swarms), so that a folder whose key went is set up again
 * rather than refused as "never set up" by the command that sets it up.
 */
export function readSettingsFile<T>(path: string, schema: z.ZodType<T>, damaged: string): T {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    throw new SwarmError('bad-message', damaged);
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new SwarmError('bad-message', damaged);
  return parsed.data;
}
