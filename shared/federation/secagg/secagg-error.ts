// Errors of secure aggregation. Messages say what went wrong and what to do; none carries a key, a
// share, a seed or a value of an update.
export type SecureAggregationErrorCode =
  'bad-plan' | 'bad-share' | 'bad-masked-input' | 'too-many-dropouts' | 'reconstruction-failed';

export class SecureAggregationError extends Error {
  constructor(
    readonly code: SecureAggregationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SecureAggregationError';
  }
}
