// Errors of the burned-in text room. Messages say what to do and never quote a header value or any
// text read from the pixels: they may reach logs, the web UI and the command line.
export type BurnedInErrorCode =
  | 'not-an-image'
  | 'unsupported-pixel-data'
  | 'ocr-model-missing'
  | 'ocr-model-damaged'
  | 'ocr-failed'
  | 'invalid-option';

export class BurnedInError extends Error {
  override readonly name = 'BurnedInError';
  constructor(
    readonly code: BurnedInErrorCode,
    message: string,
    options?: { cause: unknown },
  ) {
    super(message, options);
  }
}
