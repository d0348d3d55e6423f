// Membership changes between rounds (the swarm's view) over real loopback mutual TLS: a hospital
// joins by invitation after round 1 and takes part from round 2; a member leaves after round 2 and
// round 3 goes on without it (its requests refused from then on); a member that is gone for good is
// removed by the others. Each change is a ledger entry signed by a quorum of the membership before it,
// and each round after it asks the new membership for commits and elects among them.
import { afterEach, describe, expect, it } from 'vitest';
import { leaveSwarm, removeMember } from './membership-changes.ts';
import { quorumSize } from './membership.ts';
import type { SignedEntry } from './ledger-entry.ts';
import { SwarmRounds } from './swarm-rounds.ts';
import type { SwarmNode } from './swarm-node.ts';
import { noduleRounds, noduleTask } from './testing/nodule-task.ts';
import { memberKeys, PeerTestBed } from './testing/peer-swarm.ts';

let bed: PeerTestBed;
const rounds = new Map<SwarmNode, SwarmRounds>();
afterEach(async () => {
  for (const r of rounds.values()) r.stop();
  rounds.clear();
  await bed.close();
});

const { initial, task } = noduleTask({ rounds: 4, leaderTimeoutMs: 20_000 });

function takePart(node: SwarmNode, seed: number): void {
  rounds.set(node, new SwarmRounds(node, noduleRounds(task, initial, 40, seed)));
}

/** Runs round `round` from `starter`; returns its round-start commits and participants, as committed. */
async function runRound(starter: SwarmNode, live: readonly SwarmNode[], round: number) {
  expect(await rounds.get(starter)!.startRound()).toBe(round);
  const outcomes = await Promise.all(live.map((node) => rounds.get(node)!.waitForRound(round, 60_000)));
  expect(new Set(outcomes.map((o) => o.model)).size).toBe(1);
  const start = starter.ledger
    .entries(0, 1000)
    .map((s) => s.entry.body)
    .findLast((b) => b.kind === 'round-start' && b.round === round);
  const committers = start?.kind === 'round-start' ? start.commits.map((c) => c.member) : [];
  return { committers: [...committers].sort(), participants: [...outcomes[0]!.participants].sort() };
}

const ids = (nodes: readonly SwarmNode[]) => nodes.map((n) => n.id).sort();
const signers = (signed: SignedEntry) => new Set(signed.signatures.map((s) => s.member)).size;

describe('swarm membership changes between rounds', () => {
  it('a joiner takes part from the next round, a leaver is left out after its leave, a gone member is removed', async () => {
    bed = new PeerTestBed();
    const { nodes } = await bed.swarm(['Alder', 'Birch', 'Cedar']);
    const [alder, birch, cedar] = nodes as [SwarmNode, SwarmNode, SwarmNode];
    nodes.forEach((node, index) => takePart(node, 30 + index));
    expect(await runRound(alder, nodes, 1)).toEqual({ committers: ids(nodes), participants: ids(nodes) });

    // Dana joins by invitation between rounds 1 and 2; 3 members signed its join (quorum of 3 is 2).
    const dana = await bed.start(memberKeys('Dana'));
    await dana.join(alder.invite());
    await Promise.all([...nodes, dana].map((n) => n.catchUp()));
    const joinEntry = alder.ledger
      .entries(0, 1000)
      .find((s) => s.entry.body.kind === 'join' && s.entry.body.member.id === dana.id)!;
    expect(signers(joinEntry)).toBeGreaterThanOrEqual(quorumSize(3, 'majority'));
    takePart(dana, 33);
    const four = [alder, birch, cedar, dana];
    expect(await runRound(birch, four, 2)).toEqual({ committers: ids(four), participants: ids(four) });

    // Cedar leaves by its own entry, signed by a quorum of the four (3).
    const leave = await leaveSwarm(cedar);
    expect(leave.entry.body).toEqual({ kind: 'leave', member: cedar.id, reason: 'left' });
    expect(signers(leave)).toBeGreaterThanOrEqual(quorumSize(4, 'majority'));
    await Promise.all([alder, birch, dana].map((n) => n.catchUp()));
    for (const node of [alder, birch, dana])
      expect(node.state.members.map((m) => m.id)).not.toContain(cedar.id);
    const three = [alder, birch, dana];
    expect(await runRound(dana, three, 3)).toEqual({ committers: ids(three), participants: ids(three) });
    // Cedar is no member any more: the others refuse its requests, so it cannot start a round.
    await expect(rounds.get(cedar)!.startRound()).rejects.toThrow();
    expect(alder.state.lastCommittedRound).toBe(3);

    // Dana's workstation is gone for good: Alder and Birch (2 of 3) remove it, and round 4 runs without it.
    rounds.get(dana)!.stop();
    rounds.delete(dana);
    await bed.stop(dana);
    const removal = await removeMember(alder, dana.id.slice(0, 8));
    expect(removal.entry.body).toEqual({ kind: 'leave', member: dana.id, reason: 'removed' });
    expect(signers(removal)).toBe(2);
    const two = [alder, birch];
    expect(await runRound(alder, two, 4)).toEqual({ committers: ids(two), participants: ids(two) });
    expect(birch.state.members.map((m) => m.name)).toEqual(['Alder', 'Birch']);
    expect(birch.ledger.state?.tipHash).toBe(alder.ledger.state?.tipHash);
  }, 120_000);
});
