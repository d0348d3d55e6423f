// Moving a model's tensors into and out of the weights format.
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import type { ImageModel } from './model.ts';
import { encodeWeights, type NamedValues, type WeightsManifest } from './weights-format.ts';

export function modelMeta(model: ImageModel): WeightsManifest['meta'] {
  return {
    kind: 'model',
    architecture: model.architecture,
    inputSize: model.config.inputSize,
    channels: model.config.channels,
    numClasses: model.config.numClasses,
  };
}

/** Reads the weights back from the backend. Asynchronous: WebGPU in Node cannot read a buffer synchronously. */
export async function readModelValues(model: ImageModel): Promise<NamedValues[]> {
  return Promise.all(
    model.parameters.map(async (p) => ({
      name: p.name,
      shape: [...p.variable.shape],
      values: (await p.variable.data()) as Float32Array,
      trainable: p.trainable,
    })),
  );
}

export async function encodeModel(model: ImageModel): Promise<ReturnType<typeof encodeWeights>> {
  return encodeWeights(await readModelValues(model), modelMeta(model));
}

/** Loads weights into a model of the same architecture and shapes; anything else is refused. */
export function assignModelValues(
  model: ImageModel,
  tensors: readonly NamedValues[],
  meta?: WeightsManifest['meta'],
): void {
  if (meta && meta.architecture !== model.architecture) {
    throw new TrainError(
      'invalid-weights',
      `These weights are for a ${String(meta.architecture)} model, not ${model.architecture}.`,
    );
  }
  const byName = new Map(tensors.map((t) => [t.name, t]));
  for (const p of model.parameters) {
    const t = byName.get(p.name);
    if (!t) throw new TrainError('invalid-weights', `The weights have no tensor ${p.name}.`);
    if (t.shape.length !== p.variable.shape.length || t.shape.some((s, i) => s !== p.variable.shape[i])) {
      throw new TrainError(
        'invalid-weights',
        `Tensor ${p.name} has shape [${t.shape}] in the weights but [${p.variable.shape}] in the model.`,
      );
    }
  }
  for (const p of model.parameters) {
    const t = byName.get(p.name)!;
    const value = tf.tensor(t.values, t.shape);
    p.variable.assign(value);
    value.dispose();
  }
}
