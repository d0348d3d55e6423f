// The hub bounds an initial-model upload by the task model's size, which it counts from the task
// definition alone (shared/federation/model-size.ts). This builds every registered model and checks
// the hub's count is the model's, so a change to an architecture cannot leave the hub's bound behind.
import { beforeAll, describe, expect, it } from 'vitest';
import { elementCount, modelValueCount } from '../../../../shared/federation/index.ts';
import { selectBackend } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

describe("the hub's count of a task model's values", () => {
  for (const architecture of Object.keys(MODEL_ARCHITECTURES)) {
    it(`matches the ${architecture} the site builds`, () => {
      for (const classes of [2, 5]) {
        const model = createModel(architecture, { inputSize: 64, channels: 1, numClasses: classes });
        try {
          const built = model.parameters.reduce((sum, p) => sum + elementCount(p.variable.shape), 0);
          const labels = Array.from({ length: classes }, (_, i) => `label ${i}`);
          expect(
            modelValueCount({
              model: { name: architecture },
              input: { size: 64, channels: 1, window: null },
              labels,
            }),
          ).toBe(built);
        } finally {
          model.dispose();
        }
      }
    });
  }
});
