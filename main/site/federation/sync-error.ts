// Errors of the site's side of the federation. Each message says what went wrong and what to do; none
// names a patient, a file of the research store or a key.

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
  | 'cancelled';

export class SyncError extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SyncError';
  }
}
