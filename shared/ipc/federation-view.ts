// What the Training & federation page shows: the hub's tasks in plain words with their approval, and
// the live progress of the site's federation loop. Counts, rounds, losses and seconds; no patient data.
import { z } from 'zod';

/** The task a request names (federation:approve, decline, withdraw). */
export const taskIdRequestSchema = z.strictObject({ taskId: z.string().trim().min(1).max(200) });

export const federationTaskItemSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The task's state at the hub: active, completed, stopped... */
  state: z.string(),
  rounds: z.number(),
  /** The task's label set, in class order (a site task with the same labels supplies its cohort). */
  labels: z.array(z.string()),
  approval: z.object({ at: z.string(), by: z.string(), cohortTaskId: z.string() }).nullable(),
  /** Set when the operator declined the task here (it can still be approved later). */
  declinedAt: z.string().nullable(),
  /** The task in plain words (describeTask), including what leaves the site. */
  summary: z.array(z.string()),
  /** Why the task cannot be approved now (no site task with its labels...), or null. */
  problem: z.string().nullable(),
  /**
   * Why this site refuses the task's privacy settings in plain words (patient-level DP whose noise would
   * drown this site's patients' signal); absent when it does not. Approving is refused while it is set.
   */
  privacyRefusal: z.string().optional(),
  /** The differential-privacy budget in words ("not set" when the task has none). */
  privacyBudget: z.string(),
});
export type FederationTaskItem = z.infer<typeof federationTaskItemSchema>;

export const taskPhaseSchema = z.enum(['waiting', 'training', 'uploading', 'evaluating', 'ended']);
export type TaskPhase = z.infer<typeof taskPhaseSchema>;

export const epochPointSchema = z.object({
  round: z.number(),
  epoch: z.number(),
  /** Mean training loss over the epoch's batches. */
  loss: z.number(),
});
export type EpochPoint = z.infer<typeof epochPointSchema>;

export const roundPointSchema = z.object({
  round: z.number(),
  /** This site's model after local training, on its validation images. */
  local: z.object({ loss: z.number(), accuracy: z.number(), auc: z.number().nullable() }).nullable(),
  /** The published global model, on this site's validation images. */
  global: z
    .object({ version: z.number(), loss: z.number(), accuracy: z.number(), auc: z.number().nullable() })
    .nullable(),
});
export type RoundPoint = z.infer<typeof roundPointSchema>;

export const taskProgressSchema = z.object({
  taskId: z.string(),
  name: z.string(),
  round: z.number().nullable(),
  roundState: z.string().nullable(),
  acceptedUpdates: z.number(),
  quorum: z.number(),
  phase: taskPhaseSchema,
  /** While training: where it is, its speed and the time left (null until measurable). */
  training: z
    .object({
      round: z.number(),
      epoch: z.number(),
      epochs: z.number(),
      batch: z.number(),
      batches: z.number(),
      imagesPerSecond: z.number().nullable(),
      secondsLeft: z.number().nullable(),
      /** Why the batch is smaller than the task's, or activations are recomputed, in plain words. */
      memoryNote: z.string().nullable().default(null),
    })
    .nullable(),
  epochs: z.array(epochPointSchema),
  rounds: z.array(roundPointSchema),
  /** Rounds this site's update counted in. */
  roundsCompleted: z.number(),
  ended: z.object({ state: z.string(), reason: z.string().nullable() }).nullable(),
});
export type TaskProgress = z.infer<typeof taskProgressSchema>;

export const federationProgressSchema = z.object({
  enrolled: z.boolean(),
  /** The loop that takes part in approved tasks is running. */
  running: z.boolean(),
  /** The person paused taking part (Pause on the Training page or in the tray). */
  pausedByUser: z.boolean(),
  /** Whether the hub answered the latest request: unknown until one was made. */
  hub: z.enum(['unknown', 'reachable', 'unreachable']),
  /** Why the hub could not be reached, in words; null while it answers. */
  hubProblem: z.string().nullable(),
  /** The latest problem in words, or null. */
  problem: z.string().nullable(),
  tasks: z.array(taskProgressSchema),
  /** Recent events in words, newest last. */
  log: z.array(z.object({ at: z.string(), text: z.string() })),
});
export type FederationProgress = z.infer<typeof federationProgressSchema>;
