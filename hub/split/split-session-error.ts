// A refusal on a split-learning session: a code, a sentence for the site's log, and what the site
// should do next (send the frame again, restart the step, or stop). Never carries a frame's values.
import { RadfedError } from '../../shared/errors.ts';
import type { SplitRetry } from '../../shared/federation/split/index.ts';

export class SplitSessionError extends RadfedError {
  override readonly name = 'SplitSessionError';
  constructor(
    code: string,
    message: string,
    readonly retry: SplitRetry,
  ) {
    super(code, message);
  }
}
