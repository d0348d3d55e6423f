// The relay that is no member is not an open queue: a member flooding a mailbox nobody collects meets the
// bound on bytes held (503 + Retry-After, in plain words) and the relay holds no more than it; one
// recipient's queue, a sender the relay cannot place in the swarm (a joiner's small lane), a body too
// large, a caller with no certificate and a message never collected (its TTL) are each refused or dropped.
// Real sockets: members on loopback mutual TLS, posts over real HTTPS connections.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/index.ts';
import { makePeerCertificate, type PeerCertificate } from '../peer-certificate.ts';
import { DEFAULT_MAILBOX_LIMITS, type MailboxLimits } from '../relay-mailbox-store.ts';
import type { SwarmNode } from '../swarm-node.ts';
import { dripBody, postBody, type Posted } from '../testing/hostile-posts.ts';
import { memberKeys, PeerTestBed } from '../testing/peer-swarm.ts';
import { startRelay, type RunningRelay } from './relay-home.ts';
import { RELAY_PATHS } from './relay-protocol.ts';

const MiB = 1024 * 1024;
let bed: PeerTestBed;
let relay: RunningRelay;
let folder = '';
afterEach(async () => {
  await bed.close();
  await relay.close();
  rmSync(folder, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!check()) throw new Error(`timed out waiting until ${what}`);
}

/**
 * A relay, Alder behind it (its mailbox then left uncollected: Alder is stopped), and Birch, a member
 * with an address of its own, whose certificate the flood is sent with.
 */
async function swarmWithIdleMailbox(
  limits: Partial<MailboxLimits>,
): Promise<{ alder: string; birch: SwarmNode }> {
  bed = new PeerTestBed();
  folder = mkdtempSync(join(tmpdir(), 'radfed-relay-bounds-'));
  relay = await startRelay({
    signingKey: generateKeyPairSync('ed25519').privateKey,
    ledgers: join(folder, 'ledgers'),
    swarms: [],
    logger: silentLogger(),
    limits: { ...DEFAULT_MAILBOX_LIMITS, ...limits },
  });
  const alder = await bed.start(memberKeys('Alder'), { advertise: relay.memberAddress });
  await alder.server.close();
  alder.found('Bounded');
  const swarm = alder.state.swarmId;
  relay.server.admission.admit(swarm);
  await until(() => relay.server.hasMailbox(alder.id), 'Alder polls the relay');
  const birch = await bed.start(memberKeys('Birch'));
  await birch.join(alder.invite()); // through the relay, in the joiners' lane
  const birchKey = birch.identity.signingPublicKey;
  await until(
    () => relay.server.admission.memberIn(swarm, birchKey) !== undefined,
    'the relay learns the join',
  );
  const alderId = alder.id;
  await bed.stop(alder);
  return { alder: alderId, birch };
}

/** One POST of `size` bytes to the relay's `path`, with or without a declared length. */
const post = (certificate: PeerCertificate | null, path: string, size: number, chunked = false) =>
  postBody(relay.memberAddress, certificate, path, size, chunked);

/** A slow drip of `declared` bytes to the relay's `path`. */
const drip = (certificate: PeerCertificate, path: string, declared: number) =>
  dripBody(relay.memberAddress, certificate, path, declared);

describe('the relay that is no member, under a hostile sender', () => {
  it('holds no more than its byte bound however much a member posts, and tells the rest to retry', async () => {
    const { alder, birch } = await swarmWithIdleMailbox({
      maxHeldBytes: 8 * MiB,
      maxQueued: 10_000,
      answerTimeoutMs: 1500,
    });
    const baseline = process.memoryUsage().rss;
    let peakRss = baseline;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 20);
    // 200 posts of 2 MiB (400 MiB), 20 at a time, half with a declared length and half chunked.
    const outcomes: Posted[] = [];
    for (let batch = 0; batch < 10; batch++)
      outcomes.push(
        ...(await Promise.all(
          Array.from({ length: 20 }, (_, i) =>
            post(birch.certificate, `${RELAY_PATHS.forward}${alder}`, 2 * MiB, i % 2 === 1),
          ),
        )),
      );
    clearInterval(sampler);
    const store = relay.server.store;
    // Never more held than the bound (an unbounded relay would have held 400 MiB).
    expect(store.peakHeldBytes).toBeLessThanOrEqual(8 * MiB);
    expect(peakRss - baseline).toBeLessThan(200 * MiB);
    const refused = outcomes.filter((o) => o.status === 503);
    expect(refused.length).toBeGreaterThan(150);
    for (const o of refused) {
      expect(o.retryAfter).toBe('5');
      expect(o.message).toMatch(/holds as much as it may now .* try again in 5 s/);
    }
    // What was taken was dropped when Alder did not collect it in time (its TTL), and said so.
    const taken = outcomes.filter((o) => o.status !== 503 && o.status !== 0);
    expect(taken.length).toBeGreaterThan(0);
    for (const o of taken)
      expect(o).toMatchObject({ status: 504, message: expect.stringMatching(/did not answer/) });
    expect(store.heldBytes).toBe(0);
    console.log(
      `relay bounds: ${taken.length} of 200 posts of 2 MiB taken, ${refused.length} told to retry, ` +
        `${outcomes.length - taken.length - refused.length} cut off while sending; peak held ${(store.peakHeldBytes / MiB).toFixed(1)} MiB, ` +
        `process RSS +${((peakRss - baseline) / MiB).toFixed(0)} MiB`,
    );
  }, 180_000);

  it('holds no more than one sender\u2019s share from a member, so the rest of the relay stays open to others', async () => {
    const { alder, birch } = await swarmWithIdleMailbox({
      maxHeldBytes: 64 * MiB,
      maxSenderBytes: 4 * MiB,
      maxQueued: 10_000,
      answerTimeoutMs: 3000,
    });
    const to = `${RELAY_PATHS.forward}${alder}`;
    // Birch posts 10 MiB at once to a mailbox nobody collects, half declared and half chunked.
    const settled: Posted[] = [];
    const flood = Array.from({ length: 10 }, (_, i) =>
      post(birch.certificate, to, MiB, i % 2 === 1).then((o) => (settled.push(o), o)),
    );
    const store = relay.server.store;
    // Each post is either answered (refused) or queued whole (held until its TTL).
    await until(() => settled.length + store.heldBytes / MiB === 10, 'every post is refused or queued');
    const queued = store.heldBytes / MiB;
    expect(queued).toBeGreaterThanOrEqual(1);
    expect(queued).toBeLessThanOrEqual(4);
    // Another sender (here a joiner, in its small lane) is still taken while Birch is refused.
    const joiner = await makePeerCertificate(generateKeyPairSync('ed25519').privateKey, { name: 'Joiner' });
    const other = post(joiner, to, 2000);
    await until(() => store.heldBytes === queued * MiB + 2000, 'the joiner\u2019s message is queued');
    const outcomes = await Promise.all(flood);
    const refused = outcomes.filter((o) => o.status === 503);
    expect(refused.length).toBe(10 - queued);
    for (const o of refused) {
      expect(o.retryAfter).toBe('5');
      expect(o.message).toMatch(
        /holds as much from you as it holds from one sender \(4 MiB .*try again in 5 s/,
      );
    }
    expect(outcomes.filter((o) => o.status === 504)).toHaveLength(queued); // taken, never collected
    expect((await other).status).toBe(504);
    expect(store.peakHeldBytes).toBeLessThanOrEqual(4 * MiB + 2000);
    expect(store.heldBytes).toBe(0);
  }, 120_000);

  it('gives every caller it does not know as a member one share together, however many keys they make', async () => {
    const { alder, birch } = await swarmWithIdleMailbox({
      maxHeldBytes: 64 * MiB,
      maxSenderBytes: 16 * MiB,
      answerTimeoutMs: 3000,
    });
    const store = relay.server.store;
    // Ten fresh keys each declare an 8 MiB ledger page and drip it: 80 MiB asked, past the whole bound.
    const strangers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        makePeerCertificate(generateKeyPairSync('ed25519').privateKey, { name: `Stranger ${i}` }),
      ),
    );
    const drips = strangers.map((certificate) => drip(certificate, RELAY_PATHS.ledger, 8 * MiB));
    const settled: Posted[] = [];
    for (const d of drips) void d.answered.then((o) => settled.push(o));
    await until(() => settled.length === 8 && store.heldBytes === 16 * MiB, 'two drip, eight are refused');
    for (const o of settled) {
      expect(o.status).toBe(503);
      expect(o.message).toMatch(/takes from callers it does not know as members \(16 MiB together\)/);
    }
    // A member's message is still taken (before, the strangers held all 64 MiB: 503 for everyone).
    const member = await post(birch.certificate, `${RELAY_PATHS.forward}${alder}`, 1024);
    expect(member.status).toBe(504); // taken, then never collected (Alder is away)
    for (const d of drips) d.stop();
  }, 120_000);

  it('bounds one recipient\u2019s queue, a stranger\u2019s lane and a body\u2019s size, and refuses a caller with no certificate', async () => {
    const { alder, birch } = await swarmWithIdleMailbox({
      maxQueued: 5,
      maxStrangerQueued: 2,
      answerTimeoutMs: 4000,
    });
    const to = `${RELAY_PATHS.forward}${alder}`;
    // A key the relay cannot place in Alder's swarm: a joiner's lane only, small and short.
    const stranger = await makePeerCertificate(generateKeyPairSync('ed25519').privateKey, {
      name: 'Stranger',
    });
    const large = await post(stranger, to, 100 * 1024);
    expect(large.status).toBe(403);
    expect(large.message).toMatch(/takes only a join request from such a sender/);
    const held = [post(stranger, to, 2000), post(stranger, to, 2000)];
    await until(() => relay.server.store.heldBytes === 4000, 'two join-sized messages are queued');
    expect(await post(stranger, to, 2000)).toMatchObject({ status: 503, retryAfter: '5' });
    // A member fills the rest of Alder's queue; past it, it is told to try later.
    held.push(...[1, 2, 3].map(() => post(birch.certificate, to, 1000)));
    await until(() => relay.server.store.heldBytes === 7000, 'the queue is full');
    const sixth = await post(birch.certificate, to, 1000);
    expect(sixth).toMatchObject({ status: 503, retryAfter: '5' });
    expect(sixth.message).toMatch(/has not collected its relayed messages; try again in 5 s/);

    const tooLarge = await post(birch.certificate, to, 12 * MiB);
    expect([413, 0]).toContain(tooLarge.status);
    if (tooLarge.status === 413) expect(tooLarge.message).toMatch(/at most \d+ bytes/);
    expect((await post(null, to, 10)).status).toBe(403);
    expect((await post(birch.certificate, `${RELAY_PATHS.forward}${'0'.repeat(32)}`, 10)).status).toBe(404);

    // Never collected: each is dropped at its TTL, its sender told, and the relay holds nothing.
    for (const outcome of await Promise.all(held)) expect(outcome.status).toBe(504);
    expect(relay.server.store.heldBytes).toBe(0);
  }, 120_000);
});
