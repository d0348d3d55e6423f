// The scenario both hijack-check specs run, the guard in process (defences/hijack-guard.spec.ts) and
// over a real session (session-hijack-check.spec.ts): the model's size, the steps and the check's
// settings, 192 training nodules taken in turn a batch a step, and the images held back for the check.
import { tf } from '../../backend/index.ts';
import { nodules } from '../defences/test-nodules.ts';

const SIDE = 16;
const BATCH = 16;
const TRAINING_IMAGES = 192;

export const HIJACK_TEST = {
  side: SIDE,
  config: { inputSize: SIDE, channels: 1, numClasses: 2, seed: 31 },
  batch: BATCH,
  steps: 48,
  check: {
    validationImages: 32,
    checkEvery: 4,
    warmupChecks: 10,
    minimumDrop: 0.2,
    riseTolerance: 0.25,
    patience: 3,
  },
};

/** The scenario's training nodules a batch at a time, and the nodules the site holds back. */
export function hijackTestData() {
  const train = nodules(TRAINING_IMAGES, SIDE, 41);
  const held = nodules(HIJACK_TEST.check.validationImages, SIDE, 42);
  return {
    held,
    /** Step `step`'s batch: its index among the batches, its images (the caller's to dispose), its labels. */
    batch: (step: number) => {
      const index = step % (TRAINING_IMAGES / BATCH);
      return {
        index,
        images: tf.tensor4d(
          train.images.subarray(index * BATCH * SIDE * SIDE, (index + 1) * BATCH * SIDE * SIDE),
          [BATCH, SIDE, SIDE, 1],
        ),
        labels: train.labels.subarray(index * BATCH, (index + 1) * BATCH),
      };
    },
    /** The held-back images as one tensor (the caller's to dispose). */
    heldImages: () => tf.tensor4d(held.images, [held.labels.length, SIDE, SIDE, 1]),
  };
}
