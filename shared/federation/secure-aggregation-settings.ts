// Secure aggregation settings of a task (SecAgg+, Bell et al. 2020 over Bonawitz et al. 2017). On by
// default: the hub learns only the sum of the sites' updates. `false` / `true` are accepted as short
// forms (and keep task files written before these settings readable).
import { z } from 'zod';

const settingsObject = z
  .object({
    enabled: z.boolean().default(true),
    /**
     * Sites in each neighbourhood, the site itself included (odd, ≥ 3). Absent: 2·⌈log₂ n⌉ + 1, or
     * every site when there are few.
     */
    neighbours: z
      .number()
      .int()
      .min(3)
      .max(255)
      .refine((k) => k % 2 === 1, 'neighbours must be odd (the site and the same number on each side)')
      .optional(),
    /** Shares needed to recover a site's secrets. Absent: a majority of its neighbourhood. */
    threshold: z.number().int().min(2).max(255).optional(),
    /** Each value of an update is clipped to ±clipRange before it is quantised. */
    clipRange: z.number().positive().max(1000).default(0.5),
    /**
     * Batch norm's running statistics (moving mean and variance, not trained by gradients) are clipped to
     * ±statisticsClipRange instead, quantised with their own step. 64: they moved by up to 22.7 in a round
     * of the demo's reference CNN (2026-12-07, docs/demo.md), where ±0.5 and ±4 cut them every round.
     */
    statisticsClipRange: z.number().positive().max(100000).default(64),
    /** Quantisation levels per value: 2^bits (stochastic rounding). The sum is kept mod 2^32. */
    bits: z.number().int().min(4).max(24).default(16),
    /** Seconds each key-exchange and unmasking phase waits for slow sites before going on without them. */
    phaseSeconds: z
      .number()
      .int()
      .min(5)
      .max(24 * 3600)
      .default(120),
  })
  .refine((s) => s.threshold === undefined || s.neighbours === undefined || s.threshold <= s.neighbours, {
    message: 'threshold cannot exceed neighbours: no site would ever hold enough shares',
    path: ['threshold'],
  })
  .refine((s) => s.threshold === undefined || s.neighbours === undefined || s.threshold * 2 > s.neighbours, {
    message:
      'threshold must be more than half of neighbours, or the hub could collect both kinds of share of one site',
    path: ['threshold'],
  });

export const secureAggregationSchema = z.preprocess(
  (value) => (typeof value === 'boolean' ? { enabled: value } : value),
  settingsObject.prefault({}),
);
export type SecureAggregationSettings = z.infer<typeof secureAggregationSchema>;

/**
 * The fewest updates a published secure sum may hold: the task's quorum, never fewer than 2, and 3 once
 * the round was planned for 3 or more. In a sum of two, each of the two sites reads the other's update
 * (the sum less its own), so sites that began a round of three or more never see one through a
 * dropout. A round planned for 2 keeps its sum of 2: in a federation of two hospitals each reads the
 * other's mean from the published model with or without secure aggregation, which still hides both
 * updates from the hub (docs/secure-aggregation.md, "Two sites").
 */
export function leastUpdatesInSecureSum(quorum: number, planned: number): number {
  return Math.max(2, quorum, planned >= 3 ? 3 : 2);
}
