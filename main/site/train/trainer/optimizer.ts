// What the trainer, the benchmarks and split learning need of an optimiser, whichever it is: a step
// (on a loss, or on gradients computed elsewhere, as DP-SGD does), its state for a checkpoint, and a
// way back from one. Both of ours update each weight tensor in one fused pass (fused-optimizer.ts).
import type { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import type { NamedTensor, NamedValues } from '../models/index.ts';
import { FusedAdam } from './adam.ts';
import { SgdMomentum } from './sgd-momentum.ts';

export interface Optimizer {
  /** Which optimiser: it names the state in a checkpoint. */
  readonly name: OptimizerName;
  learningRate: number;
  /** Steps taken. */
  readonly step: number;
  /** One step on `loss`; returns the loss (the caller disposes it). */
  minimize(loss: () => tf.Scalar, parameters: readonly NamedTensor[]): tf.Scalar;
  /** One step with gradients computed elsewhere, keyed by variable name. Disposes them; returns `value`. */
  applyGradients(value: tf.Scalar, grads: tf.NamedTensorMap, parameters: readonly NamedTensor[]): tf.Scalar;
  /** The state for a checkpoint, under the model's stable tensor names. */
  state(parameters: readonly NamedTensor[]): Promise<NamedValues[]>;
  restore(parameters: readonly NamedTensor[], state: readonly NamedValues[]): void;
  dispose(): void;
}

/** Adam (PyTorch's defaults: β 0.9, 0.999, ε 1e-8), or SGD with momentum 0.9 (torch.optim.SGD's form). */
export const OPTIMIZER_NAMES = ['adam', 'sgd-momentum'] as const;
export type OptimizerName = (typeof OPTIMIZER_NAMES)[number];

export function createOptimizer(name: OptimizerName, learningRate: number): Optimizer {
  if (name === 'adam') return new FusedAdam(learningRate);
  if (name === 'sgd-momentum') return new SgdMomentum(learningRate, 0.9);
  throw new TrainError(
    'invalid-option',
    `The optimizer "${String(name)}" is not known: choose one of ${OPTIMIZER_NAMES.join(', ')}.`,
  );
}
