// Errors of the coordinator dashboard and its accounts, in words a coordinator can act on. None carries
// a password, a session token or a hash.

export type DashboardErrorCode =
  'bad-user-name' | 'weak-password' | 'no-such-coordinator' | 'bad-accounts-file';

export class DashboardError extends Error {
  constructor(
    readonly code: DashboardErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DashboardError';
  }
}
