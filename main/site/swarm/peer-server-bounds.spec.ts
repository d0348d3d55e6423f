// A member's peer server under a network neighbour with no membership: anyone can make a certificate,
// so a caller the ledger does not know may send a join request and nothing larger. Before, the server
// read up to 8 MiB from any such caller before it looked at the message, so a flood of connections
// made the member (the hospital's desktop app) hold 8 MiB each. And under a hostile member: it reads at
// most eight messages' worth from one member at once. Real sockets: mutual TLS on loopback.
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { makePeerCertificate, type PeerCertificate } from './peer-certificate.ts';
import { MAX_MEMBER_READING_BYTES, MESSAGE_PATH } from './peer-server.ts';
import type { SwarmNode } from './swarm-node.ts';
import { dripBody, postBody, type Posted } from './testing/hostile-posts.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

const MiB = 1024 * 1024;
let bed: PeerTestBed;
afterEach(async () => {
  await bed.close();
});

/** One POST of `size` bytes to a member's message path, declared or chunked. */
const post = (address: string, certificate: PeerCertificate, size: number, chunked: boolean) =>
  postBody(address, certificate, MESSAGE_PATH, size, chunked);

const stranger = () => makePeerCertificate(generateKeyPairSync('ed25519').privateKey, { name: 'Stranger' });

describe('a member\u2019s peer server, to a caller that is no member', () => {
  it('takes a join-sized body only, and says so', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder']);
    const alder = nodes[0] as SwarmNode;
    const certificate = await stranger();
    const declared = await post(alder.identity.address, certificate, MiB, false);
    expect(declared.status).toBe(413);
    expect(declared.message).toMatch(
      /takes only a join request \(at most 65536 bytes\).*Join with an invitation/,
    );
    const chunked = await post(alder.identity.address, certificate, MiB, true);
    expect([413, 0]).toContain(chunked.status);
    // A small body is read and refused for what it is (not a join), as before.
    expect((await post(alder.identity.address, certificate, 100, false)).status).toBe(409);
  }, 60_000);

  it('holds far less than 8 MiB per connection under a flood of them', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder']);
    const alder = nodes[0] as SwarmNode;
    const certificates = await Promise.all(Array.from({ length: 4 }, stranger));
    const baseline = process.memoryUsage().rss;
    let peakRss = baseline;
    const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 10);
    // 32 connections at once, each sending 8 MiB without declaring it: 256 MiB if each were held.
    const outcomes = await Promise.all(
      Array.from({ length: 32 }, (_, i) => post(alder.identity.address, certificates[i % 4]!, 8 * MiB, true)),
    );
    clearInterval(sampler);
    for (const outcome of outcomes) expect([413, 0]).toContain(outcome.status);
    expect(peakRss - baseline).toBeLessThan(96 * MiB);
    console.log(
      `peer server flood: 32 x 8 MiB from strangers, process RSS +${((peakRss - baseline) / MiB).toFixed(0)} MiB`,
    );
  }, 120_000);

  it('reads at most eight messages\u2019 worth from one member at once, and says to wait', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch']);
    const [alder, birch] = nodes as [SwarmNode, SwarmNode];
    // Birch declares twelve 8 MiB messages at once and drips them: 96 MiB asked of Alder.
    const drips = Array.from({ length: 12 }, () =>
      dripBody(alder.identity.address, birch.certificate, MESSAGE_PATH, 8 * MiB),
    );
    const settled: Posted[] = [];
    for (const d of drips) void d.answered.then((o) => settled.push(o));
    await until(() => settled.length === 12 - MAX_MEMBER_READING_BYTES / (8 * MiB));
    for (const o of settled) {
      expect(o.status).toBe(503);
      expect(o.message).toMatch(/already reading 64 MiB of your messages.*wait for their answers/);
    }
    for (const d of drips) d.stop();
  }, 60_000);
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!check()) throw new Error('timed out waiting for the refusals');
}
