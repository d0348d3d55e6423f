// The envelope every IPC answer travels in. Errors carry a code for the program and a sentence for a
// person; never a stack trace (the details stay in the agent's log).

export type IpcErrorCode =
  /** The channel is not in the contract. */
  | 'unknown-channel'
  /** The request payload does not match the channel's schema. */
  | 'invalid-payload'
  /** Electron: the call came from a frame that is not the app's own page. */
  | 'forbidden-sender'
  /** Web UI: the access token is missing or wrong. */
  | 'unauthorized'
  /** The agent failed in a way it did not describe; see its log. */
  | 'internal'
  /** Bridge: the agent could not be reached. */
  | 'unreachable'
  /** Bridge: the answer was not an envelope. */
  | 'bad-response'
  /** A typed error from the site agent, passed on with its own kebab-case code. */
  | (string & {});

export interface IpcError {
  code: IpcErrorCode;
  message: string;
}

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: IpcError };

export function ipcOk<T>(value: T): IpcResult<T> {
  return { ok: true, value };
}

export function ipcFail(code: IpcErrorCode, message: string): IpcResult<never> {
  return { ok: false, error: { code, message } };
}

/** True for a value shaped like an envelope (checked where an answer crosses a process boundary). */
export function isIpcResult(value: unknown): value is IpcResult<unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const candidate = value as { ok?: unknown; error?: { code?: unknown; message?: unknown } };
  if (candidate.ok === true) return 'value' in candidate;
  return (
    candidate.ok === false &&
    typeof candidate.error?.code === 'string' &&
    typeof candidate.error?.message === 'string'
  );
}
