// Errors of a split-learning step: a frame that does not belong to the step its receiver is at.
// Sentences name the session's step numbers and shapes, never a value.
import { RadfedError } from '../../../../shared/errors.ts';

export type SplitStepErrorCode =
  | 'wrong-session'
  | 'out-of-order'
  | 'shape-mismatch'
  | 'trunk-busy'
  // A frame of the other mode: a U-shaped step on a label-sharing trunk, or the reverse.
  | 'wrong-mode';

export class SplitStepError extends RadfedError<SplitStepErrorCode> {
  override readonly name = 'SplitStepError';
}
