// The site's limits for split learning's leakage meter (docs/split-learning.md, "The leakage meter"):
// a cut whose activations let a decoder rebuild the site's images with a structural similarity above
// `maxImageSsim`, or whose returned gradients read its labels with an AUC above `maxLabelAuc`, is
// refused at approval. Kept in site.json (`splitLeakageLimits`); IT may lock each limit
// (`split.maxImageSsim`, `split.maxLabelAuc`, docs/settings.md).
import { z } from 'zod';

/** The bounds each limit may take; the same as site.json's (shared/federation/split). */
export const SPLIT_LIMIT_BOUNDS = {
  maxImageSsim: { min: 0, max: 1 },
  maxLabelAuc: { min: 0.5, max: 1 },
} as const;

export const splitLimitKeySchema = z.enum(['maxImageSsim', 'maxLabelAuc']);
export type SplitLimitKey = z.infer<typeof splitLimitKeySchema>;

/** One limit: its value (null: no limit), and whether IT locked it. */
export const splitLimitEntrySchema = z.object({ value: z.number().nullable(), locked: z.boolean() });

export const splitLimitsViewSchema = z.object({
  maxImageSsim: splitLimitEntrySchema,
  maxLabelAuc: splitLimitEntrySchema,
});
export type SplitLimitsView = z.infer<typeof splitLimitsViewSchema>;

/**
 * The limits to save; null: no limit. The request checks only that each is a finite number: the agent
 * checks the range, so its refusal names the limit in words beside the field.
 */
export const splitLimitsChangeSchema = z.strictObject({
  maxImageSsim: z.number().finite().nullable(),
  maxLabelAuc: z.number().finite().nullable(),
});
export type SplitLimitsChange = z.infer<typeof splitLimitsChangeSchema>;
