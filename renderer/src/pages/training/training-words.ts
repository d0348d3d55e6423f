// The federation's progress in words and as chart series, for the Training page and the dashboard.
import type { FederationTaskItem, TaskProgress } from '../../../../shared/ipc/index.ts';

export function describePhase(task: TaskProgress): string {
  if (task.ended) {
    return `Finished at the hub (${task.ended.state}${task.ended.reason ? `: ${task.ended.reason}` : ''}).`;
  }
  const round = task.round === null ? '' : ` in round ${task.round}`;
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
  };
}
