// The one root of RadFed's own errors, the way Flower's serverapp/exception.py gives its errors one
// root. Every room's typed error (DicomParseError, SyncError, HubError, CliError…) is a short subclass,
// so one `instanceof RadfedError` tells our errors from everything else (Node's ENOENT, SQLite's
// SQLITE_BUSY, a TypeError), whose messages may quote a path or a value and are never shown.
//
// The contract a subclass keeps (the reason this class exists):
// - `code` is a short kebab-case word a program can branch on ('folder-not-found');
// - `message` is a sentence written for a person: what went wrong and what to do. It is safe to show
//   in the UI, the CLI and the log: it never carries a patient identifier, a DICOM value or the path of
//   an input file (the site's own folder may be named; the operator chose it);
// - `hint`, when set, is the next step on its own ("Free some disk space, then import again"), for a
//   screen that shows the step apart from the sentence;
// - `cause` keeps the underlying failure for the log's debugging detail, never for display.
//
// Runs anywhere (the renderer imports it): no Node imports here.

/** What a subclass may pass on beside its code and sentence. */
export interface RadfedErrorOptions {
  readonly cause?: unknown;
  readonly hint?: string;
}

/**
 * Base of every error RadFed raises on purpose. Subclasses set `name` as a field
 * (`override readonly name = 'SyncError'`) rather than from the constructor's name, which a minifier
 * may rename.
 */
export class RadfedError<Code extends string = string> extends Error {
  override readonly name: string = 'RadfedError';
  readonly code: Code;
  // Declared, not initialised: an error without a hint has no `hint` key at all, so its own keys (which
  // tests compare) are the ones the classes had before they shared this base.
  declare readonly hint?: string;

  constructor(code: Code, message: string, options: RadfedErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.hint !== undefined)
      Object.defineProperty(this, 'hint', { value: options.hint, enumerable: true });
  }
}

/** True for an error of ours, whose `code` and `message` may be shown as they are. */
export function isRadfedError(error: unknown): error is RadfedError {
  return error instanceof RadfedError;
}
