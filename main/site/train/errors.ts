// Typed errors of the training engine. Messages name files by their position in the cohort or by
// their cache key, never by a value read from a DICOM file, so no patient identifier reaches a log.
import { RadfedError } from '../../../shared/errors.ts';

export type TrainErrorCode =
  | 'backend-unavailable'
  | 'unsupported-pixel-data'
  | 'corrupt-pixel-data'
  | 'invalid-option'
  | 'invalid-weights'
  | 'invalid-checkpoint'
  | 'cancelled'
  | 'empty-cohort';

export class TrainError extends RadfedError<TrainErrorCode> {
  override readonly name = 'TrainError';
}
