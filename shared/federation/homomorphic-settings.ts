// Homomorphic aggregation settings of a task (CKKS with Microsoft SEAL; docs/homomorphic-encryption.md).
// Off by default. `true` / `false` are accepted as short forms, as for secure aggregation. With it on,
// each site encrypts its update under a key only the task's sites hold; the hub adds ciphertexts and
// sees neither an update, nor their sum, nor the model.
import { z } from 'zod';

const settingsObject = z.object({
  enabled: z.boolean().default(false),
  // No clip range: CKKS needs only a bound on the values, and the task's update bound gives it
  // (shared/node/homomorphic/task-update.ts). The first demo run clipped each value to ±0.5 and cut the
  // batch-norm statistics. A stored task's `clipRange` is dropped when it is read.
  /**
   * The most updates one encrypted sum may add (the encryption parameters are sized for it). Absent:
   * the number of sites the task names, or 32 when it names none.
   */
  maxSites: z.number().int().min(1).max(65_536).optional(),
});

export const homomorphicSchema = z.preprocess(
  (value) => (typeof value === 'boolean' ? { enabled: value } : value),
  settingsObject.prefault({}),
);
export type HomomorphicSettings = z.infer<typeof homomorphicSchema>;

/** Sums sized for this many sites when the task names none. */
export const DEFAULT_HOMOMORPHIC_SITES = 32;

/** Whether a task's privacy settings ask for homomorphic aggregation (read loosely, like secureAggregationOn). */
export function homomorphicOn(definition: { privacy: { homomorphic?: unknown } }): boolean {
  const setting = definition.privacy.homomorphic;
  if (typeof setting === 'boolean') return setting;
  return (
    setting !== null && typeof setting === 'object' && (setting as { enabled?: unknown }).enabled === true
  );
}

/**
 * With homomorphic aggregation on and secure aggregation left unsaid, secure aggregation is off: the
 * two are exclusive (the hub cannot unmask ciphertexts), and SecAgg+ is otherwise on by default.
 */
export function withHomomorphicDefaults(privacy: unknown): unknown {
  if (privacy === null || typeof privacy !== 'object') return privacy;
  const record = privacy as Record<string, unknown>;
  if (!homomorphicOn({ privacy: record }) || record['secureAggregation'] !== undefined) return privacy;
  return { ...record, secureAggregation: false };
}
