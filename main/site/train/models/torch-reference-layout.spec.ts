// RadFed's large models against the PyTorch references the training benchmark compares them with
// (bench/<model>_reference.py, run by Debian's python3 with python3-torch, which
// scripts/install-test-deps.sh installs): the same trainable tensors in the same order, each with
// PyTorch's shape in TensorFlow's layout, and the same count. A benchmark ratio between two different
// models would mean nothing, so this is what makes `radfed bench train --model … --compare-torch` a comparison.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { beforeAll, expect, it } from 'vitest';
import { selectBackend } from '../backend/index.ts';
import { createModel } from './index.ts';

const REFERENCES = {
  'resnet-18': '../../../../bench/resnet18_reference.py',
  'densenet-121': '../../../../bench/densenet121_reference.py',
} as const;

interface ReferenceLayout {
  readonly parameters: number;
  readonly tensors: readonly { readonly name: string; readonly shape: readonly number[] }[];
}

/** PyTorch keeps a convolution as [out, in, h, w] and a linear layer as [out, in]; tfjs as [h, w, in, out] and [in, out]. */
function inTensorFlowLayout(shape: readonly number[]): number[] {
  if (shape.length === 4) return [shape[2]!, shape[3]!, shape[1]!, shape[0]!];
  if (shape.length === 2) return [shape[1]!, shape[0]!];
  return [...shape];
}

beforeAll(async () => {
  await selectBackend({ choice: 'cpu' });
});

const cases = Object.keys(REFERENCES).flatMap((model) =>
  [2, 5].map((classes) => [model as keyof typeof REFERENCES, classes] as const),
);

it.each(cases)(
  '%s has the PyTorch reference’s trainable tensors, in order, for %i classes',
  (name, classes) => {
    const script = fileURLToPath(new URL(REFERENCES[name], import.meta.url));
    const reference = JSON.parse(
      execFileSync('/usr/bin/python3', [script, '--describe', '--classes', String(classes)], {
        encoding: 'utf8',
      }),
    ) as ReferenceLayout;
    const model = createModel(name, { inputSize: 32, channels: 1, numClasses: classes });
    try {
      const trainable = model.parameters.filter((p) => p.trainable);
      expect(trainable.map((p) => p.variable.shape)).toEqual(
        reference.tensors.map((t) => inTensorFlowLayout(t.shape)),
      );
      expect(trainable.reduce((sum, p) => sum + p.variable.size, 0)).toBe(reference.parameters);
    } finally {
      model.dispose();
    }
  },
);
