// Progress events of a training run, for the UI, the tray and the CLI.
import type { BackendReport } from '../backend/index.ts';
import type { ValidationMetrics } from './metrics.ts';

export type TrainProgress =
  | {
      type: 'started';
      backend: BackendReport;
      epochs: number;
      batchesPerEpoch: number;
      resumedFromEpoch: number;
      /** The batch trained with: the task's, or a smaller one that fits the backend's memory. */
      batchSize?: number;
      /** In plain words, why the batch is smaller than the task's or activations are recomputed, when so. */
      memoryNote?: string;
    }
  | {
      type: 'batch';
      epoch: number;
      batch: number;
      batches: number;
      loss: number;
      imagesPerSecond: number;
      /** Estimated seconds until the last epoch ends (validation included). */
      secondsLeft: number;
    }
  | {
      type: 'epoch';
      epoch: number;
      trainLoss: number;
      learningRate: number;
      validation: ValidationMetrics;
      seconds: number;
      imagesPerSecond: number;
      isBest: boolean;
    }
  | { type: 'finished'; reason: 'completed' | 'early-stopping'; bestEpoch: number };

export interface EpochRecord {
  epoch: number;
  trainLoss: number;
  learningRate: number;
  validation: ValidationMetrics;
  seconds: number;
  imagesPerSecond: number;
}
