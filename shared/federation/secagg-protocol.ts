// The hub routes of secure aggregation and the schema of every body. A site sees only its own
// neighbourhood: the other sites' round public keys, the shares addressed to it (encrypted for it),
// and which of its neighbours survived. The masked input itself goes through the ordinary resumable
// upload (kind 'masked', sealed to the hub and signed).
import { z } from 'zod';

export const SECAGG_PHASES = [
  'advertising',
  'sharing',
  'masking',
  'unmasking',
  'aggregating',
  'done',
  'failed',
] as const;
export type SecAggPhase = (typeof SECAGG_PHASES)[number];

const base = (taskId: string, round: number) =>
  `/v1/tasks/${encodeURIComponent(taskId)}/rounds/${round}/secagg`;
export const secaggPaths = {
  view: base,
  keys: (taskId: string, round: number) => `${base(taskId, round)}/keys`,
  shares: (taskId: string, round: number) => `${base(taskId, round)}/shares`,
  unmask: (taskId: string, round: number) => `${base(taskId, round)}/unmask`,
} as const;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/);
const rawKey = z.string().regex(/^[A-Za-z0-9_-]{43}$/);
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
/** A 33-byte Shamir share in base64url. */
const share = z.string().regex(/^[A-Za-z0-9_-]{44}$/);

/** base64url of a 64-byte Ed25519 signature. */
const signature = z.string().regex(/^[A-Za-z0-9_-]{86}$/);

/** A participant's round public keys and the commitment to its self-mask seed. */
const roundPublicKeysSchema = z.object({
  maskPublicKey: rawKey,
  sharePublicKey: rawKey,
  selfMaskCommitment: sha256,
});

export const advertiseKeysRequestSchema = roundPublicKeysSchema.extend({
  /**
   * The site's signature with its enrolled key over the keys, the task, the round and its id
   * (shared/node/secagg/round-keys-signature.ts): its neighbours check it (since protocol 3).
   */
  signature,
});
export type AdvertiseKeysRequest = z.infer<typeof advertiseKeysRequestSchema>;

export const secaggPlanSchema = z.object({
  /** base64url of 32 random bytes: orders the sites on the ring. */
  seed: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
  /** n: sites that advertised keys. */
  participants: z.number().int().min(2),
  /** k: sites per neighbourhood, the site itself included. */
  neighbours: z.number().int().min(2),
  /** t: shares needed to rebuild a secret. */
  threshold: z.number().int().min(2),
  clipRange: z.number().positive(),
  /**
   * Batch norm's running statistics (isRunningStatistic) are clipped to ±statisticsClipRange instead.
   * Absent in plans of hubs before it: every tensor is clipped to ±clipRange.
   */
  statisticsClipRange: z.number().positive().optional(),
  levels: z.number().int().min(2),
  weightCap: z.number().int().min(1),
});
export type SecAggPlan = z.infer<typeof secaggPlanSchema>;

export const participantSchema = roundPublicKeysSchema.extend({
  siteId: id,
  position: z.number().int().min(0),
});
export type Participant = z.infer<typeof participantSchema>;

/** A neighbour as the hub lists it to a site: its keys, its signature over them and its signing key. */
export const listedParticipantSchema = participantSchema.extend({
  /** Null for a site that advertised before protocol 3: a neighbour refuses it. */
  signature: signature.nullable(),
  /** The site's enrolled signing key (raw Ed25519, base64url), which its neighbours pin per task. */
  signingKey: rawKey,
});
export type ListedParticipant = z.infer<typeof listedParticipantSchema>;

export const sharesRequestSchema = z.object({
  shares: z.array(z.object({ to: id, ciphertext: z.string().min(16).max(1024) })).max(255),
});
export type SharesRequest = z.infer<typeof sharesRequestSchema>;

export const unmaskRequestSchema = z.object({
  /** Shares of the self-mask seed of neighbours that sent their masked input. */
  selfMaskShares: z.array(z.object({ owner: id, share })).max(255),
  /** Shares of the mask private key of neighbours that dropped after sharing keys. */
  maskKeyShares: z.array(z.object({ owner: id, share })).max(255),
});
export type UnmaskRequest = z.infer<typeof unmaskRequestSchema>;

export const secaggViewSchema = z.object({
  taskId: id,
  round: z.number().int().min(1),
  phase: z.enum(SECAGG_PHASES),
  deadlineAt: z.string().nullable(),
  failureReason: z.string().nullable(),
  /** Set once the hub has fixed who takes part (from the sharing phase on). */
  plan: secaggPlanSchema.nullable(),
  /** This site's position on the ring, or null when it is not part of this round. */
  position: z.number().int().min(0).nullable(),
  /** This site's neighbourhood, itself included, with their round keys. */
  neighbours: z.array(listedParticipantSchema),
  done: z.object({
    advertised: z.boolean(),
    shared: z.boolean(),
    masked: z.boolean(),
    revealed: z.boolean(),
  }),
  /** Shares addressed to this site by neighbours that shared keys (masking phase on). */
  incomingShares: z.array(z.object({ from: id, ciphertext: z.string() })),
  /** Unmasking phase: neighbours whose masked input arrived, and those that dropped after sharing. */
  survived: z.array(id).nullable(),
  dropped: z.array(id).nullable(),
});
export type SecAggView = z.infer<typeof secaggViewSchema>;

/** Part of the round view: where the secure-aggregation round stands (null for plain rounds). */
export const secaggRoundStatusSchema = z.object({
  phase: z.enum(SECAGG_PHASES),
  deadlineAt: z.string().nullable(),
});
