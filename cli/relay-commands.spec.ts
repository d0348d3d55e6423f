// `radfed relay …` and `radfed swarm init|join --relay` through the real entry: the relay's folder and
// the address it prints, admitting a swarm, and the sentences a person gets for a wrong id, a wrong
// relay address, both addresses at once, and a relay that serves no swarm yet.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runRadfed } from './test-cli.ts';

const folder = mkdtempSync(join(tmpdir(), 'radfed-relay-cli-'));
afterAll(() => rmSync(folder, { recursive: true, force: true }));

describe('radfed relay', () => {
  it('--help lists init, admit and serve', async () => {
    const { status, out } = await runRadfed('relay', '--help');
    expect(status).toBe(0);
    for (const command of ['init', 'admit', 'serve']) expect(out).toContain(command);
    expect(out).toMatch(/no member/);
  });

  it('makes a relay, prints the address members give at swarm init --relay, and admits a swarm by id', async () => {
    const relay = join(folder, 'relay');
    const init = await runRadfed('relay', 'init', '--dir', relay, '--address', 'https://127.0.0.1:8471');
    expect(init.status).toBe(0);
    const address = /--relay (relay\+https:\/\/127\.0\.0\.1:8471\/[0-9a-f]{32})/.exec(init.out)?.[1];
    expect(address).toBeDefined();
    expect(statSync(join(relay, 'keys', 'relay-signing.pem')).mode & 0o777).toBe(0o600);

    const serveNothing = await runRadfed('relay', 'serve', '--dir', relay);
    expect(serveNothing.status).toBe(1);
    expect(serveNothing.err).toMatch(/serves no swarm yet: run `radfed relay admit/);
    const wrong = await runRadfed('relay', 'admit', '--dir', relay, '--swarm', 'abc');
    expect(wrong.status).toBe(1);
    expect(wrong.err).toMatch(/A swarm id is 64 hex digits/);

    // A founder behind NAT names the relay as its address; the relay then admits the founder's swarm.
    const alder = join(folder, 'alder');
    const founded = await runRadfed(
      'swarm',
      'init',
      '--dir',
      alder,
      '--name',
      'Behind NAT',
      '--site-name',
      'Alder',
      '--relay',
      address!,
    );
    expect(founded.status).toBe(0);
    const status = await runRadfed('swarm', 'status', '--dir', alder, '--json');
    const view = JSON.parse(status.out) as { id: string; members: { address: string }[] };
    expect(view.members[0]!.address).toBe(address);
    const admitted = await runRadfed('relay', 'admit', '--dir', relay, '--swarm', view.id);
    expect(admitted.status).toBe(0);
    expect(admitted.out).toMatch(/now serves swarm/);
    expect(JSON.parse(readFileSync(join(relay, 'relay.json'), 'utf8'))).toMatchObject({ swarms: [view.id] });
  }, 60_000);

  it('swarm join takes one of --address and --relay, and a relay address only in its own form', async () => {
    const dir = join(folder, 'joiner');
    const token = 'rfs1.x';
    // Each refused before any network call: only the addresses differ.
    const joinWith = (...addresses: string[]) =>
      runRadfed('swarm', 'join', token, '--dir', dir, '--site-name', 'Birch', ...addresses);
    const both = await joinWith(
      '--address',
      'https://127.0.0.1:1',
      '--relay',
      'relay+https://127.0.0.1:2/00',
    );
    expect(both.status).toBe(1);
    expect(both.err).toMatch(/Give either --address .* or, behind NAT, --relay/);
    const bad = await joinWith('--relay', 'https://127.0.0.1:2');
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/--relay takes the relay\+https:\/\/host:port\/<fingerprint> address/);
  });
});
