// Errors of the burned-in text room. Messages say what to do and never quote a header value or any
// text read from the pixels: they may reach logs, the web UI and the command line.
import { RadfedError } from '../../../shared/errors.ts';
export type BurnedInErrorCode =
  | 'not-an-image'
  | 'unsupported-pixel-data'
  | 'ocr-model-missing'
  | 'ocr-model-damaged'
  | 'ocr-failed'
  | 'invalid-option';

export class BurnedInError extends RadfedError<BurnedInErrorCode> {
  override readonly name = 'BurnedInError';
}
