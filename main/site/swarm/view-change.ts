// Views: how a height that stalled moves on without giving up safety (single-decree Paxos per height,
// kept to the crash-fault bound q > N/2 the swarm states; PBFT calls the step a view change).
//
// View 0 of a height is open: any member proposes, and each member signs at most one entry in it. Two
// proposals at once can split the votes so that neither reaches a quorum, and a proposer can die after
// its quorum signed and before anyone else saw the entry. Then the height moves to view 1, 2, …, each
// with one designated coordinator (the members ordered by SHA-256(previous ‖ id), like the round
// leader's succession). A coordinator asks every member for a signed statement: "I move to view v at
// this height; the last entry I signed here was H, in view w (or none)". A member that gives it signs
// nothing at that height in a view below v again. With statements from a quorum, the coordinator
// re-proposes the entry that could have committed (the lock), or, when none could have, one of the
// signed entries; members sign in view v only with those statements in hand, and check the choice.
//
// Why the lock holds: if entry E committed in view u, q members signed it there, and any q statements
// share at least one of them (q > N/2). In the open view 0 a statement set of J members shows E at
// least q − (N − J) times, so E "could have committed" — unless its proposer made one of the
// statements: only an entry's proposer assembles its view-0 quorum, it commits nothing in a view below
// one it moved to (entry-collection.ts checks that before it stores), and a proposer that had committed
// it would hold the height committed and make no statement. Two entries could both look possible only
// when some members did not answer, and then the coordinator waits for more (`ambiguous`). In a view
// ≥ 1 only the coordinator proposes, and only the lock, so the highest view among the statements names
// it.
import { createHash } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import {
  entrySignatureValid,
  signStatement,
  statementSignatureValid,
  viewOf,
  type EntrySignature,
  type LedgerEntry,
  type ViewChange,
  type ViewStatement,
} from './ledger-entry.ts';
import { findMember, quorumSize, type MembershipState } from './membership.ts';
import { SwarmError } from './swarm-error.ts';

export const VIEW_STATEMENT_TAG = 'RADFED-SWARM-VIEW-V1';

/** What a member signs when it moves to a view: its statement without the signature. */
export function viewStatementBody(statement: Omit<ViewStatement, 'signature'>, swarm: string): unknown {
  return { swarm, ...statement };
}

export function signViewStatement(
  statement: Omit<ViewStatement, 'signature'>,
  swarm: string,
  privateKey: KeyObject,
): ViewStatement {
  const signature = signStatement(VIEW_STATEMENT_TAG, viewStatementBody(statement, swarm), privateKey);
  return { ...statement, signature };
}

export function viewStatementValid(statement: ViewStatement, swarm: string, signingKey: string): boolean {
  const { signature, ...body } = statement;
  return statementSignatureValid(VIEW_STATEMENT_TAG, viewStatementBody(body, swarm), signature, signingKey);
}

/** The coordinator of `view` (≥ 1) at the next height of `state`: members by SHA-256(previous ‖ id). */
export function viewCoordinator(state: MembershipState, view: number): string {
  const rank = (id: string) =>
    createHash('sha256').update(Buffer.from(state.tipHash, 'hex')).update(id).digest('hex');
  const order = [...state.members].map((m) => m.id).sort((a, b) => (rank(a) < rank(b) ? -1 : 1));
  return order[(view - 1) % order.length] as string;
}

export type ViewLock =
  | { readonly kind: 'free' }
  | { readonly kind: 'locked'; readonly entry: string }
  | { readonly kind: 'ambiguous'; readonly entries: readonly string[] };

