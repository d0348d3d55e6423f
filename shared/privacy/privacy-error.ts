// Errors of the privacy accountant: a parameter that makes no sense, said in plain words.
import { RadfedError } from '../errors.ts';

export type PrivacyErrorCode = 'bad-parameter' | 'budget-exceeded';

export class PrivacyError extends RadfedError<PrivacyErrorCode> {
  override readonly name = 'PrivacyError';
}
