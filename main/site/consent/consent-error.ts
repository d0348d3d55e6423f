// Typed errors of the consent register. Messages say what went wrong and what to do, and never quote
// a value from a consent file: a shifted column would put a patient ID where a status should be.
import { RadfedError } from '../../../shared/errors.ts';

export type ConsentErrorCode =
  | 'bad-csv'
  | 'bad-encoding'
  | 'unreadable-file'
  | 'bad-entry'
  | 'bad-policy'
  | 'policy-required'
  | 'bad-scope'
  | 'unknown-patient';

/** One problem in a consent file: the line it is on (the header is line 1) and what is wrong. */
export interface CsvProblem {
  row: number;
  message: string;
}

const SHOWN_PROBLEMS = 25;

export class ConsentError extends RadfedError<ConsentErrorCode> {
  override readonly name = 'ConsentError';
  constructor(
    code: ConsentErrorCode,
    message: string,
    readonly problems: readonly CsvProblem[] = [],
  ) {
    super(code, problems.length > 0 ? `${message}\n${describeProblems(problems)}` : message);
  }
}

function describeProblems(problems: readonly CsvProblem[]): string {
  const lines = problems.slice(0, SHOWN_PROBLEMS).map((p) => `  line ${p.row}: ${p.message}`);
  if (problems.length > SHOWN_PROBLEMS) lines.push(`  … and ${problems.length - SHOWN_PROBLEMS} more`);
  return lines.join('\n');
}
