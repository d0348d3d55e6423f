// Learning-rate schedules, as a function of progress through training (epochs, fractional).
export type LearningRateSchedule =
  | { kind: 'constant' }
  /** Linear warm-up over `warmupEpochs`, then cosine decay to `floor` × base at the last epoch. */
  | { kind: 'cosine'; warmupEpochs?: number; floor?: number }
  /** Multiply by `factor` every `every` epochs. */
  | { kind: 'step'; every: number; factor: number }
  /**
   * Constant, then a cosine decay to `floor` × base over the last `share` of training: the steps of the
   * last epochs shrink, so the end of training lands near where the constant rate was wandering.
   */
  | { kind: 'final-decay'; share: number; floor?: number };

export function learningRateAt(
  base: number,
  schedule: LearningRateSchedule,
  progress: number,
  totalEpochs: number,
): number {
  switch (schedule.kind) {
    case 'constant':
      return base;
    case 'step':
      return base * schedule.factor ** Math.floor(progress / Math.max(1, schedule.every));
    case 'cosine': {
      const warmup = schedule.warmupEpochs ?? 0;
      if (progress < warmup) return (base * (progress + 1e-3)) / warmup;
      const span = Math.max(1e-9, totalEpochs - warmup);
      const t = Math.min(1, (progress - warmup) / span);
      const floor = schedule.floor ?? 0.05;
      return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
    }
    case 'final-decay': {
      const hold = totalEpochs * (1 - Math.min(1, Math.max(0, schedule.share)));
      if (progress < hold) return base;
      const t = Math.min(1, (progress - hold) / Math.max(1e-9, totalEpochs - hold));
      const floor = schedule.floor ?? 0.05;
      return base * (floor + (1 - floor) * 0.5 * (1 + Math.cos(Math.PI * t)));
    }
  }
}
