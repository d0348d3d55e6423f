// Errors of the cohort room, each with a code and a message that says what to do. Messages never
// quote a value from a labels file (it may hold accession numbers); they name lines and columns.
import { RadfedError } from '../../../shared/errors.ts';
export type CohortErrorCode =
  | 'bad-task'
  | 'task-exists'
  | 'task-not-found'
  | 'no-task'
  | 'task-ambiguous'
  | 'bad-file'
  | 'bad-csv'
  | 'bad-columns';

export class CohortError extends RadfedError<CohortErrorCode> {
  override readonly name = 'CohortError';
}
