// The one place that decides what of an error may be logged or shown. Every log line, IPC answer, CLI
// line and import report that describes a failure gets its words from here, so the rule is written
// once and checked once (log-safety.spec.ts).
//
// The rule. Never logged, shown or answered:
// - a patient identifier (name, ID, birth date, accession number, study/series/instance UID);
// - a file path that came from the input (a folder dropped in, a watched folder, a file's own name):
//   hospital exports name folders and files after the patient ("Doe^John/CT 1.2.840…/1.dcm");
// - a value read from a DICOM file or a CSV cell.
// Where those hide: in the message of any error that is not ours. Node's `ENOENT: no such file or
// directory, open '/in/Doe^John/1.dcm'`, SQLite's errors, JSON.parse's `Unexpected token … "Doe^John"`
// and a library's TypeError all quote what they were given. So a foreign error's message is dropped.
// The same holds for a parser's refusal that we word ourselves: JSON from a file or a request is read
// with parseJsonText (json-text.ts: line and column, never the text), a zod refusal is told with
// describeSchemaIssues (schema-issues.ts: path and expected type; zod 4 itself names unknown keys and
// a record's keys), a CSV row by its line, a file the person gave by what it is, not its path.
//
// What is safe, and kept:
// - our own errors (RadfedError, shared/errors.ts): `code`, `message`, `hint`. Their sentences are
//   written to carry none of the above; that is the contract of the base class;
// - any error's class name (TypeError) and a code shaped like a system code (ENOENT, SQLITE_BUSY,
//   ERR_INVALID_ARG_TYPE): fixed words from a short list, never data;
// - stack frames without the message line: they name our source files and lines, not the input.
//
// Runs anywhere (no Node imports): the renderer may use it as well.
import { RadfedError } from './errors.ts';

/** What of an error a log line may carry. */
export interface LoggableError {
  /** The class: 'DicomParseError', 'TypeError'. */
  type: string;
  /** Our code ('not-dicom') or a system code ('ENOENT'), when there is one. */
  code?: string;
  /** Only for our own errors: their sentence, written to be shown. */
  message?: string;
  hint?: string;
  /** Stack frames, without the first line (which repeats the message). */
  stack?: string;
  /** What our error was made from, by the same rule. */
  cause?: LoggableError;
}

const SYSTEM_CODE = /^[A-Za-z0-9_-]{1,40}$/;
/** How deep `cause` chains are followed: a cycle or a very long chain stops here. */
const CAUSE_DEPTH = 3;

/** The error's code when it is shaped like one (ENOENT, SQLITE_BUSY, not-dicom), else null. */
export function safeCode(error: unknown): string | null {
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' && SYSTEM_CODE.test(code) ? code : null;
}

/** A short name for an error that is always safe: its code, else its class, never its message. */
export function errorCode(error: unknown): string {
  return safeCode(error) ?? (error instanceof Error ? error.name : 'unknown error');
}

/** The sentence a person may be shown, or null when the error is not ours (its message may quote input). */
export function safeMessage(error: unknown): string | null {
  return error instanceof RadfedError ? error.message : null;
}

/** The error as a log line may carry it (pino's `err` and `error` fields go through this). */
export function errorForLog(error: unknown, depth = 0): LoggableError {
  if (!(error instanceof Error)) {
    return { type: error === null ? 'null' : typeof error, ...codeOf(error) };
  }
  const ours = error instanceof RadfedError;
  const frames = error.stack?.split('\n').filter((line) => /^\s+at /.test(line));
  const cause = (error as { cause?: unknown }).cause;
  return {
    type: error.name,
    ...codeOf(error),
    ...(ours ? { message: error.message } : {}),
    ...(ours && error.hint !== undefined ? { hint: error.hint } : {}),
    ...(frames && frames.length > 0 ? { stack: frames.join('\n') } : {}),
    ...(cause !== undefined && depth < CAUSE_DEPTH ? { cause: errorForLog(cause, depth + 1) } : {}),
  };
}

function codeOf(error: unknown): { code?: string } {
  const code = safeCode(error);
  return code === null ? {} : { code };
}

/**
 * A value logged under `error` as text (most callers log `errorCode(error)` there): kept when it reads
 * like a code or a short phrase, replaced when it could be a path, a DICOM name (Doe^John) or a message.
 */
export function loggableErrorText(text: string): string {
  return /^[A-Za-z][A-Za-z0-9_ -]{0,59}$/.test(text) ? text : '[not logged: may quote input]';
}
