// The bridge between a federated task (as the hub defines it) and the site's training engine: the
// engine's task from the definition, and weights between the engine's form (NamedValues) and the
// federation's (NamedTensor), in the global model's tensor order.
import {
  FederationError,
  elementCount,
  type NamedTensor,
  type TaskDefinition,
} from '../../../shared/federation/index.ts';
import {
  createModel,
  MODEL_ARCHITECTURES,
  readWeightsFiles,
  encodeModel,
  type NamedValues,
  type TrainingTask,
} from '../train/index.ts';
import { SyncError } from './sync-error.ts';

/** The engine's task for a federated task; refuses what this site's engine cannot train. */
export function trainingTaskFor(taskId: string, definition: TaskDefinition): TrainingTask {
  const model = definition.model.name;
  if (!(model in MODEL_ARCHITECTURES)) {
    throw new SyncError(
      'task-mismatch',
      `The task uses the model "${model}", which this version of RadFed does not have ` +
        `(it has ${Object.keys(MODEL_ARCHITECTURES).join(', ')}); update RadFed at this site.`,
    );
  }
  if (definition.input.channels !== 1) {
    throw new SyncError(
      'task-mismatch',
      `The task wants ${definition.input.channels}-channel images; this site trains on single-channel (greyscale) images only.`,
    );
  }
  return {
    id: taskId,
    title: definition.name,
    model: model as TrainingTask['model'],
    inputSize: definition.input.size,
    labels: [...definition.labels],
    window: definition.input.window ?? 'auto',
  };
}

/** The task's freshly initialised model (the same at every site: the seed is fixed). */
export async function initialModelWeights(task: TrainingTask, seed = 0): Promise<NamedTensor[]> {
  const model = createModel(task.model, {
    inputSize: task.inputSize,
    channels: 1,
    numClasses: task.labels.length,
    seed,
  });
  try {
    return encodedToTensors(await encodeModel(model));
  } finally {
    model.dispose();
  }
}

/** How many float32 values the task's model holds (for "what leaves the site" before training). */
export function modelValueCount(task: TrainingTask): number {
  const model = createModel(task.model, {
    inputSize: task.inputSize,
    channels: 1,
    numClasses: task.labels.length,
  });
  try {
    return model.parameters.reduce((sum, p) => sum + elementCount(p.variable.shape), 0);
  } finally {
    model.dispose();
  }
}

function encodedToTensors(encoded: Awaited<ReturnType<typeof encodeModel>>): NamedTensor[] {
  const view = new DataView(encoded.data.buffer, encoded.data.byteOffset, encoded.data.byteLength);
  return encoded.manifest.tensors.map((entry) => {
    const data = new Float32Array(entry.length);
    for (let i = 0; i < entry.length; i++) data[i] = view.getFloat32(entry.offset + i * 4, true);
    return { name: entry.name, shape: [...entry.shape], data };
  });
}

export function toNamedValues(tensors: readonly NamedTensor[]): NamedValues[] {
  return tensors.map((t) => ({ name: t.name, shape: [...t.shape], values: t.data, trainable: true }));
}

/** Reads weights the trainer wrote and orders them as `layout` (the global model) has them. */
export async function readTrainedWeights(
  base: string,
  layout: readonly NamedTensor[],
): Promise<NamedTensor[]> {
  const { tensors } = await readWeightsFiles(base);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return layout.map((want) => {
    const got = byName.get(want.name);
    if (!got) {
      throw new FederationError(
        'layout-mismatch',
        `The trained model has no tensor "${want.name}" that the global model has; the task's model differs from this site's.`,
      );
    }
    return { name: want.name, shape: [...got.shape], data: got.values };
  });
}
