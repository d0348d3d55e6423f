// Proof that a member signed two different entries at one height of one swarm. An honest member never
// does (its signing record refuses, ledger-store.ts), and two conflicting entries can both gather a
// quorum only if the quorums share a member (q > N/2: any two quorums of N intersect in 2q − N ≥ 1
// members), so every fork comes with at least 2q − N such proofs. Anyone holding the two signed
// entries and the member's key at that height can check the proof; the member cannot deny it.
import {
  entryHash,
  entrySignatureValid,
  swarmIdOf,
  type LedgerEntry,
  type SignedEntry,
} from './ledger-entry.ts';

export interface EquivocationProof {
  readonly member: string;
  readonly swarm: string;
  readonly height: number;
  readonly first: { readonly entry: LedgerEntry; readonly signature: string };
  readonly second: { readonly entry: LedgerEntry; readonly signature: string };
}

/**
 * The members that signed both `a` and `b`, two different entries at one height of one swarm, each
 * with its proof; empty when the entries do not conflict or nobody signed both. `signingKeyOf` gives a
 * member's key at that height (from the ledger up to it); a signature that does not verify under it
 * proves nothing and is ignored.
 */
export function findEquivocations(
  a: SignedEntry,
  b: SignedEntry,
  signingKeyOf: (member: string) => string | undefined,
): EquivocationProof[] {
  const hashA = entryHash(a.entry);
  const hashB = entryHash(b.entry);
  if (!conflicting(a.entry, hashA, b.entry, hashB)) return [];
  const proofs: EquivocationProof[] = [];
  for (const signatureA of a.signatures) {
    const signatureB = b.signatures.find((s) => s.member === signatureA.member);
    const key = signingKeyOf(signatureA.member);
    if (signatureB === undefined || key === undefined) continue;
    if (!entrySignatureValid(hashA, signatureA.signature, key)) continue;
    if (!entrySignatureValid(hashB, signatureB.signature, key)) continue;
    proofs.push({
      member: signatureA.member,
      swarm: swarmIdOf(a.entry),
      height: a.entry.height,
      first: { entry: a.entry, signature: signatureA.signature },
      second: { entry: b.entry, signature: signatureB.signature },
    });
  }
  return proofs;
}

/** True when `proof` shows that the holder of `signingKey` signed two different entries at one height. */
export function equivocationProven(proof: EquivocationProof, signingKey: string): boolean {
  const hashA = entryHash(proof.first.entry);
  const hashB = entryHash(proof.second.entry);
  return (
    conflicting(proof.first.entry, hashA, proof.second.entry, hashB) &&
    swarmIdOf(proof.first.entry) === proof.swarm &&
    proof.first.entry.height === proof.height &&
    entrySignatureValid(hashA, proof.first.signature, signingKey) &&
    entrySignatureValid(hashB, proof.second.signature, signingKey)
  );
}

function conflicting(a: LedgerEntry, hashA: string, b: LedgerEntry, hashB: string): boolean {
  return hashA !== hashB && a.height === b.height && swarmIdOf(a) === swarmIdOf(b);
}
