// The site's loss on its held-back images through the session: its bottom (and clipping, noise), the
// hub's trunk in evaluation (no step opened, nothing updated), its own head. What the hijack check reads.
// `evaluateTrunk` is the transport's call; in process, a trunk's `apply(…, 'infer')`.
import { tf } from '../../backend/index.ts';
import { splitModel, type CutPoints, type ImageModel } from '../../models/index.ts';
import type { SiteCutDefences } from '../split-site.ts';

export type TrunkEvaluation = (atCut1: tf.Tensor4D) => Promise<tf.Tensor> | tf.Tensor;

export async function siteValidationLoss(
  model: ImageModel,
  images: tf.Tensor4D,
  labels: Int32Array,
  evaluateTrunk: TrunkEvaluation,
  options: { readonly cuts?: CutPoints; readonly defences?: SiteCutDefences } = {},
): Promise<number> {
  const { bottom, head } = splitModel(model, options.cuts);
  const { bound, perturb } = options.defences ?? {};
  const atCut1 = tf.tidy(() => {
    const raw = bottom.apply(images, 'infer');
    const bounded = bound ? bound(raw) : raw;
    return (perturb ? perturb(bounded) : bounded) as tf.Tensor4D;
  });
  const atCut2 = await evaluateTrunk(atCut1);
  atCut1.dispose();
  const loss = tf.tidy(() =>
    tf.losses.softmaxCrossEntropy(
      tf.oneHot(tf.tensor1d(labels, 'int32'), model.config.numClasses),
      head.apply(atCut2, 'infer'),
    ),
  );
  atCut2.dispose();
  const value = (await loss.data())[0]!;
  loss.dispose();
  return value;
}
