// What `radfed swarm init|join` and `radfed relay init` leave in a folder when they refuse, and the way
// out of a damaged settings file, through the real entry:
// - a refused argument (an address, a name the ledger cannot hold, a pasted token that is no
//   invitation) leaves no folder behind: each was once checked after the folder, keys and settings
//   file were made (and a name with an accent was refused by the ledger's own check, as "the swarm
//   ledger is wrong at height 0");
// - a damaged relay.json sent `relay init` round in a loop ("run `radfed relay init` again", refused
//   by the same sentence), as did a relay.json whose key had gone ("run `radfed relay init` first");
// - `swarm init` in a folder already in a swarm rewrote its swarm.json from the flags before it
//   refused, so the member no longer matched its card in the ledger; now it writes nothing, and a
//   member whose swarm.json is damaged gets it back from that card, as the damaged file's sentence says.
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

const folder = mkdtempSync(join(tmpdir(), 'radfed-swarm-folders-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

let count = 0;
const fresh = (name: string) => join(folder, `${name}-${++count}`);
const ADDRESS = 'https://127.0.0.1:9';
const swarmInit = (dir: string, ...flags: string[]) =>
  runRadfed('swarm', 'init', '--dir', dir, '--name', 'S', ...flags);

describe('a refused init or join leaves nothing behind', () => {
  const refusals: Array<[string, (dir: string) => string[], RegExp]> = [
    [
      'swarm init with an address that is no URL',
      (dir) => ['swarm', 'init', '--dir', dir, '--name', 'S', '--site-name', 'A', '--address', 'alder:8470'],
      /^radfed: Give the https:\/\/ address other members reach this site at/,
    ],
    [
      'swarm init with a site name the ledger cannot hold',
      (dir) => ['swarm', 'init', '--dir', dir, '--name', 'S', '--site-name', 'Hôpital', '--address', ADDRESS],
      /^radfed: Give this site a name of 1 to 200 characters: English letters without accents/,
    ],
    [
      'swarm init with an empty swarm name',
      (dir) => ['swarm', 'init', '--dir', dir, '--name', ' ', '--site-name', 'A', '--address', ADDRESS],
      /^radfed: Give the swarm a name of 1 to 200 characters/,
    ],
    [
      'swarm join with an address that is no URL',
      (dir) => ['swarm', 'join', 'rfs1.x', '--dir', dir, '--site-name', 'B', '--address', 'birch'],
      /^radfed: Give the https:\/\/ address other members reach this site at/,
    ],
    [
      'swarm join with a token that is no invitation',
      (dir) => ['swarm', 'join', 'rfs1.x', '--dir', dir, '--site-name', 'B', '--address', ADDRESS],
      /^radfed: This is not a RadFed swarm invitation/,
    ],
    [
      'relay init with an http:// address',
      (dir) => ['relay', 'init', '--dir', dir, '--address', 'http://127.0.0.1:8471'],
      /^radfed: Give the relay the https:\/\/ address members reach it at/,
    ],
  ];
  for (const [what, args, sentence] of refusals) {
    it(`${what}: the sentence, and no folder`, async () => {
      const dir = fresh('refused');
      const run = await runRadfed(...args(join(dir, 'inner')));
      expect(run.status).toBe(1);
      expect(run.err).toMatch(sentence);
      expect(existsSync(dir)).toBe(false);
    });
  }
});

describe('a relay folder with a damaged relay.json', () => {
  it('init says to move it aside; done so, init makes the file afresh with the same key and address', async () => {
    const relay = fresh('relay');
    const first = await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8471');
    expect(first.status).toBe(0);
    const address = /--relay (\S+)`/.exec(first.out)?.[1];
    expect(address).toMatch(/^relay\+https:/);
    writeFileSync(join(relay, 'relay.json'), '{"address": "https://rel');

    // Before: "relay.json in this folder is damaged; run `radfed relay init` again", from init itself.
    const again = await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8471');
    expect(again.status).toBe(1);
    expect(again.err).toMatch(
      /relay\.json in this folder is damaged\. Restore it from a backup, or move it aside/,
    );
    const serve = await runRadfed('relay', 'serve', '--dir', relay);
    expect(serve.err).toBe(again.err);

    renameSync(join(relay, 'relay.json'), join(relay, 'relay.json.damaged'));
    const moved = await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8471');
    expect(moved.status).toBe(0);
    expect(moved.out).toContain(`--relay ${address}\``);
    expect(JSON.parse(readFileSync(join(relay, 'relay.json'), 'utf8'))).toEqual({
      address: 'https://127.0.0.1:8471',
      swarms: [],
    });
  });

  it('init in a folder whose key went makes a new key and keeps the swarms it admitted', async () => {
    const relay = fresh('relay');
    await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8471');
    const swarm = 'ab'.repeat(32);
    expect((await runRadfed('relay', 'admit', '--dir', relay, '--swarm', swarm)).status).toBe(0);
    unlinkSync(join(relay, 'keys', 'relay-signing.pem'));
    // Before: "This folder holds no relay: run `radfed relay init` first", from init itself.
    const again = await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8472');
    expect(again.err).toBe('');
    expect(again.status).toBe(0);
    expect(JSON.parse(readFileSync(join(relay, 'relay.json'), 'utf8'))).toEqual({
      address: 'https://127.0.0.1:8472',
      swarms: [swarm],
    });
  });
});

describe('a swarm member folder and init or join run in it again', () => {
  it('a site already in a swarm keeps the name and address of its card: init changes nothing', async () => {
    const dir = fresh('member');
    expect((await swarmInit(dir, '--site-name', 'Alder', '--address', ADDRESS)).status).toBe(0);
    const before = readFileSync(join(dir, 'swarm.json'), 'utf8');
    const again = await swarmInit(dir, '--site-name', 'Birch', '--address', 'https://127.0.0.1:10');
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/This site is already in swarm "S" .*; nothing was changed\./);
    expect(readFileSync(join(dir, 'swarm.json'), 'utf8')).toBe(before);
  });

  it.each([['init'], ['join']])(
    'a member whose swarm.json is damaged gets it back from its card when it runs %s again, as the sentence says',
    async (command) => {
      const dir = fresh('member');
      expect((await swarmInit(dir, '--site-name', 'Alder', '--address', ADDRESS)).status).toBe(0);
      writeFileSync(join(dir, 'swarm.json'), '{"name": "Ald');
      const status = await runRadfed('swarm', 'status', '--dir', dir);
      expect(status.status).toBe(1);
      expect(status.err).toMatch(/swarm\.json in this folder is damaged\. Run `radfed swarm init` again/);

      const flags = ['--dir', dir, '--site-name', 'Other', '--address', 'https://127.0.0.1:10'];
      const again =
        command === 'init'
          ? await swarmInit(dir, ...flags.slice(2))
          : await runRadfed('swarm', 'join', invitationFor(), ...flags);
      expect(again.err).toBe('');
      expect(again.status).toBe(0);
      expect(again.out).toMatch(
        /already in swarm "S", so nothing was (founded|joined)\. Its swarm\.json was damaged/,
      );
      expect(again.out).toContain(`Alder at ${ADDRESS}`);
      expect(JSON.parse(readFileSync(join(dir, 'swarm.json'), 'utf8'))).toEqual({
        name: 'Alder',
        address: ADDRESS,
      });
      const after = await runRadfed('swarm', 'status', '--dir', dir);
      expect(after.status).toBe(0);
      expect(after.out).toMatch(/Members:\n {2}Alder /);
    },
  );

  it('a site in no swarm yet whose swarm.json is damaged is set up afresh by init', async () => {
    const dir = fresh('unfounded');
    // A join that reached no inviter leaves keys and swarm.json, and an empty ledger.
    const join_ = await runRadfed(
      'swarm',
      'join',
      invitationFor(),
      '--dir',
      dir,
      '--site-name',
      'B',
      '--address',
      ADDRESS,
    );
    expect(join_.status).toBe(1);
    writeFileSync(join(dir, 'swarm.json'), 'not json');
    const init = await swarmInit(dir, '--site-name', 'Birch', '--address', ADDRESS);
    expect(init.err).toBe('');
    expect(init.out).toMatch(/Founded swarm "S"/);
  }, 60_000);
});

/** A well-formed invitation to a swarm nobody serves: port 9 on loopback answers nothing. */
function invitationFor(): string {
  const payload = { a: 'https://127.0.0.1:9', w: 'cd'.repeat(32), k: 'ef'.repeat(16), s: 'A'.repeat(43) };
  return `rfs1.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
}
