// A swarm member's and a relay's folder settings (swarm.json, relay.json) read through one home: a
// folder never set up, a file cut off mid-write or edited by hand into something that is not JSON, and
// a file of the wrong shape are each refused with a sentence naming the command to run, a damaged file
// as damaged even when the folder's keys are missing too. (A file that was not JSON once escaped as the
// parser's SyntaxError, which quotes the file's text.)
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readRelaySettings, relayPaths } from './relay/relay-home.ts';
import { readSwarmSettings, swarmPaths } from './swarm-site.ts';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

/**
 * A folder holding `settings` as its settings file's text (none when null), and a signing key file
 * unless `withKey` is false.
 */
function folderWith(
  paths: (dir: string) => { settings: string; signingKey: string },
  settings: string | null,
  withKey = true,
) {
  const dir = mkdtempSync(join(tmpdir(), 'radfed-folder-settings-'));
  folders.push(dir);
  const { settings: file, signingKey } = paths(dir);
  mkdirSync(join(dir, 'keys'), { recursive: true });
  if (withKey) writeFileSync(signingKey, 'not read here');
  if (settings !== null) writeFileSync(file, settings);
  return dir;
}

describe.each([
  {
    what: 'swarm member',
    paths: swarmPaths,
    read: readSwarmSettings,
    command: 'radfed swarm init',
    sound: { name: 'Alder', address: 'https://alder.example:8470' },
  },
  {
    what: 'relay',
    paths: relayPaths,
    read: readRelaySettings,
    command: 'radfed relay init',
    sound: { address: 'https://relay.example:8471', swarms: [] },
  },
])('the $what folder settings', ({ paths, read, command, sound }) => {
  it('a folder never set up is refused as not founded, naming the command', () => {
    const dir = folderWith(paths, null);
    expect(() => read(dir)).toThrow(expect.objectContaining({ code: 'not-founded' }));
    expect(() => read(dir)).toThrow(command);
  });

  it.each([
    ['cut off mid-write', '{"name": "Patient Jane Doe'],
    ['not JSON at all', 'Patient Jane Doe'],
    ['of the wrong shape', '{"unexpected": true}'],
  ])('a file %s is refused as damaged, naming the command and quoting nothing of it', (_, text) => {
    const dir = folderWith(paths, text);
    let thrown: unknown;
    try {
      read(dir);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ code: 'bad-message' });
    expect((thrown as Error).message).toMatch(`${command}\` again`);
    expect((thrown as Error).message).not.toMatch(/Jane/);
  });

  // Before, the missing key was looked for first, and a damaged file was said to hold no member at all.
  it('a damaged file in a folder with no keys yet is refused as damaged, not as never set up', () => {
    const dir = folderWith(paths, '{"name": "Patient Jane Doe', false);
    expect(() => read(dir)).toThrow(expect.objectContaining({ code: 'bad-message' }));
    expect(() => read(dir)).toThrow(/damaged/);
    expect(() => read(dir)).toThrow(`${command}\` again`);
  });

  it('a sound file in a folder whose signing key is missing is refused as not set up', () => {
    const dir = folderWith(paths, JSON.stringify(sound), false);
    expect(() => read(dir)).toThrow(expect.objectContaining({ code: 'not-founded' }));
  });
});
