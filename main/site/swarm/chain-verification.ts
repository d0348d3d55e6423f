// Verifying ledger entries received from a peer, which may be anyone: every entry is checked against
// the state the entries before it built (its height, the hash it follows, the swarm it names, every
// signature, a quorum of the members at that height, and the transition itself), and the first
// failure is refused with the height it is at. Sizes are bounded before anything is hashed.
import type { z } from 'zod';
import { canonicalJson } from '../../../shared/federation/index.ts';
import {
  entryHash,
  entrySignatureValid,
  GENESIS_PREVIOUS,
  viewOf,
  MAX_ENTRY_BYTES,
  ledgerEntrySchema,
  signedEntrySchema,
  type LedgerEntry,
  type SignedEntry,
} from './ledger-entry.ts';
import { applyEntry, findMember, quorumSize, type MembershipState } from './membership.ts';
import { LedgerVerificationError } from './swarm-error.ts';
import { checkViewChange, quorumView } from './view-change.ts';

/** At most this many entries in one page a peer sends; the network asks for the next page. */
export const MAX_ENTRIES_PER_PAGE = 1000;
/** At most this many bytes of JSON in one page, checked before it is parsed. */
export const MAX_PAGE_BYTES = 16 * 1024 * 1024;

export interface VerifiedEntry {
  readonly signed: SignedEntry;
  readonly hash: string;
  readonly state: MembershipState;
}

type Fail = (code: ConstructorParameters<typeof LedgerVerificationError>[0], problem: string) => never;

function failAt(height: number): Fail {
  return (code, problem) => {
    throw new LedgerVerificationError(code, height, problem);
  };
}

/** Parses `candidate` with `schema` after bounding its canonical size. */
function parseBounded<T>(candidate: unknown, schema: z.ZodType<T>, fail: Fail): T {
  let size: number;
  try {
    size = Buffer.byteLength(canonicalJson(candidate));
  } catch {
    return fail('bad-entry', 'the entry is not JSON data.');
  }
  if (size > MAX_ENTRY_BYTES) fail('too-large', `the entry is ${size} bytes (at most ${MAX_ENTRY_BYTES}).`);
  const parsed = schema.safeParse(candidate);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return fail(
      'bad-entry',
      `the entry is malformed (${issue?.path.join('.') ?? ''}: ${issue?.message ?? ''}).`,
    );
  }
  return parsed.data;
}

/** A signed entry from the wire, size-bounded and parsed, signatures not yet checked. */
export function parseSignedEntry(candidate: unknown, height: number): SignedEntry {
  return parseBounded(candidate, signedEntrySchema, failAt(height));
}

/** Height, predecessor and swarm: where an entry stands, checked before anything is signed or applied. */
function checkPlacement(state: MembershipState | null, entry: LedgerEntry, fail: Fail): void {
  if (entry.height !== (state?.nextHeight ?? 0))
    fail('wrong-height', `the entry says height ${entry.height}.`);
  if (entry.previous !== (state?.tipHash ?? GENESIS_PREVIOUS))
    fail(
      'wrong-previous',
      'it does not follow the hash of the entry before it (a changed or replayed entry).',
    );
  if (state === null && entry.swarm !== undefined) fail('wrong-swarm', 'a genesis entry names no swarm.');
  if (state !== null && entry.swarm !== state.swarmId) fail('wrong-swarm', 'it belongs to another swarm.');
}

/**
 * A member's review of an unsigned entry (from the wire) before it countersigns: every check of
 * `verifySignedEntry` except the signatures. Returns the entry, its hash and the state after it.
 */
export function reviewEntry(
  state: MembershipState | null,
  candidate: unknown,
): { entry: LedgerEntry; hash: string; state: MembershipState } {
  const fail = failAt(state?.nextHeight ?? 0);
  const entry = parseBounded(candidate, ledgerEntrySchema, fail);
  checkPlacement(state, entry, fail);
  const hash = entryHash(entry);
  return { entry, hash, state: applyEntry(state, entry, hash) };
}

/**
 * Checks one entry (from the wire: unknown shape) against `state` (null before the genesis entry),
 * signatures and quorum included, and returns the state after it.
 */
