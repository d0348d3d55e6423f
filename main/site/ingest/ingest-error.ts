import { RadfedError } from '../../../shared/errors.ts';

export class IngestError extends RadfedError<
  'input-not-found' | 'input-inside-site' | 'input-unreadable' | 'unusable-identifier'
> {
  override readonly name = 'IngestError';
}
