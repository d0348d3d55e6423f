// The hub never builds a model, so the stages and cut points a split round's update is cut by are
// mirrored in shared/federation/methods/round-tensors.ts. This builds every model and checks the mirror:
// the same stages in order, the same cuts, and the tensors an update holds are exactly the bottom's and
// the head's parameters as splitModel cuts them (and the bottom's alone when the head is at the hub).
import { beforeAll, describe, expect, it } from 'vitest';
import { roundTensors, SPLIT_MODEL_STAGES } from '../../../../shared/federation/index.ts';
import { selectBackend } from '../backend/index.ts';
import { createModel, MODEL_ARCHITECTURES } from './index.ts';
import { splitModel } from './model-segments.ts';

beforeAll(async () => {
  await selectBackend({ choice: 'wasm' });
});

const CONFIG = { inputSize: 32, channels: 1, numClasses: 2, seed: 3 };

const splitTask = (model: string, labelSharing = false) =>
  ({
    model: { name: model },
    strategy: { name: 'splitfed', frameDtype: 'float16', labelSharing },
  }) as const;

describe('the split stage table the hub cuts updates by', () => {
  for (const architecture of Object.keys(MODEL_ARCHITECTURES)) {
    it(`${architecture}: same stages and cuts as the model, and the update is the bottom and the head`, () => {
      const model = createModel(architecture, CONFIG);
      try {
        const table = SPLIT_MODEL_STAGES[architecture]!;
        expect(table.stages).toEqual(model.stages.map((stage) => stage.name));
        expect(table.cuts).toEqual(model.cuts);
        const split = splitModel(model);
        const names = (list: readonly { name: string }[]) => list.map((t) => t.name).sort();
        expect(names(roundTensors(splitTask(architecture), model.parameters))).toEqual(
          names([...split.bottom.parameters, ...split.head.parameters]),
        );
        expect(names(roundTensors(splitTask(architecture, true), model.parameters))).toEqual(
          names(split.bottom.parameters),
        );
      } finally {
        model.dispose();
      }
    }, 60_000);
  }
});
