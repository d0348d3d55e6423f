// What a site's round tells the Training page and the terminal while it trains: the trainer's memory
// note (a smaller batch, or activations recomputed) reaches them once, and batches at most once a second.
import { expect, it } from 'vitest';
import type { TaskDefinition } from '../../../shared/federation/index.ts';
import type { TrainProgress } from '../train/index.ts';
import { trainingReporter } from './round-work.ts';
import { describeSyncEvent, type SyncEvent } from './sync-events.ts';

const started = (memoryNote?: string): TrainProgress => ({
  type: 'started',
  backend: { name: 'cpu', device: 'CPU', notUsed: [], kernels: [] },
  epochs: 2,
  batchesPerEpoch: 4,
  resumedFromEpoch: 0,
  ...(memoryNote ? { batchSize: 8, memoryNote } : {}),
});
const batch = (n: number): TrainProgress => ({
  type: 'batch',
  epoch: 1,
  batch: n,
  batches: 4,
  loss: 0.5,
  imagesPerSecond: 10,
  secondsLeft: 3,
});

function reporter(clock: { now: number }) {
  const events: SyncEvent[] = [];
  const ctx = {
    emit: (event: SyncEvent) => events.push(event),
    taskId: 't1',
    definition: { localEpochs: 2 } as TaskDefinition,
  };
  return { events, report: trainingReporter(ctx, 3, () => clock.now) };
}

it("passes the trainer's memory note on once, as a line the operator reads", () => {
  const { events, report } = reporter({ now: 0 });
  const note =
    'Training resnet-18 at 224 px needs 9.1 GB for a batch of 32 and this backend can give training 4.0 GB: ' +
    'training with a batch of 12 instead.';
  report(started(note));
  expect(events).toEqual([{ type: 'training-memory', taskId: 't1', round: 3, note }]);
  expect(describeSyncEvent(events[0]!)).toBe(`Round 3: ${note}`);
});

it('says nothing about memory when the batch fits as the task asks', () => {
  const { events, report } = reporter({ now: 0 });
  report(started());
  expect(events).toEqual([]);
});

it("reports batches at most once a second, and always an epoch's last", () => {
  const clock = { now: 5000 };
  const { events, report } = reporter(clock);
  report(batch(1));
  clock.now += 400;
  report(batch(2));
  clock.now += 400;
  report(batch(4));
  expect(events.map((e) => (e.type === 'training' ? [e.batch, e.epochs, e.round] : e.type))).toEqual([
    [1, 2, 3],
    [4, 2, 3],
  ]);
});
