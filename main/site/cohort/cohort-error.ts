// Errors of the cohort room, each with a code and a message that says what to do. Messages never
// quote a value from a labels file (it may hold accession numbers); they name lines and columns.
export type CohortErrorCode =
  | 'bad-task'
  | 'task-exists'
  | 'task-not-found'
  | 'no-task'
  | 'task-ambiguous'
  | 'bad-file'
  | 'bad-csv'
  | 'bad-columns';

export class CohortError extends Error {
  constructor(
    readonly code: CohortErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CohortError';
  }
}
