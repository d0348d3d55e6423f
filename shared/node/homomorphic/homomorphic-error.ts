// Errors of homomorphic aggregation. Sentences say what went wrong and what to do; none quotes a
// ciphertext, a key or a value.
import { RadfedError } from '../../errors.ts';

export type HomomorphicErrorCode =
  | 'bad-parameters'
  | 'bad-ciphertext'
  | 'wrong-key'
  | 'value-out-of-range'
  | 'too-many-sites'
  | 'bad-key-message'
  | 'not-a-recipient'
  | 'seal-failed';

export class HomomorphicError extends RadfedError<HomomorphicErrorCode> {
  override readonly name = 'HomomorphicError';
}
