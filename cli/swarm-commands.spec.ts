// `radfed swarm …` through the real entry: founding, an invitation, a join over loopback mutual TLS
// (the founder served as `radfed swarm serve` serves it), status and the ledger; and the sentences a
// person gets for an empty folder and a bad invitation.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/node/index.ts';
import { startSwarmMember, type SwarmNode } from '../main/site/swarm/index.ts';
import { runRadfed } from './test-cli.ts';

const folder = mkdtempSync(join(tmpdir(), 'radfed-swarm-cli-'));
let served: SwarmNode | null = null;
afterEach(async () => {
  await served?.stop();
  served = null;
});
afterAll(() => rmSync(folder, { recursive: true, force: true }));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('radfed swarm', () => {
  it('--help lists init, task, serve, invite, join, leave, remove, status and ledger', async () => {
    const { status, out } = await runRadfed('swarm', '--help');
    expect(status).toBe(0);
    for (const command of ['init', 'task', 'serve', 'invite', 'join', 'leave', 'remove', 'status', 'ledger'])
      expect(out).toContain(command);
  });

  it('founds a swarm, invites a hospital, admits it over the network, and shows status and ledger', async () => {
    const alder = join(folder, 'alder');
    const birch = join(folder, 'birch');
    const port = await freePort();
    const init = await runRadfed(
      'swarm',
      'init',
      '--dir',
      alder,
      '--name',
      'Test consortium',
      '--site-name',
      'Alder',
      '--address',
      `https://127.0.0.1:${port}`,
    );
    expect(init.err).toBe('');
    expect(init.out).toMatch(/Founded swarm "Test consortium" \(id [0-9a-f]{8}\) with Alder/);
    expect(statSync(join(alder, 'keys', 'swarm-signing.pem')).mode & 0o777).toBe(0o600);
    served = await startSwarmMember(alder, { logger: silentLogger(), host: '127.0.0.1' });
    const invite = await runRadfed('swarm', 'invite', '--dir', alder);
    const token = /rfs1\.\S+/.exec(invite.out)?.[0] ?? '';
    expect(token).not.toBe('');
    const joined = await runRadfed(
      'swarm',
      'join',
      token,
      '--dir',
      birch,
      '--site-name',
      'Birch',
      '--address',
      `https://127.0.0.1:${await freePort()}`,
    );
    expect(joined.err).toBe('');
    expect(joined.out).toMatch(/Joined swarm "Test consortium" .*2 members, Alder, Birch/);
    const status = await runRadfed('swarm', 'status', '--dir', birch);
    expect(status.out).toMatch(/ledger height 1/);
    expect(status.out).toMatch(/needs 2 of 2 members' signatures \(majority\)/);
    const ledger = await runRadfed('swarm', 'ledger', '--dir', alder);
    expect(ledger.out.trim().split('\n')).toHaveLength(2);
    expect(ledger.out).toMatch(/Birch joined .*\[1 signature\]/);
    const again = await runRadfed(
      'swarm',
      'join',
      token,
      '--dir',
      join(folder, 'cedar'),
      '--site-name',
      'Cedar',
      '--address',
      `https://127.0.0.1:${await freePort()}`,
    );
    expect(again.status).toBe(1);
    expect(again.err).toMatch(/already used\. Ask a member of the swarm for a new invitation/);
  });

  it('task approves a swarm task file in plain words; a file with a wrong field is refused with the field', async () => {
    const dir = join(folder, 'elm');
    const init = await runRadfed(
      'swarm',
      'init',
      '--dir',
      dir,
      '--name',
      'Task test',
      '--site-name',
      'Elm',
      '--address',
      `https://127.0.0.1:${await freePort()}`,
    );
    expect(init.status).toBe(0);
    const file = join(folder, 'task.json');
    const task = {
      name: 'Nodule swarm',
      initialModel: 'ab'.repeat(32),
      rounds: 3,
      secureAggregation: { clipRange: 0.5, bits: 16 },
      leaderTimeoutMs: 60_000,
      training: { model: 'chest-radiograph-nodule', localEpochs: 2, batchSize: 8, learningRate: 0.001 },
    };
    writeFileSync(file, JSON.stringify(task));
    const approved = await runRadfed('swarm', 'task', '--dir', dir, '--file', file);
    expect(approved.err).toBe('');
    expect(approved.out).toMatch(/Task "Nodule swarm": 3 rounds of swarm learning, with no hub\./);
    expect(approved.out).toMatch(/trains the "chest-radiograph-nodule" model on its own cohort for 2 epochs/);
    expect(approved.out).toMatch(/Approved \(task [0-9a-f]{8}\)/);
    expect(JSON.parse(readFileSync(join(dir, 'swarm-task.json'), 'utf8'))).toEqual(task);
    // Serving that task needs a site folder with a cohort: said at once, not in the middle of a round.
    const serve = await runRadfed('swarm', 'serve', '--dir', dir, '--host', '127.0.0.1');
    expect(serve.status).toBe(1);
    expect(serve.err).toMatch(/is not a RadFed site \(it has no site\.json\)\. Run radfed site init/);
    writeFileSync(file, JSON.stringify({ ...task, rounds: 0 }));
    const refused = await runRadfed('swarm', 'task', '--dir', dir, '--file', file);
    expect(refused.status).toBe(1);
    expect(refused.err).toMatch(/The swarm task file is not valid: rounds:/);
  });

  it('serve with no approved task answers peers, says it trains nothing, and stops cleanly on SIGTERM', async () => {
    const dir = join(folder, 'fir');
    const port = await freePort();
    await runRadfed(
      'swarm',
      'init',
      '--dir',
      dir,
      '--name',
      'Serve test',
      '--site-name',
      'Fir',
      '--address',
      `https://127.0.0.1:${port}`,
    );
    const listeners = process.listenerCount('SIGTERM');
    const serving = runRadfed('swarm', 'serve', '--dir', dir, '--host', '127.0.0.1');
    // The member is up, and waits for a stop, once it listens for SIGTERM: then one, as a service manager sends.
    for (let tries = 0; tries < 400 && process.listenerCount('SIGTERM') === listeners; tries++)
      await new Promise((resolve) => setTimeout(resolve, 25));
    process.emit('SIGTERM');
    const { status, out } = await serving;
    expect(status).toBe(0);
    expect(out).toMatch(/Swarm member Fir is serving at https:\/\/127\.0\.0\.1:\d+/);
    expect(out).toMatch(/approved no swarm task, so it answers the other members but trains nothing/);
    expect(out).toMatch(/Stopped\. The ledger and models are kept/);
    const status2 = await runRadfed('swarm', 'status', '--dir', dir);
    expect(status2.out).toMatch(/Swarm "Serve test"/);
  });

  it('leave: refused while the member is served, then countersigned by the other member; the last member cannot leave', async () => {
    const gum = join(folder, 'gum');
    const hazel = join(folder, 'hazel');
    await runRadfed(
      'swarm',
      'init',
      '--dir',
      gum,
      '--name',
      'Leave test',
      '--site-name',
      'Gum',
      '--address',
      `https://127.0.0.1:${await freePort()}`,
    );
    served = await startSwarmMember(gum, { logger: silentLogger(), host: '127.0.0.1' });
    const token = /rfs1\.\S+/.exec((await runRadfed('swarm', 'invite', '--dir', gum)).out)?.[0] ?? '';
    const hazelPort = await freePort();
    const joined = await runRadfed(
      'swarm',
      'join',
      token,
      '--dir',
      hazel,
      '--site-name',
      'Hazel',
      '--address',
      `https://127.0.0.1:${hazelPort}`,
    );
    expect(joined.status).toBe(0);
    const hazelServed = await startSwarmMember(hazel, { logger: silentLogger(), host: '127.0.0.1' });
    const busy = await runRadfed('swarm', 'leave', '--dir', hazel);
    await hazelServed.stop();
    expect(busy.status).toBe(1);
    expect(busy.err).toMatch(/stop its `radfed swarm serve` first/);
    const left = await runRadfed('swarm', 'leave', '--dir', hazel);
    expect(left.err).toBe('');
    expect(left.out).toMatch(/Hazel left the swarm at ledger height 2 \(2 signatures\); 1 member remains/);
    await served.stop();
    served = null;
    const status = await runRadfed('swarm', 'status', '--dir', gum);
    expect(status.out).toMatch(/Members:\n {2}Gum /);
    expect(status.out).not.toMatch(/Hazel/);
    const last = await runRadfed('swarm', 'leave', '--dir', gum);
    expect(last.status).toBe(1);
    expect(last.err).toMatch(/last member, so it cannot leave/);
  });

  it('says what to do in a folder with no swarm member, and for a pasted token that is no invitation', async () => {
    const empty = await runRadfed('swarm', 'status', '--dir', join(folder, 'nothing'));
    expect(empty.status).toBe(1);
    expect(empty.err).toMatch(/run `radfed swarm init`/);
    const bad = await runRadfed(
      'swarm',
      'join',
      'rft1.notaswarm',
      '--dir',
      join(folder, 'dana'),
      '--site-name',
      'Dana',
      '--address',
      'https://127.0.0.1:9',
    );
    expect(bad.status).toBe(1);
    expect(bad.err).toMatch(/not a RadFed swarm invitation/);
  });
});
