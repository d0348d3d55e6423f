// A hostile round leader, on real loopback sockets with mutual TLS: the member the round's seed puts
// first sends the other two a secure-aggregation plan the approved task does not allow (a tiny clip
// range, a threshold of 1, other bits) or a participant it made up. The honest members refuse before
// they mask: each refusal is in the site's audit log (a real site database) with the field, the
// leader's number and the task's, and told to the operator; no member trains or masks for that leader;
// and they take part at once under the honest next leader. Nobody leads by itself here (each member's
// rounds are stopped after the start), so the spec plays the leaders in turn: no timing luck.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeWeights, type SecAggPlan } from '../../../shared/federation/index.ts';
import { orderSites } from '../../../shared/node/secagg/index.ts';
import { AuditLog } from '../audit/index.ts';
import { openSiteDatabase, type SiteDatabase } from '../store/index.ts';
import { SWARM_PLAN_REFUSED } from './plan-refusal-audit.ts';
import { taskPlanValues } from './round-plan-check.ts';
import { leadSecureAggregation } from './round-secagg-leader.ts';
import { findMember } from './membership.ts';
import type { PlanRefusal } from './round-plan-check.ts';
import type { SwarmNode } from './swarm-node.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmTask } from './swarm-task.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
import { PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed | null = null;
const rounds: SwarmRounds[] = [];
const databases: SiteDatabase[] = [];
afterEach(async () => {
  for (const r of rounds.splice(0)) r.stop();
  await bed?.close();
  bed = null;
  for (const db of databases.splice(0)) db.close();
});

/** Three members with a seeded round 1 that nobody leads yet; the seed's first member is the hostile one. */
async function seededRound(extra: Partial<SwarmTask> = {}) {
  bed = new PeerTestBed();
  const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
  // 100 ms a leader: the successor's turn comes a tenth of a second after the seed.
  const { initial, task } = noduleTask({ rounds: 2, leaderTimeoutMs: 100, ...extra });
  const trained = nodes.map(() => 0);
  const refusals: PlanRefusal[][] = nodes.map(() => []);
  const audits = nodes.map((node) => {
    const db = openSiteDatabase(join(bed!.folder, `${node.identity.name}-site.db`));
    databases.push(db);
    return new AuditLog(db);
  });
  nodes.forEach((node, i) => {
    const options = noduleRounds(task, initial, 40, 10 + i);
    rounds.push(
      new SwarmRounds(node, {
        ...options,
        train: (global, round) => {
          trained[i]! += 1;
          return options.train(global, round);
        },
        audit: { log: audits[i]!, actor: 'spec' },
        onPlanRefused: (refusal) => refusals[i]!.push(refusal),
      }),
    );
  });
  // Stopped rounds still answer commits, reveals and secure-aggregation messages; they only lead no more.
  for (const r of rounds) r.stop();
  const round = await rounds[1]!.startRound();
  await Promise.all(nodes.map((node) => node.catchUp()));
  const order = nodes[0]!.state.openRound!.seed!.order;
  const at = (id: string | undefined) => nodes.findIndex((node) => node.id === id);
  const hostile = nodes[at(order[0])]!;
  const honest = nodes.filter((node) => node !== hostile);
  const send = (to: SwarmNode, kind: string, body: object) =>
    hostile.client.send(findMember(hostile.state, to.id)!, hostile.state.swarmId, kind, body);
  /** The plan an honest leader makes for all three, with `change` applied. */
  const plan = (change: Partial<SecAggPlan> = {}): SecAggPlan => ({
    seed: randomBytes(32).toString('base64url'),
    participants: 3,
    ...taskPlanValues(task, 3),
    ...change,
  });
  return { nodes, task, initial, round, order, at, hostile, honest, send, plan, trained, refusals, audits };
}

type Seeded = Awaited<ReturnType<typeof seededRound>>;

/** Each honest member refused exactly once, on `field`, in its audit log and to its operator. */
function expectRefusedOnce(s: Seeded, field: string, planned: number, expected: number): void {
  for (const member of s.honest) {
    const i = s.at(member.id);
    const entries = s.audits[i]!.list({ type: SWARM_PLAN_REFUSED });
    expect(entries).toHaveLength(1);
    expect(entries[0]!.detail).toMatchObject({
      round: s.round,
      attempt: 1,
      leader: s.hostile.id,
      field,
      planned,
      expected,
    });
    expect(s.audits[i]!.verify()).toMatchObject({ ok: true });
    expect(s.refusals[i]).toHaveLength(1);
    expect(s.refusals[i]![0]!.sentence).toMatch(/approved task says|allows|not in this round's seed/);
  }
}

/** Nothing derived from an honest member's data went to the hostile leader: no training, no masking. */
async function expectNothingMasked(s: Seeded): Promise<void> {
  for (const member of s.honest) {
    await expect(s.send(member, 'secagg-mask', { round: s.round, incoming: [] })).rejects.toMatchObject({
      code: 'bad-message',
    });
    expect(s.trained[s.at(member.id)]).toBe(0);
  }
}

describe("a swarm member checks the round leader's plan against its approved task", () => {
  it('refuses a tiny clip range, and takes part at once under the honest next leader', async () => {
    const s = await seededRound();
    for (const member of s.honest) {
      await expect(
        s.send(member, 'secagg-keys', { round: s.round, plan: s.plan({ clipRange: 1e-6 }) }),
      ).rejects.toMatchObject({
        code: 'plan-refused',
        message: expect.stringMatching(/clip range of the updates is 0\.000001 .* task says 0\.5/),
      });
    }
    expectRefusedOnce(s, 'clipRange', 1e-6, 0.5);
    await expectNothingMasked(s);

    // The next in the succession plans as the task says: both honest members take part.
    const successor = s.nodes[s.at(s.order[1])]!;
    await new Promise((resolve) => setTimeout(resolve, 150)); // its turn: 0.9 leader timeouts after the seed
    const aggregation = await leadSecureAggregation({
      node: successor,
      own: rounds[s.at(successor.id)]!.member,
      round: s.round,
      members: successor.state.members.filter((m) => m.id !== s.hostile.id),
      global: decodeWeights(s.initial),
      settings: s.task.secureAggregation,
    });
    expect([...aggregation.participants].sort()).toEqual(s.honest.map((n) => n.id).sort());
    for (const member of s.honest) expect(s.trained[s.at(member.id)]).toBe(1);
    expect(s.audits[s.at(successor.id)]!.list({ type: SWARM_PLAN_REFUSED })).toHaveLength(1);
  });

  it('refuses a threshold of 1 as the wrong threshold (one share would rebuild a member\u2019s masks)', async () => {
    const s = await seededRound();
    for (const member of s.honest) {
      await expect(
        s.send(member, 'secagg-keys', { round: s.round, plan: s.plan({ threshold: 1 }) }),
      ).rejects.toMatchObject({
        code: 'plan-refused',
        message: expect.stringMatching(/share threshold is 1 .* task says 2 for 3 participants/),
      });
    }
    expectRefusedOnce(s, 'threshold', 1, 2);
    await expectNothingMasked(s);
  });

  it("refuses bits other than the task's (2^8 levels where the task says 16 bits)", async () => {
    const s = await seededRound();
    const levels = 2 ** 8;
    // A self-consistent plan at 8 bits (its weight cap fits its levels): only the task can tell.
    const weightCap = Math.floor((2 ** 32 - 1) / (3 * (levels - 1)));
    for (const member of s.honest) {
      await expect(
        s.send(member, 'secagg-keys', { round: s.round, plan: s.plan({ levels, weightCap }) }),
      ).rejects.toMatchObject({ code: 'plan-refused', message: expect.stringMatching(/2\^bits\) is 256/) });
    }
    expectRefusedOnce(s, 'levels', 256, 2 ** 16);
    await expectNothingMasked(s);
  });

  /**
   * The hostile leader sends an honest plan (the keys go out: fresh random secrets, nothing of the
   * data), then a participant list whose third entry carries the leader's own keys under `thirdId`:
   * with a threshold of 2, whoever holds the keys of two of the victim's neighbours rebuilds its masks.
   */
  async function sharesWithLeaderKeysAs(s: Seeded, thirdId: (victim: SwarmNode) => string) {
    const plan = s.plan();
    const victim = s.honest[0]!;
    const hostileKeys = rounds[s.at(s.hostile.id)]!.member.keys(s.hostile.id, { round: s.round, plan });
    const victimKeys = await s.send(victim, 'secagg-keys', { round: s.round, plan });
    const ids = [s.hostile.id, victim.id, thirdId(victim)];
    const order = orderSites(plan.seed, ids);
    const keysById = [hostileKeys, victimKeys as typeof hostileKeys, hostileKeys];
    const participants = ids.map((siteId, i) => ({
      siteId,
      position: order.indexOf(siteId),
      ...keysById[i]!,
    }));
    const answer = s.send(victim, 'secagg-shares', { round: s.round, participants });
    return { victim, answer };
  }

  /** The victim refused on `field`, and gave no shares and no masked update. */
  async function expectVictimRefused(s: Seeded, victim: SwarmNode, field: string): Promise<void> {
    const i = s.at(victim.id);
    expect(s.audits[i]!.list({ type: SWARM_PLAN_REFUSED }).map((e) => e.detail)).toEqual([
      expect.objectContaining({ field, planned: 1, expected: 0, leader: s.hostile.id }),
    ]);
    // Without its shares the leader gets no masked update either.
    await expect(s.send(victim, 'secagg-mask', { round: s.round, incoming: [] })).rejects.toMatchObject({
      code: 'bad-message',
    });
    expect(s.trained[i]).toBe(0);
  }

  it('refuses a participant list with a member the round never seeded (one the leader plays itself)', async () => {
    const s = await seededRound();
    const { victim, answer } = await sharesWithLeaderKeysAs(s, () => 'f'.repeat(64));
    await expect(answer).rejects.toMatchObject({
      code: 'plan-refused',
      message: expect.stringMatching(/names 1 member not in this round's seed/),
    });
    await expectVictimRefused(s, victim, 'participant-list');
  });

  it("refuses a neighbour's round keys swapped for the leader's own (the keys carry the owner's signature)", async () => {
    const s = await seededRound();
    const { victim, answer } = await sharesWithLeaderKeysAs(s, (v) => s.honest.find((n) => n !== v)!.id);
    await expect(answer).rejects.toMatchObject({
      code: 'plan-refused',
      message: expect.stringMatching(/round keys of 1 participant are not the keys that member signed/),
    });
    await expectVictimRefused(s, victim, 'participant-keys');
  });

  it('refuses to unmask a sum the leader made too small by calling an honest member dropped', async () => {
    const s = await seededRound({ secureAggregation: { clipRange: 0.5, bits: 16, minimumParticipants: 3 } });
    const [victim, bystander] = s.honest as [SwarmNode, SwarmNode];
    const everyone = [s.hostile, victim, bystander];
    const own = rounds[s.at(s.hostile.id)]!.member;
    const round = s.round;
    const leader = s.hostile.id;
    // Up to the masked updates the leader follows the protocol: every member masks.
    const plan = s.plan();
    const keys = await Promise.all(
      everyone.map((n) =>
        n === s.hostile ? own.keys(leader, { round, plan }) : s.send(n, 'secagg-keys', { round, plan }),
      ),
    );
    const order = orderSites(
      plan.seed,
      everyone.map((n) => n.id),
    );
    const participants = everyone.map((n, i) => ({
      siteId: n.id,
      position: order.indexOf(n.id),
      ...(keys[i] as ReturnType<typeof own.keys>),
    }));
    const shares = (await Promise.all(
      everyone.map((n) =>
        n === s.hostile
          ? own.shares(leader, { round, participants })
          : s.send(n, 'secagg-shares', { round, participants }),
      ),
    )) as { to: string; ciphertext: string }[][];
    const incoming = (to: SwarmNode) =>
      everyone.flatMap((from, i) =>
        shares[i]!.filter((share) => share.to === to.id).map((share) => ({
          from: from.id,
          ciphertext: share.ciphertext,
        })),
      );
    await Promise.all(
      everyone.map((n) =>
        n === s.hostile
          ? own.mask(leader, { round, incoming: incoming(n) })
          : s.send(n, 'secagg-mask', { round, incoming: incoming(n) }),
      ),
    );
    // Then it tells the victim that the bystander dropped: with the bystander's mask key and the
    // victim's self-mask seed it would strip the victim's masks, its own update the only other one.
    await expect(
      s.send(victim, 'secagg-unmask', { round, survived: [leader, victim.id], dropped: [bystander.id] }),
    ).rejects.toMatchObject({
      code: 'plan-refused',
      message: expect.stringMatching(/unmask a sum of 2 updates; the task needs 3/),
    });
    expect(s.audits[s.at(victim.id)]!.list({ type: SWARM_PLAN_REFUSED }).map((e) => e.detail)).toEqual([
      expect.objectContaining({ field: 'survivors', planned: 2, expected: 3, leader }),
    ]);
    // The refusal costs the round nothing: asked for the sum of all three, the victim answers.
    const reveal = (await s.send(victim, 'secagg-unmask', {
      round,
      survived: everyone.map((n) => n.id),
      dropped: [],
    })) as { selfMaskShares: unknown[]; maskKeyShares: unknown[] };
    expect(reveal.maskKeyShares).toHaveLength(0);
    expect(reveal.selfMaskShares).toHaveLength(3);
  });
});
