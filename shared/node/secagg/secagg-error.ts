// Errors of secure aggregation. Messages say what went wrong and what to do; none carries a key, a
// share, a seed or a value of an update.
import { RadfedError } from '../../errors.ts';
export type SecureAggregationErrorCode =
  'bad-plan' | 'bad-share' | 'bad-masked-input' | 'too-many-dropouts' | 'reconstruction-failed';

export class SecureAggregationError extends RadfedError<SecureAggregationErrorCode> {
  override readonly name = 'SecureAggregationError';
}
