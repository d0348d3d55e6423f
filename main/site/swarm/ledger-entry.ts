// One entry of a swarm's membership ledger, its schema, its hash and the bytes members sign.
//
// An entry is hashed as RFC 8785 canonical JSON (shared/federation/canonical-json.ts: keys sorted by
// UTF-16 code units, numbers as ECMAScript writes them, which is what RFC 8785 specifies; the values
// here are ASCII strings, safe integers and one finite ε, see canonical-json-rfc8785.spec.ts). The
// signatures are not part of the hash: each member signs the hash, so the entry is fixed before it is
// countersigned, and any quorum of signatures proves the same entry.
//
// Every schema is strict (an unknown field is refused, not dropped: dropping it would change the
// hash the proposer signed) and every string and list has a bound, so a hostile peer cannot make a
// member hold or hash more than MAX_ENTRY_BYTES per entry.
import { type KeyObject, sign, verify } from 'node:crypto';
import { z } from 'zod';
import { canonicalJson } from '../../../shared/federation/index.ts';
import { importPublicKey, sha256Hex } from '../../../shared/node/federation/index.ts';

export const LEDGER_FORMAT = 1;
/** An entry's canonical JSON, signatures included, may not exceed this. */
export const MAX_ENTRY_BYTES = 64 * 1024;
/** A swarm is a consortium of hospitals, not a public network. */
export const MAX_MEMBERS = 64;
/** The previous hash of the genesis entry. */
export const GENESIS_PREVIOUS = '0'.repeat(64);

const hash = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 in 64 lowercase hex digits');
/** A member's id: the fingerprint (32 hex digits) of the signing key it joined with. */
export const memberIdSchema = z.string().regex(/^[0-9a-f]{32}$/, 'a member id (32 hex digits)');
const publicKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'an Ed25519/X25519 public key (43 base64url)');
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/, 'an Ed25519 signature (86 base64url)');
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[\x20-\x7e]+$/, 'printable ASCII');

export const memberCardSchema = z.strictObject({
  id: memberIdSchema,
  name: text(200),
  signingKey: publicKey,
  exchangeKey: publicKey,
  /** Where peers reach it (https://host:port); a relay address when it accepts no inbound. */
  address: text(2048),
});
export type MemberCard = z.infer<typeof memberCardSchema>;

export const quorumRuleSchema = z.enum(['majority', 'two-thirds']);
export type QuorumRule = z.infer<typeof quorumRuleSchema>;

const roundNumber = z.number().int().min(1).max(1_000_000);
const roundCommitSchema = z.strictObject({ member: memberIdSchema, commit: hash, signature });
export type RoundCommit = z.infer<typeof roundCommitSchema>;

const entryBodySchema = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('genesis'),
    name: text(200),
    founder: memberCardSchema,
    quorumRule: quorumRuleSchema,
    /** Random: two swarms founded alike still have different ids. */
    salt: z.string().regex(/^[0-9a-f]{32}$/),
  }),
  z.strictObject({
    kind: z.literal('join'),
    member: memberCardSchema,
    /** The invitation's id, so the same invitation can never admit twice. */
    invitation: z.string().regex(/^[0-9a-f]{32}$/),
    /** The joiner's signature of its request: it holds the key, and asked to join this swarm. */
    requestSignature: signature,
  }),
  z.strictObject({
    kind: z.literal('leave'),
    member: memberIdSchema,
    reason: z.enum(['left', 'removed']),
  }),
  z.strictObject({
    kind: z.literal('key-rotation'),
    member: memberIdSchema,
    signingKey: publicKey,
    /** Signed by the new key: the member holds it. */
    proof: signature,
  }),
  z.strictObject({
    kind: z.literal('round-start'),
    round: roundNumber,
    /** SHA-256 of the task definition the round trains. */
    task: hash,
    commits: z.array(roundCommitSchema).min(1).max(MAX_MEMBERS),
  }),
  z.strictObject({
    kind: z.literal('round-seed'),
    round: roundNumber,
    reveals: z
      .array(z.strictObject({ member: memberIdSchema, nonce: hash }))
      .min(1)
      .max(MAX_MEMBERS),
  }),
  z.strictObject({
    kind: z.literal('aggregate-commit'),
    round: roundNumber,
    leader: memberIdSchema,
    /** SHA-256 of the new global model's bytes. */
    model: hash,
    /** SHA-256 of the combiner's state tensors (FedAvgM, FedAdam), so the next leader goes on from it. */
    serverState: hash.nullable(),
    participants: z.array(memberIdSchema).min(1).max(MAX_MEMBERS),
    epsilonSpent: z.number().finite().min(0).max(1e6),
  }),
]);
export type EntryBody = z.infer<typeof entryBodySchema>;
export type EntryKind = EntryBody['kind'];

