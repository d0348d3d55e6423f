// Founding a swarm and admitting members, without a hub and without the network (which comes next):
// the founder writes the genesis entry; a joiner turns an invitation into a signed join request; the
// inviting member checks the invitation and proposes the join entry, which the members countersign
// like any entry; a joiner checks the ledger it is sent against its invitation's pins.
import { randomBytes, type KeyObject } from 'node:crypto';
import { verifyChain, type VerifiedEntry } from './chain-verification.ts';
import type { InvitationBook } from './invitation-book.ts';
import { invitationIdFor } from './invitation-book.ts';
import {
  LEDGER_FORMAT,
  GENESIS_PREVIOUS,
  signStatement,
  type EntryBody,
  type LedgerEntry,
  type MemberCard,
  type QuorumRule,
} from './ledger-entry.ts';
import type { SwarmInvitation } from './invitation-token.ts';
import { JOIN_REQUEST_TAG, memberIdFor, type MembershipState } from './membership.ts';
import { SwarmError } from './swarm-error.ts';

/** What a site brings to a swarm: its name and address, its Ed25519 key, its X25519 public key. */
export interface SwarmSiteIdentity {
  readonly name: string;
  readonly address: string;
  readonly signingKey: KeyObject;
  /** base64url raw Ed25519 public key of `signingKey`. */
  readonly signingPublicKey: string;
  /** base64url raw X25519 public key (secure aggregation's pairwise masks). */
  readonly exchangePublicKey: string;
}

export function memberCardOf(identity: SwarmSiteIdentity): MemberCard {
  return {
    id: memberIdFor(identity.signingPublicKey),
    name: identity.name,
    signingKey: identity.signingPublicKey,
    exchangeKey: identity.exchangePublicKey,
    address: identity.address,
  };
}

/** The genesis entry of a new swarm (unsigned: the founder signs it through its ledger's signing record). */
export function genesisEntry(
  founder: SwarmSiteIdentity,
  options: { readonly name: string; readonly quorumRule?: QuorumRule; readonly now: Date },
): LedgerEntry {
  const card = memberCardOf(founder);
  return {
    format: LEDGER_FORMAT,
    height: 0,
    previous: GENESIS_PREVIOUS,
    proposer: card.id,
    proposedAt: options.now.toISOString(),
    body: {
      kind: 'genesis',
      name: options.name,
      founder: card,
      quorumRule: options.quorumRule ?? 'majority',
      salt: randomBytes(16).toString('hex'),
    },
  };
}

/** An entry that follows `state`'s tip, proposed by `proposer` (unsigned). */
export function proposeEntry(
  state: MembershipState,
  proposer: string,
  body: EntryBody,
  now: Date,
): LedgerEntry {
  return {
    format: LEDGER_FORMAT,
    swarm: state.swarmId,
    height: state.nextHeight,
    previous: state.tipHash,
    proposer,
    proposedAt: now.toISOString(),
    body,
  };
}

/** What a joiner sends the inviting member (over the mutual-TLS channel, once it exists). */
export interface JoinRequest {
  readonly swarm: string;
  readonly member: MemberCard;
  readonly invitation: string;
  /** The invitation's secret: the inviter checks it against the SHA-256 it kept. Never stored. */
  readonly secret: string;
  /** The joiner's signature of { swarm, member, invitation }: it holds the key and asks to join. */
  readonly signature: string;
}

export function makeJoinRequest(invitation: SwarmInvitation, joiner: SwarmSiteIdentity): JoinRequest {
  const member = memberCardOf(joiner);
  const invitationId = invitationIdFor(invitation.secret);
  const statement = { swarm: invitation.swarmId, member, invitation: invitationId };
  return {
    swarm: invitation.swarmId,
    member,
    invitation: invitationId,
    secret: invitation.secret,
    signature: signStatement(JOIN_REQUEST_TAG, statement, joiner.signingKey),
  };
}

/**
 * The inviting member's side: redeems the invitation (one time) and returns the join entry to propose.
 * The request's signature and the joiner's id are checked again by every member, as part of the entry.
 */
export function joinEntryFor(
  state: MembershipState,
  book: InvitationBook,
  request: JoinRequest,
  inviter: string,
  now: Date,
): LedgerEntry {
  if (request.swarm !== state.swarmId)
    throw new SwarmError(
      'bad-invitation',
      'This join request is for another swarm. Check the invitation the site used.',
    );
  if (request.invitation !== invitationIdFor(request.secret))
    throw new SwarmError('bad-invitation', "The join request's invitation id does not match its secret.");
  book.redeem(request.secret, state.swarmId, request.member.id, now);
  return proposeEntry(
    state,
    inviter,
    {
      kind: 'join',
      member: request.member,
      invitation: request.invitation,
      requestSignature: request.signature,
    },
    now,
  );
}

/**
 * The joiner's check of the ledger a member sends it: a valid chain from genesis whose genesis is the
 * swarm the invitation names, with the inviter's key among its members, and the joiner admitted.
 */
export function verifyInvitedLedger(
  entries: readonly unknown[],
  invitation: SwarmInvitation,
  joinerId: string,
): VerifiedEntry[] {
  const verified = verifyChain(null, entries, { swarmId: invitation.swarmId });
  const state = verified.at(-1)?.state;
  if (state === undefined) throw new SwarmError('not-founded', 'The inviting member sent an empty ledger.');
  const inviterFound = state.members.some(
    (member) => memberIdFor(member.signingKey) === invitation.inviterKeyFingerprint,
  );
  if (!inviterFound)
    throw new SwarmError(
      'bad-invitation',
      "The ledger does not hold the inviting member's key from the invitation.",
    );
  if (!state.members.some((member) => member.id === joinerId))
    throw new SwarmError(
      'bad-invitation',
      'The ledger does not (yet) admit this site: wait for the members to countersign.',
    );
  return verified;
}
