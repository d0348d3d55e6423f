// Gradient checkpointing (Chen et al. 2016, "Training deep nets with sublinear memory cost"): a
// training forward pass that keeps only each stage's input, and a backward pass that runs each stage's
// forward again, recorded, to take its gradients. The checkpoints are the model's stage boundaries,
// the places split learning may cut (model-segments.ts), so the memory kept through a step is the
// activations at the boundaries plus one stage's own while its gradient is taken.
//
// How tfjs makes this possible (tfjs-core 4.22, engine.js): a customGrad op's forward runs with the
// kernel depth raised, so nothing inside it is recorded on the tape, and inside a tidy, so everything
// it made but its output is freed; it keeps only what it passes to `save`, here the stage's input.
// The stage's trainable variables are passed to the op as inputs, so the outer tape connects them to
// the loss and tf.variableGrads still returns their gradients (through this op's gradient function).
import { tf } from '../backend/index.ts';
import type { ImageModel, ModelStage } from './model.ts';
import { stageOwners } from './model-segments.ts';

interface EngineState {
  state: { activeTape: unknown[] | null };
}

/**
 * The model's class scores for a training step, batch normalisation on the batch's statistics and
 * its running statistics moved once, as `model.logits(x, { training: true })`, with the same
 * gradients; but a backward pass through it recomputes each stage's activations instead of keeping them.
 */
export function checkpointedLogits(model: ImageModel, x: tf.Tensor4D): tf.Tensor2D {
  const owner = stageOwners(model);
  return tf.tidy(
    () =>
      model.stages.reduce<tf.Tensor>((h, stage, index) => {
        const variables = model.parameters
          .filter((p) => p.trainable && owner.get(p.name) === stage.name)
          .map((p) => p.variable);
        // The images need no gradient: the first stage does not take one.
        return checkpointedStage(stage, variables, index > 0)(h);
      }, x) as tf.Tensor2D,
  );
}

function checkpointedStage(
  stage: ModelStage,
  variables: readonly tf.Variable[],
  inputGradient: boolean,
): (input: tf.Tensor) => tf.Tensor {
  const forward = (...args: unknown[]) => {
    const save = args.at(-1) as tf.GradSaveFunc;
    const input = args[0] as tf.Tensor;
    // 'train': the batch's statistics, the running ones moved, once, here.
    const value = stage.apply(input, 'train');
    save([input]);
    return {
      value,
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) =>
        stageGradients(stage, saved[0]!, dy as tf.Tensor, variables, inputGradient),
    };
  };
  const op = tf.customGrad(forward as unknown as Parameters<typeof tf.customGrad>[0]);
  return (input) => op(input, ...variables);
}

/**
 * The stage's forward pass again, recorded, and its gradients given `dy` at its output: at its input
 * (zeros when not asked for) and of each variable, in the op's input order. 'replay' uses the batch's
 * statistics as the first pass did but leaves the running ones where it put them.
 */
function stageGradients(
  stage: ModelStage,
  input: tf.Tensor,
  dy: tf.Tensor,
  variables: readonly tf.Variable[],
  inputGradient: boolean,
): tf.Tensor[] {
  const engine = tf.engine() as unknown as EngineState;
  // engine.gradients starts a fresh tape, and, called outside a recording (as here, inside the outer
  // backward pass), drops the tape when done; the outer pass still frees its own saved tensors from
  // it at its end, so it is put back.
  const outerTape = engine.state.activeTape;
  const sources = inputGradient ? [input, ...variables] : [...variables];
  try {
    const { value, grads } = tf.engine().gradients(() => stage.apply(input, 'replay'), sources, dy, true);
    value.dispose();
    const byVariable = grads.slice(inputGradient ? 1 : 0);
    return [
      inputGradient ? (grads[0] ?? tf.zerosLike(input)) : tf.zerosLike(input),
      ...variables.map((v, i) => byVariable[i] ?? tf.zerosLike(v)),
    ];
  } finally {
    engine.state.activeTape = outerTape;
  }
}
