// Typed errors of the DICOM codec. Messages are one line, name tags and byte offsets only (never a
// value from the file, so no patient identifier can leak into a log), and say what to do.
import { RadfedError } from '../../../shared/errors.ts';

export type DicomParseErrorCode =
  'not-dicom' | 'truncated' | 'invalid-length' | 'too-deep' | 'unsupported-transfer-syntax' | 'malformed';

/** `cause` is set only when an unexpected failure was turned into this error (a missed check). */
export class DicomParseError extends RadfedError<DicomParseErrorCode> {
  override readonly name = 'DicomParseError';
}

export type DicomWriteErrorCode = 'invalid-value' | 'invalid-structure';

export class DicomWriteError extends RadfedError<DicomWriteErrorCode> {
  override readonly name = 'DicomWriteError';
}
