// What the Swarm page sees of the swarm this site is in (docs/swarm-learning.md): read from the site's
// own copy of the ledger, checked signature by signature, never from a peer. Member ids, addresses and
// hashes are for the page's technical detail; the page's sentences use the members' names.
import { z } from 'zod';

/** How the other members reach a member: straight to its address, or through a relay. */
export const swarmReachSchema = z.enum(['direct', 'through-member', 'through-relay-server']);
export type SwarmReach = z.infer<typeof swarmReachSchema>;

export const swarmMemberViewSchema = z.object({
  /** The fingerprint of its signing key (32 hex digits), for the technical detail. */
  id: z.string(),
  name: z.string(),
  address: z.string(),
  reach: swarmReachSchema,
  /** The relaying member's name (`through-member`) or the relay server's host (`through-relay-server`). */
  via: z.string().nullable(),
  isThisSite: z.boolean(),
});
export type SwarmMemberView = z.infer<typeof swarmMemberViewSchema>;

/** A round as the ledger records it: started (drawing its leader), under way (leader known), or finished. */
export const swarmRoundViewSchema = z.object({
  round: z.number().int(),
  stage: z.enum(['drawing-leader', 'under-way', 'finished']),
  /** The members taking part (their names): who committed a nonce, who revealed it, or who the aggregate names. */
  participants: z.array(z.string()),
  /** Who combines (under way: the first in the round's succession; finished: who did). */
  leader: z.string().nullable(),
  /** Members that committed to the round but did not reveal their part of the draw: left out of it. */
  leftOut: z.array(z.string()),
  /** SHA-256 of the new model (finished only). */
  modelHash: z.string().nullable(),
  /** The swarm's privacy spent (ε) once this round committed (finished only). */
  epsilonSpent: z.number().nullable(),
});
export type SwarmRoundView = z.infer<typeof swarmRoundViewSchema>;

export const swarmLedgerCheckSchema = z.object({
  verified: z.boolean(),
  /** The first height that failed the check, and why in words; null when every entry verified. */
  failedAt: z.number().int().nullable(),
  problem: z.string().nullable(),
});

export const swarmStatusViewSchema = z.discriminatedUnion('inSwarm', [
  z.object({ inSwarm: z.literal(false) }),
  z.object({
    inSwarm: z.literal(true),
    name: z.string(),
    swarmId: z.string(),
    /** This site's name as a member (swarm.json), or null when the ledger does not list it (left). */
    thisSite: z.string().nullable(),
    /** Entries in this site's copy of the ledger (the next height). */
    height: z.number().int(),
    ledger: swarmLedgerCheckSchema,
    quorum: z.object({
      needed: z.number().int(),
      of: z.number().int(),
      rule: z.enum(['majority', 'two-thirds']),
    }),
    members: z.array(swarmMemberViewSchema),
    roundsFinished: z.number().int(),
    currentRound: swarmRoundViewSchema.nullable(),
    lastRound: swarmRoundViewSchema.nullable(),
  }),
]);
export type SwarmStatusView = z.infer<typeof swarmStatusViewSchema>;
