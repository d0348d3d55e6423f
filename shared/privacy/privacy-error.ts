// Errors of the privacy accountant: a parameter that makes no sense, said in plain words.

export type PrivacyErrorCode = 'bad-parameter' | 'budget-exceeded';

export class PrivacyError extends Error {
  constructor(
    readonly code: PrivacyErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'PrivacyError';
  }
}
