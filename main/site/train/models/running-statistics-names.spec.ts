// Secure aggregation gives batch norm's running statistics their own clip range (issue 16), choosing
// them by name with isRunningStatistic at the site and at the hub alike. These are exactly the tensors
// every model of the registry keeps untrained: none is missed (it would be clipped at the weights'
// ±0.5) and no weight is taken for one (it would be quantised with the statistics' coarser step).
import { beforeAll, describe, expect, it } from 'vitest';
import { isRunningStatistic } from '../../../../shared/federation/index.ts';
import { selectBackend } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES } from './index.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

describe("the models' running statistics", () => {
  it.each(Object.keys(MODEL_ARCHITECTURES))(
    '%s: isRunningStatistic picks exactly its untrained tensors',
    (name) => {
      const model = createModel(name, { inputSize: 32, channels: 1, numClasses: 2 });
      try {
        const untrained = model.parameters.filter((p) => !p.trainable).map((p) => p.name);
        const statistics = model.parameters.filter((p) => isRunningStatistic(p.name)).map((p) => p.name);
        expect(statistics).toEqual(untrained);
        if (name !== 'reference-cnn') expect(statistics.length).toBeGreaterThan(0);
      } finally {
        model.dispose();
      }
    },
  );
});
