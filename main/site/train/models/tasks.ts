// Training tasks: what a site trains, named once so every site trains the same thing. A task names
// the model, the input size, the label set and how pixels are prepared (window, modality).
import { TrainError } from '../errors.ts';
import type { ModelArchitecture } from './registry.ts';

export interface PixelWindow {
  /** Centre and width in modality units (Hounsfield units for CT). */
  center: number;
  width: number;
}

export interface TrainingTask {
  id: string;
  title: string;
  model: ModelArchitecture;
  /** Images are resized to inputSize × inputSize. */
  inputSize: number;
  /** Class names in label order: label 0 is labels[0]. */
  labels: readonly string[];
  /**
   * How stored values become [0, 1]: a fixed window, the file's own VOI window ('file'), or the
   * image's own range ('auto': 0.5th to 99.5th percentile).
   */
  window: PixelWindow | 'file' | 'auto';
}

export const TRAINING_TASKS: Record<string, TrainingTask> = {
  'chest-radiograph-nodule': {
    id: 'chest-radiograph-nodule',
    title: 'Lung nodule on chest radiographs',
    model: 'resnet-small',
    inputSize: 128,
    labels: ['normal', 'nodule'],
    window: 'auto',
  },
  'ct-slice-nodule': {
    id: 'ct-slice-nodule',
    title: 'Lung nodule on CT slices (lung window)',
    model: 'resnet-small',
    inputSize: 128,
    labels: ['normal', 'nodule'],
    window: { center: -600, width: 1500 },
  },
};

export function taskById(id: string): TrainingTask {
  const task = TRAINING_TASKS[id];
  if (!task) {
    throw new TrainError(
      'invalid-option',
      `Unknown training task "${id}": choose one of ${Object.keys(TRAINING_TASKS).join(', ')}.`,
    );
  }
  return task;
}
