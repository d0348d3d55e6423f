// Errors of the site's side of the federation. Each message says what went wrong and what to do; none
// names a patient, a file of the research store or a key.
import { RadfedError } from '../../../shared/errors.ts';

export type SyncErrorCode =
  | 'not-enrolled'
  | 'already-enrolled'
  | 'not-approved'
  | 'no-such-task'
  | 'task-mismatch'
  | 'hub-problem'
  | 'update-refused'
  | 'bad-state'
  | 'privacy-budget-reached'
  /** The site stopped a split-learning session itself (its hijack check): the round is not sent. */
  | 'split-session-stopped'
  /** The site refused the hub's secure-aggregation plan for a round (secagg-plan-check.ts): not sent. */
  | 'plan-refused'
  | 'cancelled';

export class SyncError extends RadfedError<SyncErrorCode> {
  override readonly name = 'SyncError';
}
