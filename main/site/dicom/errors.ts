// Typed errors of the DICOM codec. Messages are one line, name tags and byte offsets only (never a
// value from the file, so no patient identifier can leak into a log), and say what to do.

export type DicomParseErrorCode =
  'not-dicom' | 'truncated' | 'invalid-length' | 'too-deep' | 'unsupported-transfer-syntax' | 'malformed';

export class DicomParseError extends Error {
  override readonly name = 'DicomParseError';
  /** `cause` is set only when an unexpected failure was turned into this error (a missed check). */
  constructor(
    readonly code: DicomParseErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}

export type DicomWriteErrorCode = 'invalid-value' | 'invalid-structure';

export class DicomWriteError extends Error {
  override readonly name = 'DicomWriteError';
  constructor(
    readonly code: DicomWriteErrorCode,
    message: string,
  ) {
    super(message);
  }
}
