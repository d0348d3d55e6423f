// A model's named tensors: trainable weights and the state that is not trained (batch-norm running
// statistics), created in a fixed order from a seed so that two sites build the same initial model.
import { tf } from '../backend/index.ts';
import { SeededRandom } from '../data/index.ts';

export interface NamedTensor {
  /** Stable name, "block1/conv1/kernel": what the weights file and federated averaging key on. */
  name: string;
  variable: tf.Variable;
  trainable: boolean;
}

export type Initializer =
  { kind: 'uniform'; bound: number } | { kind: 'normal'; std: number } | { kind: 'constant'; value: number };

/** PyTorch's default for convolutions and dense layers: U(±1/√fan_in) for weights and biases. */
export const torchDefault = (fanIn: number): Initializer => ({
  kind: 'uniform',
  bound: 1 / Math.sqrt(fanIn),
});
/** He (Kaiming) normal for layers followed by ReLU: N(0, 2/fan_in). */
export const heNormal = (fanIn: number): Initializer => ({ kind: 'normal', std: Math.sqrt(2 / fanIn) });

export class ParameterStore {
  readonly tensors: NamedTensor[] = [];
  private readonly random: SeededRandom;

  constructor(seed: number) {
    this.random = new SeededRandom(seed);
  }

  add(name: string, shape: number[], init: Initializer, trainable = true): tf.Variable {
    if (this.tensors.some((t) => t.name === name)) throw new Error(`Duplicate parameter name ${name}.`);
    const size = shape.reduce((p, s) => p * s, 1);
    const values = new Float32Array(size);
    for (let i = 0; i < size; i++) {
      values[i] =
        init.kind === 'constant'
          ? init.value
          : init.kind === 'uniform'
            ? (this.random.next() * 2 - 1) * init.bound
            : this.random.normal() * init.std;
    }
    // The variable holds its own reference to the values: the initial tensor is freed here, or the
    // weights stayed allocated after the model's dispose.
    const initial = tf.tensor(values, shape);
    const variable = tf.variable(initial, trainable, `${name}_${nextId++}`);
    initial.dispose();
    this.tensors.push({ name, variable, trainable });
    return variable;
  }

  get(name: string): tf.Variable {
    const found = this.tensors.find((t) => t.name === name);
    if (!found) throw new Error(`No parameter named ${name}.`);
    return found.variable;
  }

  dispose(): void {
    for (const t of this.tensors) t.variable.dispose();
    this.tensors.length = 0;
  }
}

// tfjs variable names must be unique in the process; ours stay stable in `NamedTensor.name`.
let nextId = 0;
