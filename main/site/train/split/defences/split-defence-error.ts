// Errors of split learning's defences at the site: a setting that cannot run as asked, a cut that
// leaks more than the site allows, a hub whose gradients do not train the task. Sentences carry
// figures and settings, never an image value or a label.
import { RadfedError } from '../../../../../shared/errors.ts';

export type SplitDefenceErrorCode =
  | 'batch-too-large' // NoPeek's B × B matrices
  | 'cut-too-leaky' // the leakage meter's figures are above the site's limits
  | 'hub-hijack-suspected' // the site's validation loss stopped falling
  | 'invalid-setting';

export class SplitDefenceError extends RadfedError<SplitDefenceErrorCode> {
  override readonly name = 'SplitDefenceError';
}
