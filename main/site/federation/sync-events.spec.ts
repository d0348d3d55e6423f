// The operator's lines for a trained round: a split round has no validation pass at the site, and in
// label-sharing mode no loss at all (the hub computes it), which printed "validation loss NaN".
import { describe, expect, it } from 'vitest';
import { describeSyncEvent, type SplitRoundFigures, type SyncEvent } from './sync-events.ts';

const split: SplitRoundFigures = {
  steps: 4,
  images: 64,
  bytesUp: 1000,
  bytesDown: 1000,
  stepMs: [10, 12],
  retries: 0,
  seconds: 1,
};
const trained = (loss: number, extra: Partial<Extract<SyncEvent, { type: 'trained' }>> = {}): SyncEvent => ({
  type: 'trained',
  taskId: 't',
  round: 2,
  seconds: 3.25,
  examples: 64,
  resumedFromEpoch: 0,
  validation: { loss, accuracy: Number.NaN, auc: null, n: 64 },
  ...extra,
});

describe('the trained round line', () => {
  it('gives a federated round its validation loss and AUC', () => {
    const line = describeSyncEvent(
      trained(0.41234, { validation: { loss: 0.41234, accuracy: 0.8, auc: 0.9, n: 9 } }),
    );
    expect(line).toBe('Round 2: trained in 3.3 s; local validation loss 0.412, AUC 0.900.');
  });

  it("calls a split round's loss a training loss, and says why there is no validation pass", () => {
    const line = describeSyncEvent(trained(0.5, { split }));
    expect(line).toContain('training loss 0.500 (split learning: no validation pass at this site)');
    expect(line).not.toContain('validation loss');
  });

  it('says the hub computes the loss in label-sharing mode instead of printing NaN', () => {
    const line = describeSyncEvent(trained(Number.NaN, { split }));
    expect(line).toContain('the loss is computed at the hub');
    expect(line).not.toMatch(/NaN|Infinity/);
  });

  it('never prints NaN or Infinity for a figure a round does not have', () => {
    expect(describeSyncEvent(trained(Number.POSITIVE_INFINITY))).not.toMatch(/NaN|Infinity/);
    const evaluated = describeSyncEvent({
      type: 'evaluated',
      taskId: 't',
      version: 3,
      round: 3,
      metrics: { loss: Number.NaN, accuracy: Number.NaN, auc: null, n: 0 },
      federated: { loss: null, auc: null, sites: 0 },
    });
    expect(evaluated).not.toMatch(/NaN|Infinity/);
  });
});
