// How a segment's owner applies its gradients: the site to its bottom and head, the hub to its trunk.
// One optimizer per segment, so Adam's step count and moments are the segment's own.
import { tf } from '../backend/index.ts';
import type { NamedTensor, NamedValues } from '../models/index.ts';
import { FusedAdam } from '../trainer/index.ts';

export interface SegmentOptimizer {
  /** Applies the gradients (keyed by tensor name) to the segment's tensors, then disposes them. */
  apply(gradients: ReadonlyMap<string, tf.Tensor>, parameters: readonly NamedTensor[]): void;
  /** Its state (Adam's moments and step count) for a checkpoint; none for plain descent. */
  state(parameters: readonly NamedTensor[]): Promise<NamedValues[]>;
  restore(parameters: readonly NamedTensor[], state: readonly NamedValues[]): void;
}

/** Plain gradient descent, w −= lr·g: what the equivalence of a split and a whole step is shown with. */
export function sgdOptimizer(learningRate: number): SegmentOptimizer {
  return {
    apply(gradients, parameters) {
      for (const p of parameters) {
        const gradient = gradients.get(p.name);
        if (!gradient) continue;
        const updated = tf.tidy(() => tf.sub(p.variable, tf.mul(gradient, learningRate)));
        p.variable.assign(updated);
        updated.dispose(); // assign shares the data; the tensor object would count as a leak
      }
      for (const gradient of gradients.values()) gradient.dispose();
    },
    state: () => Promise.resolve([]),
    restore: () => undefined,
  };
}

/** The trainer's Adam (one fused update per tensor), as the local trainer uses it. */
export function adamOptimizer(learningRate: number): SegmentOptimizer {
  const adam = new FusedAdam(learningRate);
  return {
    apply(gradients, parameters) {
      // FusedAdam keys gradients by the backend's variable names and returns the loss it is given.
      const byVariable: tf.NamedTensorMap = {};
      for (const p of parameters) {
        const gradient = gradients.get(p.name);
        if (gradient) byVariable[p.variable.name] = gradient;
      }
      adam.applyGradients(tf.scalar(0), byVariable, parameters).dispose();
      for (const [name, gradient] of gradients)
        if (!parameters.some((p) => p.name === name)) gradient.dispose();
    },
    state: (parameters) => adam.state(parameters),
    // Adam's state is saved only once it has taken a step; a checkpoint before that has none.
    restore: (parameters, state) => {
      if (state.length > 0) adam.restore(parameters, state);
    },
  };
}
