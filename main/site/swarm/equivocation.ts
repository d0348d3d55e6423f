// Proof that a member broke the rule that keeps the ledger from forking. An honest member signs at most
// one entry per (height, view) (its signing record refuses, signing-record.ts), and once it states that
// it moves to view v at a height it reports truthfully the last entry it signed there below v and signs
// nothing below v again. Two different entries at one height can both commit only if some member broke
// one of these rules (view-change.ts says why), and each kind of breach leaves signatures behind:
// - `two-entries`: the member's signatures of two different entries in one view of one height (two
//   quorums in one view share 2q − N ≥ 1 members);
// - `hidden-signature`: the member's signature of an entry in view w, and its signed statement for a
//   later view v (in the other entry's view change) that names no signature there in view w or above.
// Anyone holding the entries and the member's key at that height can check a proof; the member cannot
// deny it.
import {
  entryHash,
  entrySignatureValid,
  swarmIdOf,
  viewOf,
  type LedgerEntry,
  type SignedEntry,
  type ViewStatement,
} from './ledger-entry.ts';
import { viewStatementValid } from './view-change.ts';

interface SignedIn {
  readonly entry: LedgerEntry;
  readonly signature: string;
  /** The view it was signed in; absent for view 0. */
  readonly view?: number;
}

export type EquivocationProof =
  | {
      readonly kind: 'two-entries';
      readonly member: string;
      readonly swarm: string;
      readonly height: number;
      readonly first: SignedIn;
      readonly second: SignedIn;
    }
  | {
      readonly kind: 'hidden-signature';
      readonly member: string;
      readonly swarm: string;
      readonly height: number;
      /** The entry the member signed, in `first.view`. */
      readonly first: SignedIn;
      /** Its statement for a later view that hides that signature. */
      readonly statement: ViewStatement;
    };

/**
 * The members that signed both `a` and `b`, two different entries at one height of one swarm, in one
 * view, or that hid a signature of one in a statement the other's view change carries; each with its
 * proof. Empty when the entries do not conflict or nobody broke a rule. `signingKeyOf` gives a member's
 * key at that height (from the ledger up to it); what does not verify under it proves nothing.
 */
export function findEquivocations(
  a: SignedEntry,
  b: SignedEntry,
  signingKeyOf: (member: string) => string | undefined,
): EquivocationProof[] {
  const hashA = entryHash(a.entry);
  const hashB = entryHash(b.entry);
  if (!conflicting(a.entry, hashA, b.entry, hashB)) return [];
  const swarm = swarmIdOf(a.entry);
  const height = a.entry.height;
  const proofs: EquivocationProof[] = [];
  for (const signatureA of a.signatures) {
    const key = signingKeyOf(signatureA.member);
    const signatureB = b.signatures.find(
      (s) => s.member === signatureA.member && viewOf(s) === viewOf(signatureA),
    );
    if (signatureB === undefined || key === undefined) continue;
    const view = viewOf(signatureA);
    if (!entrySignatureValid(hashA, signatureA.signature, key, view)) continue;
    if (!entrySignatureValid(hashB, signatureB.signature, key, view)) continue;
    proofs.push({
      kind: 'two-entries',
      member: signatureA.member,
      swarm,
      height,
      first: signedIn(a.entry, signatureA.signature, view),
      second: signedIn(b.entry, signatureB.signature, view),
    });
  }
  for (const [signed, other] of [
    [a, b],
    [b, a],
  ] as const)
    for (const statement of other.viewChange?.statements ?? []) {
      const key = signingKeyOf(statement.member);
      if (key === undefined || proofs.some((p) => p.member === statement.member)) continue;
      const hash = entryHash(signed.entry);
      const hidden = signed.signatures.find(
        (s) =>
          s.member === statement.member &&
          hides(statement, viewOf(s), hash) &&
          entrySignatureValid(hash, s.signature, key, viewOf(s)),
      );
      if (hidden === undefined || statement.previous !== signed.entry.previous) continue;
      if (!viewStatementValid(statement, swarm, key)) continue;
      proofs.push({
        kind: 'hidden-signature',
        member: statement.member,
        swarm,
        height,
        first: signedIn(signed.entry, hidden.signature, viewOf(hidden)),
        statement,
      });
    }
  return proofs;
}

/** True when `proof` shows that the holder of `signingKey` broke the signing rule at one height. */
export function equivocationProven(proof: EquivocationProof, signingKey: string): boolean {
  const hashA = entryHash(proof.first.entry);
  const viewA = proof.first.view ?? 0;
  const firstHolds =
    swarmIdOf(proof.first.entry) === proof.swarm &&
    proof.first.entry.height === proof.height &&
    entrySignatureValid(hashA, proof.first.signature, signingKey, viewA);
  if (!firstHolds) return false;
  if (proof.kind === 'hidden-signature')
    return (
      proof.statement.height === proof.height &&
      proof.statement.previous === proof.first.entry.previous &&
      hides(proof.statement, viewA, hashA) &&
      viewStatementValid(proof.statement, proof.swarm, signingKey)
    );
  const hashB = entryHash(proof.second.entry);
  return (
    conflicting(proof.first.entry, hashA, proof.second.entry, hashB) &&
    (proof.second.view ?? 0) === viewA &&
    entrySignatureValid(hashB, proof.second.signature, signingKey, viewA)
  );
}

/** A statement for a later view that does not report a signature of `hash` made in `view`. */
function hides(statement: ViewStatement, view: number, hash: string): boolean {
  if (view >= statement.view) return false;
  const last = statement.last;
  return last === null || last.view < view || (last.view === view && last.entry !== hash);
}

function signedIn(entry: LedgerEntry, signature: string, view: number): SignedIn {
  return view === 0 ? { entry, signature } : { entry, signature, view };
}

function conflicting(a: LedgerEntry, hashA: string, b: LedgerEntry, hashB: string): boolean {
  return hashA !== hashB && a.height === b.height && swarmIdOf(a) === swarmIdOf(b);
}
