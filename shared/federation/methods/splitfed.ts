// Split learning, U-shaped SplitFed (Thapa et al. 2022): the model is cut twice. Each site keeps the
// bottom (its images → cut 1) and the head (cut 2 → loss, with its labels); the hub trains the trunk
// between the cuts on every site's activations, step by step over a session. Every `localEpochs`
// the sites' segments are averaged by the ordinary round machinery (FedAvg over the segments), so
// secure aggregation and differential privacy apply to them as to any update, and the hub never
// sees a site's segment in the clear. Label sharing (the head at the hub) is an explicit opt-in: the
// hub then learns every label (each step sends them with the activations, labels-frame.ts), runs the
// head and the loss itself and returns only the gradient at cut 1; the sites train and average their
// bottoms only. Of the defences, those that protect images (NoPeek, activation noise) act in both
// modes; max norm hides labels from the party that does not hold them, which with label sharing is
// nobody (the hub has them, and the gradient it returns goes to the site that sent them), so it is
// refused with label sharing, as is the hijack check (it reads the loss through the site's own head,
// which label sharing moves to the hub). The step is in main/site/train/split, the round at a site in
// main/site/federation/split-round.ts, the hub's trunk is kept by main/site/train/split/trunk-keeper.ts.
import { z } from 'zod';
import {
  CUT_FRAME_DTYPES,
  noPeekBatchProblem,
  splitDefencesSchema,
  type SplitDefences,
} from '../split/index.ts';
import { applyDelta } from '../weighted-delta-sum.ts';
import type { MethodFactory } from './method.ts';
import { everySiteByQuorum } from './participation.ts';
import { allowed, refused } from './privacy-layers.ts';

/** A stage name of the task's model after which it is cut (`block1`, `block3` for resnet-small). */
const stageName = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z][a-z0-9_-]*$/, 'A stage name is lowercase letters, digits, - and _ (e.g. block1).');

export const splitFedSettings = z.object({
  name: z.literal('splitfed'),
  /** Where the model is cut; left out, the cut points named in the model's definition. */
  cuts: z.object({ cut1: stageName, cut2: stageName }).optional(),
  /** The dtype of activations and gradients at the cuts: float16 halves float32's bytes, int8 quarters them. */
  frameDtype: z.enum(CUT_FRAME_DTYPES).default('float16'),
  /**
   * Label-sharing split learning: the head runs at the hub and each batch's labels go to it. Off by
   * default; the approval text says what it gives away.
   */
  labelSharing: z.boolean().default(false),
  /** The defences each site applies at the cuts (NoPeek, activation noise, max norm); none by default. */
  defences: splitDefencesSchema.optional(),
});

/** What the hub learns when label sharing is on, in the approval text's words. */
export const LABEL_SHARING_LEAK =
  'Label sharing is on: the last layers run at the hub, so this site sends the label of every ' +
  'training image to the hub with its activations.';

export const splitFed: MethodFactory<'splitfed'> = (settings) => ({
  name: 'splitfed',
  rhythm: 'step',
  combiner: 'hub',
  participation: everySiteByQuorum,
  // The round averages the site segments only (the trunk, and with label sharing the head, are the hub's:
  // the sites' updates are zero on them).
  combine: {
    input: 'sum',
    step: (global, sum) => ({ weights: applyDelta(global, sum.mean()), serverState: null }),
  },
  serverState: null,
  site: {
    contributes: 'activations',
    describe: () =>
      settings.labelSharing
        ? 'split learning (SplitFed) with label sharing: this site runs the first layers of the model on its ' +
          'own images, the hub runs the rest; at each training step the hub receives the activations after ' +
          'the first layers (computed from the images, so a hub could try to reconstruct images from them) ' +
          'and the batch\u2019s labels, and the sites\u2019 first layers are averaged every round. ' +
          LABEL_SHARING_LEAK
        : 'split learning (SplitFed): this site runs the first and last layers of the model on its own images ' +
          'and labels, the hub runs the middle layers; at each training step the hub receives the activations ' +
          'after the first layers (computed from the images, so a hub could try to reconstruct images from ' +
          'them) and the gradient at the last layers, and the sites\u2019 layers are averaged every ' +
          'round; labels never leave this site',
  },
  privacy: {
    // The segments are averaged as FedAvg's updates are: a masked sum does.
    secureAggregation: allowed,
    // On the segments' updates; it does not cover the activations sent at each step.
    differentialPrivacy: allowed,
    homomorphic: refused(
      'Split learning\u2019s trunk computes on the activations in the clear at every step, so encrypting ' +
        'the round\u2019s sum would leave the larger exchange open; choose fedavg, fedprox, fedavgm or fedbn ' +
        'for homomorphic aggregation.',
    ),
  },
  steps: {
    headAt: settings.labelSharing ? 'hub' : 'site',
    cuts: settings.cuts ?? null,
    frameDtype: settings.frameDtype,
    defences: settings.defences ?? null,
    up: settings.labelSharing ? ['cut1-activations', 'labels'] : ['cut1-activations', 'cut2-gradient'],
    down: settings.labelSharing ? ['cut1-gradient'] : ['cut2-activations', 'cut1-gradient'],
  },
  // NoPeek's memory grows with the square of the batch: refused at task creation, not at every site's round.
  taskProblem: ({ batchSize }) => {
    if (settings.labelSharing && settings.defences) {
      const problem = labelSharingDefenceProblem(settings.defences);
      if (problem) return problem;
    }
    const message = settings.defences ? noPeekBatchProblem(settings.defences, batchSize) : null;
    return message ? { path: 'strategy.defences.noPeek', message } : null;
  },
});

/**
 * The defences label sharing cannot use, refused at task creation rather than left to do nothing.
 * Max norm (Li et al. 2021) is applied by the party holding the labels to the gradient it returns, so
 * that the other party cannot read the labels from its lengths: with label sharing the hub holds every
 * label, and the gradient it returns goes to the site that sent them, so no one is left to hide them
 * from. The hijack check reads the site's loss through its own head, which label sharing moves to the hub.
 */
function labelSharingDefenceProblem(defences: SplitDefences): { path: string; message: string } | null {
  if (defences.gradientMaxNorm) {
    return {
      path: 'strategy.defences.gradientMaxNorm',
      message:
        'Max norm hides the labels from the party that does not hold them, but with label sharing the hub ' +
        'receives every label and its returned gradients go back to the site that sent them: it would ' +
        'protect nothing. Turn max norm off, or turn label sharing off to keep the labels at the sites ' +
        '(max norm then hides them from the hub).',
    };
  }
  if (defences.hijackCheck) {
    return {
      path: 'strategy.defences.hijackCheck',
      message:
        'The hijack check measures the loss on a site\u2019s held-back images through the site\u2019s own ' +
        'head, which label sharing moves to the hub, so it cannot run. Turn the hijack check off, or turn ' +
        'label sharing off.',
    };
  }
  return null;
}
