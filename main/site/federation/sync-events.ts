// What the federation loop reports as it goes: to the terminal (in words, by describeSyncEvent), to
// the demo's parent process (as JSON lines), and to tests. Counts, rounds, bytes and seconds only;
// nothing about a patient.

/** What the round's steps cost: the figures `radfed demo --method split` reports. */
export interface SplitRoundFigures {
  readonly steps: number;
  readonly images: number;
  readonly bytesUp: number;
  readonly bytesDown: number;
  /** Each step's time from the bottom's forward pass to its update, retries included (ms). */
  readonly stepMs: number[];
  readonly retries: number;
  readonly seconds: number;
}

export interface SiteMetrics {
  loss: number;
  accuracy: number;
  auc: number | null;
  n: number;
}

export type SyncEvent =
  | { type: 'task-started'; taskId: string; name: string; joined: boolean }
  | {
      type: 'round-state';
      taskId: string;
      round: number | null;
      state: string | null;
      accepted: number;
      quorum: number;
      joined: number;
    }
  | { type: 'initial-model'; taskId: string; outcome: 'sent' | 'not-needed' }
  | {
      type: 'round-started';
      taskId: string;
      round: number;
      baseVersion: number;
      train: number;
      validation: number;
      resumed: boolean;
    }
  | { type: 'model-downloaded'; taskId: string; version: number; bytes: number }
  | {
      type: 'training';
      taskId: string;
      round: number;
      epoch: number;
      epochs: number;
      batch: number;
      batches: number;
      loss: number;
    }
  | {
      /**
       * The trainer's plain-words note when the round's batch does not fit the backend's memory as the task
       * asks (a smaller batch, or activations recomputed in the backward pass); sizes and models only.
       */
      type: 'training-memory';
      taskId: string;
      round: number;
      note: string;
    }
  | {
      type: 'trained';
      taskId: string;
      round: number;
      seconds: number;
      examples: number;
      resumedFromEpoch: number;
      validation: SiteMetrics;
      /** The learning rate the trainer stepped with at the round's last batch (the task's schedule). */
      learningRate?: number;
      /** Split learning: the round's steps over the session (bytes each way, each step's time). */
      split?: SplitRoundFigures;
    }
  | { type: 'uploading'; taskId: string; round: number; sentBytes: number; totalBytes: number }
  | {
      type: 'submitted';
      taskId: string;
      round: number;
      bytes: number;
      resumedFromBytes: number;
      seconds: number;
    }
  | { type: 'refused'; taskId: string; round: number; reason: string }
  | { type: 'missed'; taskId: string; round: number; reason: string }
  | { type: 'round-published'; taskId: string; round: number; version: number; patients: number }
  | {
      type: 'evaluated';
      taskId: string;
      version: number;
      round: number;
      metrics: SiteMetrics;
      federated: { loss: number | null; auc: number | null; sites: number };
    }
  | { type: 'retrying'; taskId: string | null; attempt: number; delayMs: number; message: string }
  | { type: 'problem'; taskId: string | null; message: string }
  | { type: 'task-ended'; taskId: string; state: string; reason: string | null };

const pct = (value: number | null) => (value === null ? 'n/a' : value.toFixed(3));
/** A loss or accuracy a round may not have: split learning's label-sharing mode computes the loss at the hub. */
const figure = (value: number) => (Number.isFinite(value) ? value.toFixed(3) : 'not measured here');
/**
 * A split round has no validation pass at the site (its predictions need the hub's trunk): it reports
 * the last epoch's training loss, and in label-sharing mode none at all, the hub computing the loss.
 */
function trainedFigures(event: Extract<SyncEvent, { type: 'trained' }>): string {
  if (!event.split)
    return `local validation loss ${figure(event.validation.loss)}, AUC ${pct(event.validation.auc)}`;
  return Number.isFinite(event.validation.loss)
    ? `training loss ${event.validation.loss.toFixed(3)} (split learning: no validation pass at this site)`
    : 'the loss is computed at the hub, which holds the labels in this task (label-sharing split learning)';
}
const mb = (bytes: number) => `${(bytes / 1e6).toFixed(2)} MB`;

/**
 * One line for the operator, or null for events too fine-grained to print. `taskName` gives a task's
 * name where the caller knows it (the loop announces it in 'task-started'): people know a task by its
 * name, not by its id, which is used only where no name is known.
 */
export function describeSyncEvent(
  event: SyncEvent,
  taskName: (taskId: string) => string | undefined = () => undefined,
): string | null {
  const task = (taskId: string) => {
    const name = taskName(taskId);
    return name === undefined ? `task ${taskId}` : `task "${name}"`;
  };
  const Task = (taskId: string) => {
    const words = task(taskId);
    return words.charAt(0).toUpperCase() + words.slice(1);
  };
  switch (event.type) {
    case 'task-started':
      return `Task "${event.name}": ${event.joined ? 'taking part' : 'joined'}; waiting for rounds.`;
    case 'round-state':
      return event.round === null
        ? null
        : `${Task(event.taskId)} round ${event.round}: ${event.state} (${event.accepted} of ${event.quorum} updates needed, ${event.joined} sites joined).`;
    case 'initial-model':
      return event.outcome === 'sent'
        ? `${Task(event.taskId)}: sent the initial model (the task had none).`
        : null;
    case 'round-started':
      return (
        `Round ${event.round} of ${task(event.taskId)}: ${event.resumed ? 'resuming' : 'training'} from global model ` +
        `v${event.baseVersion} on ${event.train} images (${event.validation} for validation).`
      );
    case 'model-downloaded':
      return event.bytes > 0
        ? `Downloaded global model v${event.version} (${mb(event.bytes)}), signature verified.`
        : null;
    case 'training':
      return null;
    case 'training-memory':
      return `Round ${event.round}: ${event.note}`;
    case 'trained':
      return `Round ${event.round}: trained in ${event.seconds.toFixed(1)} s${event.resumedFromEpoch > 0 ? ` (resumed after epoch ${event.resumedFromEpoch})` : ''}; ${trainedFigures(event)}.`;
    case 'uploading':
      return null;
    case 'submitted':
      return (
        `Round ${event.round}: update sent (${mb(event.bytes)} sealed${event.resumedFromBytes > 0 ? `, resumed after ${mb(event.resumedFromBytes)}` : ''}) ` +
        `in ${event.seconds.toFixed(1)} s; the hub accepted it.`
      );
    case 'refused':
      return `Round ${event.round}: the hub refused this site's update: ${event.reason}`;
    case 'missed':
      return `Round ${event.round}: this site's update did not count: ${event.reason}`;
    case 'round-published':
      return `Round ${event.round} published as global model v${event.version}; recorded that it used data of ${event.patients} patients.`;
    case 'evaluated':
      return (
        `Global model v${event.version} on this site's validation images: loss ${figure(event.metrics.loss)}, ` +
        `accuracy ${figure(event.metrics.accuracy)}, AUC ${pct(event.metrics.auc)} (federated so far: AUC ${pct(event.federated.auc)} over ${event.federated.sites} sites).`
      );
    case 'retrying':
      return `${event.message} Trying again in ${(event.delayMs / 1000).toFixed(1)} s (attempt ${event.attempt + 1}).`;
    case 'problem':
      return `Problem${event.taskId ? ` with ${task(event.taskId)}` : ''}: ${event.message}`;
    case 'task-ended':
      return `${Task(event.taskId)} is ${event.state}${event.reason ? `: ${event.reason}` : ''}.`;
  }
}
