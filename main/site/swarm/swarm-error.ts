// Errors of the swarm's membership ledger. A chain that fails verification names the first height
// that is wrong, so an operator (or the next session's sync code) knows which peer sent what; no
// message quotes a key, a signature or a secret.
import { RadfedError } from '../../../shared/errors.ts';

export type SwarmErrorCode =
  | 'bad-entry'
  | 'too-large'
  | 'wrong-swarm'
  | 'wrong-height'
  | 'wrong-previous'
  | 'unknown-member'
  | 'bad-signature'
  | 'quorum-short'
  | 'invalid-transition'
  | 'truncated'
  | 'conflict'
  | 'already-signed'
  | 'bad-token'
  | 'bad-invitation'
  | 'not-founded'
  | 'bad-message'
  /** The other member speaks a swarm protocol this one cannot (shared/federation/protocol-version.ts). */
  | 'protocol-mismatch'
  | 'clock-skew'
  | 'replayed'
  | 'not-member'
  | 'peer-unreachable'
  | 'peer-refused'
  | 'unknown-message'
  | 'round-failed'
  /** A round leader's secure-aggregation plan does not match the approved task (round-plan-check.ts). */
  | 'plan-refused'
  | 'model-mismatch'
  | 'bad-view-change'
  | 'view-passed';

export class SwarmError extends RadfedError<SwarmErrorCode> {
  override readonly name: string = 'SwarmError';
}

/** A ledger received (or about to be stored) is wrong at `height`: nothing from there on is taken. */
export class LedgerVerificationError extends SwarmError {
  override readonly name = 'LedgerVerificationError';
  constructor(
    code: SwarmErrorCode,
    readonly height: number,
    problem: string,
  ) {
    super(
      code,
      `The swarm ledger is wrong at height ${height}: ${problem} Nothing from that height on was ` +
        'accepted; fetch the ledger again from another member, and tell the swarm if it happens again.',
    );
  }
}
