// Errors of the coordinator dashboard and its accounts, in words a coordinator can act on. None carries
// a password, a session token or a hash.
import { RadfedError } from '../../shared/errors.ts';

export type DashboardErrorCode =
  'bad-user-name' | 'weak-password' | 'no-such-coordinator' | 'bad-accounts-file';

export class DashboardError extends RadfedError<DashboardErrorCode> {
  override readonly name = 'DashboardError';
}
