// How the command tells a person that it could not run: one sentence that says what to do,
// and a stack trace only when RADFED_DEBUG is set.
import { RadfedError, type RadfedErrorOptions } from '../shared/errors.ts';

/** An error whose message is written for the person at the terminal. */
export class CliError extends RadfedError<'command-failed'> {
  override readonly name = 'CliError';
  constructor(message: string, options?: RadfedErrorOptions) {
    super('command-failed', message, options);
  }
}

export function reportFailure(error: unknown): number {
  const message = error instanceof Error ? error.message : String(error);
  // Our typed errors carry a `code` and a message meant for people; anything else is a bug.
  const isOurs = error instanceof CliError || (error instanceof Error && 'code' in error);
  process.stderr.write(`radfed: ${message}\n`);
  if (!isOurs) {
    process.stderr.write(
      'radfed: this looks like a bug in RadFed; run again with RADFED_DEBUG=1 and report it.\n',
    );
  }
  if (process.env.RADFED_DEBUG && error instanceof Error && error.stack) {
    process.stderr.write(`${error.stack}\n`);
  }
  return 1;
}
