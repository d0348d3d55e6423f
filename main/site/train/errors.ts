// Typed errors of the training engine. Messages name files by their position in the cohort or by
// their cache key, never by a value read from a DICOM file, so no patient identifier reaches a log.

export type TrainErrorCode =
  | 'backend-unavailable'
  | 'unsupported-pixel-data'
  | 'corrupt-pixel-data'
  | 'invalid-option'
  | 'invalid-weights'
  | 'invalid-checkpoint'
  | 'cancelled'
  | 'empty-cohort';

export class TrainError extends Error {
  override readonly name = 'TrainError';
  constructor(
    readonly code: TrainErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
