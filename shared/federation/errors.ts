// Errors of the federation protocol and its math. Every message says what went wrong and what to do;
// none carries a payload value (weights, keys or tokens).
import { RadfedError } from '../errors.ts';

export type FederationErrorCode =
  | 'bad-weights'
  | 'layout-mismatch'
  | 'not-finite'
  | 'bad-compression'
  | 'decrypt-failed'
  | 'bad-token'
  | 'bad-signature'
  | 'bad-model'
  | 'pin-mismatch'
  | 'hub-unreachable'
  | 'hub-refused'
  | 'bad-response'
  /** The hub and this site speak protocols the other cannot use (protocol-version.ts): not transient. */
  | 'protocol-mismatch'
  | 'bad-strategy';

export class FederationError extends RadfedError<FederationErrorCode> {
  // Typed as string so that HubRequestError below may name itself.
  override readonly name: string = 'FederationError';
}

/** The hub answered, but with an error: its code and sentence, and its clock for skew checks. */
export class HubRequestError extends FederationError {
  override readonly name = 'HubRequestError';
  constructor(
    readonly status: number,
    readonly hubCode: string,
    message: string,
    readonly hubTime: number | null,
  ) {
    super('hub-refused', message);
  }
}
