// What a swarm trains: the task every member agreed to (its hash goes into each round-start entry, so
// a member commits only to rounds of the task it approved), and the model each aggregate commits to.
import { z } from 'zod';
import { canonicalJson, decodeWeights, type NamedTensor } from '../../../shared/federation/index.ts';
import { sha256Hex } from '../../../shared/node/federation/index.ts';
import { SwarmError } from './swarm-error.ts';

export const swarmTaskSchema = z.strictObject({
  name: z.string().min(1).max(200),
  /** SHA-256 of the initial model's bytes (RFW1): every member starts round 1 from it. */
  initialModel: z.string().regex(/^[0-9a-f]{64}$/),
  rounds: z.number().int().min(1).max(10_000),
  /**
   * SecAgg+ quantisation: updates clipped to ±clipRange, 2^bits levels. Batch norm's running statistics
   * (isRunningStatistic) move by tens a round, so they are clipped to ±statisticsClipRange instead, with
   * their own step; absent, the hub tasks' default (shared secure-aggregation settings, ±64). Optional so
   * that the hash of a task written before it, which members approved, stays the same.
   */
  secureAggregation: z.strictObject({
    clipRange: z.number().positive().max(1e6),
    statisticsClipRange: z.number().positive().max(100000).optional(),
    bits: z.number().int().min(8).max(24),
    /**
     * The fewest members whose updates a secure sum may hold: a member refuses a plan, and gives no
     * share to unmask a sum, of fewer (round-plan-check.ts). With 2 the leader of a two-member round
     * learns the other's update; 3 or more keeps every sum a sum of several hospitals. Optional (absent:
     * 2, as before) so that approved tasks keep their hash.
     */
    minimumParticipants: z.number().int().min(2).max(64).optional(),
  }),
  /** How long a leader has to commit its aggregate before the next in the succession takes over. */
  leaderTimeoutMs: z.number().int().min(100).max(3_600_000),
  /**
   * Site-level differential privacy (DP-FedAvg, as a hub task's): each member clips its update to L2
   * norm clipNorm and adds its share of the noise before masking, so that a sum of at least
   * minimumParticipants updates carries N(0, (noiseMultiplier·clipNorm)²) per value; a leader never
   * commits a sum of fewer (swarm-privacy.ts).
   */
  differentialPrivacy: z
    .strictObject({
      clipNorm: z.number().positive().max(1e6),
      noiseMultiplier: z.number().positive().max(1000),
      budget: z.strictObject({
        epsilon: z.number().positive().max(100),
        delta: z.number().positive().max(0.1),
      }),
      minimumParticipants: z.number().int().min(1).max(64),
    })
    .optional(),
  /**
   * What each member trains on its own cohort (`radfed swarm serve`): one of the site's training tasks
   * (main/site/train, e.g. "chest-radiograph-nodule"), the site task whose cohort it uses (absent: the
   * site's default), and the local training of each round. Absent where the caller brings its own
   * trainer (the demo, the specs).
   */
  training: z
    .strictObject({
      model: z.string().min(1).max(100),
      cohortTask: z.string().min(1).max(200).optional(),
      localEpochs: z.number().int().min(1).max(1000),
      batchSize: z.number().int().min(1).max(4096),
      learningRate: z.number().positive().max(10),
    })
    .optional(),
});
export type SwarmTask = z.infer<typeof swarmTaskSchema>;

export function swarmTaskHash(task: SwarmTask): string {
  return sha256Hex(canonicalJson(task));
}

/** The model with SHA-256 `hash`, decoded; throws SwarmError('model-mismatch') when the bytes differ. */
export function verifiedModel(bytes: Uint8Array, hash: string): NamedTensor[] {
  if (sha256Hex(bytes) !== hash)
    throw new SwarmError(
      'model-mismatch',
      'A model does not have the hash the ledger records for it; it was not used. Fetch it from another member.',
    );
  return decodeWeights(bytes);
}
