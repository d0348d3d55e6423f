// How the command tells a person that it could not run: one sentence that says what to do,
// and a stack trace only when RADFED_DEBUG is set.
import { RadfedError, type RadfedErrorOptions } from '../shared/errors.ts';
import { errorCode, safeCode, safeMessage } from '../shared/log-safety.ts';

/** An error whose message is written for the person at the terminal. */
export class CliError extends RadfedError<'command-failed'> {
  override readonly name = 'CliError';
  constructor(message: string, options?: RadfedErrorOptions) {
    super('command-failed', message, options);
  }
}

export function reportFailure(error: unknown): number {
  // Our errors carry a sentence meant for people. Anything else may quote a path or a value from the
  // input in its message (shared/log-safety.ts), so only its code or class is printed.
  const sentence = safeMessage(error);
  if (sentence !== null) {
    process.stderr.write(`radfed: ${sentence}\n`);
  } else if (/^E[A-Z]+$/.test(safeCode(error) ?? '')) {
    process.stderr.write(
      `radfed: the system refused an operation (${errorCode(error)}). Check the folders and files the command was given, ` +
        'and run again with RADFED_DEBUG=1 to see which one.\n',
    );
  } else {
    process.stderr.write(`radfed: the command stopped on an unexpected error (${errorCode(error)}).\n`);
    process.stderr.write(
      'radfed: this looks like a bug in RadFed; run again with RADFED_DEBUG=1 and report it.\n',
    );
  }
  // The whole stack, message included, only when a person asks for it at their own terminal.
  if (process.env.RADFED_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
