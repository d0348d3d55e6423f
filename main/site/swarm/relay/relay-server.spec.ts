// A swarm whose every member is behind NAT (servers closed) runs through the relay that is no member:
// founding, joins, two rounds, a model fetched from a member, all over real loopback sockets with mutual
// TLS. The relay holds and forwards only ciphertext (no swarm id, no JSON key, no model bytes), signs
// nothing in the ledger and is no member of it.
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { publicKeyFingerprint, publicKeyOf, sha256Hex } from '../../../../shared/node/federation/index.ts';
import { silentLogger } from '../../../../shared/node/index.ts';
import { SwarmRounds } from '../swarm-rounds.ts';
import type { SwarmNode } from '../swarm-node.ts';
import { noduleRounds, noduleTask } from '../testing/nodule-task.ts';
import { memberKeys, PeerTestBed } from '../testing/peer-swarm.ts';
import { startRelay, type RunningRelay } from './relay-home.ts';

let bed: PeerTestBed;
let relay: RunningRelay | null = null;
let folder = '';
const rounds: SwarmRounds[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed.close();
  await relay?.close();
  relay = null;
  rmSync(folder, { recursive: true, force: true });
});

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((resolve) => setTimeout(resolve, 100));
  if (!check()) throw new Error(`timed out waiting until ${what}`);
}

describe('the relay that is no member', () => {
  it('carries a swarm whose every member is behind NAT through joins and two rounds, as ciphertext only', async () => {
    bed = new PeerTestBed();
    folder = mkdtempSync(join(tmpdir(), 'radfed-relay-'));
    const relayKey = generateKeyPairSync('ed25519').privateKey;
    relay = await startRelay({
      signingKey: relayKey,
      ledgers: join(folder, 'ledgers'),
      swarms: [],
      logger: silentLogger(),
    });
    const sealed: string[] = [];
    relay.server.store.onSealed = (text) => sealed.push(text);
    const behindNat = async (name: string): Promise<SwarmNode> => {
      const node = await bed.start(memberKeys(name), { advertise: relay!.memberAddress });
      await node.server.close(); // nothing reaches it inbound, as behind a NAT
      return node;
    };

    const alder = await behindNat('Alder');
    alder.found('All behind NAT');
    const swarmId = alder.state.swarmId;
    relay.server.admission.admit(swarmId); // `radfed relay admit --swarm <id>`
    await until(() => relay!.server.hasMailbox(alder.id), 'the founder polls the relay');
    const birch = await behindNat('Birch');
    await birch.join(alder.invite());
    const cedar = await behindNat('Cedar');
    await cedar.join(alder.invite());
    const nodes = [alder, birch, cedar];
    await Promise.all(nodes.map((n) => n.catchUp()));
    for (const node of nodes) {
      expect(node.state.members.map((m) => m.address)).toEqual(Array(3).fill(relay.memberAddress));
      expect(node.state.members.map((m) => m.name)).toEqual(['Alder', 'Birch', 'Cedar']);
    }

    const { initial, task } = noduleTask({ rounds: 2, leaderTimeoutMs: 20_000 });
    nodes.forEach((node, index) => {
      rounds.push(new SwarmRounds(node, noduleRounds(task, initial, 40, 70 + index)));
    });
    const ids = nodes.map((n) => n.id).sort();
    for (let round = 1; round <= task.rounds; round++) {
      await rounds[round - 1]!.startRound();
      const outcomes = await Promise.all(rounds.map((r) => r.waitForRound(round, 90_000)));
      expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
      expect([...outcomes[0]!.participants].sort()).toEqual(ids);
    }
    // The last model, fetched from its leader a range at a time through the relay.
    const last = rounds[0]!.outcome(task.rounds)!;
    const fetcher = nodes.find((n) => n.id !== last.leader)!;
    const model = await fetcher.client.fetchModel(
      fetcher.state.members.find((m) => m.id === last.leader)!,
      last.model,
    );
    expect(sha256Hex(model)).toBe(last.model);

    // Everything crossed the relay, sealed: no swarm id, no JSON key, no model bytes in what it held or passed on.
    expect(sealed.length).toBeGreaterThan(30);
    const modelWindow = model.subarray(model.length >> 1, (model.length >> 1) + 48);
    for (const text of sealed) {
      expect(text).toMatch(/^[A-Za-z0-9_-]+$/);
      const bytes = Buffer.from(text, 'base64url');
      for (const needle of [swarmId, '"kind"', '"envelope"', '"ok"', '"value"'])
        expect(bytes.includes(Buffer.from(needle))).toBe(false);
      expect(bytes.includes(modelWindow)).toBe(false);
      expect(bytes.includes(Buffer.from(modelWindow.toString('base64')))).toBe(false);
    }
    // The relay is no member: not in the ledger, and it signed no entry.
    const relayId = publicKeyFingerprint(publicKeyOf(relayKey));
    const entries = alder.ledger.entries(0, 1000);
    expect(alder.state.members.some((m) => m.id === relayId)).toBe(false);
    expect(entries.flatMap((e) => e.signatures).some((s) => s.member === relayId)).toBe(false);
    const { bytesIn, bytesOut } = relay.server;
    console.log(
      `relay spec: ${sealed.length} sealed messages and answers; the relay read ${(bytesIn / 1e3).toFixed(0)} kB ` +
        `and wrote ${(bytesOut / 1e3).toFixed(0)} kB; ledger height ${alder.state.nextHeight - 1}`,
    );
  }, 240_000);
});
