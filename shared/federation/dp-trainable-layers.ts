// Which of the model's tensors patient-level DP-SGD trains (a task's `trainableLayers`). DP fine-tuning
// (Tramèr & Boneh 2021; De et al. 2022): the task ships initial weights pre-trained on data no site
// contributes, and the sites train only the last layers under DP-SGD. The noise goes on the trainable
// values alone, so the noise-to-signal ratio ρ = σ√d/(q·N·√T) falls with √d: the head of resnet-small
// has 514 values against 304 466, about 24 times less noise over the whole update at the same ε.
// The frozen tensors never move at any site, so the published models carry the public weights there.
// Names follow main/site/train/models (residual-net.ts, reference-cnn.ts): the classifier's tensors
// start with 'head/', normalisation scales and shifts are '<stage>/bn…/gamma|beta'.
import type { TaskDefinition } from './task-schema.ts';

export const DP_TRAINABLE_LAYERS = ['all', 'norm-and-head', 'head'] as const;
/** 'all': every weight; 'norm-and-head': normalisation scales and shifts and the classifier; 'head': the classifier. */
export type DpTrainableLayers = (typeof DP_TRAINABLE_LAYERS)[number];

const NORM_AFFINE = /\/bn[^/]*\/(gamma|beta)$/;

/** Whether the tensor `name` is trained under these layers (running statistics are never trained). */
export function isDpTrainable(name: string, layers: DpTrainableLayers): boolean {
  if (layers === 'all') return true;
  if (name.startsWith('head/')) return true;
  return layers === 'norm-and-head' && NORM_AFFINE.test(name);
}

const RESNET_NORM_CHANNELS = 16 + 3 * (32 + 64 + 128); // stem bn, then bn1, bn2, bn_shortcut per stage

/**
 * The values trained under these layers, from the definition alone (the hub builds no model), or null
 * for an architecture this code does not know. 'all' is counted by the caller (modelValueCount). The
 * spec in main/site/train/models builds each model and checks these counts.
 */
export function dpTrainableValueCount(
  definition: Pick<TaskDefinition, 'model' | 'labels'>,
  layers: Exclude<DpTrainableLayers, 'all'>,
): number | null {
  const classes = definition.labels.length;
  switch (definition.model.name) {
    case 'reference-cnn':
      return 128 * classes + classes; // no normalisation layers: both selections are the head
    case 'resnet-small':
    case 'resnet-small-gn': {
      const head = 2 * 128 * classes + classes;
      return layers === 'head' ? head : head + 2 * RESNET_NORM_CHANNELS;
    }
    default:
      return null;
  }
}
