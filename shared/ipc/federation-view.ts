// What the Training & federation page shows: the hub's tasks in plain words with their approval, and
// the live progress of the site's federation loop. Counts, rounds, losses and seconds; no patient data.

export interface FederationTaskItem {
  id: string;
  name: string;
  /** The task's state at the hub: active, completed, stopped... */
  state: string;
  rounds: number;
  /** The task's label set, in class order (a site task with the same labels supplies its cohort). */
  labels: string[];
  approval: { at: string; by: string; cohortTaskId: string } | null;
  /** Set when the operator declined the task here (it can still be approved later). */
  declinedAt: string | null;
  /** The task in plain words (describeTask), including what leaves the site. */
  summary: string[];
  /** Why the task cannot be approved now (no site task with its labels...), or null. */
  problem: string | null;
  /** The differential-privacy budget in words ("not set" when the task has none). */
  privacyBudget: string;
}

export type TaskPhase = 'waiting' | 'training' | 'uploading' | 'evaluating' | 'ended';

export interface EpochPoint {
  round: number;
  epoch: number;
  /** Mean training loss over the epoch's batches. */
  loss: number;
}

export interface RoundPoint {
  round: number;
  /** This site's model after local training, on its validation images. */
  local: { loss: number; accuracy: number; auc: number | null } | null;
  /** The published global model, on this site's validation images. */
  global: { version: number; loss: number; accuracy: number; auc: number | null } | null;
}

export interface TaskProgress {
  taskId: string;
  name: string;
  round: number | null;
  roundState: string | null;
  acceptedUpdates: number;
  quorum: number;
  phase: TaskPhase;
  /** While training: where it is, its speed and the time left (null until measurable). */
  training: {
    round: number;
    epoch: number;
    epochs: number;
    batch: number;
    batches: number;
    imagesPerSecond: number | null;
    secondsLeft: number | null;
  } | null;
  epochs: EpochPoint[];
  rounds: RoundPoint[];
  /** Rounds this site's update counted in. */
  roundsCompleted: number;
  ended: { state: string; reason: string | null } | null;
}

export interface FederationProgress {
  enrolled: boolean;
  /** The loop that takes part in approved tasks is running. */
  running: boolean;
  /** The person paused taking part (Pause on the Training page or in the tray). */
  pausedByUser: boolean;
  /** Whether the hub answered the latest request: unknown until one was made. */
  hub: 'unknown' | 'reachable' | 'unreachable';
  /** Why the hub could not be reached, in words; null while it answers. */
  hubProblem: string | null;
  /** The latest problem in words, or null. */
  problem: string | null;
  tasks: TaskProgress[];
  /** Recent events in words, newest last. */
  log: { at: string; text: string }[];
}
