// Changing who is in the swarm between rounds (its view): a member leaves by its own entry, or a
// member removes another (one that is gone for good, or withholds its reveals); joining is by
// invitation (swarm-node.ts). Each change is a ledger entry the members countersign, so it commits
// only with a quorum of the membership before it (the member being removed still counts), and every
// round started after it asks the new membership for commits, elects its leader among them, and needs
// the new quorum.
import { findMember, quorumSize } from './membership.ts';
import type { SignedEntry } from './ledger-entry.ts';
import { SwarmError } from './swarm-error.ts';
import type { SwarmNode } from './swarm-node.ts';

/** This member leaves the swarm; it keeps its copy of the ledger up to its own leave entry. */
export async function leaveSwarm(node: SwarmNode): Promise<SignedEntry> {
  await node.catchUp();
  if (!findMember(node.state, node.id))
    throw new SwarmError('not-member', 'This site is not a member of the swarm any more.');
  if (node.state.members.length === 1)
    throw new SwarmError(
      'invalid-transition',
      'This site is the swarm\u2019s last member, so it cannot leave; it can stop serving instead.',
    );
  return node.propose({ kind: 'leave', member: node.id, reason: 'left' });
}

/** Removes another member (by its id, or the first 8 or more hex digits of it). */
export async function removeMember(node: SwarmNode, member: string): Promise<SignedEntry> {
  await node.catchUp();
  const matches = node.state.members.filter((m) => member.length >= 8 && m.id.startsWith(member));
  const target = matches.length === 1 ? matches[0] : undefined;
  if (target === undefined)
    throw new SwarmError(
      'unknown-member',
      matches.length > 1
        ? `More than one member's id starts with ${member}; give more of it (radfed swarm status lists them).`
        : `No member's id starts with ${member}; radfed swarm status lists the members and their ids.`,
    );
  if (target.id === node.id)
    throw new SwarmError(
      'invalid-transition',
      'A member leaves by itself (radfed swarm leave), not by removal.',
    );
  const state = node.state;
  node.logger.info(
    { member: target.id.slice(0, 8), needed: quorumSize(state.members.length, state.quorumRule) },
    'proposing to remove a swarm member',
  );
  return node.propose({ kind: 'leave', member: target.id, reason: 'removed' });
}