export const ledgerEntrySchema = z.strictObject({
  format: z.literal(LEDGER_FORMAT),
  /** The genesis entry's hash; absent in the genesis entry itself. */
  swarm: hash.optional(),
  height: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  previous: hash,
  proposer: memberIdSchema,
  /** The proposer's clock, for people reading the ledger; nothing is decided on it. */
  proposedAt: z.string().regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,3})?Z$/, 'an ISO time in UTC'),
  body: entryBodySchema,
});
export type LedgerEntry = z.infer<typeof ledgerEntrySchema>;

/** Views of one height (view-change.ts): 0, the open view, is left out of a signature. */
export const viewNumberSchema = z.number().int().min(1).max(1_000_000);

export const entrySignatureSchema = z.strictObject({
  member: memberIdSchema,
  signature,
  /** The view the member signed in; absent for view 0, so signatures from before views read the same. */
  view: viewNumberSchema.optional(),
});
export type EntrySignature = z.infer<typeof entrySignatureSchema>;

/**
 * A member's signed statement that it moves to `view` at `height` (after `previous`), and the highest
 * view below it in which it signed an entry there (null: none). Once given, it signs nothing at that
 * height in an earlier view (view-change.ts).
 */
export const viewStatementSchema = z.strictObject({
  member: memberIdSchema,
  height: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  previous: hash,
  view: viewNumberSchema,
  last: z
    .strictObject({
      view: z.number().int().min(0).max(1_000_000),
      entry: hash,
      /** That entry's proposer (null for a signature kept from before views, entry unknown). */
      proposer: memberIdSchema.nullable(),
    })
    .nullable(),
  signature,
});
export type ViewStatement = z.infer<typeof viewStatementSchema>;

/** A quorum's statements for the view an entry was committed in: what lets members sign in it. */
export const viewChangeSchema = z.strictObject({
  view: viewNumberSchema,
  statements: z.array(viewStatementSchema).min(1).max(MAX_MEMBERS),
});
export type ViewChange = z.infer<typeof viewChangeSchema>;

export const signedEntrySchema = z.strictObject({
  entry: ledgerEntrySchema,
  signatures: z
    .array(entrySignatureSchema)
    .min(1)
    .max(2 * MAX_MEMBERS),
  /** Present when the quorum signed in a view above 0. */
  viewChange: viewChangeSchema.optional(),
});
export type SignedEntry = z.infer<typeof signedEntrySchema>;

export function entryHash(entry: LedgerEntry): string {
  return sha256Hex(canonicalJson(entry));
}

/** The swarm an entry belongs to: the genesis entry's own hash, or the hash every other entry names. */
export function swarmIdOf(entry: LedgerEntry): string {
  return entry.swarm ?? entryHash(entry);
}

/**
 * What a member signs for an entry: a domain tag and the hash, never a bare hash, and the view when it
 * is above 0 (so a signature in one view cannot be shown as one in another: equivocation.ts).
 */
function entrySigningBytes(hashHex: string, view: number): Buffer {
  return Buffer.from(`RADFED-SWARM-ENTRY-V1\n${hashHex}${view > 0 ? `\nview ${view}` : ''}`);
}

export function signEntryHash(hashHex: string, privateKey: KeyObject, view = 0): string {
  return sign(null, entrySigningBytes(hashHex, view), privateKey).toString('base64url');
}

export function entrySignatureValid(
  hashHex: string,
  signatureText: string,
  signingKey: string,
  view = 0,
): boolean {
  return signatureValid(entrySigningBytes(hashHex, view), signatureText, signingKey);
}

/** The view of a signature (0 when it names none). */
export function viewOf(signature: Pick<EntrySignature, 'view'>): number {
  return signature.view ?? 0;
}

/** Ed25519 over a domain-tagged canonical statement (join requests, key proofs, round commits). */
export function signStatement(tag: string, statement: unknown, privateKey: KeyObject): string {
  return sign(null, Buffer.from(`${tag}\n${canonicalJson(statement)}`), privateKey).toString('base64url');
}

export function statementSignatureValid(
  tag: string,
  statement: unknown,
  signatureText: string,
  signingKey: string,
): boolean {
  return signatureValid(Buffer.from(`${tag}\n${canonicalJson(statement)}`), signatureText, signingKey);
}

function signatureValid(bytes: Buffer, signatureText: string, signingKey: string): boolean {
  try {
    return verify(
      null,
      bytes,
      importPublicKey(signingKey, 'ed25519'),
      Buffer.from(signatureText, 'base64url'),
    );
  } catch {
    return false;
  }
}