/** Which entry a view may propose, from `statements` of distinct members of a swarm of `members`. */
export function viewLock(statements: readonly ViewStatement[], members: number, quorum: number): ViewLock {
  const signed = statements.flatMap((s) => (s.last === null ? [] : [s.last]));
  if (signed.length === 0) return { kind: 'free' };
  const highest = Math.max(...signed.map((last) => last.view));
  const counts = new Map<string, number>();
  for (const last of signed)
    if (last.view === highest) counts.set(last.entry, (counts.get(last.entry) ?? 0) + 1);
  const entries = [...counts.keys()].sort();
  if (highest > 0)
    // Only the coordinator proposes in a view ≥ 1, and only its lock: one entry, whatever its count.
    return entries.length === 1
      ? { kind: 'locked', entry: entries[0] as string }
      : { kind: 'ambiguous', entries };
  const unheard = members - statements.length;
  const stating = new Set(statements.map((s) => s.member));
  const proposerOf = new Map(signed.map((last) => [last.entry, last.proposer]));
  const possible = entries.filter((entry) => {
    const proposer = proposerOf.get(entry);
    if (proposer != null && stating.has(proposer)) return false; // its proposer never committed it
    return (counts.get(entry) ?? 0) + unheard >= quorum;
  });
  if (possible.length === 0) return { kind: 'free' };
  if (possible.length === 1) return { kind: 'locked', entry: possible[0] as string };
  return { kind: 'ambiguous', entries: possible };
}

/** The entry a coordinator finishes when the lock leaves it free: the most signed, then the smallest hash. */
export function freeChoice(statements: readonly ViewStatement[]): string | null {
  const counts = new Map<string, number>();
  for (const s of statements) if (s.last) counts.set(s.last.entry, (counts.get(s.last.entry) ?? 0) + 1);
  const ranked = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return ranked[0]?.[0] ?? null;
}

/**
 * The safety rule a member checks before it signs `hash` at the next height of `state` in a view ≥ 1,
 * and that a verifier checks of an entry committed in one: statements for that view and height from a
 * quorum of distinct members, each signed by its member, and `hash` is the lock they give (any entry,
 * when they leave it free). Throws SwarmError('bad-view-change') with the reason.
 */
export function checkViewChange(
  state: MembershipState,
  hash: string,
  change: ViewChange | undefined,
  refuse: (problem: string) => never = (problem) => {
    throw new SwarmError(
      'bad-view-change',
      `The view change at height ${state.nextHeight} is not valid: ${problem} Nothing was signed.`,
    );
  },
): void {
  if (change === undefined) return refuse('an entry in a view above 0 needs the statements of a quorum.');
  const seen = new Set<string>();
  for (const statement of change.statements) {
    const member = findMember(state, statement.member);
    if (member === undefined) refuse('a statement is by someone who is not a member.');
    if (seen.has(statement.member)) refuse('a member made two statements.');
    seen.add(statement.member);
    if (statement.view !== change.view || statement.height !== state.nextHeight)
      refuse('a statement is for another view or height.');
    if (statement.previous !== state.tipHash) refuse('a statement follows another ledger.');
    if (!viewStatementValid(statement, state.swarmId, member?.signingKey ?? ''))
      refuse('a statement signature does not verify.');
  }
  const quorum = quorumSize(state.members.length, state.quorumRule);
  if (seen.size < quorum) refuse(`${seen.size} members made statements; it needs ${quorum}.`);
  const lock = viewLock(change.statements, state.members.length, quorum);
  if (lock.kind === 'ambiguous') refuse('the statements leave two entries that could have committed.');
  if (lock.kind === 'locked' && lock.entry !== hash)
    refuse('an entry that could have committed in an earlier view must be proposed again, not another.');
}

/** The lowest view of `signatures` in which `quorum` distinct members signed, or null when none. */
export function quorumView(signatures: readonly EntrySignature[], quorum: number): number | null {
  const byView = new Map<number, Set<string>>();
  for (const s of signatures) {
    const members = byView.get(viewOf(s)) ?? new Set<string>();
    members.add(s.member);
    byView.set(viewOf(s), members);
  }
  const views = [...byView].filter(([, members]) => members.size >= quorum).map(([view]) => view);
  return views.length === 0 ? null : Math.min(...views);
}

/** The author's signature among `signatures` (any view), checked under its key; null when none verifies. */
export function authorSignature(
  entry: LedgerEntry,
  hash: string,
  signatures: readonly EntrySignature[],
  authorKey: string,
): EntrySignature | null {
  return (
    signatures.find(
      (s) => s.member === entry.proposer && entrySignatureValid(hash, s.signature, authorKey, viewOf(s)),
    ) ?? null
  );
}
