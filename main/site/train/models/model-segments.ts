// A model cut in three for split learning (U-shaped SplitFed, Thapa et al. 2022): the bottom (input →
// cut 1) and the head (cut 2 → logits) stay at the site with its images and labels; the trunk (cut 1 →
// cut 2) runs at the hub. Each segment is a run of the model's own stages over the model's own
// variables, so the three composed are the model, and training a segment trains the model.
import { tf } from '../backend/index.ts';
import { TrainError } from '../errors.ts';
import type { CutPoints, ImageModel, ModelStage, StageMode } from './model.ts';
import type { NamedTensor } from './parameters.ts';

export type SegmentName = 'bottom' | 'trunk' | 'head';

export interface ModelSegment {
  readonly name: SegmentName;
  /** The model's stages this segment runs, in order. */
  readonly stages: readonly string[];
  /** The model's tensors these stages own (the same variables, not copies). */
  readonly parameters: readonly NamedTensor[];
  apply(input: tf.Tensor, mode: StageMode): tf.Tensor;
}

export interface SplitModel {
  readonly cuts: CutPoints;
  readonly bottom: ModelSegment;
  readonly trunk: ModelSegment;
  readonly head: ModelSegment;
  /** The shape of one image's activations at each cut (no batch axis): what a receiver checks. */
  readonly shapes: { readonly cut1: readonly number[]; readonly cut2: readonly number[] };
}

/** A segment's gradients: at its input (null when not asked for) and of its trainable weights by name. */
export interface SegmentGradients {
  readonly input: tf.Tensor | null;
  readonly weights: ReadonlyMap<string, tf.Tensor>;
}

/**
 * The model as bottom, trunk and head at its cut points (or the ones given, each the name of the
 * stage the cut follows). Refuses cuts that leave a segment empty or are out of order.
 */
export function splitModel(model: ImageModel, cuts: CutPoints = model.cuts): SplitModel {
  const names = model.stages.map((stage) => stage.name);
  const at = (cut: string, which: string) => {
    const index = names.indexOf(cut);
    if (index < 0) {
      throw new TrainError(
        'invalid-option',
        `The ${model.architecture} model has no stage "${cut}" to cut after (${which}): choose one of ${names.slice(0, -1).join(', ')}.`,
      );
    }
    return index;
  };
  const first = at(cuts.cut1, 'cut 1');
  const second = at(cuts.cut2, 'cut 2');
  if (second <= first || second >= names.length - 1) {
    throw new TrainError(
      'invalid-option',
      `Cut 2 (after ${cuts.cut2}) must come after cut 1 (after ${cuts.cut1}) and before the last stage, ` +
        'so that the bottom, the trunk and the head each run at least one stage.',
    );
  }
  const owner = stageOwners(model);
  const segment = (name: SegmentName, stages: readonly ModelStage[]): ModelSegment => {
    const own = new Set(stages.map((stage) => stage.name));
    return {
      name,
      stages: [...own],
      parameters: model.parameters.filter((p) => own.has(owner.get(p.name)!)),
      apply: (input, mode) => stages.reduce((h, stage) => stage.apply(h, mode), input),
    };
  };
  const bottom = segment('bottom', model.stages.slice(0, first + 1));
  const trunk = segment('trunk', model.stages.slice(first + 1, second + 1));
  // One blank image through the bottom and the trunk ('infer' leaves running statistics alone).
  const shapes = tf.tidy(() => {
    const { inputSize, channels } = model.config;
    const atCut1 = bottom.apply(tf.zeros([1, inputSize, inputSize, channels]), 'infer');
    const atCut2 = trunk.apply(atCut1, 'infer');
    return { cut1: atCut1.shape.slice(1), cut2: atCut2.shape.slice(1) };
  });
  return { cuts, bottom, trunk, head: segment('head', model.stages.slice(second + 1)), shapes };
}

/** Each tensor's stage: the first part of its name. A tensor no stage owns is a model definition bug. */
export function stageOwners(model: ImageModel): Map<string, string> {
  const stages = new Set(model.stages.map((stage) => stage.name));
  const owners = new Map<string, string>();
  for (const p of model.parameters) {
    const stage = p.name.split('/')[0]!;
    if (!stages.has(stage)) {
      throw new TrainError(
        'invalid-option',
        `The ${model.architecture} model's tensor ${p.name} belongs to no stage, so it cannot be split.`,
      );
    }
    owners.set(p.name, stage);
  }
  return owners;
}

let cutInputs = 0;

/**
 * Gradients of `objective(segment(input))` with respect to the segment's trainable weights and, when
 * `inputGradient`, its input. With the objective Σ output ⊙ upstream this is the vector–Jacobian
 * product that carries a gradient back across a cut; with the loss, the head's step. The caller
 * disposes the returned tensors.
 */
export function segmentGradients(
  segment: ModelSegment,
  input: tf.Tensor,
  objective: (output: tf.Tensor) => tf.Scalar,
  options: { mode: StageMode; inputGradient: boolean },
): SegmentGradients & { readonly value: tf.Scalar } {
  // variableGrads differentiates only variables: the input becomes one for the call.
  const cut = options.inputGradient ? tf.variable(input, true, `split-cut-input-${cutInputs++}`) : null;
  const trainable = segment.parameters.filter((p) => p.trainable);
  try {
    const { value, grads } = tf.variableGrads(
      () => objective(segment.apply(cut ?? input, options.mode)),
      [...(cut ? [cut] : []), ...trainable.map((p) => p.variable)],
    );
    const weights = new Map<string, tf.Tensor>();
    for (const p of trainable) {
      const gradient = grads[p.variable.name];
      if (gradient) weights.set(p.name, gradient);
    }
    return { value, input: cut ? grads[cut.name]! : null, weights };
  } finally {
    cut?.dispose();
  }
}

/** The vector–Jacobian product across a cut: gradients given the gradient at the segment's output. */
export function backwardThrough(
  segment: ModelSegment,
  input: tf.Tensor,
  upstream: tf.Tensor,
  options: { mode: StageMode; inputGradient: boolean },
): SegmentGradients {
  const { value, ...gradients } = segmentGradients(
    segment,
    input,
    (output) => tf.sum(tf.mul(output, upstream)),
    options,
  );
  value.dispose();
  return gradients;
}
