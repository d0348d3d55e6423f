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
  const condition = systemCondition(safeCode(error), syscallOf(error));
  if (sentence !== null) {
    process.stderr.write(`radfed: ${sentence}\n`);
  } else if (condition !== null) {
    process.stderr.write(`radfed: ${condition} (${errorCode(error)})\n`);
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

/**
 * What a person can do about a system condition that any command may meet: a full disk, a folder it
 * may not write, a read-only disk. Said in words, with the code after it: "the system refused an
 * operation (SQLITE_FULL) ... this looks like a bug" sent people looking for a bug on a full disk.
 */
function systemCondition(code: string | null, syscall: string | null): string | null {
  if (code === null) return null;
  if (code === 'EADDRINUSE') {
    return 'The port is already in use (another hub, or another program, listens on it): stop that one, or choose another port with --port.';
  }
  if (code === 'EADDRNOTAVAIL') {
    return 'The address to listen on is not one of this computer\u2019s: check --host.';
  }
  if ((code === 'EACCES' || code === 'EPERM') && (syscall === 'listen' || syscall === 'bind')) {
    return 'Only an administrator may listen on a port below 1024: choose a port of 1024 or above with --port, and let the firewall or load balancer forward the usual one.';
  }
  if (code === 'ENOSPC' || code === 'EDQUOT' || code.startsWith('SQLITE_FULL')) {
    return 'The disk is full (or this user\u2019s quota is used up): free some space on the disk that holds the folder the command writes to, then run it again.';
  }
  if (code === 'EROFS' || code.startsWith('SQLITE_READONLY')) {
    return 'The folder the command writes to is on a read-only disk: give a folder on a writable disk.';
  }
  if (code === 'EACCES' || code === 'EPERM' || code.startsWith('SQLITE_CANTOPEN')) {
    return 'This user may not read or write a file or folder the command was given: check its owner and permissions, or give another folder.';
  }
  if (code === 'ENOTDIR' || code === 'EISDIR') {
    return 'A path the command was given is a file where a folder is needed, or a folder where a file is needed: check the paths.';
  }
  if (code === 'EMFILE' || code === 'ENFILE' || code === 'ENOMEM') {
    return 'The system ran out of resources (open files or memory): close other programs, or raise the limit, and run it again.';
  }
  return null;
}

/** The system call an error of Node's names ('listen', 'open'): a fixed word, never input. */
function syscallOf(error: unknown): string | null {
  const syscall = (error as { syscall?: unknown } | null | undefined)?.syscall;
  return typeof syscall === 'string' && /^[a-z_]{1,20}$/.test(syscall) ? syscall : null;
}
