// The four secure-aggregation messages a round's leader sends a member (round-secagg-member.ts), as
// their shapes: what the numbers must be is the approved task's to say (round-plan-check.ts).
import { z } from 'zod';
import { participantSchema, secaggPlanSchema } from '../../../shared/federation/index.ts';
import { SwarmError } from './swarm-error.ts';

/**
 * The plan's numbers as numbers only: their bounds are the task's to decide (round-plan-check.ts), so
 * that a threshold of 1 is refused as the wrong threshold, in words, not as a malformed message.
 */
const plannedSchema = secaggPlanSchema.extend({
  participants: z.number().int(),
  neighbours: z.number().int(),
  threshold: z.number().int(),
  clipRange: z.number(),
  statisticsClipRange: z.number().optional(),
  levels: z.number().int(),
  weightCap: z.number().int(),
});
export const keysMessageSchema = z.strictObject({ round: z.number().int().min(1), plan: plannedSchema });
export const sharesMessageSchema = z.strictObject({
  round: z.number().int().min(1),
  participants: z
    .array(participantSchema.extend({ keySignature: z.string().regex(/^[A-Za-z0-9_-]{86}$/) }))
    .min(2)
    .max(64),
});
export const maskMessageSchema = z.strictObject({
  round: z.number().int().min(1),
  incoming: z.array(z.strictObject({ from: z.string(), ciphertext: z.string().max(1024) })).max(64),
});
export const unmaskMessageSchema = z.strictObject({
  round: z.number().int().min(1),
  survived: z.array(z.string()).max(64),
  dropped: z.array(z.string()).max(64),
});

/** `body` as `schema` says, or a refusal naming the first wrong field (never its value). */
export function parseSecAggMessage<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (!parsed.success)
    throw new SwarmError(
      'bad-message',
      `A secure-aggregation message is malformed (${parsed.error.issues[0]?.path.join('.') ?? ''}).`,
    );
  return parsed.data;
}
