// A consent export as text, read by the one CSV reader (shared/csv-text.ts): UTF-8 or Latin-1 (older
// Windows exports), commas only. This file words the reader's problems for the consent file.
import {
  CsvTextError,
  decodeCsvBytes,
  parseCsvRecords,
  type CsvEncoding,
  type CsvRecord,
  type CsvTextProblem,
} from '../../../shared/csv-text.ts';
import { ConsentError } from './consent-error.ts';

export type { CsvEncoding, CsvRecord };

const NEITHER =
  'The consent file is neither UTF-8 nor Latin-1 (ISO 8859-1), so its patient IDs cannot be read for certain. Save it as "CSV UTF-8" and import it again.';

const ENCODING_ADVICE: Record<Exclude<CsvTextProblem, 'unclosed-quote'>, string> = {
  'utf-16':
    'The consent file is UTF-16 (as Excel\'s "Unicode text" writes it). Save it as "CSV UTF-8" and import it again.',
  'nul-bytes':
    'The consent file holds NUL bytes, so it is not a text file (or is UTF-16). Export it as CSV in UTF-8 and import it again.',
  'not-utf-8-or-latin1': NEITHER,
  // Not raised here (Latin-1 is accepted); listed so every problem has a sentence.
  'not-utf-8': NEITHER,
};

export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  try {
    return decodeCsvBytes(bytes, { latin1: true });
  } catch (error) {
    throw consentErrorFor(error);
  }
}

/** Splits CSV text into records; blank lines are skipped. */
export function parseConsentRecords(text: string): CsvRecord[] {
  try {
    return parseCsvRecords(text, { delimiter: ',' });
  } catch (error) {
    throw consentErrorFor(error);
  }
}

function consentErrorFor(error: unknown): unknown {
  if (!(error instanceof CsvTextError)) return error;
  if (error.problem === 'unclosed-quote') {
    return new ConsentError(
      'bad-csv',
      `The consent file has a quoted field that never ends (it starts on line ${error.line}). Check the quotes on that line.`,
    );
  }
  return new ConsentError('bad-encoding', ENCODING_ADVICE[error.problem]);
}