export function verifySignedEntry(
  state: MembershipState | null,
  candidate: unknown,
  expectedHeight: number,
): VerifiedEntry {
  const fail = failAt(expectedHeight);
  const signed = parseBounded(candidate, signedEntrySchema, fail);
  const { entry } = signed;
  checkPlacement(state, entry, fail);
  const hash = entryHash(entry);
  // Before the genesis entry the only signer that counts is the founder it names.
  const signers =
    state?.members ??
    (entry.body.kind === 'genesis'
      ? [{ id: entry.body.founder.id, signingKey: entry.body.founder.signingKey }]
      : []);
  // A member signs once per view; it may sign the same entry again in a later view (view-change.ts).
  const signedIn = new Set<string>();
  const signedBy = new Set<string>();
  for (const signature of signed.signatures) {
    const { member } = signature;
    const signer = signers.find((candidateMember) => candidateMember.id === member);
    if (signer === undefined) fail('unknown-member', 'a signature is by someone who is not a member.');
    const key = `${member}@${viewOf(signature)}`;
    if (signedIn.has(key)) fail('bad-signature', 'a member signed it twice.');
    if (!entrySignatureValid(hash, signature.signature, signer?.signingKey ?? '', viewOf(signature)))
      fail('bad-signature', 'a signature does not verify (a forged signature, or a changed entry).');
    signedIn.add(key);
    signedBy.add(member);
  }
  if (!signedBy.has(entry.proposer)) fail('bad-signature', 'its proposer did not sign it.');
  if (state !== null && findMember(state, entry.proposer) === undefined)
    fail('unknown-member', 'its proposer is not a member.');
  const needed = state === null ? 1 : quorumSize(state.members.length, state.quorumRule);
  const view = quorumView(signed.signatures, needed);
  if (view === null) {
    const most = Math.max(
      ...[...new Set(signed.signatures.map(viewOf))].map(
        (v) => new Set(signed.signatures.filter((s) => viewOf(s) === v).map((s) => s.member)).size,
      ),
    );
    fail('quorum-short', `${most} of ${signers.length} members signed it; it needs ${needed}.`);
  }
  // A quorum in a view above 0 counts only with the statements that allowed it (the lock).
  if (state !== null && view !== null && view > 0) {
    if (signed.viewChange?.view !== view)
      fail('bad-view-change', `its quorum signed in view ${view} without that view's statements.`);
    checkViewChange(state, hash, signed.viewChange, (problem) => fail('bad-view-change', problem));
  }
  return { signed, hash, state: applyEntry(state, entry, hash) };
}

export interface ChainExpectations {
  /** The swarm the chain must be (an invitation's pin, or the local ledger's id). */
  readonly swarmId?: string;
  /** The peer's claimed tip: a chain that stops short of it is truncated. */
  readonly tip?: { readonly height: number; readonly hash: string };
}

/**
 * Verifies a chain from `state` on (null: from genesis) and returns each entry with the state after
 * it. Throws LedgerVerificationError naming the first bad height.
 */
export function verifyChain(
  state: MembershipState | null,
  entries: readonly unknown[],
  expect: ChainExpectations = {},
): VerifiedEntry[] {
  const first = state?.nextHeight ?? 0;
  if (entries.length > MAX_ENTRIES_PER_PAGE)
    throw new LedgerVerificationError(
      'too-large',
      first,
      `a page holds at most ${MAX_ENTRIES_PER_PAGE} entries, this one ${entries.length}.`,
    );
  const verified: VerifiedEntry[] = [];
  let current = state;
  for (const [index, candidate] of entries.entries()) {
    const step = verifySignedEntry(current, candidate, first + index);
    if (expect.swarmId !== undefined && step.state.swarmId !== expect.swarmId)
      throw new LedgerVerificationError(
        'wrong-swarm',
        first + index,
        'it is not the swarm you were invited to.',
      );
    verified.push(step);
    current = step.state;
  }
  const tip = expect.tip;
  if (tip !== undefined) {
    const reached = (current?.nextHeight ?? 0) - 1;
    if (reached < tip.height)
      throw new LedgerVerificationError(
        'truncated',
        reached + 1,
        `the peer's ledger reaches height ${tip.height}.`,
      );
    if (reached === tip.height && current?.tipHash !== tip.hash)
      throw new LedgerVerificationError(
        'wrong-previous',
        reached,
        "it does not end at the peer's claimed tip.",
      );
  }
  return verified;
}

/** Parses one page of entries as a peer sends it (a JSON array), bounding its size first. */
export function parseLedgerPage(text: string, firstHeight: number): unknown[] {
  const bytes = Buffer.byteLength(text);
  if (bytes > MAX_PAGE_BYTES)
    throw new LedgerVerificationError(
      'too-large',
      firstHeight,
      `the page is ${bytes} bytes (at most ${MAX_PAGE_BYTES}).`,
    );
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new LedgerVerificationError(
      'truncated',
      firstHeight,
      'the page is not complete JSON (cut off in transit?).',
    );
  }
  if (!Array.isArray(value))
    throw new LedgerVerificationError('bad-entry', firstHeight, 'a page is a JSON array of entries.');
  return value as unknown[];
}
