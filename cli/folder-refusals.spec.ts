// A folder that cannot be made, given to a command that makes one: each command fails at once with a
// sentence. `radfed hub init --dir /proc/x` (and site init, swarm init, swarm join, relay init, synth,
// and deid with OUT or --key there) never returned: Node's mkdirSync(…, { recursive: true }) loops for ever when mkdir(2)
// answers ENOENT under an existing parent, as /proc does (shared/node/make-folder.ts).
//
// The commands run in child processes, so a hang is a child still running, killed after 60 s and
// reported; these commands take a few seconds. The limit is a guard against a hang, not a speed test.
import { chmodSync, existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createTask, initHub, openHubContext } from '../hub/index.ts';
import { testTask, testWeights } from '../hub/testing/test-hub.ts';
import { workFolder } from '../main/site/batch/test-files.ts';
import { encodeWeights } from '../shared/federation/index.ts';
import { startRadfed } from '../main/site/ingest/test-ingest-support.ts';

const work = workFolder('folder-refusals');
const HANG_GUARD_MS = 60_000;

async function runOrKill(args: string[], options: { asUnprivileged?: boolean } = {}) {
  const { child, done } = startRadfed(work, args, options);
  const guard = setTimeout(() => child.kill('SIGKILL'), HANG_GUARD_MS);
  try {
    return await done;
  } finally {
    clearTimeout(guard);
  }
}

const SPECIAL =
  'a folder above it is a special system folder (such as /proc or /sys) that cannot hold folders. Choose a folder on a disk';

const commands: Array<[string, (dir: string) => string[], string]> = [
  ['hub init', (dir) => ['hub', 'init', '--dir', dir], 'the hub folder (--dir)'],
  [
    'site init',
    (dir) => ['site', 'init', '--dir', dir, '--name', 'Refused', '--consent-policy', 'opt-out'],
    'the site folder',
  ],
  [
    'swarm init',
    (dir) => [
      'swarm',
      'init',
      '--dir',
      dir,
      '--name',
      'S',
      '--site-name',
      'A',
      '--address',
      'https://127.0.0.1:9',
    ],
    'the site folder (--dir)',
  ],
  [
    'relay init',
    (dir) => ['relay', 'init', '--dir', dir, '--address', 'https://127.0.0.1:9'],
    'the relay folder (--dir)',
  ],
  ['synth', (dir) => ['synth', dir, '--sites', '1', '--patients', '1'], 'the output folder (OUT)'],
];

describe.skipIf(!existsSync('/proc/self'))('a folder under /proc', () => {
  for (const [name, args, what] of commands) {
    it(`${name}: fails at once with a sentence instead of hanging`, async () => {
      const run = await runOrKill(args('/proc/radfed-x/y'));
      expect(run.signal, 'killed: the command hung').toBeNull();
      expect(run.status).toBe(1);
      expect(run.err).toBe(`radfed: Cannot create ${what}: ${SPECIAL}, e.g. under your home folder.\n`);
    }, 90_000);
  }

  it('deid: an OUT or a --key under /proc fails before any file is read', async () => {
    const input = join(work, 'empty-input');
    mkdirSync(input, { recursive: true });
    const run = await runOrKill(['deid', input, '/proc/radfed-x/out', '--key', join(work, 'deid.key')]);
    expect(run.signal, 'killed: the command hung').toBeNull();
    expect(run.status).toBe(1);
    expect(run.err).toContain(`radfed: Cannot create the output folder (OUT): ${SPECIAL}`);
    const key = await runOrKill(['deid', input, join(work, 'deid-out'), '--key', '/proc/radfed-x/site.key']);
    expect(key.signal, 'killed: the command hung').toBeNull();
    expect(key.err).toContain(`radfed: Cannot create the folder of the site key: ${SPECIAL}`);
  }, 150_000);
  it('hub model export: an --out under /proc fails with a sentence', async () => {
    const hub = join(work, 'export-hub');
    await initHub({ dir: hub, name: 'export hub' });
    const ctx = openHubContext(hub);
    let taskId: string;
    try {
      taskId = (await createTask(ctx, testTask({ name: 'export' }), encodeWeights(testWeights(1)))).id;
    } finally {
      await ctx.store.close();
    }
    const run = await runOrKill([
      'hub',
      'model',
      'export',
      '--dir',
      hub,
      '--task',
      taskId,
      '--out',
      '/proc/radfed-x/m',
    ]);
    expect(run.signal, 'killed: the command hung').toBeNull();
    expect(run.status).toBe(1);
    expect(run.err).toBe(
      `radfed: Cannot create the output folder (--out): ${SPECIAL}, e.g. under your home folder.\n`,
    );
  }, 150_000);
});

describe('a folder this user may not write in', () => {
  const readOnly = join(work, 'read-only');
  mkdirSync(readOnly);
  chmodSync(readOnly, 0o555);

  for (const [name, args, what] of commands.slice(0, 3)) {
    it(`${name}: says this user may not create folders there`, async () => {
      // As root, with the capability that writes anywhere dropped (test-ingest-support.ts).
      const run = await runOrKill(args(join(readOnly, 'new')), { asUnprivileged: true });
      expect(run.status).toBe(1);
      expect(run.err).toBe(
        `radfed: Cannot create ${what}: this user may not create folders there. Choose a folder this user may write to, or ask IT to give this user one.\n`,
      );
      expect(existsSync(join(readOnly, 'new'))).toBe(false);
    }, 90_000);
  }
});
