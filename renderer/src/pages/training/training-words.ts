// The federation's progress in words and as chart series, for the Training page and the dashboard.
import type { FederationTaskItem, TaskProgress } from '../../../../shared/ipc/index.ts';
import { plainNumber } from '../../lib/numbers.ts';

/** `running`: whether the site takes part now; a paused site's task is not "training", whatever it last did. */
export function describePhase(task: TaskProgress, running = true): string {
  if (task.ended) {
    return `Finished at the hub (${task.ended.state}${task.ended.reason ? `: ${task.ended.reason}` : ''}).`;
  }
  const round = task.round === null ? '' : ` in round ${task.round}`;
  if (!running) {
    return `Not taking part now${task.round === null ? '' : `; last seen in round ${task.round}`}. Training resumes from where it stopped.`;
  }
  switch (task.phase) {
    case 'training':
      return `Training on this computer${round}.`;
    case 'uploading':
      return `Sending this site's model update${round} (encrypted).`;
    case 'evaluating':
      return `Checking the new global model on this site's validation images${round}.`;
    case 'waiting':
    case 'ended':
      return task.round === null
        ? 'Waiting for the hub to open a round.'
        : `Waiting for the other sites${round} (${task.acceptedUpdates} of ${task.quorum} updates received).`;
  }
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** "Epoch 1 of 2, batch 3 of 8; 41 images/s; about 12 s left." */
export function describeTraining(training: NonNullable<TaskProgress['training']>): string {
  const parts = [
    `Epoch ${training.epoch} of ${training.epochs}, batch ${training.batch} of ${training.batches}`,
  ];
  if (training.imagesPerSecond !== null) parts.push(`${training.imagesPerSecond.toFixed(1)} images/s`);
  if (training.secondsLeft !== null) parts.push(`about ${formatDuration(training.secondsLeft)} left`);
  return `${parts.join('; ')}.`;
}

/** Fraction of the round's training done, 0 to 1. */
export function trainingFraction(training: NonNullable<TaskProgress['training']>): number {
  const total = training.epochs * training.batches;
  return total === 0 ? 0 : ((training.epoch - 1) * training.batches + training.batch) / total;
}

export function approvalWords(item: FederationTaskItem): string {
  if (item.approval)
    return `Approved ${item.approval.at.slice(0, 16).replace('T', ' ')} by ${item.approval.by}.`;
  if (item.declinedAt)
    return `Declined ${item.declinedAt.slice(0, 16).replace('T', ' ')}. You can still approve it.`;
  return 'Waiting for your decision.';
}

/** Loss per epoch, numbered across rounds (round 2's first epoch follows round 1's last). */
export function epochSeries(task: TaskProgress): { x: number[]; loss: number[] } {
  const points = [...task.epochs].sort((a, b) => a.round - b.round || a.epoch - b.epoch);
  return { x: points.map((_, i) => i + 1), loss: points.map((p) => p.loss) };
}

export function roundSeries(task: TaskProgress) {
  const rounds = task.rounds;
  return {
    x: rounds.map((r) => r.round),
    localLoss: rounds.map((r) => r.local?.loss ?? null),
    globalLoss: rounds.map((r) => r.global?.loss ?? null),
    globalAccuracy: rounds.map((r) => r.global?.accuracy ?? null),
    globalAuc: rounds.map((r) => r.global?.auc ?? null),
    localAuc: rounds.map((r) => r.local?.auc ?? null),
  };
}

/** One sentence on what AUC means, shown under the chart that draws it. */
export const AUC_MEANING =
  'AUC is the chance that the model rates an image with the finding higher than one without it: 0.5 is no better than a coin toss, 1 is perfect.';

/** A loss this large (cross-entropy) means the model's outputs have blown up, whatever the data. */
const LOSS_BLOWN_UP = 100;

/** Whether the loss per round spans so many orders of magnitude that only a log scale shows it. */
export function needsLogScale(values: readonly (number | null)[]): boolean {
  const finite = values.filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  if (finite.length === 0) return false;
  return Math.max(...finite) / Math.min(...finite) > 1000 || Math.max(...finite) > 1e4;
}

/**
 * A plain warning when the latest metrics say the model is not learning (a loss that blew up, or an
 * AUC at chance after a few rounds), with what to do; null when nothing looks wrong.
 */
export function learningWarning(task: TaskProgress): string | null {
  const latest = [...task.rounds].reverse().find((r) => r.global ?? r.local);
  if (!latest) return null;
  // The model trained here may blow up while the hub's bound on updates keeps the global one tame.
  const blownUp = (m: { loss: number } | null) =>
    m !== null && (!Number.isFinite(m.loss) || m.loss > LOSS_BLOWN_UP);
  const metrics = [latest.global, latest.local].find(blownUp) ?? latest.global ?? latest.local;
  if (!metrics) return null;
  const atChance = metrics.auc !== null && Math.abs(metrics.auc - 0.5) < 0.05;
  const aucWords = metrics.auc === null ? '' : ` and its AUC is ${metrics.auc.toFixed(2)}`;
  if (!Number.isFinite(metrics.loss) || metrics.loss > LOSS_BLOWN_UP) {
    const loss = plainNumber(metrics.loss);
    return (
      `The model is not learning: in round ${latest.round} its loss is ${loss} (a model that learns ` +
      `stays near or below 1)${aucWords}${atChance ? ', no better than a coin toss' : ''}. ` +
      'Tell the coordinator: the learning rate may be too high, or the labels may not match the images.'
    );
  }
  if (atChance && task.rounds.filter((r) => r.global ?? r.local).length >= 3) {
    return (
      `The model is not learning yet: after ${latest.round} rounds its AUC is ${metrics.auc?.toFixed(2)}, ` +
      'no better than a coin toss. Check that the labels match the images, and tell the coordinator.'
    );
  }
  return null;
}

/** A site task ID made from a hub task's name ("Nodule screening (e2e)" -> "nodule-screening-e2e"). */
export function siteTaskIdFor(name: string, taken: readonly string[]): string {
  const base =
    name
      .toLowerCase()
      .normalize('NFKD')
      // Accents come apart from their letters under NFKD; drop them, keep the letter.
      .replace(/[\u0300-\u036f]/g, '')
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 56) || 'hub-task';
  let id = base;
  for (let n = 2; taken.includes(id); n++) id = `${base}-${n}`;
  return id;
}

/** The hub's tasks that wait for a decision here, first: they are what the person came to the page for. */
export function waitsForDecision(item: FederationTaskItem): boolean {
  return item.state === 'active' && !item.approval && !item.declinedAt;
}
